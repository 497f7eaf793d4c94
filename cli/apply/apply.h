#pragma once

// `mockforge fixtures apply`: the fixture files that seed mockforge, seeded
// into real brokers through the client subcommands' codecs (cli/kafka,
// cli/amqp, cli/mqtt): Kafka topics with their configs, seed records and
// consumer groups' committed offsets; AMQP exchanges, queues, bindings and
// seed messages (in existing vhosts); MQTT retained seed messages. Templates
// render exactly as in mockforge (the same random sources for the same seed).
//
// What a file holds that a real broker cannot take through its client
// protocol (MQTT persistent sessions, AMQP users and permissions) is refused
// before anything is sent, each refusal naming file, line and field.
// Schedules and responders are not applied (they run inside mockforge) and
// are reported as such.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "fixtures/fixture_set.h"

namespace mockforge::cli::apply {

struct Targets {
  std::string kafka_bootstrap;  // host:port[,...]; "" none
  std::string amqp_url;         // amqp://user:pass@host:port/vhost; "" none
  std::string mqtt_url;         // mqtt://[user[:pass]@]host[:port]; "" none
  uint64_t random_seed = 0;     // 0: a new one (as fixtures.random_seed 0)
  std::chrono::milliseconds timeout{10000};
};

// What cannot be applied to these targets: state a client protocol cannot
// create, and a protocol the files use without its target. Empty: go ahead.
std::vector<fixtures::FixtureError> refusals(const fixtures::LoadedFixtures& set,
                                             const Targets& targets);

// What will not be applied because it is not data (schedules, responders),
// one line each, for the user.
std::vector<std::string> not_applied(const fixtures::LoadedFixtures& set);

// Applies `set` (after refusals() came back empty), one progress line per
// step on `log`. Throws std::runtime_error naming the broker, the object and
// the fixture file's place at the first failure; what was applied before it
// stays (real brokers have no transactions across these steps).
void apply(const fixtures::LoadedFixtures& set, const Targets& targets, std::ostream& log);

}  // namespace mockforge::cli::apply
