#include "asyncapi/inspect.h"

#include <fmt/format.h>

#include "asyncapi/examples.h"
#include "asyncapi/schema_validator.h"

namespace mockforge::asyncapi {
namespace {

using traffic::Protocol;

std::string resource_text(const traffic::Resource& r) {
  const std::string vhost = r.vhost.empty() ? "" : fmt::format(" (vhost {})", r.vhost);
  switch (r.kind) {
    case traffic::Resource::Kind::kTopic: {
      std::string text = fmt::format("kafka topic '{}'", r.name);
      text += r.partitions > 0 ? fmt::format(", {} partition(s)", r.partitions)
                               : std::string(", the broker's default partitions");
      for (const auto& config : r.arguments)
        text += fmt::format(", {}={}", config.name, traffic::header_text(config.value));
      return text;
    }
    case traffic::Resource::Kind::kExchange:
      return fmt::format("amqp exchange '{}' ({}{}{}){}", r.name, r.type,
                         r.durable ? ", durable" : "", r.auto_delete ? ", auto-delete" : "", vhost);
    case traffic::Resource::Kind::kQueue:
      return fmt::format("amqp queue '{}' ({}{}){}", r.name, r.durable ? "durable" : "transient",
                         r.auto_delete ? ", auto-delete" : "", vhost);
    case traffic::Resource::Kind::kBinding:
      return fmt::format("amqp binding '{}' -> '{}' key '{}'{}", r.name, r.destination,
                         r.routing_key, vhost);
    case traffic::Resource::Kind::kConsumerGroup:
      return fmt::format("kafka consumer group '{}'", r.name);
    case traffic::Resource::Kind::kSession:
      return fmt::format("mqtt session '{}'", r.name);
    case traffic::Resource::Kind::kVhost:
      return fmt::format("amqp vhost '{}'", r.name);
    case traffic::Resource::Kind::kUser:
      return fmt::format("amqp user '{}'", r.name);
    case traffic::Resource::Kind::kPermission:
      return fmt::format("amqp permissions of '{}'{}", r.name, vhost);
    case traffic::Resource::Kind::kAcl:
      return fmt::format("kafka ACL {} {} {} on {} '{}'", r.acl.principal, r.acl.permission,
                         r.acl.operation, r.acl.resource_type, r.name);
  }
  return "";
}

void check_example(std::string& out, std::vector<std::string>& errors, const Message& message,
                   const Json& schema, const Json& value, const char* what) {
  try {
    const SchemaValidator validator(schema, message.draft);
    const auto violations = validator.validate(value);
    if (violations.empty()) {
      out += fmt::format("        {} {} to the schema\n", what,
                         std::string_view(what) == "headers" ? "conform" : "conforms");
      return;
    }
    for (const auto& v : violations)
      out += fmt::format("        {} does not conform: #{}: {}\n", what, v.pointer, v.message);
  } catch (const std::exception& e) {
    errors.push_back(
        fmt::format("{}: the {} schema cannot be used: {}", message.pointer, what, e.what()));
    out += fmt::format("        {} schema cannot be used: {}\n", what, e.what());
  }
}

}  // namespace

Inspection inspect(const Model& model, uint64_t seed) {
  Inspection result;
  std::string& out = result.text;
  out += fmt::format("AsyncAPI {}: {} {} ({} file(s))\n", model.asyncapi_version,
                     model.title.empty() ? "(untitled)" : model.title, model.version,
                     model.files.size());
  out += "servers:\n";
  for (const auto& server : model.servers) {
    out += fmt::format(
        "  {}: {}{} {} -> {}\n", server.name, server.protocol,
        server.protocol_version.empty() ? "" : " " + server.protocol_version, server.host,
        server.broker ? fmt::format("the {} broker", traffic::to_string(*server.broker))
                      : std::string("not served by mockforge, skipped"));
  }
  out += "channels:\n";
  for (const auto& channel : model.channels) {
    if (channel.id == channel.address)
      out += fmt::format("  '{}'", channel.address);
    else
      out += fmt::format("  {}: '{}'", channel.id, channel.address);
    out += fmt::format(" (servers {})\n", fmt::join(channel.servers, ", "));
    if (!channel.validate.empty()) out += fmt::format("    validate: {}\n", channel.validate);
    for (const auto& parameter : channel.parameters) {
      out += fmt::format("    parameter {}: {}\n", parameter.name,
                         parameter.values.empty()
                             ? std::string("any value")
                             : fmt::format("one of {}", fmt::join(parameter.values, ", ")));
    }
    for (const auto protocol : channel.protocols) {
      switch (protocol) {
        case Protocol::kMqtt: {
          out += fmt::format("    mqtt: topic filter '{}'", channel.mqtt_filter());
          if (channel.mqtt.qos) out += fmt::format(", qos {}", *channel.mqtt.qos);
          if (channel.mqtt.retain) out += fmt::format(", retain {}", *channel.mqtt.retain);
          break;
        }
        case Protocol::kKafka: {
          if (channel.parameterised())
            out += fmt::format(
                "    kafka: topics matching '{}' (not created: one per parameter "
                "value, auto-created on first use)",
                channel.name_regex(Protocol::kKafka));
          else
            out += fmt::format("    kafka: topic '{}'", channel.kafka_topic());
          if (channel.kafka && channel.kafka->replicas > 0)
            out += fmt::format(", replicas {} (mockforge keeps one copy)", channel.kafka->replicas);
          break;
        }
        case Protocol::kAmqp: {
          if (channel.amqp && channel.amqp->is == AmqpBinding::Is::kQueue) {
            out += fmt::format("    amqp: queue '{}'", channel.amqp->queue->name);
            if (channel.amqp->queue->exclusive)
              out +=
                  " (exclusive: declared non-exclusive, an exclusive queue belongs to one "
                  "connection)";
          } else {
            const std::string exchange = channel.amqp && channel.amqp->exchange
                                             ? channel.amqp->exchange->name
                                             : std::string();
            out += fmt::format(
                "    amqp: exchange '{}', routing keys matching '{}' (binding key "
                "'{}')",
                exchange, channel.name_regex(Protocol::kAmqp), channel.amqp_binding_key());
          }
          break;
        }
      }
      if (protocol == Protocol::kMqtt && channel.parameterised())
        out += fmt::format(", topics matching '{}'", channel.name_regex(Protocol::kMqtt));
      out += "\n";
    }
    for (const auto& message : channel.messages) {
      out += fmt::format("    message {}{}: payload schema{}\n", message.id,
                         message.content_type.empty() ? "" : " (" + message.content_type + ")",
                         message.headers.is_null() ? "" : ", header schema");
      const auto example = example_of(message, seed);
      out +=
          fmt::format("      example ({}): {}\n",
                      example.synthesised ? fmt::format("synthesised, seed {}", seed)
                                          : "'" + example.example.name + "' from the document",
                      example.example.payload.dump(-1, ' ', false, Json::error_handler_t::replace));
      if (!example.example.headers.is_null()) {
        out += fmt::format(
            "      headers: {}\n",
            example.example.headers.dump(-1, ' ', false, Json::error_handler_t::replace));
      }
      for (const auto& note : example.notes) out += fmt::format("        note: {}\n", note);
      check_example(out, result.schema_errors, message, message.payload, example.example.payload,
                    "payload");
      if (!message.headers.is_null() && !example.example.headers.is_null())
        check_example(out, result.schema_errors, message, message.headers, example.example.headers,
                      "headers");
    }
  }
  if (!model.operations.empty()) out += "operations:\n";
  for (const auto& operation : model.operations) {
    out += fmt::format("  {}: {} on {}", operation.id, operation.action, operation.channel);
    if (!operation.messages.empty())
      out += fmt::format(" [{}]", fmt::join(operation.messages, ", "));
    if (!operation.reply_channel.empty())
      out += fmt::format(", reply on {}", operation.reply_channel);
    out += "\n";
  }
  // AsyncAPI 2.x describes no request/reply (the spec's `reply` is 3.0's), and
  // no convention for it is standard: say so rather than guess pairs.
  if (!model.operations.empty() && model.asyncapi_version.starts_with("2."))
    out +=
        "  request/reply: AsyncAPI 2.x documents describe none, so no operation is answered by "
        "itself; a responder needs an explicit rule (a fixture file's asyncapi: entry naming "
        "{request: ID, reply: ID} pairs, or a responder)\n";
  const auto resources = declarations(model);
  out += "would declare:\n";
  if (resources.empty()) out += "  nothing (MQTT topics need no declaration)\n";
  for (const auto& resource : resources) out += fmt::format("  {}\n", resource_text(resource));
  return result;
}

}  // namespace mockforge::asyncapi
