// The Kafka broker's part of the admin control API (core/control): topics
// with partition offsets, consumer groups with members, assignments,
// committed offsets and lag, peeking at an offset range, deleting topics and
// groups, purging topics, resetting Kafka alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/control/broker_control.h"

namespace mockforge::kafka {

class BrokerState;

// `close_connections` closes every Kafka client connection (a reset with
// connections=close); `restart_brokers` starts the cluster's stopped brokers
// again after a reset (kafka.brokers).
std::shared_ptr<control::BrokerControl> make_control(std::shared_ptr<BrokerState> broker,
                                                     std::function<void()> close_connections,
                                                     std::function<void()> restart_brokers = {});

// The simulated cluster's admin routes (docs/admin-api.md, "Kafka cluster"):
//   GET  /__mockforge/api/kafka/cluster                      brokers, partitions (leader,
//                                                            replicas, ISR), coordinator outages
//   POST /__mockforge/api/kafka/cluster/leader               {topic, partition, broker}
//   POST /__mockforge/api/kafka/cluster/isr                  {topic, partition, isr}
//   POST /__mockforge/api/kafka/cluster/coordinators/outage  {type, key?, duration_ms, mode?}
//   DELETE /__mockforge/api/kafka/cluster/coordinators/outage  end every outage
//   POST /__mockforge/api/kafka/cluster/brokers/{id}/stop    close its listeners and connections
//   POST /__mockforge/api/kafka/cluster/brokers/{id}/start   listen again
// `stop_broker` / `start_broker` act on the service's listeners and return
// an error message ("" when done).
struct ClusterOps {
  std::function<std::string(int32_t node)> stop_broker;
  std::function<std::string(int32_t node)> start_broker;
};
void mount_cluster(admin::HttpServer& server, std::shared_ptr<BrokerState> broker, ClusterOps ops);

}  // namespace mockforge::kafka
