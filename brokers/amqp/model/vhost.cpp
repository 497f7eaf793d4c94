#include "brokers/amqp/model/vhost.h"

#include <fmt/format.h>

#include <algorithm>

#include "brokers/amqp/model/equivalence.h"
#include "brokers/amqp/model/queue_arguments.h"
#include "brokers/amqp/model/routing.h"

namespace mockforge::amqp {
namespace {

constexpr uint16_t kAccessRefused = 403;
constexpr uint16_t kNotFound = 404;
constexpr uint16_t kResourceLocked = 405;
constexpr uint16_t kPreconditionFailed = 406;

template <typename T>
ModelResult<T> fail(uint16_t code, std::string text) {
  return ModelResult<T>{std::nullopt, ModelError{code, std::move(text)}};
}
template <typename T>
ModelResult<T> succeed(T value) {
  return ModelResult<T>{std::move(value), std::nullopt};
}

std::string vhost_quote(const std::string& vhost) { return fmt::format("vhost '{}'", vhost); }

// What the source exchange's type refuses of a binding's arguments (RabbitMQ's
// validate_binding): a headers exchange's x-match.
std::optional<ModelError> binding_arguments_error(const Exchange& source,
                                                  const FieldTable& arguments) {
  if (source.type != ExchangeType::kHeaders) return std::nullopt;
  if (auto text = x_match_error(arguments)) return ModelError{kPreconditionFailed, *text};
  return std::nullopt;
}

std::string locked_queue_text(const std::string& queue, const std::string& vhost) {
  return fmt::format(
      "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '{}' in "
      "{}. It could be originally declared on another connection or the exclusive "
      "property value does not match that of the original declaration.",
      queue, vhost_quote(vhost));
}

}  // namespace

bool same_binding_arguments(const FieldTable& a, const FieldTable& b) {
  if (a.entries == b.entries) return true;
  if (a.entries.size() != b.entries.size()) return false;
  auto sorted = [](const FieldTable& table) {
    std::vector<const FieldTableEntry*> entries;
    entries.reserve(table.entries.size());
    for (const auto& entry : table.entries) entries.push_back(&entry);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto* x, const auto* y) { return x->name < y->name; });
    return entries;
  };
  const auto left = sorted(a);
  const auto right = sorted(b);
  return std::equal(left.begin(), left.end(), right.begin(), [](const auto* x, const auto* y) {
    return x->name == y->name && x->value == y->value;
  });
}

std::optional<ModelError> new_exchange_error(const Exchange& wanted, const std::string& vhost) {
  if (wanted.name.starts_with("amq.")) {
    return ModelError{kAccessRefused,
                      fmt::format("ACCESS_REFUSED - exchange name '{}' contains reserved "
                                  "prefix 'amq.*'",
                                  wanted.name)};
  }
  if (const FieldValue* alternate = wanted.arguments.find("alternate-exchange");
      alternate && !alternate->get_if<std::string>()) {
    return ModelError{kPreconditionFailed,
                      fmt::format("PRECONDITION_FAILED - invalid type '{}' for arg "
                                  "'alternate-exchange' in exchange '{}' in {}",
                                  field_type_name(*alternate), wanted.name, vhost_quote(vhost))};
  }
  return std::nullopt;
}

std::optional<ModelError> reserved_queue_name_error(std::string_view name) {
  if (!name.starts_with("amq.")) return std::nullopt;
  return ModelError{
      kAccessRefused,
      fmt::format("ACCESS_REFUSED - queue name '{}' contains reserved prefix 'amq.*'", name)};
}

std::optional<ExchangeType> parse_exchange_type(std::string_view name) {
  if (name == "direct") return ExchangeType::kDirect;
  if (name == "fanout") return ExchangeType::kFanout;
  if (name == "topic") return ExchangeType::kTopic;
  if (name == "headers") return ExchangeType::kHeaders;
  return std::nullopt;
}

Vhost::Vhost(std::string name, storage::QueueRegistry& queues)
    : name_(std::move(name)), storage_(queues) {
  predeclare();
}

void Vhost::predeclare() {
  auto add = [this](std::string name, ExchangeType type, std::string type_name) {
    Exchange exchange;
    exchange.name = name;
    exchange.type = type;
    exchange.type_name = std::move(type_name);
    exchange.durable = true;
    exchange.predeclared = true;
    exchanges_[name] = std::move(exchange);
  };
  add("", ExchangeType::kDirect, "direct");
  add("amq.direct", ExchangeType::kDirect, "direct");
  add("amq.fanout", ExchangeType::kFanout, "fanout");
  add("amq.topic", ExchangeType::kTopic, "topic");
  add("amq.headers", ExchangeType::kHeaders, "headers");
  add("amq.match", ExchangeType::kHeaders, "headers");
}

