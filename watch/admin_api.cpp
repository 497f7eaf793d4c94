#include "watch/admin_api.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "brokers/mqtt/codec/topic.h"
#include "core/admin/http_server.h"
#include "core/control/broker_control.h"
#include "watch/expectations.h"
#include "watch/history.h"

namespace mockforge::watch {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 10000;

std::string dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

json message_json(const Recorded& recorded) {
  const auto& m = recorded.message;
  json headers = json::array();
  for (const auto& header : m.headers) {
    headers.push_back({{"name", header.name}, {"value", traffic::header_text(header.value)}});
  }
  json properties = json::object();
  const auto put = [&](const char* name, const std::optional<std::string>& value) {
    if (value) properties[name] = *value;
  };
  put("content_type", m.properties.content_type);
  put("content_encoding", m.properties.content_encoding);
  put("correlation_id", m.properties.correlation_id);
  put("reply_to", m.properties.reply_to);
  put("message_id", m.properties.message_id);
  put("type", m.properties.type);
  put("app_id", m.properties.app_id);
  put("user_id", m.properties.user_id);
  put("expiration", m.properties.expiration);
  if (m.properties.priority) properties["priority"] = *m.properties.priority;
  if (m.properties.delivery_mode) properties["delivery_mode"] = *m.properties.delivery_mode;
  if (m.properties.message_expiry_seconds) {
    properties["message_expiry_seconds"] = *m.properties.message_expiry_seconds;
  }
  json out = {{"seq", recorded.seq},
              {"protocol", std::string(traffic::to_string(m.protocol))},
              {"destination", m.destination},
              {"client_id", m.client_id},
              {"timestamp_ms", m.timestamp_ms},
              {"headers", headers},
              {"properties", properties},
              {"payload", control::payload_json(m.payload)}};
  if (m.protocol == traffic::Protocol::kAmqp) {
    out["routing_key"] = m.routing_key;
    out["vhost"] = m.vhost.empty() ? "/" : m.vhost;
  }
  if (m.protocol == traffic::Protocol::kKafka) {
    out["key"] = m.key ? json(control::payload_json(*m.key)) : json(nullptr);
    out["partition"] = m.partition ? json(*m.partition) : json(nullptr);
  }
  if (m.protocol == traffic::Protocol::kMqtt) {
    out["qos"] = m.qos;
    out["retain"] = m.retain;
  }
  return out;
}

admin::HttpResponse history_reply(const History& history, const admin::HttpRequest& request) {
  const auto query = [&](const char* key) -> std::optional<std::string> {
    const auto it = request.query.find(key);
    if (it == request.query.end()) return std::nullopt;
    return it->second;
  };
  std::optional<traffic::Protocol> protocol;
  if (auto name = query("protocol")) {
    protocol = traffic::parse_protocol(*name);
    if (!protocol) return admin::HttpResponse::error(400, "protocol must be kafka, mqtt or amqp");
  }
  uint64_t since = 0;
  std::size_t limit = kDefaultLimit;
  try {
    if (auto text = query("since")) since = std::stoull(*text);
    if (auto text = query("limit")) limit = std::min<std::size_t>(std::stoull(*text), kMaxLimit);
  } catch (const std::exception&) {
    return admin::HttpResponse::error(400, "since and limit must be whole numbers");
  }
  const auto topic = query("topic");
  const auto client_id = query("client_id");
  json messages = json::array();
  for (const auto& recorded : history.since(since, limit, [&](const traffic::Message& message) {
         return (!protocol || message.protocol == *protocol) &&
                (!topic || message.destination == *topic) &&
                (!client_id || message.client_id == *client_id);
       })) {
    messages.push_back(message_json(recorded));
  }
  return admin::HttpResponse::json(200, dump({{"messages", messages},
                                              {"last_seq", history.last_seq()},
                                              {"first_kept_after", history.first_kept_after()},
                                              {"dropped", history.dropped()}}));
}

// The recent messages on MQTT topics matching a filter (not just the
// retained one): the history's MQTT part, newest last.
admin::HttpResponse mqtt_messages_reply(const History& history, const admin::HttpRequest& request) {
  const auto filter_it = request.query.find("topic");
  if (filter_it == request.query.end() || filter_it->second.empty()) {
    return admin::HttpResponse::error(400, "needs ?topic=TOPIC (a topic or a topic filter)");
  }
  const std::string& filter = filter_it->second;
  const auto parsed = mqtt::parse_topic_filter(filter);
  if (!parsed || parsed->is_shared()) {
    return admin::HttpResponse::error(400, "'" + filter + "' is not an MQTT topic filter");
  }
  if (!history.enabled()) {
    return admin::HttpResponse::error(
        409, "the history is off (history.max_messages: 0), so no recent messages are kept");
  }
  uint64_t since = 0;
  std::size_t limit = kDefaultLimit;
  try {
    if (auto it = request.query.find("since"); it != request.query.end()) {
      since = std::stoull(it->second);
    }
    if (auto it = request.query.find("limit"); it != request.query.end()) {
      limit = std::min<std::size_t>(std::stoull(it->second), kMaxLimit);
    }
  } catch (const std::exception&) {
    return admin::HttpResponse::error(400, "since and limit must be whole numbers");
  }
  // The newest `limit` matches: walk everything kept, keep the tail.
  auto matching = history.since(since, SIZE_MAX, [&](const traffic::Message& message) {
    return message.protocol == traffic::Protocol::kMqtt &&
           mqtt::topic_matches(parsed->filter, message.destination);
  });
  const std::size_t skip = matching.size() > limit ? matching.size() - limit : 0;
  json messages = json::array();
  for (std::size_t i = skip; i < matching.size(); ++i)
    messages.push_back(message_json(matching[i]));
  return admin::HttpResponse::json(200, dump({{"topic", filter},
                                              {"messages", messages},
                                              {"last_seq", history.last_seq()},
                                              {"first_kept_after", history.first_kept_after()}}));
}

admin::HttpResponse verdict_reply(const Verdict& verdict) {
  return admin::HttpResponse::json(verdict.met ? 200 : 417, dump(verdict.to_json()));
}

}  // namespace

