// What every AMQP connection of one broker shares: settings from config, the
// vhost model, the storage engine and the metric series.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/amqp/model/vhost.h"
#include "brokers/amqp/protocol/access.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::faults {
class FaultSet;
}  // namespace mockforge::faults

namespace mockforge::traffic {
class Events;
class Hub;
}  // namespace mockforge::traffic

namespace mockforge::amqp {

class AmqpConnection;
struct ConnectionSummary;

struct BrokerSettings {
  uint32_t frame_max = 131072;
  uint16_t channel_max = 2047;
  uint64_t max_message_size = uint64_t{128} << 20;  // amqp.max_message_size
  uint16_t heartbeat_seconds = 60;
  // Server properties of connection.start: product and version as RabbitMQ's
  // (amqp.server_product, amqp.server_version), mockforge's own version in
  // information and platform.
  std::string product = "RabbitMQ";
  std::string product_version = "3.10.8";
  std::string version = "0";
  // Users, vhosts and permissions (amqp.users, amqp.vhosts, amqp.permissions).
  AccessControl access;
  // Mechanisms offered in connection.start (amqp.auth_mechanisms); EXTERNAL
  // only on a connection with a verified client certificate.
  std::vector<std::string> auth_mechanisms{"PLAIN", "AMQPLAIN"};
  // EXTERNAL's user name: the certificate's CN instead of its subject DN
  // (amqp.ssl_cert_login_from).
  bool cert_login_common_name = false;
  // Memory alarm: publishing connections are blocked once stored bytes reach
  // this percentage of storage.memory_cap (amqp.memory_high_watermark_percent).
  uint32_t memory_high_watermark_percent = 90;
  // A publish a traffic gate refuses on a channel without confirms closes the
  // channel with 406 (asyncapi.amqp_unconfirmed: close) instead of being dropped.
  bool close_on_unconfirmed_refusal = false;
};

class BrokerMetrics {
 public:
  explicit BrokerMetrics(metrics::Registry& registry);

  metrics::Gauge& connections;
  metrics::Gauge& channels;
  metrics::Counter& acked;
  metrics::Counter& redelivered;
  metrics::Counter& returned;
  // Per-exchange and per-queue series carry the vhost first, as RabbitMQ's
  // Prometheus plugin labels them.
  void published(const std::string& vhost, const std::string& exchange) {
    published_series(vhost, exchange).inc();
  }
  metrics::Counter& published_series(const std::string& vhost, const std::string& exchange) {
    return published_.with({vhost, exchange});
  }
  void delivered(const std::string& vhost, const std::string& queue) {
    delivered_series(vhost, queue).inc();
  }
  // The series stays valid for the process's life (AMQP series are never
  // removed), so consumers look theirs up once.
  metrics::Counter& delivered_series(const std::string& vhost, const std::string& queue) {
    return delivered_.with({vhost, queue});
  }
  void dead_lettered(const std::string& vhost, const std::string& queue, std::string_view reason) {
    dead_lettered_.with({vhost, queue, std::string(reason)}).inc();
  }

 private:
  metrics::Family<metrics::Counter>& published_;
  metrics::Family<metrics::Counter>& delivered_;
  metrics::Family<metrics::Counter>& dead_lettered_;
};

class BrokerState {
 public:
  BrokerState(BrokerSettings settings, storage::Engine& storage, metrics::Registry& registry);

  const BrokerSettings& settings() const { return settings_; }
  storage::Engine& storage() { return storage_; }
  BrokerMetrics& metrics() { return metrics_; }
  const AccessControl& access() const { return settings_.access; }
  AccessControl& access() { return settings_.access; }
  // The vhost of that name, or nullptr (the vhosts are settings.access.vhosts()).
  // Thread-safe; a vhost lives as long as the broker.
  Vhost* find_vhost(const std::string& name);
  // Every vhost, in the order configured (then added).
  std::vector<Vhost*> vhosts();
  // Adds a vhost (fixtures), with its predeclared exchanges; nothing if it
  // exists. Thread-safe.
  void add_vhost(const std::string& name);
  uint64_t next_connection_id() { return next_connection_id_.fetch_add(1) + 1; }

  // Direct reply-to: routing keys amq.rabbitmq.reply-to.* to the channel
  // consuming them. Thread-safe.
  struct ReplyTarget {
    std::weak_ptr<AmqpConnection> connection;
    uint16_t channel = 0;
  };
  void register_reply_to(const std::string& key, ReplyTarget target);
  void unregister_reply_to(const std::string& key);
  std::optional<ReplyTarget> find_reply_to(const std::string& key) const;

  // Where accepted publishes are reported (core/traffic/hub.h); null:
  // nowhere. Set before serving.
  void set_traffic(traffic::Hub* hub) { traffic_ = hub; }
  traffic::Hub* traffic() const { return traffic_; }
  // The hub's event stream while anyone listens, else null: the check every
  // connection event makes first (one relaxed atomic load).
  traffic::Events* listening_events() const;
  // The fault rules methods are checked against (faults/); null: none. Set
  // before serving.
  void set_fault_set(faults::FaultSet* fault_set) { fault_set_ = fault_set; }
  faults::FaultSet* fault_set() const { return fault_set_; }

  // Open connections, for the memory alarm broadcast. Thread-safe.
  void add_connection(uint64_t id, std::weak_ptr<AmqpConnection> connection);
  void remove_connection(uint64_t id);
  // What the admin API shows of every open connection, by id. Thread-safe.
  std::vector<ConnectionSummary> connection_summaries();
  // Checks stored bytes against the high watermark; raises or clears the
  // alarm and tells every open connection when it changes. Thread-safe.
  void check_memory_alarm();
  bool memory_alarm() const { return memory_alarm_.load(); }

  // Housekeeping (message TTLs, x-expires; see sweep_expired()) runs on a
  // timer the service owns. Anything that makes it due earlier calls
  // housekeeping_at(); the hook is told only when `when` is earlier than the
  // time it was last armed for. Thread-safe.
  using HousekeepingHook = std::function<void(storage::TimePoint)>;
  void set_housekeeping_hook(HousekeepingHook hook);
  void housekeeping_at(storage::TimePoint when);
  // The timer fired or was re-armed for `when` (nullopt: nothing waiting).
  void housekeeping_armed(std::optional<storage::TimePoint> when);

 private:
  BrokerSettings settings_;
  storage::Engine& storage_;
  BrokerMetrics metrics_;
  mutable std::mutex vhosts_mutex_;
  std::map<std::string, std::unique_ptr<Vhost>> vhosts_;
  std::atomic<uint64_t> next_connection_id_{0};
  HousekeepingHook housekeeping_hook_;
  std::atomic<bool> memory_alarm_{false};
  traffic::Hub* traffic_ = nullptr;
  faults::FaultSet* fault_set_ = nullptr;
  std::mutex connections_mutex_;
  std::map<uint64_t, std::weak_ptr<AmqpConnection>> connections_;
  mutable std::mutex reply_mutex_;
  std::map<std::string, ReplyTarget> reply_targets_;
  std::atomic<int64_t> housekeeping_armed_for_{INT64_MAX};  // ns since epoch
};

}  // namespace mockforge::amqp
