#include "brokers/amqp/protocol/broker_state.h"

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
                                  "Messages published, by exchange", {"exchange"})),
      delivered_(registry.counter("amqp_messages_delivered_total",
                                  "Messages delivered by basic.deliver or basic.get-ok, by queue",
                                  {"queue"})) {}

BrokerState::BrokerState(BrokerSettings settings, storage::Engine& storage,
                         metrics::Registry& registry)
    : settings_(std::move(settings)),
      storage_(storage),
      metrics_(registry),
      default_vhost_("/", storage.queues()) {}

Vhost* BrokerState::find_vhost(const std::string& name) {
  return name == "/" ? &default_vhost_ : nullptr;
}

}  // namespace mockforge::amqp
