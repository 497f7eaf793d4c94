// CONNECT: protocol level, client identifier rules, limits both ways, the
// will, session resumption, and the CONNACK advertising the broker's knobs.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <random>

#include "brokers/mqtt/broker/traffic.h"
#include "brokers/mqtt/codec/topic.h"
#include "brokers/mqtt/codec/utf8.h"
#include "brokers/mqtt/handlers/handlers.h"
#include "core/storage/mqtt_state.h"
#include "core/traffic/hub.h"

namespace mockforge::mqtt {

namespace {

std::string assign_client_id() {
  static const uint32_t process_tag = std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  return fmt::format("mockforge-{:08x}-{}", process_tag, ++counter);
}

std::optional<WillMessage> make_will(const Connect& connect, const std::string& client_id) {
  if (!connect.will) return std::nullopt;
  const Will& will = *connect.will;
  WillMessage out;
  out.message.topic = will.topic;
  out.message.payload = std::make_shared<const Bytes>(will.payload);
  out.message.qos = will.qos;
  out.message.retain = will.retain;
  out.message.properties = forwarded_properties(will.properties);
  out.message.publisher = client_id;
  if (auto expiry = will.properties.integer(PropertyId::message_expiry_interval)) {
    out.message.expires_at = storage::Clock::now() + std::chrono::seconds(*expiry);
  }
  out.delay_seconds = will.properties.integer(PropertyId::will_delay_interval).value_or(0);
  return out;
}

// Who the client is. mqtt.use_identity_as_username (or
// use_subject_as_username) on a TLS connection: the client certificate's CN
// (or its whole subject in RFC 2253 form, as Mosquitto prints it), CONNECT's
// user name and password ignored (as Mosquitto's options of the same names).
// Otherwise, with mqtt.auth_enabled: a user of mqtt.users or
// mqtt.password_file with its password. Refuses the connection and returns
// false when the client may not connect; `username` is the user name the
// session and the ACL go by.
bool authenticate(Client& client, const Connect& connect, std::optional<std::string>& username) {
  const BrokerOptions& options = client.options();
  username = connect.user_name;
  if ((options.use_identity_as_username || options.use_subject_as_username) && client.tls()) {
    const bool by_cn = options.use_identity_as_username;
    std::optional<std::string> identity =
        by_cn ? client.certificate_common_name() : client.certificate_subject();
    if (!identity || identity->empty() || validate_mqtt_utf8(*identity) != Utf8Status::valid) {
      // Mosquitto: Bad User Name or Password (3.1.1: 0x04).
      client.refuse_connect(ReasonCode::bad_user_name_or_password,
                            by_cn ? "no client certificate identity (mqtt.use_identity_as_username)"
                                  : "no client certificate subject (mqtt.use_subject_as_username)");
      return false;
    }
    username = std::move(identity);
    return true;
  }
  if (!options.auth_enabled) return true;
  if (!connect.user_name) {
    client.refuse_connect(ReasonCode::not_authorized, "anonymous client, mqtt.auth_enabled");
    return false;
  }
  const std::string_view password =
      connect.password ? std::string_view(reinterpret_cast<const char*>(connect.password->data()),
                                          connect.password->size())
                       : std::string_view();
  bool password_ok = false;
  if (auto user = options.users.find(*connect.user_name); user != options.users.end()) {
    password_ok = connect.password && password == user->second;
  } else if (auto hashed = options.hashed_users.find(*connect.user_name);
             hashed != options.hashed_users.end()) {
    password_ok = connect.password && verify_password(hashed->second, password);
  }
  if (!password_ok) {
    // v5: Bad User Name or Password; 3.1.1: 0x05 Not authorized, as Mosquitto
    // answers (0x04 would also be allowed).
    client.refuse_connect(
        client.v5() ? ReasonCode::bad_user_name_or_password : ReasonCode::not_authorized,
        "bad user name or password");
    return false;
  }
  return true;
}

}  // namespace

void handle_connect(Client& client, Connect& connect) {
  client.set_version(connect.protocol_version);
  const bool v5 = client.v5();
  const BrokerOptions& options = client.options();

  if (v5 && connect.properties.contains(PropertyId::authentication_method)) {
    client.refuse_connect(ReasonCode::bad_authentication_method,
                          "enhanced authentication is not supported");
    return;
  }
  std::optional<std::string> username;
  if (!authenticate(client, connect, username)) return;
  Client::Accepted accepted;
  accepted.client_id = connect.client_id;
  accepted.username = username;
  bool assigned = false;
  if (accepted.client_id.empty()) {
    if (!v5 && !connect.clean_start) {
      client.refuse_connect(ReasonCode::client_identifier_not_valid,
                            "empty client id needs clean session");
      return;
    }
    accepted.client_id = assign_client_id();
    assigned = true;
  }
  if (!client.broker().has_room_for(accepted.client_id)) {
    client.refuse_connect(v5 ? ReasonCode::quota_exceeded : ReasonCode::server_unavailable,
                          "mqtt.max_connections reached");
    return;
  }
  if (connect.will) {
    if (!is_valid_topic_name(connect.will->topic)) {
      client.refuse_connect(ReasonCode::topic_name_invalid, "invalid will topic");
      return;
    }
    if (connect.will->qos > options.maximum_qos) {
      client.refuse_connect(ReasonCode::qos_not_supported, "will QoS above the maximum");
      return;
    }
    if (connect.will->retain && !options.retain_available) {
      client.refuse_connect(ReasonCode::retain_not_supported, "retained will not available");
      return;
    }
    // The will is published with this client's rights, so they are checked
    // now: Not authorized (0x87 / 0x05) when it could not be published.
    Identity who{accepted.client_id, accepted.username};
    const auto& acl = options.acl;
    if (connect.will->topic.starts_with("$SYS/") ||
        (acl && !acl->may_publish(who, connect.will->topic))) {
      client.refuse_connect(ReasonCode::not_authorized, "will topic not authorized");
      return;
    }
  }
  accepted.will = make_will(connect, accepted.client_id);
  // A will is a publish to come, so a gate (AsyncAPI validation) checks it
  // now, while v5 can still refuse it: CONNACK 0x99 Payload format invalid.
  // 3.1.1 cannot say why, so the connection goes on without its will, as a
  // refused 3.1.1 publish is acknowledged and dropped.
  if (accepted.will) {
    if (auto* hub = client.broker().traffic(); hub != nullptr && hub->gated()) {
      if (hub->admit(to_traffic(accepted.will->message)).refused) {
        if (v5) {
          client.refuse_connect(ReasonCode::payload_format_invalid,
                                "the will does not match its AsyncAPI contract");
          return;
        }
        client.broker().dropped("invalid_payload");
        accepted.will.reset();
      }
    }
  }
  accepted.clean_start = connect.clean_start;
  if (v5) {
    accepted.session_expiry =
        connect.properties.integer(PropertyId::session_expiry_interval).value_or(0);
    accepted.receive_maximum = static_cast<uint16_t>(
        connect.properties.integer(PropertyId::receive_maximum).value_or(65535));
    accepted.maximum_packet_size =
        connect.properties.integer(PropertyId::maximum_packet_size).value_or(kMaxPacketSize);
    accepted.topic_alias_maximum = static_cast<uint16_t>(
        connect.properties.integer(PropertyId::topic_alias_maximum).value_or(0));
  } else {
    accepted.session_expiry = connect.clean_start ? 0 : storage::kSessionNeverExpires;
  }

  Connack connack;
  accepted.keep_alive_secs = connect.keep_alive;
  if (v5 && (connect.keep_alive > options.keep_alive_cap_secs ||
             (connect.keep_alive == 0 && options.keep_alive_cap_secs < 65535))) {
    accepted.keep_alive_secs = options.keep_alive_cap_secs;
    connack.properties.set(PropertyId::server_keep_alive,
                           static_cast<uint32_t>(options.keep_alive_cap_secs));
  }
  const uint16_t keep_alive = accepted.keep_alive_secs;
  const std::string client_id = accepted.client_id;
  connack.session_present = client.accept(std::move(accepted));

  if (v5) {
    auto& properties = connack.properties;
    if (assigned) properties.set(PropertyId::assigned_client_identifier, client_id);
    if (options.receive_maximum < 65535) {
      properties.set(PropertyId::receive_maximum, static_cast<uint32_t>(options.receive_maximum));
    }
    if (options.maximum_qos < QoS::exactly_once) {
      properties.set(PropertyId::maximum_qos, static_cast<uint32_t>(options.maximum_qos));
    }
    if (!options.retain_available) properties.set(PropertyId::retain_available, 0u);
    if (options.maximum_packet_size < kMaxPacketSize) {
      properties.set(PropertyId::maximum_packet_size, options.maximum_packet_size);
    }
    if (options.topic_alias_maximum > 0) {
      properties.set(PropertyId::topic_alias_maximum,
                     static_cast<uint32_t>(options.topic_alias_maximum));
    }
    if (!options.wildcard_subscription_available) {
      properties.set(PropertyId::wildcard_subscription_available, 0u);
    }
    if (!options.subscription_identifiers_available) {
      properties.set(PropertyId::subscription_identifier_available, 0u);
    }
    if (!options.shared_subscription_available) {
      properties.set(PropertyId::shared_subscription_available, 0u);
    }
  }
  (void)keep_alive;
  client.send(connack);
  client.resume();
}

}  // namespace mockforge::mqtt
