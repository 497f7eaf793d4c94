#include "brokers/amqp/protocol/traffic.h"

#include <fmt/format.h>

#include <charconv>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/neutral_message.h"
#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/publish_path.h"
#include "brokers/amqp/model/queue_arguments.h"
#include "brokers/amqp/model/routing.h"
#include "brokers/amqp/protocol/broker_state.h"

namespace mockforge::amqp {
namespace {

constexpr uint16_t kPreconditionFailed = 406;

Vhost* vhost_named(BrokerState& broker, const std::string& name, std::string& error) {
  const std::string& wanted = name.empty() ? std::string("/") : name;
  Vhost* vhost = broker.find_vhost(wanted);
  if (vhost == nullptr) error = fmt::format("no vhost '{}'", wanted);
  return vhost;
}

std::string model_error(const std::optional<ModelError>& error) {
  return error ? fmt::format("{} {}", error->reply_code, error->text) : std::string();
}

std::string unknown_exchange_type(const traffic::Resource& exchange) {
  return fmt::format("exchange '{}': unknown type '{}' (direct, fanout, topic or headers)",
                     exchange.name, exchange.type);
}

QueueDefinition queue_definition(const traffic::Resource& queue) {
  QueueDefinition definition;
  definition.durable = queue.durable;
  definition.auto_delete = queue.auto_delete;
  definition.arguments = to_field_table(queue.arguments);
  return definition;
}

}  // namespace

std::string check_new_declaration(const traffic::Resource& resource) {
  const std::string vhost = resource.vhost.empty() ? std::string("/") : resource.vhost;
  switch (resource.kind) {
    case traffic::Resource::Kind::kExchange: {
      if (!parse_exchange_type(resource.type)) return unknown_exchange_type(resource);
      Exchange exchange;
      exchange.name = resource.name;
      exchange.arguments = to_field_table(resource.arguments);
      return model_error(new_exchange_error(exchange, vhost));
    }
    case traffic::Resource::Kind::kQueue: {
      // Named as Vhost::declare_queue names it, so that both say the same.
      if (auto reserved = reserved_queue_name_error(resource.name)) return model_error(reserved);
      const QueueDefinition definition = queue_definition(resource);
      const std::string what = fmt::format("queue '{}' in vhost '{}'", resource.name, vhost);
      if (auto options = queue_options_from_arguments(definition.arguments, what); !options.ok()) {
        return model_error(options.error);
      }
      if (auto policy = queue_policy_from_arguments(definition.arguments, what); !policy.ok()) {
        return model_error(policy.error);
      }
      return model_error(queue_flags_error(definition, what));
    }
    default:
      return {};
  }
}

std::string check_binding_arguments(const traffic::Resource& binding,
                                    const std::string& source_type) {
  const bool headers = source_type.empty()
                           ? binding.name == "amq.headers" || binding.name == "amq.match"
                           : source_type == "headers";
  if (!headers) return {};
  if (auto text = x_match_error(to_field_table(binding.arguments))) {
    return model_error(ModelError{kPreconditionFailed, std::move(*text)});
  }
  return {};
}

traffic::Message to_traffic(const std::string& exchange, const std::string& routing_key,
                            const std::string& properties, const std::string& body,
                            const std::string& vhost, const std::string& client_id) {
  traffic::Message out;
  out.protocol = traffic::Protocol::kAmqp;
  out.destination = exchange;
  out.routing_key = routing_key;
  out.vhost = vhost;
  out.payload = body;
  out.client_id = client_id;
  out.timestamp_ms = storage::to_unix_millis(storage::Clock::now());
  try {
    read_basic_properties(
        decode_content_header(
            std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()))
            .properties,
        out);
  } catch (const std::exception&) {
    // stored by this broker's own encoder, so not expected
  }
  return out;
}

traffic::PublishResult TrafficEndpoint::publish(std::span<const traffic::Message> messages) {
  traffic::PublishResult result;
  for (const auto& message : messages) {
    result.error = publish_one(message);
    if (!result.ok()) return result;
    ++result.accepted;
  }
  return result;
}

