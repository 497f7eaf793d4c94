#include "brokers/amqp/protocol/broker_state.h"

#include "brokers/amqp/protocol/connection.h"
#include "core/log/logging.h"
#include "core/traffic/hub.h"

namespace mockforge::amqp {

BrokerMetrics::BrokerMetrics(metrics::Registry& registry)
    : connections(registry.gauge("amqp_connections", "Open AMQP connections", {}).get()),
      channels(registry.gauge("amqp_channels", "Open AMQP channels", {}).get()),
      acked(registry.counter("amqp_messages_acked_total", "Deliveries acknowledged by clients", {})
                .get()),
      redelivered(registry
                      .counter("amqp_messages_redelivered_total",
                               "Deliveries sent with the redelivered flag", {})
                      .get()),
      returned(registry
                   .counter("amqp_messages_returned_total",
                            "Mandatory publishes returned with basic.return", {})
                   .get()),
      published_(registry.counter("amqp_messages_published_total",
                                  "Messages published, by vhost and exchange",
                                  {"vhost", "exchange"})),
      delivered_(registry.counter("amqp_messages_delivered_total",
                                  "Messages delivered by basic.deliver or basic.get-ok, by vhost "
                                  "and queue",
                                  {"vhost", "queue"})),
      dead_lettered_(registry.counter("amqp_messages_dead_lettered_total",
                                      "Messages republished to a dead-letter exchange, by vhost, "
                                      "source queue and reason (rejected, expired, maxlen)",
                                      {"vhost", "queue", "reason"})) {}

BrokerState::BrokerState(BrokerSettings settings, storage::Engine& storage,
                         metrics::Registry& registry)
    : settings_(std::move(settings)), storage_(storage), metrics_(registry) {
  for (const std::string& name : settings_.access.vhosts()) {
    vhosts_.emplace(name, std::make_unique<Vhost>(name, storage.queues()));
  }
}

Vhost* BrokerState::find_vhost(const std::string& name) {
  std::lock_guard lock(vhosts_mutex_);
  auto it = vhosts_.find(name);
  return it == vhosts_.end() ? nullptr : it->second.get();
}

std::vector<Vhost*> BrokerState::vhosts() {
  std::vector<Vhost*> all;
  for (const std::string& name : settings_.access.vhosts()) {
    if (Vhost* vhost = find_vhost(name)) all.push_back(vhost);
  }
  return all;
}

void BrokerState::add_vhost(const std::string& name) {
  std::lock_guard lock(vhosts_mutex_);
  if (!vhosts_.contains(name)) {
    vhosts_.emplace(name, std::make_unique<Vhost>(name, storage_.queues()));
  }
  settings_.access.add_vhost(name);
}

void BrokerState::add_connection(uint64_t id, std::weak_ptr<AmqpConnection> connection) {
  std::lock_guard lock(connections_mutex_);
  connections_[id] = std::move(connection);
}

void BrokerState::remove_connection(uint64_t id) {
  std::lock_guard lock(connections_mutex_);
  connections_.erase(id);
}

std::vector<ConnectionSummary> BrokerState::connection_summaries() {
  std::vector<std::shared_ptr<AmqpConnection>> open;
  {
    std::lock_guard lock(connections_mutex_);
    for (const auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  std::vector<ConnectionSummary> out;
  out.reserve(open.size());
  for (const auto& connection : open) out.push_back(connection->summary());
  return out;
}

void BrokerState::check_memory_alarm() {
  const storage::MemoryBudget& budget = storage_.context().budget;
  const uint64_t cap = budget.cap();
  const bool over =
      cap != 0 && static_cast<double>(budget.used()) >=
                      static_cast<double>(cap) * settings_.memory_high_watermark_percent / 100.0;
  bool was = memory_alarm_.load();
  if (was == over || !memory_alarm_.compare_exchange_strong(was, over)) return;
  log::get("amqp")->warn("memory alarm {}: {} of {} bytes stored (high watermark {}%)",
                         over ? "raised" : "cleared", budget.used(), cap,
                         settings_.memory_high_watermark_percent);
  std::vector<std::shared_ptr<AmqpConnection>> open;
  {
    std::lock_guard lock(connections_mutex_);
    for (const auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (const auto& connection : open) connection->memory_alarm_changed();
  // While raised, housekeeping looks again soon to clear it.
  if (over) housekeeping_at(storage::Clock::now() + std::chrono::milliseconds(100));
}

void BrokerState::register_reply_to(const std::string& key, ReplyTarget target) {
  std::lock_guard lock(reply_mutex_);
  reply_targets_[key] = std::move(target);
}

void BrokerState::unregister_reply_to(const std::string& key) {
  std::lock_guard lock(reply_mutex_);
  reply_targets_.erase(key);
}

std::optional<BrokerState::ReplyTarget> BrokerState::find_reply_to(const std::string& key) const {
  std::lock_guard lock(reply_mutex_);
  auto it = reply_targets_.find(key);
  if (it == reply_targets_.end()) return std::nullopt;
  return it->second;
}

void BrokerState::set_housekeeping_hook(HousekeepingHook hook) {
  housekeeping_hook_ = std::move(hook);
}

void BrokerState::housekeeping_at(storage::TimePoint when) {
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  int64_t armed = housekeeping_armed_for_.load();
  while (nanos < armed) {
    if (housekeeping_armed_for_.compare_exchange_weak(armed, nanos)) {
      if (housekeeping_hook_) housekeeping_hook_(when);
      return;
    }
  }
}

void BrokerState::housekeeping_armed(std::optional<storage::TimePoint> when) {
  housekeeping_armed_for_.store(
      when ? std::chrono::duration_cast<std::chrono::nanoseconds>(when->time_since_epoch()).count()
           : INT64_MAX);
}

traffic::Events* BrokerState::listening_events() const {
  return traffic_ != nullptr && traffic_->events().active() ? &traffic_->events() : nullptr;
}

}  // namespace mockforge::amqp