void register_admin_routes(admin::HttpServer& server, boost::asio::io_context& io, History& history,
                           Expectations& expectations) {
  server.route("GET", "/__mockforge/api/history", [&history](const admin::HttpRequest& request) {
    return history_reply(history, request);
  });
  // An exact route: it wins over the MQTT control API's prefix route.
  server.route("GET", "/__mockforge/api/mqtt/messages",
               [&history](const admin::HttpRequest& request) {
                 return mqtt_messages_reply(history, request);
               });
  server.route_async(
      "POST", "/__mockforge/api/expect",
      [&io, &expectations](const admin::HttpRequest& request, admin::Respond respond) {
        if (!expectations.history_enabled()) {
          return respond(admin::HttpResponse::error(
              409, "the history is off (history.max_messages: 0), so nothing can be expected"));
        }
        if (auto refusal = admin::refuse_deep_json(request.body)) return respond(*refusal);
        const auto spec = json::parse(request.body, nullptr, false);
        if (spec.is_discarded()) {
          return respond(admin::HttpResponse::error(400, "expect needs a JSON body"));
        }
        Expectation expectation;
        try {
          expectation = Expectation::from_json(spec);
        } catch (const std::invalid_argument& e) {
          return respond(admin::HttpResponse::error(400, e.what()));
        }
        const auto id = expectations.start(
            expectation, [respond](Verdict verdict) { respond(verdict_reply(verdict)); });
        if (id == 0) return;  // decided by what had already arrived
        auto deadline = std::make_shared<boost::asio::steady_timer>(io, expectation.timeout);
        deadline->async_wait([&expectations, id, deadline](const boost::system::error_code&) {
          expectations.expire(id);
        });
      });
}

}  // namespace mockforge::watch