void Vhost::reset() {
  std::lock_guard lock(mutex_);
  exchanges_.clear();
  queues_.clear();
  predeclare();
}

ModelResult<bool> Vhost::declare_exchange(const Exchange& wanted, bool passive) {
  std::lock_guard lock(mutex_);
  auto it = exchanges_.find(wanted.name);
  if (passive) {
    if (it == exchanges_.end()) {
      return fail<bool>(kNotFound, fmt::format("NOT_FOUND - no exchange '{}' in {}", wanted.name,
                                               vhost_quote(name_)));
    }
    return succeed(true);
  }
  if (it == exchanges_.end()) {
    if (auto error = new_exchange_error(wanted, name_)) return {std::nullopt, std::move(error)};
    exchanges_[wanted.name] = wanted;
    return succeed(true);
  }
  const Exchange& existing = it->second;
  const std::string resource = fmt::format("exchange '{}' in {}", wanted.name, vhost_quote(name_));
  auto quoted = [](const auto& value) { return fmt::format("'{}'", value); };
  std::optional<std::string> difference;
  if (existing.type_name != wanted.type_name) {
    difference =
        inequivalent_field("type", resource, quoted(wanted.type_name), quoted(existing.type_name));
  } else if (existing.durable != wanted.durable) {
    difference =
        inequivalent_field("durable", resource, quoted(wanted.durable), quoted(existing.durable));
  } else if (existing.auto_delete != wanted.auto_delete) {
    difference = inequivalent_field("auto_delete", resource, quoted(wanted.auto_delete),
                                    quoted(existing.auto_delete));
  } else if (existing.internal != wanted.internal) {
    difference = inequivalent_field("internal", resource, quoted(wanted.internal),
                                    quoted(existing.internal));
  } else if (!existing.predeclared) {
    difference = inequivalent_arguments(existing.arguments, wanted.arguments, resource,
                                        compared_exchange_arguments());
  }
  if (difference) return fail<bool>(kPreconditionFailed, std::move(*difference));
  return succeed(true);
}

ModelResult<bool> Vhost::delete_exchange(const std::string& name, bool if_unused) {
  std::lock_guard lock(mutex_);
  auto it = exchanges_.find(name);
  if (it == exchanges_.end()) {
    return fail<bool>(kNotFound,
                      fmt::format("NOT_FOUND - no exchange '{}' in {}", name, vhost_quote(name_)));
  }
  if (it->second.predeclared) {
    return fail<bool>(kAccessRefused,
                      fmt::format("ACCESS_REFUSED - deletion of system exchange '{}' in {} not "
                                  "allowed",
                                  name, vhost_quote(name_)));
  }
  bool used_as_source = !it->second.bindings.empty();
  bool used_as_destination = false;
  for (const auto& [other_name, other] : exchanges_) {
    for (const Binding& binding : other.bindings) {
      if (!binding.to_queue && binding.destination == name) used_as_destination = true;
    }
  }
  if (if_unused && (used_as_source || used_as_destination)) {
    return fail<bool>(
        kPreconditionFailed,
        fmt::format("PRECONDITION_FAILED - exchange '{}' in {} in use", name, vhost_quote(name_)));
  }
  exchanges_.erase(it);
  for (auto& [other_name, other] : exchanges_) {
    std::erase_if(other.bindings, [&](const Binding& binding) {
      return !binding.to_queue && binding.destination == name;
    });
  }
  return succeed(true);
}

ModelResult<bool> Vhost::bind_exchange(const std::string& destination, const std::string& source,
                                       const std::string& routing_key,
                                       const FieldTable& arguments) {
  std::lock_guard lock(mutex_);
  // RabbitMQ's order: the default exchange (destination, then source), then the source
  // exchange, then the destination.
  if (destination.empty() || source.empty()) {
    return fail<bool>(kAccessRefused,
                      "ACCESS_REFUSED - operation not permitted on the default exchange");
  }
  for (const std::string* name : {&source, &destination}) {
    if (!exchanges_.contains(*name)) {
      return fail<bool>(
          kNotFound, fmt::format("NOT_FOUND - no exchange '{}' in {}", *name, vhost_quote(name_)));
    }
  }
  if (auto error = binding_arguments_error(exchanges_[source], arguments)) {
    return {std::nullopt, std::move(error)};
  }
  Binding binding{false, destination, routing_key, arguments};
  auto& bindings = exchanges_[source].bindings;
  if (std::find(bindings.begin(), bindings.end(), binding) == bindings.end()) {
    bindings.push_back(std::move(binding));
  }
  return succeed(true);
}

