#include "brokers/mqtt/broker/metrics.h"

#include "core/metrics/registry.h"

namespace mockforge::mqtt {

BrokerMetrics::BrokerMetrics(metrics::Registry& registry, std::size_t topic_levels)
    : topic_levels_(topic_levels),
      connected_(registry.gauge("mqtt_clients_connected", "MQTT clients connected").get()),
      published_(registry.counter("mqtt_messages_published_total",
                                  "MQTT PUBLISH packets received from clients, by topic prefix",
                                  {"topic"})),
      delivered_(
          registry.counter("mqtt_messages_delivered_total", "MQTT messages sent to subscribers")
              .get()),
      dropped_(registry.counter("mqtt_messages_dropped_total",
                                "MQTT messages not delivered, by reason", {"reason"})),
      registry_(registry) {}

void BrokerMetrics::client_connected() { connected_.inc(); }
void BrokerMetrics::client_disconnected() { connected_.dec(); }
void BrokerMetrics::published(std::string_view topic) {
  published_.with({topic_label(topic, topic_levels_)}).inc();
}
void BrokerMetrics::delivered() { delivered_.inc(); }
void BrokerMetrics::dropped(std::string_view reason) { dropped_.with({std::string(reason)}).inc(); }

void BrokerMetrics::observe_state(std::function<std::size_t()> subscriptions,
                                  std::function<std::size_t()> retained,
                                  std::function<std::size_t()> sessions) {
  auto gauge = [this](const char* name, const char* help, std::function<std::size_t()> count) {
    state_callbacks_.push_back(
        registry_.callback(name, help, metrics::MetricType::kGauge, {}, [count = std::move(count)] {
          return std::vector<metrics::Sample>{{{}, static_cast<double>(count())}};
        }));
  };
  gauge("mqtt_subscriptions", "MQTT subscriptions held", std::move(subscriptions));
  gauge("mqtt_retained_messages", "MQTT retained messages stored", std::move(retained));
  gauge("mqtt_sessions", "MQTT sessions, connected or not", std::move(sessions));
}

std::string BrokerMetrics::topic_label(std::string_view topic, std::size_t levels) {
  if (levels == 0) return "";
  std::size_t pos = 0;
  for (std::size_t level = 0; level < levels; ++level) {
    pos = topic.find('/', pos);
    if (pos == std::string_view::npos) return std::string(topic);
    if (level + 1 < levels) ++pos;
  }
  return std::string(topic.substr(0, pos));
}

}  // namespace mockforge::mqtt