std::string TrafficEndpoint::publish_one(const traffic::Message& message) {
  std::string error;
  Vhost* vhost = vhost_named(broker_, message.vhost, error);
  if (vhost == nullptr) return error;
  ContentHeader header;
  header.body_size = message.payload.size();
  header.properties = to_basic_properties(message);
  const auto& in = message.properties;
  std::optional<std::chrono::milliseconds> ttl;
  if (in.expiration) {
    int64_t millis = -1;
    const auto& text = *in.expiration;
    auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), millis);
    if (failed != std::errc() || end != text.data() + text.size() || millis < 0) {
      return fmt::format("expiration '{}' is not a whole number of milliseconds", text);
    }
    ttl = std::chrono::milliseconds(millis);
  }
  ByteWriter encoded;
  encode_content_header(encoded, header);
  const storage::Bytes properties = storage::make_bytes(std::string(encoded.view()));
  broker_.metrics().published(vhost->name(), message.destination);

  if (message.destination.empty() && message.routing_key.starts_with(kReplyToPrefix)) {
    // As a non-mandatory publish: a reply nobody waits for any more is dropped.
    deliver_direct_reply(broker_, message.routing_key, properties, message.payload);
    return {};
  }
  std::vector<std::shared_ptr<storage::Queue>> targets;
  const auto& table = header.properties.headers;
  const FieldTable* headers = table ? &*table : nullptr;
  auto routed = vhost->route(message.destination, std::span(&message.routing_key, 1), headers,
                             /*allow_internal=*/false, &targets);
  if (!routed.ok()) return model_error(routed.error);
  storage::Message stored;
  stored.body = storage::make_bytes(message.payload);
  stored.properties = properties;
  stored.exchange = message.destination;
  stored.routing_key = message.routing_key;
  stored.priority = in.priority.value_or(0);
  stored.ttl = ttl;
  const auto outcome = store_in_queues(broker_, *vhost, *routed.value, targets, stored);
  if (outcome.refused) {
    return fmt::format(
        "a queue bound to exchange '{}' refused the message (x-overflow "
        "reject-publish, or storage is full)",
        message.destination);
  }
  return {};
}

std::string TrafficEndpoint::declare(const traffic::Resource& resource) {
  std::lock_guard lock(mutex_);
  auto error = apply(resource);
  if (error.empty() && std::find(declared_.begin(), declared_.end(), resource) == declared_.end()) {
    declared_.push_back(resource);
  }
  return error;
}

void TrafficEndpoint::redeclare() {
  std::lock_guard lock(mutex_);
  for (const auto& resource : declared_) (void)apply(resource);
}

std::string TrafficEndpoint::check(const traffic::Resource& resource) {
  std::lock_guard lock(mutex_);
  return apply(resource, /*dry_run=*/true);
}

std::string TrafficEndpoint::apply(const traffic::Resource& resource, bool dry_run) {
  switch (resource.kind) {
    case traffic::Resource::Kind::kVhost:
      if (resource.name.empty() || resource.name.size() > 255) {
        return "a vhost name is 1 to 255 bytes";
      }
      if (!dry_run) broker_.add_vhost(resource.name);
      return {};
    case traffic::Resource::Kind::kUser:
      if (resource.name.empty()) return "a user name is not empty";
      return broker_.access().add_user(resource.name, resource.password, resource.tags, dry_run);
    case traffic::Resource::Kind::kPermission:
      return broker_.access().add_permission(
          resource.name, resource.vhost.empty() ? "/" : resource.vhost, resource.configure,
          resource.write, resource.read, dry_run);
    default:
      break;
  }
  std::string error;
  Vhost* vhost = vhost_named(broker_, resource.vhost, error);
  if (vhost == nullptr) return error;
  switch (resource.kind) {
    case traffic::Resource::Kind::kExchange: {
      auto type = parse_exchange_type(resource.type);
      if (!type) return unknown_exchange_type(resource);
      Exchange exchange;
      exchange.name = resource.name;
      exchange.type = *type;
      exchange.type_name = resource.type;
      exchange.durable = resource.durable;
      exchange.auto_delete = resource.auto_delete;
      exchange.internal = resource.internal;
      exchange.arguments = to_field_table(resource.arguments);
      if (dry_run && !vhost->has_exchange(exchange.name)) return check_new_declaration(resource);
      return model_error(vhost->declare_exchange(exchange, false).error);
    }
    case traffic::Resource::Kind::kQueue: {
      if (dry_run && !vhost->has_queue(resource.name)) return check_new_declaration(resource);
      return model_error(vhost
                             ->declare_queue(resource.name, queue_definition(resource), false, 0,
                                             /*server_named=*/false, /*keep_stored=*/true)
                             .error);
    }
    case traffic::Resource::Kind::kBinding: {
      // A binding's exchange and queue may be declared by the same load, so
      // only apply() can tell; the fixture loader checks the references.
      if (dry_run) return {};
      const auto arguments = to_field_table(resource.arguments);
      if (resource.to_exchange) {
        return model_error(vhost
                               ->bind_exchange(resource.destination, resource.name,
                                               resource.routing_key, arguments)
                               .error);
      }
      return model_error(
          vhost->bind_queue(resource.destination, resource.name, resource.routing_key, arguments, 0)
              .error);
    }
    default:
      break;
  }
  return fmt::format("AMQP has no {} to declare", traffic::to_string(resource.kind));
}

}  // namespace mockforge::amqp