ModelResult<bool> Vhost::unbind_exchange(const std::string& destination, const std::string& source,
                                         const std::string& routing_key,
                                         const FieldTable& arguments) {
  std::lock_guard lock(mutex_);
  if (destination.empty() || source.empty()) {
    return fail<bool>(kAccessRefused,
                      "ACCESS_REFUSED - operation not permitted on the default exchange");
  }
  // Idempotent, as in RabbitMQ: a missing exchange means there is no such binding.
  if (!exchanges_.contains(destination) || !exchanges_.contains(source)) return succeed(true);
  Binding binding{false, destination, routing_key, arguments};
  std::erase(exchanges_[source].bindings, binding);
  maybe_auto_delete_exchange_locked(source);
  return succeed(true);
}

QueueEntry* Vhost::find_queue_locked(const std::string& name, uint64_t connection_id,
                                     std::optional<ModelError>& error) {
  auto it = queues_.find(name);
  if (it == queues_.end()) {
    error = ModelError{kNotFound,
                       fmt::format("NOT_FOUND - no queue '{}' in {}", name, vhost_quote(name_))};
    return nullptr;
  }
  if (it->second.definition.exclusive && it->second.owner_connection != connection_id) {
    error = ModelError{kResourceLocked, locked_queue_text(name, name_)};
    return nullptr;
  }
  return &it->second;
}

ModelResult<QueueDeclared> Vhost::declare_queue(const std::string& name,
                                                const QueueDefinition& declared, bool passive,
                                                uint64_t connection_id, bool server_named,
                                                bool keep_stored) {
  // As RabbitMQ: an exclusive queue is never durable, whatever the declare says (so a
  // redeclare is compared, and the queue kept, as not durable).
  QueueDefinition definition = declared;
  if (definition.exclusive) definition.durable = false;
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  if (passive) {
    QueueEntry* entry = find_queue_locked(name, connection_id, error);
    if (!entry) return {std::nullopt, error};
    // A passive declare only looks (RabbitMQ's stat): it does not renew x-expires.
    return succeed(QueueDeclared{name, static_cast<uint32_t>(entry->storage->ready_count()),
                                 static_cast<uint32_t>(entry->consumers.size())});
  }
  // As RabbitMQ: a non-passive declare of an amq.* name is refused even when the queue
  // exists (a server-named amq.gen-* queue is redeclared only passively).
  if (auto reserved = reserved_queue_name_error(name); reserved && !server_named) {
    return {std::nullopt, std::move(reserved)};
  }
  if (auto existing = queues_.find(name); existing != queues_.end()) {
    QueueEntry* entry = find_queue_locked(name, connection_id, error);
    if (!entry) return {std::nullopt, error};
    const QueueDefinition& have = entry->definition;
    // RabbitMQ's order: exclusivity (405), durable, auto_delete, then the
    // arguments it compares.
    if (have.exclusive != definition.exclusive) {
      return fail<QueueDeclared>(kResourceLocked, locked_queue_text(name, name_));
    }
    const std::string resource = fmt::format("queue '{}' in {}", name, vhost_quote(name_));
    auto quoted = [](bool value) { return fmt::format("'{}'", value); };
    std::optional<std::string> difference;
    if (have.durable != definition.durable) {
      difference =
          inequivalent_field("durable", resource, quoted(definition.durable), quoted(have.durable));
    } else if (have.auto_delete != definition.auto_delete) {
      difference = inequivalent_field("auto_delete", resource, quoted(definition.auto_delete),
                                      quoted(have.auto_delete));
    } else {
      difference = inequivalent_arguments(have.arguments, definition.arguments, resource,
                                          compared_queue_arguments());
    }
    if (difference) return fail<QueueDeclared>(kPreconditionFailed, std::move(*difference));
    entry->last_used = storage::Clock::now();
    return succeed(QueueDeclared{name, static_cast<uint32_t>(entry->storage->ready_count()),
                                 static_cast<uint32_t>(entry->consumers.size())});
  }
  const std::string resource = fmt::format("queue '{}' in {}", name, vhost_quote(name_));
  auto options = queue_options_from_arguments(definition.arguments, resource);
  if (!options.ok()) return {std::nullopt, options.error};
  auto policy = queue_policy_from_arguments(definition.arguments, resource);
  if (!policy.ok()) return {std::nullopt, policy.error};
  if (auto error = queue_flags_error(definition, resource)) return {std::nullopt, error};
  // A leftover storage queue of the same name (e.g. restored from a snapshot)
  // is replaced so that the declared options apply, unless the declaration
  // keeps it: a fixture's declaration after a reset (the reset restored its
  // seeded messages) or the snapshot's own (restore_topology).
  std::shared_ptr<storage::Queue> kept = keep_stored ? storage_.find(name_, name) : nullptr;
  if (!kept) storage_.remove(name_, name);
  QueueEntry entry;
  entry.name = name;
  entry.definition = definition;
  entry.owner_connection = definition.exclusive ? connection_id : 0;
  entry.storage = kept ? kept : storage_.declare(name_, name, *options.value).queue;
  entry.policy = std::move(*policy.value);
  entry.last_used = storage::Clock::now();
  const auto ready = static_cast<uint32_t>(entry.storage->ready_count());
  queues_[name] = std::move(entry);
  return succeed(QueueDeclared{name, ready, 0});
}

