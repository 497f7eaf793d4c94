// The MQTT broker's Prometheus series. Null-safe helpers so the core runs
// without a registry in unit tests.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::metrics {
class Registry;
class Counter;
class Gauge;
template <class Metric>
class Family;
}  // namespace mockforge::metrics

namespace mockforge::mqtt {

class BrokerMetrics {
 public:
  BrokerMetrics(metrics::Registry& registry, std::size_t topic_levels);

  void client_connected();
  void client_disconnected();
  void published(std::string_view topic);
  void delivered();
  // reason: "queue_full", "expired", "too_large", "storage_full", "offline_qos0",
  // "slow_subscriber", "not_authorized", "session_ended", "invalid_payload", "fault"
  void dropped(std::string_view reason);
  // Registers the scrape-time gauges mqtt_subscriptions, mqtt_retained_messages
  // and mqtt_sessions; they read the counts through these functions until
  // this object dies.
  void observe_state(std::function<std::size_t()> subscriptions,
                     std::function<std::size_t()> retained, std::function<std::size_t()> sessions);

  // The published-topic label: the first `levels` topic levels.
  static std::string topic_label(std::string_view topic, std::size_t levels);

 private:
  std::size_t topic_levels_;
  metrics::Gauge& connected_;
  metrics::Family<metrics::Counter>& published_;
  metrics::Counter& delivered_;
  metrics::Family<metrics::Counter>& dropped_;
  metrics::Registry& registry_;
  std::vector<std::shared_ptr<void>> state_callbacks_;
};

}  // namespace mockforge::mqtt
