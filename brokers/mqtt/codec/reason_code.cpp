#include "brokers/mqtt/codec/reason_code.h"

#include <algorithm>
#include <initializer_list>

namespace mockforge::mqtt {
namespace {

bool listed(std::initializer_list<std::uint8_t> values, ReasonCode code) {
  return std::find(values.begin(), values.end(), static_cast<std::uint8_t>(code)) != values.end();
}

}  // namespace

std::string_view reason_code_name(ReasonCode code) {
  switch (code) {
    case ReasonCode::success:
      return "Success";
    case ReasonCode::granted_qos_1:
      return "Granted QoS 1";
    case ReasonCode::granted_qos_2:
      return "Granted QoS 2";
    case ReasonCode::disconnect_with_will_message:
      return "Disconnect with Will Message";
    case ReasonCode::no_matching_subscribers:
      return "No matching subscribers";
    case ReasonCode::no_subscription_existed:
      return "No subscription existed";
    case ReasonCode::continue_authentication:
      return "Continue authentication";
    case ReasonCode::re_authenticate:
      return "Re-authenticate";
    case ReasonCode::unspecified_error:
      return "Unspecified error";
    case ReasonCode::malformed_packet:
      return "Malformed Packet";
    case ReasonCode::protocol_error:
      return "Protocol Error";
    case ReasonCode::implementation_specific_error:
      return "Implementation specific error";
    case ReasonCode::unsupported_protocol_version:
      return "Unsupported Protocol Version";
    case ReasonCode::client_identifier_not_valid:
      return "Client Identifier not valid";
    case ReasonCode::bad_user_name_or_password:
      return "Bad User Name or Password";
    case ReasonCode::not_authorized:
      return "Not authorized";
    case ReasonCode::server_unavailable:
      return "Server unavailable";
    case ReasonCode::server_busy:
      return "Server busy";
    case ReasonCode::banned:
      return "Banned";
    case ReasonCode::server_shutting_down:
      return "Server shutting down";
    case ReasonCode::bad_authentication_method:
      return "Bad authentication method";
    case ReasonCode::keep_alive_timeout:
      return "Keep Alive timeout";
    case ReasonCode::session_taken_over:
      return "Session taken over";
    case ReasonCode::topic_filter_invalid:
      return "Topic Filter invalid";
    case ReasonCode::topic_name_invalid:
      return "Topic Name invalid";
    case ReasonCode::packet_identifier_in_use:
      return "Packet Identifier in use";
    case ReasonCode::packet_identifier_not_found:
      return "Packet Identifier not found";
    case ReasonCode::receive_maximum_exceeded:
      return "Receive Maximum exceeded";
    case ReasonCode::topic_alias_invalid:
      return "Topic Alias invalid";
    case ReasonCode::packet_too_large:
      return "Packet too large";
    case ReasonCode::message_rate_too_high:
      return "Message rate too high";
    case ReasonCode::quota_exceeded:
      return "Quota exceeded";
    case ReasonCode::administrative_action:
      return "Administrative action";
    case ReasonCode::payload_format_invalid:
      return "Payload format invalid";
    case ReasonCode::retain_not_supported:
      return "Retain not supported";
    case ReasonCode::qos_not_supported:
      return "QoS not supported";
    case ReasonCode::use_another_server:
      return "Use another server";
    case ReasonCode::server_moved:
      return "Server moved";
    case ReasonCode::shared_subscriptions_not_supported:
      return "Shared Subscriptions not supported";
    case ReasonCode::connection_rate_exceeded:
      return "Connection rate exceeded";
    case ReasonCode::maximum_connect_time:
      return "Maximum connect time";
    case ReasonCode::subscription_identifiers_not_supported:
      return "Subscription Identifiers not supported";
    case ReasonCode::wildcard_subscriptions_not_supported:
      return "Wildcard Subscriptions not supported";
  }
  return "Unknown reason code";
}

bool is_known_reason_code(std::uint8_t value) {
  return reason_code_name(static_cast<ReasonCode>(value)) != "Unknown reason code";
}

bool is_reason_code_allowed(PacketType packet, ReasonCode code) {
  switch (packet) {
    case PacketType::connack:
      return listed({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                     0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F},
                    code);
    case PacketType::puback:
    case PacketType::pubrec:
      return listed({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}, code);
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return listed({0x00, 0x92}, code);
    case PacketType::suback:
      return listed({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}, code);
    case PacketType::unsuback:
      return listed({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}, code);
    case PacketType::disconnect:
      return listed(
          {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
           0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2},
          code);
    case PacketType::auth:
      return listed({0x00, 0x18, 0x19}, code);
    default:
      return false;
  }
}

std::string_view connect_return_code_name(ConnectReturnCode code) {
  switch (code) {
    case ConnectReturnCode::accepted:
      return "Connection Accepted";
    case ConnectReturnCode::unacceptable_protocol_version:
      return "Connection Refused, unacceptable protocol version";
    case ConnectReturnCode::identifier_rejected:
      return "Connection Refused, identifier rejected";
    case ConnectReturnCode::server_unavailable:
      return "Connection Refused, Server unavailable";
    case ConnectReturnCode::bad_user_name_or_password:
      return "Connection Refused, bad user name or password";
    case ConnectReturnCode::not_authorized:
      return "Connection Refused, not authorized";
  }
  return "Unknown return code";
}

ConnectReturnCode to_v3_connect_return_code(ReasonCode code) {
  switch (code) {
    case ReasonCode::success:
      return ConnectReturnCode::accepted;
    case ReasonCode::unsupported_protocol_version:
      return ConnectReturnCode::unacceptable_protocol_version;
    case ReasonCode::client_identifier_not_valid:
      return ConnectReturnCode::identifier_rejected;
    case ReasonCode::bad_user_name_or_password:
      return ConnectReturnCode::bad_user_name_or_password;
    case ReasonCode::not_authorized:
    case ReasonCode::banned:
    case ReasonCode::bad_authentication_method:
      return ConnectReturnCode::not_authorized;
    default:
      return ConnectReturnCode::server_unavailable;
  }
}

std::optional<ReasonCode> from_v3_connect_return_code(std::uint8_t return_code) {
  switch (static_cast<ConnectReturnCode>(return_code)) {
    case ConnectReturnCode::accepted:
      return ReasonCode::success;
    case ConnectReturnCode::unacceptable_protocol_version:
      return ReasonCode::unsupported_protocol_version;
    case ConnectReturnCode::identifier_rejected:
      return ReasonCode::client_identifier_not_valid;
    case ConnectReturnCode::server_unavailable:
      return ReasonCode::server_unavailable;
    case ConnectReturnCode::bad_user_name_or_password:
      return ReasonCode::bad_user_name_or_password;
    case ConnectReturnCode::not_authorized:
      return ReasonCode::not_authorized;
  }
  return std::nullopt;
}

std::uint8_t to_v3_suback_return_code(ReasonCode code) {
  switch (code) {
    case ReasonCode::granted_qos_0:
    case ReasonCode::granted_qos_1:
    case ReasonCode::granted_qos_2:
      return static_cast<std::uint8_t>(code);
    default:
      return kV3SubackFailure;
  }
}

std::string_view packet_type_name(PacketType type) {
  switch (type) {
    case PacketType::connect:
      return "CONNECT";
    case PacketType::connack:
      return "CONNACK";
    case PacketType::publish:
      return "PUBLISH";
    case PacketType::puback:
      return "PUBACK";
    case PacketType::pubrec:
      return "PUBREC";
    case PacketType::pubrel:
      return "PUBREL";
    case PacketType::pubcomp:
      return "PUBCOMP";
    case PacketType::subscribe:
      return "SUBSCRIBE";
    case PacketType::suback:
      return "SUBACK";
    case PacketType::unsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::unsuback:
      return "UNSUBACK";
    case PacketType::pingreq:
      return "PINGREQ";
    case PacketType::pingresp:
      return "PINGRESP";
    case PacketType::disconnect:
      return "DISCONNECT";
    case PacketType::auth:
      return "AUTH";
  }
  return "UNKNOWN";
}

}  // namespace mockforge::mqtt
