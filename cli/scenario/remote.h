#pragma once

// The traffic hub's view of real brokers, for `mockforge scenario run`:
// endpoints that publish through the CLI's clients (Kafka Produce acks=all,
// AMQP basic.publish with publisher confirms, MQTT 5 PUBLISH at the
// message's QoS), and listeners that subscribe on the brokers to what the
// responders match and hand every message to Hub::accepted(), so the
// fixtures' engine and responders run unchanged.
//
// Loop protection across the broker: every message published here carries
// two headers (Kafka record headers, AMQP headers, MQTT user properties):
// kSenderHeader, the sender as the hub knows it ("mockforge:responder:<id>#
// <hops>", "mockforge:fixture:<id>"), and kRunHeader, this process's run id.
// The hub showed the responders each such message when it was published, so
// a listener drops what comes back with this run's id; from another run it
// takes the sender as the message's client id, so the responders' hop count
// goes on across processes. Both headers are removed before matching.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/apply/apply.h"
#include "core/traffic/hub.h"

namespace mockforge::cli::scenario {

inline constexpr std::string_view kSenderHeader = "x-mockforge-sender";
inline constexpr std::string_view kRunHeader = "x-mockforge-run";

// `message` with the two headers added.
traffic::Message marked(const traffic::Message& message, const std::string& run_id);
// Removes the two headers; false when the message is this run's own. Sets
// the client id from kSenderHeader when another run sent it.
bool unmark(traffic::Message& message, const std::string& run_id);

// Publish through the real brokers. Kafka endpoints also declare (create)
// topics; every endpoint refuses other declarations (`fixtures apply` made
// them before the run).
std::shared_ptr<traffic::Endpoint> kafka_endpoint(const apply::Targets& targets,
                                                  const std::string& run_id);
std::shared_ptr<traffic::Endpoint> amqp_endpoint(const apply::Targets& targets,
                                                 const std::string& run_id);
std::shared_ptr<traffic::Endpoint> mqtt_endpoint(const apply::Targets& targets,
                                                 const std::string& run_id);

// A subscription on a real broker, on its own thread from construction
// (subscribed before the factory returns) until destruction.
class Listener {
 public:
  virtual ~Listener() = default;
  // "" while it runs; else why it stopped (the broker closed, a read failed).
  virtual std::string failure() const = 0;
  // What it subscribed to, for the log.
  virtual std::string describe() const = 0;
  // Lines for the log since the last call (a consumer group's assignments).
  virtual std::vector<std::string> news() { return {}; }
};

// Kafka. Without `group`: every partition of `topics`, from their ends at the
// start. With `group`: as a member of that consumer group (the classic
// protocol, range assignor; cli/kafka/group_member.h), the partitions the
// group assigns it, from the group's committed offsets (a partition without
// one from its end), committing after each fetch's messages were handed to
// the hub, and when it stops (then it leaves the group).
std::unique_ptr<Listener> listen_kafka(const apply::Targets& targets,
                                       const std::vector<std::string>& topics, traffic::Hub& hub,
                                       const std::string& run_id, const std::string& group);

// AMQP, in `vhost` ("" the URL's), on a connection of its own: `bindings`
// (exchange, binding key) to one exclusive auto-delete queue the server
// names, and `queues` consumed directly (what the default exchange routes to
// by name), without acknowledgements. Messages reach the hub with `vhost`.
struct AmqpBinding {
  std::string exchange;
  std::string binding_key;
  bool operator==(const AmqpBinding&) const = default;
};
std::unique_ptr<Listener> listen_amqp(const apply::Targets& targets, const std::string& vhost,
                                      const std::vector<AmqpBinding>& bindings,
                                      const std::vector<std::string>& queues, traffic::Hub& hub,
                                      const std::string& run_id);

// MQTT 5: each topic filter its own subscription (with a subscription
// identifier, so a message matching several is passed on once), without
// retained messages at subscribe time.
std::unique_ptr<Listener> listen_mqtt(const apply::Targets& targets,
                                      const std::vector<std::string>& filters, traffic::Hub& hub,
                                      const std::string& run_id);

}  // namespace mockforge::cli::scenario
