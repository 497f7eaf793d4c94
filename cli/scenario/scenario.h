#pragma once

// `mockforge scenario run`: the fixture files' schedules and responders,
// played against real brokers. Seeds and topology go first, through
// `fixtures apply` (cli/apply); then fixtures::FixtureEngine runs the
// auto-produce schedules and fixtures::ResponderEngine the responders,
// unchanged, on a traffic hub whose endpoints publish to the brokers and
// whose listeners subscribe there to what the responders match
// (cli/scenario/remote.h), until stopped or for a duration.

#include <atomic>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "cli/apply/apply.h"
#include "cli/scenario/remote.h"
#include "fixtures/fixture_set.h"

namespace mockforge::cli::scenario {

struct Options {
  std::vector<std::string> directories;
  apply::Targets targets;                 // brokers, random seed, timeout per broker call
  std::chrono::milliseconds duration{0};  // 0: until stopped
  // Kafka responders' topics are read as a member of this consumer group
  // (committed offsets; runners of one group share the partitions); "": from
  // the end, without a group.
  std::string kafka_group;
};

// AMQP subscriptions in a vhost a responder's `when.vhost` names.
struct AmqpVhostSubscriptions {
  std::string vhost;
  std::vector<AmqpBinding> bindings;
  std::vector<std::string> queues;
  std::string where;  // file:line:column: <rule>.when.vhost of the first rule naming it
};

// Where each protocol's responders are subscribed on the brokers.
struct Subscriptions {
  std::vector<std::string> kafka_topics;
  std::vector<std::string> mqtt_filters;  // {NAME} levels as +
  std::vector<AmqpBinding> amqp_bindings;
  std::vector<std::string> amqp_queues;  // default exchange: the queue its key names
  // Other vhosts (`when.vhost`), a connection each; the two above are the URL's.
  std::vector<AmqpVhostSubscriptions> amqp_vhosts;
};

// What the responders listen to, or errors naming file:line:column and field
// for rules a real broker cannot be subscribed to (an AMQP rule without an
// exchange, or on an exchange whose type the files do not declare in the
// rule's vhost). An AMQP rule's `when.vhost` ("/" or none: the URL's) picks
// the vhost.
Subscriptions subscriptions(const fixtures::LoadedFixtures& set,
                            std::vector<fixtures::FixtureError>& errors);

// apply::refusals() plus schedules, responders and their replies on a
// protocol without its target, and subscriptions()' errors. Empty: go ahead.
std::vector<fixtures::FixtureError> refusals(const fixtures::LoadedFixtures& set,
                                             const Options& options);

// Applies the seeds, then runs schedules and responders until `stop` is set
// or the duration passes, logging progress and, at the end, what each
// schedule produced and each responder answered. Throws std::runtime_error
// when a broker fails (a listener's connection closed, apply refused).
void run(const Options& options, const std::atomic<bool>& stop, std::ostream& log);

}  // namespace mockforge::cli::scenario
