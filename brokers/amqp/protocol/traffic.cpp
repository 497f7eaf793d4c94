#include "brokers/amqp/protocol/traffic.h"

#include <fmt/format.h>

#include <charconv>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/publish_path.h"
#include "brokers/amqp/model/queue_arguments.h"
#include "brokers/amqp/protocol/broker_state.h"

namespace mockforge::amqp {
namespace {

FieldValue to_field(const traffic::HeaderValue& value) {
  return std::visit([](const auto& v) { return FieldValue(v); }, value);
}

FieldTable to_table(const std::vector<traffic::Header>& headers) {
  FieldTable table;
  for (const auto& header : headers) table.set(header.name, to_field(header.value));
  return table;
}

// A field value as a neutral header: numbers, booleans and strings keep their
// type; timestamps become seconds; nested tables and arrays are left out.
std::optional<traffic::HeaderValue> from_field(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::optional<traffic::HeaderValue> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          return static_cast<double>(v);
        } else if constexpr (std::is_integral_v<T>) {
          return static_cast<int64_t>(v);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return static_cast<int64_t>(v.seconds);
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          return v.bytes;
        } else {
          return std::nullopt;
        }
      },
      value.value);
}

Vhost* vhost_named(BrokerState& broker, const std::string& name, std::string& error) {
  const std::string& wanted = name.empty() ? std::string("/") : name;
  Vhost* vhost = broker.find_vhost(wanted);
  if (vhost == nullptr) error = fmt::format("no vhost '{}'", wanted);
  return vhost;
}

std::string model_error(const std::optional<ModelError>& error) {
  return error ? fmt::format("{} {}", error->reply_code, error->text) : std::string();
}

}  // namespace

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
  BasicProperties p;
  try {
    p = decode_content_header(
            std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()))
            .properties;
  } catch (const std::exception&) {
    return out;  // stored by this broker's own encoder, so not expected
  }
  auto& q = out.properties;
  q.content_type = p.content_type;
  q.content_encoding = p.content_encoding;
  q.correlation_id = p.correlation_id;
  q.reply_to = p.reply_to;
  q.message_id = p.message_id;
  q.type = p.type;
  q.app_id = p.app_id;
  q.user_id = p.user_id;
  q.expiration = p.expiration;
  q.priority = p.priority;
  q.delivery_mode = p.delivery_mode;
  if (p.timestamp) out.timestamp_ms = static_cast<int64_t>(*p.timestamp) * 1000;
  if (p.headers) {
    for (const auto& entry : p.headers->entries) {
      if (auto value = from_field(entry.value))
        out.headers.push_back({entry.name, std::move(*value)});
    }
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
  auto& p = header.properties;
  const auto& in = message.properties;
  p.content_type = in.content_type;
  p.content_encoding = in.content_encoding;
  if (!message.headers.empty()) p.headers = to_table(message.headers);
  p.delivery_mode = in.delivery_mode;
  p.priority = in.priority;
  p.correlation_id = in.correlation_id;
  p.reply_to = in.reply_to;
  p.expiration = in.expiration;
  p.message_id = in.message_id;
  if (message.timestamp_ms > 0) p.timestamp = static_cast<uint64_t>(message.timestamp_ms / 1000);
  p.type = in.type;
  p.user_id = in.user_id;
  p.app_id = in.app_id;
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
  const FieldTable* headers = p.headers ? &*p.headers : nullptr;
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
      if (!type) {
        return fmt::format("exchange '{}': unknown type '{}' (direct, fanout, topic or headers)",
                           resource.name, resource.type);
      }
      Exchange exchange;
      exchange.name = resource.name;
      exchange.type = *type;
      exchange.type_name = resource.type;
      exchange.durable = resource.durable;
      exchange.auto_delete = resource.auto_delete;
      exchange.internal = resource.internal;
      exchange.arguments = to_table(resource.arguments);
      if (dry_run && !vhost->has_exchange(exchange.name)) {
        return exchange.name.starts_with("amq.")
                   ? fmt::format("exchange name '{}' contains reserved prefix 'amq.*'",
                                 exchange.name)
                   : std::string();
      }
      return model_error(vhost->declare_exchange(exchange, false).error);
    }
    case traffic::Resource::Kind::kQueue: {
      QueueDefinition definition;
      definition.durable = resource.durable;
      definition.auto_delete = resource.auto_delete;
      definition.arguments = to_table(resource.arguments);
      if (dry_run && !vhost->has_queue(resource.name)) {
        const std::string what = fmt::format("queue '{}'", resource.name);
        if (auto options = queue_options_from_arguments(definition.arguments, what);
            !options.ok()) {
          return model_error(options.error);
        }
        return model_error(queue_policy_from_arguments(definition.arguments, what).error);
      }
      return model_error(vhost
                             ->declare_queue(resource.name, definition, false, 0,
                                             /*server_named=*/false, /*keep_stored=*/true)
                             .error);
    }
    case traffic::Resource::Kind::kBinding: {
      // A binding's exchange and queue may be declared by the same load, so
      // only apply() can tell; the fixture loader checks the references.
      if (dry_run) return {};
      const auto arguments = to_table(resource.arguments);
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