void Vhost::remove_queue_locked(const std::string& name,
                                std::vector<ConsumerCancelled>& cancelled) {
  auto it = queues_.find(name);
  if (it == queues_.end()) return;
  for (auto& [id, consumer] : it->second.consumers) {
    if (consumer.on_queue_deleted) cancelled.push_back(consumer.on_queue_deleted);
  }
  queues_.erase(it);
  storage_.remove(name_, name);
  std::vector<std::string> sources;
  for (auto& [exchange_name, exchange] : exchanges_) {
    auto removed = std::erase_if(exchange.bindings, [&](const Binding& binding) {
      return binding.to_queue && binding.destination == name;
    });
    if (removed > 0) sources.push_back(exchange_name);
  }
  for (const std::string& source : sources) maybe_auto_delete_exchange_locked(source);
}

void Vhost::maybe_auto_delete_exchange_locked(const std::string& name) {
  auto it = exchanges_.find(name);
  if (it == exchanges_.end() || !it->second.auto_delete || !it->second.bindings.empty()) return;
  exchanges_.erase(it);
}

ModelResult<QueueDeleted> Vhost::delete_queue(const std::string& name, bool if_unused,
                                              bool if_empty, uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  QueueEntry* entry = find_queue_locked(name, connection_id, error);
  if (!entry) {
    // RabbitMQ answers delete-ok for a queue that does not exist.
    if (error->reply_code == kNotFound) return succeed(QueueDeleted{});
    return {std::nullopt, error};
  }
  if (if_unused && !entry->consumers.empty()) {
    return fail<QueueDeleted>(
        kPreconditionFailed,
        fmt::format("PRECONDITION_FAILED - queue '{}' in {} in use", name, vhost_quote(name_)));
  }
  uint64_t ready = entry->storage->ready_count();
  if (if_empty && ready > 0) {
    return fail<QueueDeleted>(
        kPreconditionFailed,
        fmt::format("PRECONDITION_FAILED - queue '{}' in {} not empty", name, vhost_quote(name_)));
  }
  QueueDeleted deleted;
  deleted.message_count = static_cast<uint32_t>(ready);
  remove_queue_locked(name, deleted.cancelled);
  return succeed(std::move(deleted));
}

ModelResult<uint32_t> Vhost::purge_queue(const std::string& name, uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  QueueEntry* entry = find_queue_locked(name, connection_id, error);
  if (!entry) return {std::nullopt, error};
  return succeed(static_cast<uint32_t>(entry->storage->purge()));
}

std::map<std::string, Exchange>::iterator Vhost::find_binding_source_locked(
    const std::string& queue, const std::string& exchange, uint64_t connection_id,
    std::optional<ModelError>& error) {
  // RabbitMQ's order: the default exchange first, then the source exchange, then the
  // queue, then the queue's exclusive owner.
  if (exchange.empty()) {
    error = ModelError{kAccessRefused,
                       "ACCESS_REFUSED - operation not permitted on the default exchange"};
    return exchanges_.end();
  }
  auto it = exchanges_.find(exchange);
  if (it == exchanges_.end()) {
    error = ModelError{
        kNotFound, fmt::format("NOT_FOUND - no exchange '{}' in {}", exchange, vhost_quote(name_))};
    return it;
  }
  if (!find_queue_locked(queue, connection_id, error)) return exchanges_.end();
  return it;
}

