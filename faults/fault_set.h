// The fault rules in force, shared by the brokers' seams and the admin API.
//
// Hot path: a broker asks armed(protocol) (one relaxed atomic load) before
// building a Subject; only when a rule of its protocol is live does it call
// evaluate(), which takes a mutex, matches rules in the order they were
// added, and returns the first that fires. Every firing is counted in
// mockforge_fault_firings_total{rule,protocol} and told to the observers.
//
// Probabilities draw on a generator per rule, seeded from the set's seed
// (fixtures.random_seed) and the rule's name, so a seeded run fires the same
// way every time.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faults/rule.h"

namespace mockforge::metrics {
class Registry;
template <class Metric>
class Family;
class Counter;
}  // namespace mockforge::metrics

namespace mockforge::faults {

// What a broker is about to do, as a rule sees it.
struct Subject {
  traffic::Protocol protocol = traffic::Protocol::kKafka;
  int32_t operation_id = -1;
  std::string_view operation;  // its name, for the observers
  // Kafka: every topic-partition of the request (partition -1: the topic as
  // a whole); MQTT: the topic name, or every filter of a (UN)SUBSCRIBE
  // (partition -1); AMQP: the exchange (partition -1).
  std::vector<std::pair<std::string_view, int32_t>> topics;
  std::optional<std::string_view> queue;  // AMQP
  std::string_view client;
};

// A rule that fired: what the broker must do.
struct Firing {
  std::string rule;
  Action action;
  // kLatency, kThrottle, kPause: how long to hold the operation.
  std::chrono::milliseconds delay{0};
};

// What the observers are told (the live tail shows it).
struct FiredEvent {
  std::string rule;
  traffic::Protocol protocol;
  std::string operation;
  std::string topic;  // the first of the subject's, or ""
  std::string queue;
  std::string client;
  ActionKind action;
  int32_t code = 0;
  std::chrono::milliseconds delay{0};
};

// What a rule looks like from the admin API.
struct RuleStatus {
  Rule rule;
  uint64_t fired = 0;
  std::optional<uint64_t> remaining;  // nullopt: until removed
};

class FaultSet {
 public:
  // Fills the protocol's ids in a parsed rule (Match::operation_id,
  // Action::code) and checks that the broker can do the action where it
  // matches; throws RuleError.
  using Resolver = std::function<void(Rule&)>;
  using Observer = std::function<void(const FiredEvent&)>;
  using Clock = std::chrono::steady_clock;

  // seed 0: a random seed.
  explicit FaultSet(metrics::Registry& metrics, uint64_t seed = 0);
  ~FaultSet();
  FaultSet(const FaultSet&) = delete;
  FaultSet& operator=(const FaultSet&) = delete;

  // One relaxed load: is any live rule of this protocol set?
  bool armed(traffic::Protocol protocol) const {
    return armed_[static_cast<std::size_t>(protocol)].load(std::memory_order_relaxed) != 0;
  }

  // A broker registers its resolver when it starts. Rules of a protocol
  // without one are refused (the broker is disabled).
  void set_resolver(traffic::Protocol protocol, Resolver resolver);

  // Resolves without adding: what add() would store, or RuleError.
  Rule check(Rule rule) const;
  // Resolves and adds; returns the rule as stored (its name filled in).
  // Throws RuleError (a bad rule, or a name in use).
  Rule add(Rule rule);
  // false when no rule has that name.
  bool remove(std::string_view name);
  // Removes every rule; returns how many there were.
  std::size_t clear();
  std::vector<RuleStatus> list() const;

  // The first live rule that matches and fires, in the order of adding.
  std::optional<Firing> evaluate(const Subject& subject);
  // evaluate() at a given time (tests).
  std::optional<Firing> evaluate(const Subject& subject, Clock::time_point now);

  // Observers run on the broker's thread that fired the rule: keep them quick.
  // Returns an id for unobserve().
  uint64_t observe(Observer observer);
  void unobserve(uint64_t id);

 private:
  struct Live;
  bool matches(const Rule& rule, const Subject& subject) const;
  Rule check_locked(Rule rule) const;
  void rearm_locked();

  std::array<std::atomic<uint32_t>, 3> armed_{};
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Live>> rules_;
  std::array<Resolver, 3> resolvers_;
  mutable std::mutex observer_mutex_;
  std::vector<std::pair<uint64_t, Observer>> observers_;
  uint64_t next_observer_ = 1;
  uint64_t next_name_ = 1;
  uint64_t seed_;
  metrics::Family<metrics::Counter>& firings_;
};

}  // namespace mockforge::faults
