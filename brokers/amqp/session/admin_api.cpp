#include "brokers/amqp/session/admin_api.h"

#include <nlohmann/json.hpp>

#include "brokers/amqp/protocol/broker_state.h"
#include "core/admin/http_server.h"

namespace mockforge::amqp {
namespace {

nlohmann::json field_value_json(const FieldValue& value);

nlohmann::json field_table_json(const FieldTable& table) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& entry : table.entries) out[entry.name] = field_value_json(entry.value);
  return out;
}

// Numbers, booleans and strings as themselves; a decimal as {scale, value};
// a timestamp as seconds; void as null; byte arrays as (lossy) strings.
nlohmann::json field_value_json(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, FieldTable>) {
          return field_table_json(v);
        } else if constexpr (std::is_same_v<T, FieldArray>) {
          nlohmann::json array = nlohmann::json::array();
          for (const auto& item : v.values) array.push_back(field_value_json(item));
          return array;
        } else if constexpr (std::is_same_v<T, Decimal>) {
          return nlohmann::json{{"scale", v.scale}, {"value", v.value}};
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return v.seconds;
        } else if constexpr (std::is_same_v<T, Void>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          return v.bytes;
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
          return static_cast<int>(v);
        } else {
          return v;
        }
      },
      value.value);
}

admin::HttpResponse json_ok(const nlohmann::json& body) {
  // Names and string arguments are not necessarily UTF-8.
  return admin::HttpResponse::json(
      200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string query_or(const admin::HttpRequest& request, const std::string& key,
                     std::string fallback) {
  auto it = request.query.find(key);
  return it == request.query.end() ? fallback : it->second;
}

}  // namespace

void register_admin_routes(admin::HttpServer& server, std::shared_ptr<BrokerState> broker) {
  // Every vhost's queues, or those of ?vhost=NAME; each names its vhost.
  server.route("GET", "/__mockforge/api/amqp/queues", [broker](const admin::HttpRequest& request) {
    std::vector<Vhost*> vhosts;
    if (auto wanted = request.query.find("vhost"); wanted != request.query.end()) {
      Vhost* vhost = broker->find_vhost(wanted->second);
      if (vhost == nullptr) {
        return admin::HttpResponse::error(404, "no vhost '" + wanted->second + "'");
      }
      vhosts.push_back(vhost);
    } else {
      vhosts = broker->vhosts();
    }
    nlohmann::json queues = nlohmann::json::array();
    for (Vhost* vhost : vhosts) {
      for (const auto& queue : vhost->queue_snapshots()) {
        queues.push_back({{"vhost", vhost->name()},
                          {"name", queue.name},
                          {"durable", queue.definition.durable},
                          {"exclusive", queue.definition.exclusive},
                          {"auto_delete", queue.definition.auto_delete},
                          {"arguments", field_table_json(queue.definition.arguments)},
                          {"messages_ready", queue.messages_ready},
                          {"messages_unacked", queue.messages_unacked},
                          {"consumers", queue.consumers}});
      }
    }
    return json_ok(nlohmann::json{{"queues", std::move(queues)}});
  });

  server.route("GET", "/__mockforge/api/amqp/bindings", [broker](const admin::HttpRequest& request) {
    auto queue = request.query.find("queue");
    if (queue == request.query.end()) {
      return admin::HttpResponse::error(400, "bindings needs ?queue=NAME");
    }
    const std::string vhost_name = query_or(request, "vhost", "/");
    Vhost* vhost = broker->find_vhost(vhost_name);
    if (vhost == nullptr) return admin::HttpResponse::error(404, "no vhost '" + vhost_name + "'");
    auto bindings = vhost->queue_bindings(queue->second);
    if (!bindings) {
      return admin::HttpResponse::error(
          404, "no queue '" + queue->second + "' in vhost '" + vhost_name + "'");
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& binding : *bindings) {
      out.push_back({{"vhost", vhost->name()},
                     {"source", binding.source},
                     {"destination", queue->second},
                     {"destination_type", "queue"},
                     {"routing_key", binding.routing_key},
                     {"arguments", field_table_json(binding.arguments)}});
    }
    return json_ok(nlohmann::json{{"bindings", std::move(out)}});
  });
}

}  // namespace mockforge::amqp