ModelResult<bool> Vhost::bind_queue(const std::string& queue, const std::string& exchange,
                                    const std::string& routing_key, const FieldTable& arguments,
                                    uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  auto it = find_binding_source_locked(queue, exchange, connection_id, error);
  if (it == exchanges_.end()) return {std::nullopt, error};
  if (auto refused = binding_arguments_error(it->second, arguments)) {
    return {std::nullopt, std::move(refused)};
  }
  Binding binding{true, queue, routing_key, arguments};
  if (std::find(it->second.bindings.begin(), it->second.bindings.end(), binding) ==
      it->second.bindings.end()) {
    it->second.bindings.push_back(std::move(binding));
  }
  return succeed(true);
}

ModelResult<bool> Vhost::unbind_queue(const std::string& queue, const std::string& exchange,
                                      const std::string& routing_key, const FieldTable& arguments,
                                      uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  auto it = find_binding_source_locked(queue, exchange, connection_id, error);
  // Unbinding is idempotent, as in RabbitMQ: a missing queue or exchange means
  // there is no such binding. The default exchange still fails, and another
  // connection's exclusive queue only when the binding exists (RabbitMQ checks
  // exclusive access on the way to removing one).
  const Binding binding{true, queue, routing_key, arguments};
  if (it == exchanges_.end()) {
    if (error && error->reply_code == kNotFound) return succeed(true);
    if (error && error->reply_code == kResourceLocked) {
      const auto& bindings = exchanges_.at(exchange).bindings;
      if (std::find(bindings.begin(), bindings.end(), binding) == bindings.end()) {
        return succeed(true);
      }
    }
    return {std::nullopt, error};
  }
  std::erase(it->second.bindings, binding);
  maybe_auto_delete_exchange_locked(exchange);
  return succeed(true);
}

ModelResult<std::shared_ptr<storage::Queue>> Vhost::open_queue(const std::string& name,
                                                               uint64_t connection_id, bool use) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  QueueEntry* entry = find_queue_locked(name, connection_id, error);
  if (!entry) return {std::nullopt, error};
  if (use) entry->last_used = storage::Clock::now();
  return succeed(entry->storage);
}

std::optional<DeadLetterTarget> Vhost::dead_letter_target(const std::string& queue) const {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(queue);
  if (it == queues_.end() || !it->second.policy.dead_letter_exchange) return std::nullopt;
  return DeadLetterTarget{*it->second.policy.dead_letter_exchange,
                          it->second.policy.dead_letter_routing_key};
}

std::optional<QueuePolicy> Vhost::queue_policy(const std::string& queue) const {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return std::nullopt;
  return it->second.policy;
}

std::vector<std::pair<std::string, std::shared_ptr<storage::Queue>>> Vhost::storage_queues() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::shared_ptr<storage::Queue>>> queues;
  for (const auto& [name, entry] : queues_) queues.emplace_back(name, entry.storage);
  return queues;
}

std::optional<storage::TimePoint> Vhost::unused_deadline_locked(const QueueEntry& entry) const {
  if (!entry.policy.expires || !entry.consumers.empty()) return std::nullopt;
  return entry.last_used + *entry.policy.expires;
}

std::vector<std::string> Vhost::expire_unused(storage::TimePoint now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> expired;
  for (const auto& [name, entry] : queues_) {
    auto deadline = unused_deadline_locked(entry);
    if (deadline && *deadline <= now) expired.push_back(name);
  }
  std::vector<ConsumerCancelled> none;  // expired queues have no consumers
  for (const std::string& name : expired) remove_queue_locked(name, none);
  return expired;
}

std::optional<storage::TimePoint> Vhost::next_unused_expiry() const {
  std::lock_guard lock(mutex_);
  std::optional<storage::TimePoint> earliest;
  for (const auto& [name, entry] : queues_) {
    auto deadline = unused_deadline_locked(entry);
    if (deadline && (!earliest || *deadline < *earliest)) earliest = deadline;
  }
  return earliest;
}

ModelResult<uint64_t> Vhost::add_consumer(const std::string& queue, ConsumerRegistration consumer) {
  std::lock_guard lock(mutex_);
  std::optional<ModelError> error;
  QueueEntry* entry = find_queue_locked(queue, consumer.connection_id, error);
  if (!entry) return {std::nullopt, error};
  for (const auto& [id, existing] : entry->consumers) {
    if (existing.exclusive || consumer.exclusive) {
      return fail<uint64_t>(kAccessRefused,
                            fmt::format("ACCESS_REFUSED - queue '{}' in {} in exclusive use", queue,
                                        vhost_quote(name_)));
    }
  }
  uint64_t id = next_registration_++;
  entry->consumers[id] = std::move(consumer);
  entry->had_consumer = true;
  entry->last_used = storage::Clock::now();
  return succeed(id);
}

