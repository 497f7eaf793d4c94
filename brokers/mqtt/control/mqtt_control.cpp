#include "brokers/mqtt/control/mqtt_control.h"

#include <chrono>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/broker/message.h"
#include "brokers/mqtt/codec/topic.h"
#include "core/storage/engine.h"

namespace mockforge::mqtt {
namespace {

using control::Reply;
using control::Request;
using nlohmann::json;

int64_t epoch_ms(storage::TimePoint at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

json options_json(const storage::SubscriptionOptions& options) {
  return {
      {"qos", options.qos},
      {"no_local", options.no_local},
      {"retain_as_published", options.retain_as_published},
      {"retain_handling", options.retain_handling},
      {"subscription_identifier",
       options.subscription_identifier ? json(*options.subscription_identifier) : json(nullptr)}};
}

json property_value_json(const PropertyValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Bytes>) {
          return control::payload_json(
              std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
        } else if constexpr (std::is_same_v<T, StringPair>) {
          return json{{v.name, v.value}};
        } else {
          return v;
        }
      },
      value);
}

// MQTT 5 properties by name; user properties as a list of [name, value].
json properties_json(const Properties& properties) {
  json out = json::object();
  for (const auto& property : properties.entries()) {
    // "Content Type" -> "content_type".
    std::string name(property_info(property.id).name);
    for (auto& c : name)
      c = c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (property.id == PropertyId::user_property) {
      const auto& pair = std::get<StringPair>(property.value);
      out[name].push_back(json::array({pair.name, pair.value}));
    } else {
      out[name] = property_value_json(property.value);
    }
  }
  return out;
}

json retained_json(const storage::RetainedEntry& entry) {
  json out = {{"topic", entry.topic},
              {"qos", entry.message.qos},
              {"payload", control::payload_json(entry.message.payload ? *entry.message.payload
                                                                      : std::string())},
              {"properties", properties_json(load_properties(entry.message.properties))},
              {"stored_at_ms", epoch_ms(entry.message.stored_at)}};
  out["expires_at_ms"] =
      entry.message.expires_at ? json(epoch_ms(*entry.message.expires_at)) : json(nullptr);
  return out;
}

class MqttControl : public control::BrokerControl {
 public:
  MqttControl(Broker& broker, storage::Engine& storage) : broker_(broker), storage_(storage) {}

  std::string protocol() const override { return "mqtt"; }

  Reply inspect(const Request& request) const override {
    const auto& path = request.path;
    if (path.size() != 1) return Reply::not_found("MQTT resource");
    if (path[0] == "clients") return clients();
    if (path[0] == "sessions") return sessions();
    if (path[0] == "subscriptions") return subscriptions(request.query_or("client", ""));
    if (path[0] == "retained") return retained(request);
    if (path[0] == "stats") return stats();
    return Reply::not_found("MQTT resource '" + path[0] + "'");
  }

  Reply remove(const Request& request) override {
    const auto& path = request.path;
    if (path.size() == 2 && path[0] == "sessions") {
      if (broker_.is_connected(path[1])) {
        return Reply::error(409,
                            "client '" + path[1] + "' is connected; its session stays while it is");
      }
      if (!broker_.remove_offline_session(path[1]))
        return Reply::not_found("session '" + path[1] + "'");
      return Reply::ok({{"deleted", {{"session", path[1]}}}});
    }
    if (path.size() == 1 && path[0] == "retained") {
      const auto topic = request.query.find("topic");
      if (topic == request.query.end())
        throw control::BadRequest("DELETE retained needs ?topic=TOPIC");
      if (!storage_.retained().clear(topic->second)) {
        return Reply::not_found("retained message on '" + topic->second + "'");
      }
      return Reply::ok({{"deleted", {{"retained", topic->second}}}});
    }
    return Reply::not_found("deletable MQTT resource");
  }

  Reply purge(const Request& request) override {
    if (request.path != std::vector<std::string>{"retained"}) {
      return Reply::not_found("purgeable MQTT resource");
    }
    const auto filter = request.query_or("filter", "#");
    if (!is_valid_topic_filter(filter))
      throw control::BadRequest("invalid topic filter '" + filter + "'");
    std::size_t purged = 0;
    const auto entries = storage_.retained().collect(
        [&filter](std::string_view topic) { return topic_matches(filter, topic); },
        storage::Clock::now());
    for (const auto& entry : entries) purged += storage_.retained().clear(entry.topic) ? 1 : 0;
    return Reply::ok({{"purged", {{"retained", purged}, {"filter", filter}}}});
  }

