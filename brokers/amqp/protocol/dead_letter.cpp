#include "brokers/amqp/protocol/dead_letter.h"

#include <algorithm>
#include <chrono>

#include "brokers/amqp/protocol/broker_state.h"
#include "core/log/logging.h"

namespace mockforge::amqp {
namespace {

// Dead-lettering that drops heads of the next queue may cascade; a chain of
// queues this long is surely a loop.
constexpr int kMaxDeadLetterDepth = 16;

const std::string* string_field(const FieldTable& table, std::string_view name) {
  const FieldValue* value = table.find(name);
  return value ? value->get_if<std::string>() : nullptr;
}

void dead_letter_at_depth(BrokerState& broker, Vhost& vhost, const std::string& queue,
                          std::vector<storage::Message> messages, DeathReason reason, int depth);

}  // namespace

std::string_view death_reason_name(DeathReason reason) {
  switch (reason) {
    case DeathReason::kRejected:
      return "rejected";
    case DeathReason::kExpired:
      return "expired";
    case DeathReason::kMaxLength:
      return "maxlen";
    case DeathReason::kDeliveryLimit:
      return "delivery_limit";
  }
  return "rejected";
}

void record_death(BasicProperties& properties, DeathReason reason, const std::string& queue,
                  const std::string& exchange, const std::vector<std::string>& routing_keys,
                  uint64_t unix_seconds) {
  const std::string reason_name(death_reason_name(reason));
  FieldTable headers = properties.headers.value_or(FieldTable{});

  FieldTable death;
  death.set("count", int64_t{1});
  death.set("reason", reason_name);
  death.set("queue", queue);
  death.set("time", Timestamp{unix_seconds});
  death.set("exchange", exchange);
  FieldArray keys;
  for (const std::string& key : routing_keys) keys.values.emplace_back(key);
  death.set("routing-keys", std::move(keys));
  if (properties.expiration) death.set("original-expiration", *properties.expiration);

  const FieldValue* existing = headers.find("x-death");
  const auto* deaths = existing ? existing->get_if<FieldArray>() : nullptr;
  if (!deaths) {
    // The first death (or an x-death a client mangled into another type).
    if (!existing) {
      headers.set("x-first-death-reason", reason_name);
      headers.set("x-first-death-queue", queue);
      headers.set("x-first-death-exchange", exchange);
    }
    headers.set("x-death", FieldArray{{FieldValue(std::move(death))}});
  } else {
    FieldArray updated;
    std::optional<FieldTable> matched;
    for (const FieldValue& value : deaths->values) {
      const auto* table = value.get_if<FieldTable>();
      if (!matched && table) {
        const std::string* q = string_field(*table, "queue");
        const std::string* r = string_field(*table, "reason");
        if (q && r && *q == queue && *r == reason_name) {
          matched = *table;
          continue;
        }
      }
      updated.values.push_back(value);
    }
    FieldTable front;
    if (matched) {
      front = std::move(*matched);
      const FieldValue* count = front.find("count");
      const auto* number = count ? count->get_if<int64_t>() : nullptr;
      front.set("count", int64_t{number ? *number + 1 : 1});
    } else {
      front = std::move(death);
    }
    // RabbitMQ sorts the fields of the table it puts in front.
    std::stable_sort(
        front.entries.begin(), front.entries.end(),
        [](const FieldTableEntry& a, const FieldTableEntry& b) { return a.name < b.name; });
    updated.values.insert(updated.values.begin(), FieldValue(std::move(front)));
    headers.set("x-death", std::move(updated));
  }
  headers.set("x-last-death-reason", reason_name);
  headers.set("x-last-death-queue", queue);
  headers.set("x-last-death-exchange", exchange);
  properties.headers = std::move(headers);
  properties.expiration.reset();
}

bool is_death_cycle(const BasicProperties& properties, const std::string& queue) {
  if (!properties.headers) return false;
  const FieldValue* value = properties.headers->find("x-death");
  const auto* deaths = value ? value->get_if<FieldArray>() : nullptr;
  if (!deaths) return false;
  // Deaths are most recent first: look back to the last death in `queue`; the
  // cycle is automatic when none of the deaths on the way was a rejection.
  for (const FieldValue& each : deaths->values) {
    const auto* table = each.get_if<FieldTable>();
    if (!table) return false;  // put there by a client: not an automatic cycle
    const std::string* reason = string_field(*table, "reason");
    if (reason && *reason == "rejected") return false;
    const std::string* death_queue = string_field(*table, "queue");
    if (death_queue && *death_queue == queue) return true;
  }
  return false;
}

void dead_letter(BrokerState& broker, Vhost& vhost, const std::string& queue,
                 std::vector<storage::Message> messages, DeathReason reason) {
  dead_letter_at_depth(broker, vhost, queue, std::move(messages), reason, 0);
}

namespace {

void dead_letter_at_depth(BrokerState& broker, Vhost& vhost, const std::string& queue,
                          std::vector<storage::Message> messages, DeathReason reason, int depth) {
  if (messages.empty()) return;
  std::optional<DeadLetterTarget> target = vhost.dead_letter_target(queue);
  if (!target) return;  // no dead-letter exchange: dropped
  if (depth >= kMaxDeadLetterDepth) {
    log::get("amqp")->warn("dead-lettering from queue '{}' nested {} deep: dropping {} messages",
                           queue, depth, messages.size());
    return;
  }
  const uint64_t now_seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(storage::Clock::now().time_since_epoch())
          .count());
  for (storage::Message& message : messages) {
    ContentHeader header;
    try {
      const std::string& encoded = *message.properties;
      header = decode_content_header(
          std::span(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()));
    } catch (const DecodeError&) {
      continue;  // cannot happen for headers the broker stored itself
    }
    std::vector<std::string> death_keys{message.routing_key};
    death_keys.insert(death_keys.end(), message.cc_routing_keys.begin(),
                      message.cc_routing_keys.end());
    record_death(header.properties, reason, queue, message.exchange, death_keys, now_seconds);
    broker.metrics().dead_lettered(vhost.name(), queue, death_reason_name(reason));

    // Routed again by the dead-letter routing key alone, or by all the
    // message's keys, the BCC ones too.
    std::vector<std::string> routing_keys;
    if (target->routing_key) {
      routing_keys.push_back(*target->routing_key);
      message.cc_routing_keys.clear();
      message.bcc_routing_keys.clear();
    } else {
      routing_keys = std::move(death_keys);
      routing_keys.insert(routing_keys.end(), message.bcc_routing_keys.begin(),
                          message.bcc_routing_keys.end());
    }
    const std::string& routing_key = routing_keys.front();
    const FieldTable* headers = header.properties.headers ? &*header.properties.headers : nullptr;
    std::vector<std::shared_ptr<storage::Queue>> targets;  // storage per routed name
    auto routed =
        vhost.route(target->exchange, routing_keys, headers, /*allow_internal=*/true, &targets);
    if (!routed.ok()) continue;  // the dead-letter exchange does not exist: dropped
    std::vector<uint8_t> payload = encode_content_header(header);
    storage::Bytes properties = storage::make_bytes(
        std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
    std::size_t index = 0;
    for (const std::string& destination : *routed.value) {
      std::shared_ptr<storage::Queue> target_queue = targets[index++];
      if (reason != DeathReason::kRejected && is_death_cycle(header.properties, destination)) {
        log::get("amqp")->warn("dead-letter cycle through queue '{}': message dropped",
                               destination);
        continue;
      }
      if (!target_queue) continue;
      storage::Message copy;
      copy.body = message.body;
      copy.properties = properties;
      copy.exchange = target->exchange;
      copy.routing_key = routing_key;
      copy.cc_routing_keys = message.cc_routing_keys;
      copy.bcc_routing_keys = message.bcc_routing_keys;
      copy.priority = header.properties.priority.value_or(0);
      auto pushed = target_queue->push(std::move(copy));
      if (!pushed.ok()) continue;
      if (pushed.value().expires_at) broker.housekeeping_at(*pushed.value().expires_at);
      if (!pushed.value().dropped.empty()) {
        dead_letter_at_depth(broker, vhost, destination, std::move(pushed.value().dropped),
                             DeathReason::kMaxLength, depth + 1);
      }
    }
  }
}

}  // namespace

std::optional<storage::TimePoint> sweep_expired(BrokerState& broker, Vhost& vhost,
                                                storage::TimePoint now) {
  std::optional<storage::TimePoint> next;
  auto earliest = [&next](std::optional<storage::TimePoint> when) {
    if (when && (!next || *when < *next)) next = when;
  };
  vhost.expire_unused(now);
  for (auto& [name, queue] : vhost.storage_queues()) {
    dead_letter(broker, vhost, name, queue->expire(now), DeathReason::kExpired);
  }
  // Dead-lettering may have filled queues with expiring messages: look again.
  for (auto& [name, queue] : vhost.storage_queues()) earliest(queue->next_expiry());
  earliest(vhost.next_unused_expiry());
  return next;
}

}  // namespace mockforge::amqp