namespace {

// The consumer that should be the single active one: highest priority, then
// earliest registered (registration ids grow).
uint64_t preferred_consumer(const std::map<uint64_t, ConsumerRegistration>& consumers) {
  uint64_t best = 0;
  int64_t best_priority = 0;
  for (const auto& [id, consumer] : consumers) {
    if (best == 0 || consumer.priority > best_priority) {
      best = id;
      best_priority = consumer.priority;
    }
  }
  return best;
}

bool has_unacked(const ConsumerRegistration& consumer) {
  return consumer.unacked && consumer.unacked->load() > 0;
}

}  // namespace

bool Vhost::may_consume(const std::string& queue, uint64_t registration_id) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return true;  // deleted: the pop finds nothing anyway
  const auto& consumers = it->second.consumers;
  auto self = consumers.find(registration_id);
  if (self == consumers.end()) return false;
  if (it->second.policy.single_active_consumer) {
    const uint64_t preferred = preferred_consumer(consumers);
    uint64_t& active = it->second.active_consumer;
    auto current = consumers.find(active);
    if (current == consumers.end() || !has_unacked(current->second)) active = preferred;
    return registration_id == active && active == preferred;
  }
  for (const auto& [id, other] : consumers) {
    if (id != registration_id && other.priority > self->second.priority && other.ready &&
        other.ready->load()) {
      return false;
    }
  }
  return true;
}

void Vhost::consumer_idle(const std::string& queue, uint64_t registration_id) const {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(queue);
    if (it == queues_.end() || !it->second.policy.single_active_consumer ||
        it->second.active_consumer != registration_id) {
      return;
    }
    const uint64_t preferred = preferred_consumer(it->second.consumers);
    if (preferred == registration_id) return;
    auto next = it->second.consumers.find(preferred);
    if (next != it->second.consumers.end()) wake = next->second.wake;
  }
  if (wake) wake();
}

void Vhost::wake_consumers(const std::string& queue, uint64_t except_registration) const {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(queue);
    if (it == queues_.end()) return;
    for (const auto& [id, consumer] : it->second.consumers) {
      if (id != except_registration && consumer.wake) wakes.push_back(consumer.wake);
    }
  }
  for (auto& wake : wakes) wake();
}

void Vhost::remove_consumer(const std::string& queue, uint64_t registration_id) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(queue);
    if (it == queues_.end()) return;
    it->second.consumers.erase(registration_id);
    // Another consumer may take over (single active consumer, priorities).
    for (const auto& [id, consumer] : it->second.consumers) {
      if (consumer.wake) wakes.push_back(consumer.wake);
    }
    it->second.last_used = storage::Clock::now();
    if (it->second.definition.auto_delete && it->second.consumers.empty()) {
      std::vector<ConsumerCancelled> none;
      remove_queue_locked(queue, none);
    }
  }
  for (auto& wake : wakes) wake();
}

void Vhost::drop_connection(uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> owned;
  for (const auto& [name, entry] : queues_) {
    if (entry.definition.exclusive && entry.owner_connection == connection_id) {
      owned.push_back(name);
    }
  }
  std::vector<ConsumerCancelled> ignored;
  for (const std::string& name : owned) remove_queue_locked(name, ignored);
}

ModelResult<std::set<std::string>> Vhost::route(
    const std::string& exchange, std::span<const std::string> routing_keys,
    const FieldTable* headers, bool allow_internal,
    std::vector<std::shared_ptr<storage::Queue>>* targets) const {
  std::lock_guard lock(mutex_);
  auto it = exchanges_.find(exchange);
  if (it == exchanges_.end()) {
    return fail<std::set<std::string>>(
        kNotFound, fmt::format("NOT_FOUND - no exchange '{}' in {}", exchange, vhost_quote(name_)));
  }
  if (it->second.internal && !allow_internal) {
    return fail<std::set<std::string>>(
        kAccessRefused, fmt::format("ACCESS_REFUSED - cannot publish to internal exchange '{}' "
                                    "in {}",
                                    exchange, vhost_quote(name_)));
  }
  std::set<std::string> queues;
  if (exchange.empty()) {
    for (const std::string& key : routing_keys) {
      if (queues_.contains(key)) queues.insert(key);
    }
  } else {
    std::set<std::string> visited;
    route_locked(it->second, routing_keys, headers, queues, visited);
    if (queues.empty()) {
      // Nothing routed: the alternate exchange (and its own, in turn) gets
      // the message, as RabbitMQ does. A loop of alternate exchanges stops.
      std::set<std::string> alternates{exchange};
      const Exchange* current = &it->second;
      while (queues.empty()) {
        const FieldValue* alternate = current->arguments.find("alternate-exchange");
        const auto* name = alternate ? alternate->get_if<std::string>() : nullptr;
        if (!name || !alternates.insert(*name).second) break;
        auto next = exchanges_.find(*name);
        if (next == exchanges_.end()) break;
        current = &next->second;
        visited.clear();
        route_locked(*current, routing_keys, headers, queues, visited);
      }
    }
  }
  if (targets) {
    targets->clear();
    for (const std::string& name : queues) {
      auto entry = queues_.find(name);
      targets->push_back(entry != queues_.end() ? entry->second.storage : nullptr);
    }
  }
  return succeed(std::move(queues));
}