  Reply reset(runtime::ResetConnections connections) override {
    storage_.reset(storage::kRetainedParts | storage::kSessionParts);
    const auto disconnected = broker_.reset(connections != runtime::ResetConnections::kKeep);
    return Reply::ok({{"reset", "mqtt"}, {"disconnected", disconnected}});
  }

 private:
  Reply clients() const {
    json out = json::array();
    for (const auto& client : broker_.clients()) {
      out.push_back({{"client_id", client.client_id},
                     {"protocol_version", client.protocol_version},
                     {"keep_alive", client.keep_alive_secs},
                     {"address", client.address},
                     {"inflight", client.inflight},
                     {"queued", client.queued}});
    }
    return Reply::ok({{"clients", std::move(out)}});
  }

  Reply sessions() const {
    json out = json::array();
    for (const auto& client_id : storage_.sessions().client_ids()) {
      auto session = storage_.sessions().find(client_id);
      if (!session) continue;
      const auto disconnected = session->disconnected_at();
      out.push_back(
          {{"client_id", client_id},
           {"connected", broker_.is_connected(client_id)},
           {"expiry_interval", session->expiry_interval()},
           {"subscriptions", session->subscriptions().size()},
           {"queued", session->offline_count()},
           {"dropped", session->dropped_count()},
           {"disconnected_at_ms", disconnected ? json(epoch_ms(*disconnected)) : json(nullptr)}});
    }
    return Reply::ok({{"sessions", std::move(out)}});
  }

  Reply subscriptions(const std::string& client) const {
    json out = json::array();
    for (const auto& subscription : broker_.subscriptions()) {
      if (!client.empty() && subscription.client_id != client) continue;
      json entry = options_json(subscription.options);
      entry["client_id"] = subscription.client_id;
      entry["filter"] = subscription.filter;
      entry["share_group"] =
          subscription.share_group.empty() ? json(nullptr) : json(subscription.share_group);
      out.push_back(std::move(entry));
    }
    return Reply::ok({{"subscriptions", std::move(out)}});
  }

  // Retained messages matching ?filter= (default "#"), or the one on ?topic=.
  Reply retained(const Request& request) const {
    if (const auto topic = request.query.find("topic"); topic != request.query.end()) {
      auto message = storage_.retained().get(topic->second, storage::Clock::now());
      if (!message) return Reply::not_found("retained message on '" + topic->second + "'");
      return Reply::ok(retained_json({topic->second, *message}));
    }
    const auto filter = request.query_or("filter", "#");
    if (!is_valid_topic_filter(filter))
      throw control::BadRequest("invalid topic filter '" + filter + "'");
    json out = json::array();
    for (const auto& entry : storage_.retained().collect(
             [&filter](std::string_view topic) { return topic_matches(filter, topic); },
             storage::Clock::now())) {
      out.push_back(retained_json(entry));
    }
    return Reply::ok({{"retained", std::move(out)}});
  }

  Reply stats() const {
    auto& counters = broker_.stats();
    auto load = [](const std::atomic<uint64_t>& counter) {
      return counter.load(std::memory_order_relaxed);
    };
    const auto sessions = storage_.sessions().size();
    const auto connected = broker_.connected_clients();
    return Reply::ok({{"connections", connected},
                      {"sessions", sessions},
                      {"subscriptions", broker_.subscription_count()},
                      {"retained", storage_.retained().size()},
                      {"messages_received", load(counters.publish_received)},
                      {"messages_sent", load(counters.publish_sent)},
                      {"messages_dropped", load(counters.publish_dropped)},
                      {"bytes_received", load(counters.bytes_received)},
                      {"bytes_sent", load(counters.bytes_sent)},
                      {"sampled_at_ms", epoch_ms(storage::Clock::now())}});
  }

  Broker& broker_;
  storage::Engine& storage_;
};

}  // namespace

std::shared_ptr<control::BrokerControl> make_control(Broker& broker, storage::Engine& storage) {
  return std::make_shared<MqttControl>(broker, storage);
}

}  // namespace mockforge::mqtt
