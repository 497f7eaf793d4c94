#include "asyncapi/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace mockforge::asyncapi {
namespace {

using traffic::Protocol;

std::optional<Protocol> broker_of(const std::string& protocol) {
  if (protocol == "kafka" || protocol == "kafka-secure") return Protocol::kKafka;
  if (protocol == "mqtt" || protocol == "mqtt5" || protocol == "ws") return Protocol::kMqtt;
  if (protocol == "amqp") return Protocol::kAmqp;
  return std::nullopt;
}

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string string_member(const Node& node, const std::string& key) {
  return node.has(key) ? text_of(node.json()[key]) : "";
}

// The last token of a JSON pointer, unescaped.
std::string last_token(const std::string& pointer) {
  auto token = pointer.substr(pointer.rfind('/') + 1);
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out.push_back(token[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

std::string regex_escape(const std::string& text) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : text) {
    if (special.find(c) != std::string::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The address split into literal text and parameter names, in order.
struct Piece {
  bool parameter = false;
  std::string text;
};

std::vector<Piece> split_address(const std::string& address) {
  std::vector<Piece> pieces;
  std::size_t at = 0;
  while (at < address.size()) {
    const auto open = address.find('{', at);
    const auto close = open == std::string::npos ? open : address.find('}', open);
    if (open == std::string::npos || close == std::string::npos) {
      pieces.push_back({false, address.substr(at)});
      break;
    }
    if (open > at) pieces.push_back({false, address.substr(at, open - at)});
    pieces.push_back({true, address.substr(open + 1, close - open - 1)});
    at = close + 1;
  }
  return pieces;
}

// `address` with every separator-delimited level that holds a parameter
// replaced by `wildcard`.
std::string wildcard_levels(const std::string& address, char separator, const char* wildcard) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = address.find(separator, start);
    const auto level = address.substr(start, end == std::string::npos ? end : end - start);
    out += level.find('{') != std::string::npos ? wildcard : level;
    if (end == std::string::npos) break;
    out.push_back(separator);
    start = end + 1;
  }
  return out;
}

// Supported schema formats: AsyncAPI schema objects and JSON Schema (drafts
// 4, 6, 7, which the validator implements). Throws at `where` otherwise.
void check_schema_format(const Document& document, const Node& where, const std::string& format) {
  if (format.empty()) return;
  const auto base = format.substr(0, format.find(';'));
  if (base == "application/vnd.aai.asyncapi" || base == "application/vnd.aai.asyncapi+json" ||
      base == "application/vnd.aai.asyncapi+yaml")
    return;
  if (base == "application/schema+json" || base == "application/schema+yaml") {
    const auto version = format.find("version=");
    if (version == std::string::npos) return;
    const auto draft = format.substr(version + 8);
    if (draft == "draft-07" || draft == "draft-06" || draft == "draft-04") return;
    document.fail(where, fmt::format("schemaFormat '{}' is not supported: JSON Schema drafts 4, "
                                     "6 and 7 are (the validator's drafts)",
                                     format));
  }
  if (base.find("avro") != std::string::npos)
    document.fail(where, fmt::format("schemaFormat '{}': Avro schemas are not supported; write the "
                                     "payload as a JSON Schema or AsyncAPI schema",
                                     format));
  document.fail(where, fmt::format("schemaFormat '{}' is not supported (AsyncAPI schema and JSON "
                                   "Schema drafts 4, 6 and 7 are)",
                                   format));
}

class Builder {
 public:
  Builder(const Document& document, LoadResult& result) : document_(document), result_(result) {}

  void build() {
    const Node root = document_.root();
    if (!root.json().is_object()) document_.fail(root, "an AsyncAPI document is an object");
    if (!root.has("asyncapi"))
      document_.fail(root, "not an AsyncAPI document: the 'asyncapi' version field is missing");
    model().asyncapi_version = text_of(root.json()["asyncapi"]);
    const auto& v = model().asyncapi_version;
    if (v.rfind("3.", 0) == 0) {
      v3_ = true;
    } else if (v.rfind("2.", 0) != 0) {
      document_.fail(root["asyncapi"],
                     fmt::format("AsyncAPI {} is not supported (2.x from 2.0 and 3.0 are)", v));
    }
    if (root.has("info")) {
      const Node info = map_at(root["info"]);
      model().title = string_member(info, "title");
      model().version = string_member(info, "version");
    }
    attempt([&] { read_servers(root); });
    if (root.has("channels")) {
      const Node channels = map_at(root["channels"]);
      for (const auto& [key, value] : channels.json().items())
        attempt([&, key = key] { read_channel(key, channels[key]); });
    }
    if (v3_ && root.has("operations")) {
      const Node operations = map_at(root["operations"]);
      for (const auto& [key, value] : operations.json().items())
        attempt([&, key = key] { read_operation_v3(key, operations[key]); });
    }
    for (auto& channel : model().channels) {
      channel.compiled.clear();
      for (std::size_t p = 0; p < traffic::kProtocolCount; ++p)
        channel.compiled.push_back(channel.name_pattern(static_cast<Protocol>(p)));
    }
  }

 private:
  Model& model() { return result_.model; }

  // `node` after its $refs, which must be a map (servers, channels, ...).
  Node map_at(const Node& node) const {
    const Node target = document_.follow(node);
    if (!target.json().is_object()) document_.fail(target, "must be a map");
    return target;
  }

  template <typename F>
  void attempt(F&& body) {
    try {
      body();
    } catch (const DocumentError& e) {
      result_.errors.push_back(e.error());
    }
  }

  void read_servers(const Node& root) {
    if (!root.has("servers")) return;
    const Node servers = map_at(root["servers"]);
    for (const auto& [key, value] : servers.json().items()) {
      const Node server = map_at(servers[key]);
      Server out;
      out.name = key;
      out.protocol = string_member(server, "protocol");
      if (out.protocol.empty()) document_.fail(server, "a server needs a protocol");
      out.protocol_version = string_member(server, "protocolVersion");
      out.host = v3_ ? string_member(server, "host") : string_member(server, "url");
      out.broker = broker_of(out.protocol);
      server_pointers_.emplace(server.file + "#" + server.pointer, key);
      model().servers.push_back(std::move(out));
    }
  }

  const Server* server_named(const std::string& name) const {
    for (const auto& server : result_.model.servers)
      if (server.name == name) return &server;
    return nullptr;
  }

  // The channel's servers: those it names, else every server of the document.
  void assign_servers(Channel& channel, const Node& node) {
    std::vector<std::string> names;
    if (node.has("servers")) {
      const Node list = node["servers"];
      if (!list.json().is_array()) document_.fail(list, "servers must be a list");
      for (std::size_t i = 0; i < list.json().size(); ++i) {
        const Node entry = list[i];
        if (v3_) {
          const Node server = document_.follow(entry);
          auto found = server_pointers_.find(server.file + "#" + server.pointer);
          if (found == server_pointers_.end())
            document_.fail(entry, "must reference a server under #/servers");
          names.push_back(found->second);
        } else {
          const auto name = text_of(entry.json());
          if (!server_named(name))
            document_.fail(entry, fmt::format("server '{}' is not defined in #/servers", name));
          names.push_back(name);
        }
      }
    } else {
      for (const auto& server : model().servers) names.push_back(server.name);
    }
    if (names.empty())
      document_.fail(node,
                     "no server: the document defines no servers, so the channel's "
                     "protocol is unknown");
    std::set<Protocol> protocols;
    std::vector<std::string> unserved;
    for (const auto& name : names) {
      const Server* server = server_named(name);
      if (server->broker) {
        channel.servers.push_back(name);
        protocols.insert(*server->broker);
      } else {
        unserved.push_back(fmt::format("{} ({})", name, server->protocol));
      }
    }
    if (protocols.empty())
      document_.fail(node, fmt::format("no server of the channel has a protocol mockforge serves "
                                       "(kafka, kafka-secure, mqtt, mqtt5, ws, amqp): {}",
                                       fmt::join(unserved, ", ")));
    channel.protocols.assign(protocols.begin(), protocols.end());
  }

  void read_parameters(Channel& channel, const Node& node) {
    std::set<std::string> named;
    for (const auto& piece : split_address(channel.address))
      if (piece.parameter) named.insert(piece.text);
    std::set<std::string> described;
    if (node.has("parameters")) {
      const Node parameters = map_at(node["parameters"]);
      for (const auto& [key, value] : parameters.json().items()) {
        const Node parameter = map_at(parameters[key]);
        Parameter out;
        out.name = key;
        out.description = string_member(parameter, "description");
        // 3.0: enum on the parameter; 2.x: in its schema.
        std::optional<Node> enum_node;
        if (parameter.has("enum")) enum_node = parameter["enum"];
        if (parameter.has("schema")) {
          const Node schema = document_.follow(parameter["schema"]);
          if (schema.has("enum")) enum_node = schema["enum"];
        }
        if (enum_node) {
          if (!enum_node->json().is_array()) document_.fail(*enum_node, "enum must be a list");
          for (const auto& v : enum_node->json()) out.values.push_back(text_of(v));
        }
        if (!named.contains(key))
          document_.fail(parameters[key], fmt::format("parameter '{}' does not appear in the "
                                                      "address '{}'",
                                                      key, channel.address));
        described.insert(key);
        channel.parameters.push_back(std::move(out));
      }
    }
    // A placeholder without a parameter object is still a parameter (any value).
    for (const auto& piece : split_address(channel.address)) {
      if (!piece.parameter || described.contains(piece.text)) continue;
      described.insert(piece.text);
      channel.parameters.push_back(Parameter{piece.text, "", {}});
    }
  }

  void read_bindings(Channel& channel, const Node& node) {
    if (!node.has("bindings")) return;
    const Node bindings = map_at(node["bindings"]);
    if (bindings.has("kafka")) {
      const Node kafka = map_at(bindings["kafka"]);
      KafkaBinding out;
      out.topic = string_member(kafka, "topic");
      if (kafka.has("partitions")) out.partitions = integer(kafka["partitions"], 1, 1000000);
      if (kafka.has("replicas")) out.replicas = integer(kafka["replicas"], 1, 32767);
      if (kafka.has("topicConfiguration")) {
        const Node configs = map_at(kafka["topicConfiguration"]);
        for (const auto& [name, value] : configs.json().items()) {
          std::string text;
          if (value.is_array()) {
            std::vector<std::string> items;
            for (const auto& item : value) items.push_back(text_of(item));
            text = fmt::format("{}", fmt::join(items, ","));
          } else {
            text = text_of(value);
          }
          out.configs.emplace_back(name, text);
        }
      }
      channel.kafka = out;
    }
    if (bindings.has("amqp")) {
      const Node amqp = map_at(bindings["amqp"]);
      AmqpBinding out;
      const auto is = amqp.has("is") ? text_of(amqp.json()["is"]) : "routingKey";
      if (is == "queue")
        out.is = AmqpBinding::Is::kQueue;
      else if (is != "routingKey")
        document_.fail(amqp["is"], fmt::format("is must be routingKey or queue, not '{}'", is));
      if (amqp.has("exchange")) {
        const Node exchange = map_at(amqp["exchange"]);
        AmqpExchange e;
        e.name = string_member(exchange, "name");
        if (exchange.has("type")) e.type = string_member(exchange, "type");
        if (e.type == "default") e.type = "direct";
        if (e.type != "topic" && e.type != "direct" && e.type != "fanout" && e.type != "headers")
          document_.fail(exchange["type"], fmt::format("exchange type '{}' is not one of topic, "
                                                       "direct, fanout, default, headers",
                                                       e.type));
        if (exchange.has("durable")) e.durable = boolean(exchange["durable"]);
        if (exchange.has("autoDelete")) e.auto_delete = boolean(exchange["autoDelete"]);
        if (exchange.has("vhost")) e.vhost = string_member(exchange, "vhost");
        out.exchange = e;
      }
      if (amqp.has("queue")) {
        const Node queue = map_at(amqp["queue"]);
        AmqpQueue q;
        q.name = string_member(queue, "name");
        if (queue.has("durable")) q.durable = boolean(queue["durable"]);
        if (queue.has("exclusive")) q.exclusive = boolean(queue["exclusive"]);
        if (queue.has("autoDelete")) q.auto_delete = boolean(queue["autoDelete"]);
        if (queue.has("vhost")) q.vhost = string_member(queue, "vhost");
        out.queue = q;
      }
      if (out.is == AmqpBinding::Is::kQueue && !out.queue) out.queue = AmqpQueue{};
      if (out.queue && out.queue->name.empty()) out.queue->name = channel.address;
      if (out.is == AmqpBinding::Is::kQueue && channel.parameterised())
        document_.fail(amqp["is"],
                       "an is: queue channel names one queue; its address cannot "
                       "have parameters");
      channel.amqp = out;
    }
  }

  int32_t integer(const Node& node, int64_t min, int64_t max) const {
    const auto& value = node.json();
    if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max)
      document_.fail(node, fmt::format("must be an integer from {} to {}", min, max));
    return static_cast<int32_t>(value.get<int64_t>());
  }

  bool boolean(const Node& node) const {
    if (!node.json().is_boolean()) document_.fail(node, "must be true or false");
    return node.json().get<bool>();
  }

  void read_mqtt_operation_binding(Channel& channel, const Node& operation) {
    if (!operation.has("bindings")) return;
    const Node bindings = map_at(operation["bindings"]);
    if (!bindings.has("mqtt")) return;
    const Node mqtt = map_at(bindings["mqtt"]);
    if (mqtt.has("qos")) {
      const int qos = integer(mqtt["qos"], 0, 2);
      channel.mqtt.qos = std::max(channel.mqtt.qos.value_or(0), qos);
    }
    if (mqtt.has("retain"))
      channel.mqtt.retain = channel.mqtt.retain.value_or(false) || boolean(mqtt["retain"]);
  }

  // A schema value (payload or headers): a multi-format schema object (3.0)
  // or a schema; `format` is the message's schemaFormat (2.x). `draft` is set
  // to draft 4 when the format says so.
  Json read_schema(const Node& node, std::string format, Draft* draft = nullptr) {
    Node schema = document_.follow(node);
    if (v3_ && schema.has("schemaFormat") && schema.has("schema")) {
      format = string_member(schema, "schemaFormat");
      check_schema_format(document_, schema["schemaFormat"], format);
      schema = schema["schema"];
    } else {
      check_schema_format(document_, node, format);
    }
    if (draft && format.rfind("application/schema+", 0) == 0 &&
        format.find("version=draft-04") != std::string::npos)
      *draft = Draft::kDraft4;
    return document_.inline_refs(schema);
  }

  Message read_message(const Node& reference, const std::string& fallback_id) {
    const Node node = document_.follow(reference);
    if (!node.json().is_object()) document_.fail(node, "a message is an object");
    Message out;
    out.pointer = fmt::format("{}#{}", document_.error_at(node, "").file, node.pointer);
    out.id = string_member(node, "messageId");
    if (out.id.empty()) out.id = fallback_id;
    if (out.id.empty()) out.id = string_member(node, "name");
    if (out.id.empty() && node.pointer != reference.pointer) out.id = last_token(node.pointer);
    if (out.id.empty()) out.id = last_token(reference.pointer);
    out.content_type = string_member(node, "contentType");
    const std::string format = v3_ ? "" : string_member(node, "schemaFormat");
    if (!v3_ && !format.empty()) check_schema_format(document_, node["schemaFormat"], format);
    out.payload =
        node.has("payload") ? read_schema(node["payload"], format, &out.draft) : Json(true);
    if (node.has("headers")) out.headers = read_schema(node["headers"], "");
    if (node.has("correlationId")) {
      const Node correlation = map_at(node["correlationId"]);
      out.correlation_location = string_member(correlation, "location");
    }
    if (node.has("examples")) {
      const Node examples = document_.follow(node["examples"]);
      if (!examples.json().is_array()) document_.fail(examples, "examples must be a list");
      for (std::size_t i = 0; i < examples.json().size(); ++i) {
        const Node example = map_at(examples[i]);
        Example e;
        e.name = string_member(example, "name");
        if (e.name.empty()) e.name = fmt::format("example {}", i + 1);
        if (example.has("payload")) e.payload = document_.inline_refs(example["payload"]);
        if (example.has("headers")) e.headers = document_.inline_refs(example["headers"]);
        out.examples.push_back(std::move(e));
      }
    }
    return out;
  }

  void add_message(Channel& channel, Message message) {
    for (const auto& existing : channel.messages)
      if (existing.pointer == message.pointer) return;
    channel.messages.push_back(std::move(message));
  }

  // 2.x operation.message: one message or {oneOf: [...]}.
  void read_messages_v2(Channel& channel, const Node& operation, Operation& op) {
    if (!operation.has("message")) return;
    const Node message = document_.follow(operation["message"]);
    if (message.has("oneOf")) {
      const Node list = message["oneOf"];
      if (!list.json().is_array()) document_.fail(list, "oneOf must be a list");
      for (std::size_t i = 0; i < list.json().size(); ++i) {
        auto m = read_message(list[i], "");
        op.messages.push_back(m.id);
        add_message(channel, std::move(m));
      }
    } else {
      auto m = read_message(operation["message"], "");
      op.messages.push_back(m.id);
      add_message(channel, std::move(m));
    }
  }

  void read_channel(const std::string& key, const Node& reference) {
    const Node node = document_.follow(reference);
    if (!node.json().is_object()) document_.fail(reference, "a channel is an object");
    Channel channel;
    channel.id = key;
    channel.pointer = reference.pointer;
    channel.description = string_member(node, "description");
    if (node.has("x-mockforge-validate")) {
      channel.validate = string_member(node, "x-mockforge-validate");
      if (channel.validate != "off" && channel.validate != "warn" && channel.validate != "reject")
        document_.fail(node["x-mockforge-validate"], "x-mockforge-validate is off, warn or reject");
    }
    if (v3_) {
      if (!node.has("address") || node.json()["address"].is_null())
        document_.fail(reference,
                       "a channel without an address (address: null) names no topic, "
                       "queue or routing key mockforge could create or check");
      channel.address = string_member(node, "address");
    } else {
      channel.address = key;
    }
    assign_servers(channel, node);
    read_parameters(channel, node);
    read_bindings(channel, node);
    if (v3_) {
      if (node.has("messages")) {
        const Node messages = map_at(node["messages"]);
        for (const auto& [name, value] : messages.json().items())
          add_message(channel, read_message(messages[name], name));
      }
      channel_pointers_.emplace(node.file + "#" + node.pointer, key);
    } else {
      for (const char* action : {"publish", "subscribe"}) {
        if (!node.has(action)) continue;
        const Node operation = map_at(node[action]);
        Operation op;
        op.action = action;
        op.channel = key;
        op.id = string_member(operation, "operationId");
        if (op.id.empty()) op.id = fmt::format("{} {}", action, key);
        read_messages_v2(channel, operation, op);
        read_mqtt_operation_binding(channel, operation);
        model().operations.push_back(std::move(op));
      }
    }
    model().channels.push_back(std::move(channel));
  }

  Channel* channel_for(const Node& reference) {
    const Node target = document_.follow(reference);
    auto found = channel_pointers_.find(target.file + "#" + target.pointer);
    if (found == channel_pointers_.end())
      document_.fail(reference, "must reference a channel under #/channels that was understood");
    for (auto& channel : model().channels)
      if (channel.id == found->second) return &channel;
    document_.fail(reference, "must reference a channel under #/channels");
  }

  void read_operation_v3(const std::string& key, const Node& reference) {
    const Node node = map_at(reference);
    Operation op;
    op.id = key;
    op.action = string_member(node, "action");
    if (op.action != "send" && op.action != "receive")
      document_.fail(node.has("action") ? node["action"] : node, "action must be send or receive");
    if (!node.has("channel")) document_.fail(node, "an operation needs a channel");
    Channel* channel = channel_for(node["channel"]);
    op.channel = channel->id;
    if (node.has("messages")) {
      const Node list = node["messages"];
      if (!list.json().is_array()) document_.fail(list, "messages must be a list");
      for (std::size_t i = 0; i < list.json().size(); ++i) {
        const Node message = document_.follow(list[i]);
        std::string id = last_token(message.pointer);
        // A message of the channel keeps the channel's key for it.
        for (const auto& m : channel->messages)
          if (m.pointer ==
              fmt::format("{}#{}", document_.error_at(message, "").file, message.pointer))
            id = m.id;
        op.messages.push_back(id);
      }
    } else {
      for (const auto& m : channel->messages) op.messages.push_back(m.id);
    }
    read_mqtt_operation_binding(*channel, node);
    if (node.has("reply")) {
      op.has_reply = true;
      const Node reply = map_at(node["reply"]);
      Channel* reply_channel = nullptr;
      if (reply.has("channel")) {
        reply_channel = channel_for(reply["channel"]);
        op.reply_channel = reply_channel->id;
      }
      if (reply.has("address")) {
        const Node address = map_at(reply["address"]);
        op.reply_location = string_member(address, "location");
      }
      if (reply.has("messages") && reply_channel) {
        const Node list = reply["messages"];
        if (!list.json().is_array()) document_.fail(list, "reply messages must be a list");
        for (std::size_t i = 0; i < list.json().size(); ++i) {
          const Node message = document_.follow(list[i]);
          std::string id = last_token(message.pointer);
          for (const auto& m : reply_channel->messages)
            if (m.pointer ==
                fmt::format("{}#{}", document_.error_at(message, "").file, message.pointer))
              id = m.id;
          op.reply_messages.push_back(id);
        }
      }
    }
    model().operations.push_back(std::move(op));
  }

  const Document& document_;
  LoadResult& result_;
  bool v3_ = false;
  std::map<std::string, std::string> server_pointers_;   // "file#pointer" -> server name
  std::map<std::string, std::string> channel_pointers_;  // "file#pointer" -> channel id
};

}  // namespace

std::string Channel::mqtt_filter() const { return wildcard_levels(address, '/', "+"); }

std::string Channel::kafka_topic() const {
  return kafka && !kafka->topic.empty() ? kafka->topic : address;
}

std::string Channel::amqp_binding_key() const { return wildcard_levels(address, '.', "*"); }

std::string Channel::name_regex(Protocol protocol) const {
  std::string name = address;
  if (protocol == Protocol::kKafka) name = kafka_topic();
  if (protocol == Protocol::kAmqp && amqp && amqp->is == AmqpBinding::Is::kQueue)
    name = amqp->queue->name;
  const char* any = protocol == Protocol::kMqtt ? "[^/]+" : "[^.]+";
  std::string out;
  for (const auto& piece : split_address(name)) {
    if (!piece.parameter) {
      out += regex_escape(piece.text);
      continue;
    }
    const Parameter* parameter = nullptr;
    for (const auto& p : parameters)
      if (p.name == piece.text) parameter = &p;
    if (parameter && !parameter->values.empty()) {
      std::vector<std::string> escaped;
      for (const auto& v : parameter->values) escaped.push_back(regex_escape(v));
      out += fmt::format("(?:{})", fmt::join(escaped, "|"));
    } else {
      out += any;
    }
  }
  return out;
}

NamePattern Channel::name_pattern(Protocol protocol) const {
  std::string name = address;
  if (protocol == Protocol::kKafka) name = kafka_topic();
  if (protocol == Protocol::kAmqp && amqp && amqp->is == AmqpBinding::Is::kQueue)
    name = amqp->queue->name;
  NamePattern out;
  out.separator = protocol == Protocol::kMqtt ? '/' : '.';
  for (const auto& piece : split_address(name)) {
    NamePattern::Piece next;
    next.parameter = piece.parameter;
    if (piece.parameter) {
      for (const auto& p : parameters)
        if (p.name == piece.text) next.values = p.values;
    } else {
      next.text = piece.text;
    }
    out.pieces.push_back(std::move(next));
  }
  return out;
}

bool NamePattern::matches_from(std::size_t piece, std::string_view name, std::size_t at) const {
  if (piece == pieces.size()) return at == name.size();
  const Piece& here = pieces[piece];
  const std::string_view rest = name.substr(at);
  if (!here.parameter)
    return rest.starts_with(here.text) && matches_from(piece + 1, name, at + here.text.size());
  if (!here.values.empty()) {
    for (const auto& value : here.values)
      if (rest.starts_with(value) && matches_from(piece + 1, name, at + value.size())) return true;
    return false;
  }
  // One or more characters of one level; the shortest first, as the rest decides.
  for (std::size_t end = at + 1; end <= name.size() && name[end - 1] != separator; ++end)
    if (matches_from(piece + 1, name, end)) return true;
  return false;
}

bool Channel::covers(Protocol protocol, const std::string& name) const {
  if (std::find(protocols.begin(), protocols.end(), protocol) == protocols.end()) return false;
  const auto index = static_cast<std::size_t>(protocol);
  if (index < compiled.size()) return compiled[index].matches(name);
  return name_pattern(protocol).matches(name);
}

LoadResult load(const std::filesystem::path& path) {
  LoadResult result;
  try {
    const Document document = Document::load(path);
    Builder builder(document, result);
    try {
      builder.build();
    } catch (const DocumentError& e) {
      result.errors.push_back(e.error());
    } catch (const std::exception& e) {
      // A shape the builder did not expect; never a crash.
      result.errors.push_back(
          document.error_at(document.root(), fmt::format("cannot be read: {}", e.what())));
    }
    result.model.files = document.files();
  } catch (const DocumentError& e) {
    result.errors.push_back(e.error());
  }
  return result;
}

std::vector<traffic::Resource> declarations(const Model& model) {
  std::vector<traffic::Resource> out;
  const auto add = [&](traffic::Resource resource) {
    if (std::find(out.begin(), out.end(), resource) == out.end()) out.push_back(resource);
  };
  for (const auto& channel : model.channels) {
    const auto serves = [&](Protocol p) {
      return std::find(channel.protocols.begin(), channel.protocols.end(), p) !=
             channel.protocols.end();
    };
    if (serves(Protocol::kKafka) && !channel.parameterised()) {
      traffic::Resource topic;
      topic.protocol = Protocol::kKafka;
      topic.kind = traffic::Resource::Kind::kTopic;
      topic.name = channel.kafka_topic();
      if (channel.kafka) {
        topic.partitions = channel.kafka->partitions;
        for (const auto& [name, value] : channel.kafka->configs)
          topic.arguments.push_back({name, value});
      }
      add(topic);
    }
    if (serves(Protocol::kAmqp) && channel.amqp) {
      if (channel.amqp->exchange && !channel.amqp->exchange->name.empty()) {
        const auto& e = *channel.amqp->exchange;
        traffic::Resource exchange;
        exchange.protocol = Protocol::kAmqp;
        exchange.kind = traffic::Resource::Kind::kExchange;
        exchange.vhost = e.vhost == "/" ? "" : e.vhost;
        exchange.name = e.name;
        exchange.type = e.type;
        exchange.durable = e.durable;
        exchange.auto_delete = e.auto_delete;
        add(exchange);
      }
      if (channel.amqp->queue) {
        const auto& q = *channel.amqp->queue;
        traffic::Resource queue;
        queue.protocol = Protocol::kAmqp;
        queue.kind = traffic::Resource::Kind::kQueue;
        queue.vhost = q.vhost == "/" ? "" : q.vhost;
        queue.name = q.name;
        queue.durable = q.durable;
        queue.auto_delete = q.auto_delete;
        add(queue);
      }
    }
  }
  return out;
}

}  // namespace mockforge::asyncapi