void Vhost::route_locked(const Exchange& source, std::span<const std::string> routing_keys,
                         const FieldTable* headers, std::set<std::string>& queues,
                         std::set<std::string>& visited) const {
  // A worklist, not recursion: a chain of exchange-to-exchange bindings is as
  // long as clients make it (RabbitMQ routes any length), and a recursion per
  // hop overflowed the stack at some 40,000.
  std::vector<const Exchange*> pending{&source};
  std::vector<TopicWords> key_words;
  while (!pending.empty()) {
    const Exchange& exchange = *pending.back();
    pending.pop_back();
    if (!visited.insert(exchange.name).second) continue;
    // Topic bindings match against the keys' words, split once per exchange.
    key_words.clear();
    if (exchange.type == ExchangeType::kTopic && !exchange.bindings.empty()) {
      key_words.reserve(routing_keys.size());
      for (const std::string& key : routing_keys) key_words.emplace_back(key);
    }
    for (const Binding& binding : exchange.bindings) {
      bool matched = false;
      switch (exchange.type) {
        case ExchangeType::kDirect:
          matched = std::ranges::find(routing_keys, binding.routing_key) != routing_keys.end();
          break;
        case ExchangeType::kFanout:
          matched = true;
          break;
        case ExchangeType::kTopic:
          matched = std::ranges::any_of(key_words, [&binding](const TopicWords& key) {
            return topic_matches(binding.routing_key, key);
          });
          break;
        case ExchangeType::kHeaders:
          matched = headers_match(binding.arguments, headers);
          break;
      }
      if (!matched) continue;
      if (binding.to_queue) {
        if (queues_.contains(binding.destination)) queues.insert(binding.destination);
      } else if (auto next = exchanges_.find(binding.destination); next != exchanges_.end()) {
        if (!visited.contains(next->first)) pending.push_back(&next->second);
      }
    }
  }
}

std::vector<std::string> Vhost::queue_names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : queues_) names.push_back(name);
  return names;
}

bool Vhost::has_exchange(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return exchanges_.contains(name);
}

bool Vhost::has_queue(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return queues_.contains(name);
}

std::vector<QueueSnapshot> Vhost::queue_snapshots() const {
  std::lock_guard lock(mutex_);
  std::vector<QueueSnapshot> out;
  out.reserve(queues_.size());
  for (const auto& [name, entry] : queues_) {
    auto stats = entry.storage->stats();
    out.push_back(QueueSnapshot{name, entry.definition, stats.ready_count, stats.unacked_count,
                                entry.consumers.size()});
  }
  return out;
}

std::optional<std::vector<BindingSnapshot>> Vhost::queue_bindings(const std::string& queue) const {
  std::lock_guard lock(mutex_);
  if (!queues_.contains(queue)) return std::nullopt;
  std::vector<BindingSnapshot> out;
  out.push_back(BindingSnapshot{"", queue, {}});
  for (const auto& [name, exchange] : exchanges_) {
    if (name.empty()) continue;
    for (const auto& binding : exchange.bindings) {
      if (binding.to_queue && binding.destination == queue) {
        out.push_back(BindingSnapshot{name, binding.routing_key, binding.arguments});
      }
    }
  }
  return out;
}

std::vector<ExchangeSnapshot> Vhost::exchange_snapshots() const {
  std::lock_guard lock(mutex_);
  std::vector<ExchangeSnapshot> out;
  out.reserve(exchanges_.size());
  for (const auto& [name, exchange] : exchanges_) {
    out.push_back(ExchangeSnapshot{name, exchange.type_name, exchange.durable, exchange.auto_delete,
                                   exchange.internal, exchange.arguments, exchange.bindings});
  }
  return out;
}

