#include "brokers/amqp/control/amqp_control.h"

#include <chrono>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/json.h"
#include "brokers/amqp/protocol/broker_state.h"
#include "brokers/amqp/protocol/connection.h"
#include "core/storage/engine.h"

namespace mockforge::amqp {
namespace {

using control::Reply;
using control::Request;
using nlohmann::json;

constexpr int64_t kDefaultPeekLimit = 10;
constexpr int64_t kMaxPeekLimit = 10000;

// Strings as themselves (replaced when not UTF-8, as every name), byte
// arrays as payloads.
const JsonBytes kJsonBytes{[](std::string_view text) { return json(std::string(text)); },
                           [](std::string_view bytes) { return control::payload_json(bytes); }};

json field_table_json(const FieldTable& table) { return amqp::field_table_json(table, kJsonBytes); }

json message_json(const storage::Message& message) {
  json properties = json::object();
  if (message.properties && !message.properties->empty()) {
    const auto& stored = *message.properties;
    try {
      properties = basic_properties_json(
          decode_content_header({reinterpret_cast<const uint8_t*>(stored.data()), stored.size()})
              .properties,
          kJsonBytes);
    } catch (const std::exception&) {
      properties = json{{"undecodable", true}};
    }
  }
  json out = {{"exchange", message.exchange},
              {"routing_key", message.routing_key},
              {"redelivered", message.redelivered},
              {"delivery_count", message.delivery_count},
              {"priority", message.priority},
              {"properties", std::move(properties)},
              {"payload", control::payload_json(message.body ? *message.body : std::string())}};
  if (message.expires_at) {
    out["expires_at_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                               message.expires_at->time_since_epoch())
                               .count();
  }
  return out;
}

json queue_json(const std::string& vhost, const QueueSnapshot& queue) {
  return {{"vhost", vhost},
          {"name", queue.name},
          {"durable", queue.definition.durable},
          {"exclusive", queue.definition.exclusive},
          {"auto_delete", queue.definition.auto_delete},
          {"arguments", field_table_json(queue.definition.arguments)},
          {"messages_ready", queue.messages_ready},
          {"messages_unacked", queue.messages_unacked},
          {"consumers", queue.consumers}};
}

json binding_json(const std::string& vhost, const std::string& source,
                  const std::string& destination, bool to_queue, const std::string& routing_key,
                  const FieldTable& arguments) {
  return {{"vhost", vhost},
          {"source", source},
          {"destination", destination},
          {"destination_type", to_queue ? "queue" : "exchange"},
          {"routing_key", routing_key},
          {"arguments", field_table_json(arguments)}};
}

// A model refusal as HTTP: 404 for NOT_FOUND, 403 for ACCESS_REFUSED, 409
// for the rest (RESOURCE_LOCKED, PRECONDITION_FAILED).
Reply model_error(const ModelError& error) {
  const int status = error.reply_code == 404 ? 404 : error.reply_code == 403 ? 403 : 409;
  return Reply::error(status, error.text);
}

class AmqpControl : public control::BrokerControl {
 public:
  explicit AmqpControl(std::shared_ptr<BrokerState> broker) : broker_(std::move(broker)) {}

  std::string protocol() const override { return "amqp"; }

  Reply inspect(const Request& request) const override {
    const auto& path = request.path;
    if (path.empty()) return Reply::not_found("AMQP resource");
    const auto& kind = path[0];
    if (kind == "vhosts" && path.size() == 1) return vhosts();
    if (kind == "users" && path.size() == 1) return users();
    if (kind == "connections" && path.size() == 1) return connections(false);
    if (kind == "channels" && path.size() == 1) return connections(true);
    std::vector<Vhost*> selected;
    if (auto wanted = request.query.find("vhost"); wanted != request.query.end()) {
      Vhost* vhost = broker_->find_vhost(wanted->second);
      if (vhost == nullptr) return Reply::not_found("vhost '" + wanted->second + "'");
      selected.push_back(vhost);
    } else if (path.size() > 1) {
      Vhost* vhost = broker_->find_vhost("/");  // a named object: the default vhost
      if (vhost == nullptr) return Reply::not_found("vhost '/'");
      selected.push_back(vhost);
    } else {
      selected = broker_->vhosts();
    }
    if (kind == "queues" && path.size() == 1) return queues(selected);
    if (kind == "queues" && path.size() == 2) return queue(*selected.front(), path[1]);
    if (kind == "queues" && path.size() == 3 && path[2] == "messages") {
      return peek(*selected.front(), path[1], request);
    }
    if (kind == "exchanges" && path.size() == 1) return exchanges(selected);
    if (kind == "bindings" && path.size() == 1) return bindings(selected, request);
    if (kind == "consumers" && path.size() == 1) return consumers(selected);
    return Reply::not_found("AMQP resource '" + kind + "'");
  }

  Reply remove(const Request& request) override {
    const auto& path = request.path;
    if (path.size() != 2) return Reply::not_found("deletable AMQP resource");
    const auto vhost_name = request.query_or("vhost", "/");
    Vhost* vhost = broker_->find_vhost(vhost_name);
    if (vhost == nullptr) return Reply::not_found("vhost '" + vhost_name + "'");
    if (path[0] == "queues") {
      if (!vhost->has_queue(path[1])) return Reply::not_found("queue '" + path[1] + "'");
      auto deleted = vhost->delete_queue(path[1], request.query_bool("if_unused"),
                                         request.query_bool("if_empty"), 0);
      if (!deleted.ok()) return model_error(*deleted.error);
      for (const auto& cancel : deleted.value->cancelled) cancel();
      return Reply::ok({{"deleted", {{"queue", path[1]}, {"vhost", vhost_name}}},
                        {"messages", deleted.value->message_count}});
    }
    if (path[0] == "exchanges") {
      auto deleted = vhost->delete_exchange(path[1], request.query_bool("if_unused"));
      if (!deleted.ok()) return model_error(*deleted.error);
      return Reply::ok({{"deleted", {{"exchange", path[1]}, {"vhost", vhost_name}}}});
    }
    return Reply::not_found("deletable AMQP resource '" + path[0] + "'");
  }

  Reply purge(const Request& request) override {
    const auto& path = request.path;
    if (path.size() != 2 || path[0] != "queues") return Reply::not_found("purgeable AMQP resource");
    const auto vhost_name = request.query_or("vhost", "/");
    Vhost* vhost = broker_->find_vhost(vhost_name);
    if (vhost == nullptr) return Reply::not_found("vhost '" + vhost_name + "'");
    auto purged = vhost->purge_queue(path[1], 0);
    if (!purged.ok()) return model_error(*purged.error);
    return Reply::ok(
        {{"purged", {{"queue", path[1]}, {"vhost", vhost_name}, {"messages", *purged.value}}}});
  }

  Reply reset(runtime::ResetConnections connections) override {
    if (connections == runtime::ResetConnections::kKeep) {
      return Reply::error(400,
                          "AMQP connections cannot be kept across a reset: their channels hold "
                          "consumers and unacknowledged deliveries of the queues it drops; they "
                          "are closed with 320 CONNECTION_FORCED");
    }
    // The service's storage observer resets the vhosts and closes the
    // connections, as on a full reset.
    broker_->storage().reset(storage::kQueueParts);
    return Reply::ok({{"reset", "amqp"}});
  }

 private:
  Reply vhosts() const {
    const auto connections = broker_->connection_summaries();
    json out = json::array();
    for (Vhost* vhost : broker_->vhosts()) {
      std::size_t open = 0;
      for (const auto& connection : connections) open += connection.vhost == vhost->name() ? 1 : 0;
      out.push_back({{"name", vhost->name()},
                     {"queues", vhost->queue_names().size()},
                     {"exchanges", vhost->exchange_snapshots().size()},
                     {"connections", open}});
    }
    return Reply::ok({{"vhosts", std::move(out)}});
  }

  // Users with their tags and per-vhost permissions (never passwords).
  Reply users() const {
    json out = json::array();
    for (const auto& user : broker_->access().users()) {
      json permissions = json::array();
      for (const auto& [vhost, patterns] : user.permissions) {
        permissions.push_back({{"vhost", vhost},
                               {"configure", patterns[0]},
                               {"write", patterns[1]},
                               {"read", patterns[2]}});
      }
      out.push_back({{"name", user.name},
                     {"tags", user.tags},
                     {"every_vhost", user.open_everywhere},
                     {"permissions", std::move(permissions)}});
    }
    return Reply::ok({{"users", std::move(out)}});
  }

  Reply queues(const std::vector<Vhost*>& vhosts) const {
    json out = json::array();
    for (Vhost* vhost : vhosts) {
      for (const auto& queue : vhost->queue_snapshots())
        out.push_back(queue_json(vhost->name(), queue));
    }
    return Reply::ok({{"queues", std::move(out)}});
  }

  Reply queue(const Vhost& vhost, const std::string& name) const {
    for (const auto& queue : vhost.queue_snapshots()) {
      if (queue.name == name) return Reply::ok(queue_json(vhost.name(), queue));
    }
    return Reply::not_found("queue '" + name + "' in vhost '" + vhost.name() + "'");
  }

  // The first ?limit= ready messages, in delivery order; nothing is consumed.
  Reply peek(const Vhost& vhost, const std::string& name, const Request& request) const {
    const int64_t limit = request.query_int("limit", kDefaultPeekLimit);
    if (limit < 1 || limit > kMaxPeekLimit) {
      throw control::BadRequest("limit must be 1-" + std::to_string(kMaxPeekLimit));
    }
    for (const auto& [queue_name, storage] : vhost.storage_queues()) {
      if (queue_name != name) continue;
      json messages = json::array();
      for (const auto& message : storage->peek(static_cast<std::size_t>(limit))) {
        messages.push_back(message_json(message));
      }
      return Reply::ok({{"vhost", vhost.name()},
                        {"queue", name},
                        {"messages_ready", storage->ready_count()},
                        {"messages", std::move(messages)}});
    }
    return Reply::not_found("queue '" + name + "' in vhost '" + vhost.name() + "'");
  }

  Reply exchanges(const std::vector<Vhost*>& vhosts) const {
    json out = json::array();
    for (Vhost* vhost : vhosts) {
      for (const auto& exchange : vhost->exchange_snapshots()) {
        out.push_back({{"vhost", vhost->name()},
                       {"name", exchange.name},
                       {"type", exchange.type_name},
                       {"durable", exchange.durable},
                       {"auto_delete", exchange.auto_delete},
                       {"internal", exchange.internal},
                       {"arguments", field_table_json(exchange.arguments)}});
      }
    }
    return Reply::ok({{"exchanges", std::move(out)}});
  }

  // Bindings to ?queue= (the default exchange's implicit one first, as
  // RabbitMQ lists them), or from ?exchange=, or all of them.
  Reply bindings(const std::vector<Vhost*>& vhosts, const Request& request) const {
    json out = json::array();
    if (auto queue = request.query.find("queue"); queue != request.query.end()) {
      Vhost* vhost = broker_->find_vhost(request.query_or("vhost", "/"));
      if (vhost == nullptr)
        return Reply::not_found("vhost '" + request.query_or("vhost", "/") + "'");
      auto found = vhost->queue_bindings(queue->second);
      if (!found)
        return Reply::not_found("queue '" + queue->second + "' in vhost '" + vhost->name() + "'");
      for (const auto& binding : *found) {
        out.push_back(binding_json(vhost->name(), binding.source, queue->second, true,
                                   binding.routing_key, binding.arguments));
      }
      return Reply::ok({{"bindings", std::move(out)}});
    }
    const auto source = request.query.find("exchange");
    for (Vhost* vhost : vhosts) {
      if (source == request.query.end()) {
        for (const auto& name : vhost->queue_names()) {
          out.push_back(binding_json(vhost->name(), "", name, true, name, {}));
        }
      }
      for (const auto& exchange : vhost->exchange_snapshots()) {
        if (exchange.name.empty()) continue;
        if (source != request.query.end() && exchange.name != source->second) continue;
        for (const auto& binding : exchange.bindings) {
          out.push_back(binding_json(vhost->name(), exchange.name, binding.destination,
                                     binding.to_queue, binding.routing_key, binding.arguments));
        }
      }
    }
    return Reply::ok({{"bindings", std::move(out)}});
  }

  Reply consumers(const std::vector<Vhost*>& vhosts) const {
    json out = json::array();
    for (Vhost* vhost : vhosts) {
      for (const auto& consumer : vhost->consumer_snapshots()) {
        out.push_back({{"vhost", vhost->name()},
                       {"queue", consumer.queue},
                       {"consumer_tag", consumer.tag},
                       {"connection", consumer.connection_id},
                       {"exclusive", consumer.exclusive},
                       {"priority", consumer.priority},
                       {"unacked", consumer.unacked},
                       {"active", consumer.active}});
      }
    }
    return Reply::ok({{"consumers", std::move(out)}});
  }

  static json channel_json(uint64_t connection, const ChannelSummary& channel) {
    return {{"connection", connection},
            {"number", channel.number},
            {"prefetch_count", channel.prefetch_count},
            {"global_prefetch_count", channel.global_prefetch_count},
            {"confirm", channel.confirm},
            {"transactional", channel.transactional},
            {"consumers", channel.consumers}};
  }

  Reply connections(bool channels_only) const {
    json out = json::array();
    for (const auto& connection : broker_->connection_summaries()) {
      json channels = json::array();
      for (const auto& channel : connection.channels)
        channels.push_back(channel_json(connection.id, channel));
      if (channels_only) {
        for (auto& channel : channels) out.push_back(std::move(channel));
        continue;
      }
      out.push_back({{"id", connection.id},
                     {"address", connection.address},
                     {"user", connection.user},
                     {"vhost", connection.vhost},
                     {"name", connection.name},
                     {"product", connection.product},
                     {"version", connection.version},
                     {"platform", connection.platform},
                     {"channels", std::move(channels)}});
    }
    return Reply::ok({{channels_only ? "channels" : "connections", std::move(out)}});
  }

  std::shared_ptr<BrokerState> broker_;
};

}  // namespace

std::shared_ptr<control::BrokerControl> make_control(std::shared_ptr<BrokerState> broker) {
  return std::make_shared<AmqpControl>(std::move(broker));
}

}  // namespace mockforge::amqp
