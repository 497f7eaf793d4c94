// What every AMQP connection of one broker shares: settings from config, the
// vhost model, the storage engine and the metric series.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "brokers/amqp/model/vhost.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::amqp {

struct BrokerSettings {
  uint32_t frame_max = 131072;
  uint16_t channel_max = 2047;
  uint16_t heartbeat_seconds = 60;
  std::string version = "0";
  std::string user = "guest";
  std::string password = "guest";
};

class BrokerMetrics {
 public:
  explicit BrokerMetrics(metrics::Registry& registry);

  metrics::Gauge& connections;
  metrics::Gauge& channels;
  metrics::Counter& acked;
  metrics::Counter& redelivered;
  metrics::Counter& returned;
  void published(const std::string& exchange) { published_.with({exchange}).inc(); }
  void delivered(const std::string& queue) { delivered_.with({queue}).inc(); }

 private:
  metrics::Family<metrics::Counter>& published_;
  metrics::Family<metrics::Counter>& delivered_;
};

class BrokerState {
 public:
  BrokerState(BrokerSettings settings, storage::Engine& storage, metrics::Registry& registry);

  const BrokerSettings& settings() const { return settings_; }
  storage::Engine& storage() { return storage_; }
  BrokerMetrics& metrics() { return metrics_; }
  // The vhost of that name, or nullptr: only "/" exists.
  Vhost* find_vhost(const std::string& name);
  Vhost& default_vhost() { return default_vhost_; }
  uint64_t next_connection_id() { return next_connection_id_.fetch_add(1) + 1; }

 private:
  BrokerSettings settings_;
  storage::Engine& storage_;
  BrokerMetrics metrics_;
  Vhost default_vhost_;
  std::atomic<uint64_t> next_connection_id_{0};
};

}  // namespace mockforge::amqp