std::vector<ConsumerSnapshot> Vhost::consumer_snapshots() const {
  std::lock_guard lock(mutex_);
  std::vector<ConsumerSnapshot> out;
  for (const auto& [name, entry] : queues_) {
    for (const auto& [id, consumer] : entry.consumers) {
      const bool active = !entry.policy.single_active_consumer || entry.active_consumer == id;
      out.push_back(ConsumerSnapshot{name, consumer.tag, consumer.connection_id, consumer.exclusive,
                                     consumer.priority,
                                     consumer.unacked ? consumer.unacked->load() : 0u, active});
    }
  }
  return out;
}

void Vhost::encode_topology(ByteWriter& out) const {
  std::lock_guard lock(mutex_);
  std::vector<const Exchange*> exchanges;
  std::vector<std::pair<const std::string*, const Binding*>> bindings;
  for (const auto& [name, exchange] : exchanges_) {
    if (!exchange.predeclared) exchanges.push_back(&exchange);
    for (const auto& binding : exchange.bindings) bindings.emplace_back(&name, &binding);
  }
  out.write_u32(static_cast<uint32_t>(exchanges.size()));
  for (const Exchange* exchange : exchanges) {
    out.write_longstr(exchange->name);
    out.write_longstr(exchange->type_name);
    out.write_u8(static_cast<uint8_t>((exchange->durable ? 1 : 0) |
                                      (exchange->auto_delete ? 2 : 0) |
                                      (exchange->internal ? 4 : 0)));
    encode_field_table(out, exchange->arguments);
  }
  std::vector<const QueueEntry*> queues;
  for (const auto& [name, entry] : queues_) {
    if (!entry.definition.exclusive) queues.push_back(&entry);
  }
  out.write_u32(static_cast<uint32_t>(queues.size()));
  for (const QueueEntry* entry : queues) {
    out.write_longstr(entry->name);
    out.write_u8(static_cast<uint8_t>((entry->definition.durable ? 1 : 0) |
                                      (entry->definition.auto_delete ? 2 : 0)));
    encode_field_table(out, entry->definition.arguments);
  }
  out.write_u32(static_cast<uint32_t>(bindings.size()));
  for (const auto& [source, binding] : bindings) {
    out.write_longstr(*source);
    out.write_u8(binding->to_queue ? 1 : 0);
    out.write_longstr(binding->destination);
    out.write_longstr(binding->routing_key);
    encode_field_table(out, binding->arguments);
  }
}

void Vhost::restore_topology(ByteReader& in) {
  auto report = [this](const char* what, const std::string& name,
                       const std::optional<ModelError>& error) {
    if (error) {
      throw DecodeError(ReplyCode::kInternalError, fmt::format("{} '{}' in {}: {}", what, name,
                                                               vhost_quote(name_), error->text));
    }
  };
  for (uint32_t i = 0, count = in.read_u32(); i < count; ++i) {
    Exchange exchange;
    exchange.name = in.read_longstr();
    exchange.type_name = in.read_longstr();
    const auto type = parse_exchange_type(exchange.type_name);
    if (!type)
      throw DecodeError(ReplyCode::kInternalError, "unknown exchange type " + exchange.type_name);
    exchange.type = *type;
    const uint8_t flags = in.read_u8();
    exchange.durable = flags & 1;
    exchange.auto_delete = flags & 2;
    exchange.internal = flags & 4;
    exchange.arguments = decode_field_table(in);
    report("exchange", exchange.name, declare_exchange(exchange, false).error);
  }
  for (uint32_t i = 0, count = in.read_u32(); i < count; ++i) {
    const std::string name = in.read_longstr();
    QueueDefinition definition;
    const uint8_t flags = in.read_u8();
    definition.durable = flags & 1;
    definition.auto_delete = flags & 2;
    definition.arguments = decode_field_table(in);
    report("queue", name, declare_queue(name, definition, false, 0, false, true).error);
  }
  for (uint32_t i = 0, count = in.read_u32(); i < count; ++i) {
    const std::string source = in.read_longstr();
    const bool to_queue = in.read_u8() == 1;
    const std::string destination = in.read_longstr();
    const std::string routing_key = in.read_longstr();
    const FieldTable arguments = decode_field_table(in);
    report("binding to", destination,
           to_queue ? bind_queue(destination, source, routing_key, arguments, 0).error
                    : bind_exchange(destination, source, routing_key, arguments).error);
  }
}

}  // namespace mockforge::amqp
