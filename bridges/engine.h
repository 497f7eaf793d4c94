// Bridges: rules (core/config/bridges.h) that copy every message one broker
// accepts, when it matches a rule's source, into another broker, through the
// traffic hub (core/traffic/hub.h): an observer sees the accepted message in
// neutral form, the rule renders the destination, and Hub::publish() hands
// the copy to the destination broker's own delivery path. docs/bridges.md.
//
// Loop protection: each copy carries the header x-mockforge-bridge, the hops
// it took ("mqtt:name" per hop, comma-separated), and the sender client id
// mockforge:bridge:<name>. A rule does not copy a message it copied before,
// nor send one to a protocol it has already been on.
//
// Thread-safe; the observer runs on the publishing thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/bridges.h"
#include "core/regex/pattern.h"
#include "core/traffic/hub.h"

namespace mockforge::metrics {
class Registry;
}

namespace mockforge::bridges {

inline constexpr const char* kHopHeader = "x-mockforge-bridge";

// A rule that cannot be added: each entry "field: why".
class RuleError : public std::runtime_error {
 public:
  explicit RuleError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

struct Status {
  config::BridgeRule rule;
  bool configured = false;  // from mockforge.yaml (else added through the admin API)
  uint64_t messages = 0;
  uint64_t errors = 0;
  std::string last_error;
};

struct Rule;

class Engine {
 public:
  Engine(traffic::Hub& hub, metrics::Registry& metrics);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Adds a rule; throws RuleError when it is invalid or its name is taken.
  void add(const config::BridgeRule& rule, bool configured);
  bool remove(const std::string& name);
  std::vector<Status> list() const;

  // Starts and stops watching the hub (only while there are rules). Rules can
  // change either way.
  void start();
  void stop();
  // While paused (a reset), accepted messages are not copied.
  void pause(bool paused) { paused_.store(paused, std::memory_order_relaxed); }

 private:
  void on_message(const traffic::Message& message);
  void watch_locked();

  traffic::Hub& hub_;
  metrics::Registry& metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<std::shared_ptr<Rule>>> rules_;
  traffic::ObserverToken token_ = 0;
  bool started_ = false;
  std::atomic<bool> paused_{false};
};

// The parts of a matched source message that templates use.
struct Captures {
  std::string topic;  // Kafka or MQTT topic, AMQP routing key
  std::string routing_key;
  std::string exchange;
  std::string key;
  std::vector<std::string> segments;  // {1}..{9}
};

// Exposed for tests: whether `rule`'s source matches `message`, with what
// its templates use; and the copy it makes of it.
// `topic_regex`: from.topic_regex compiled (else compiled on each call).
bool matches(const config::BridgeRule& rule, const traffic::Message& message, Captures* captures,
             const regex::Pattern* topic_regex = nullptr);
// Throws std::runtime_error when the destination cannot be rendered.
traffic::Message render(const config::BridgeRule& rule, const traffic::Message& message,
                        const Captures& captures);
// An AMQP topic pattern ('*' one word, '#' zero or more) against a routing key.
bool amqp_topic_matches(const std::string& pattern, const std::string& routing_key);

}  // namespace mockforge::bridges
