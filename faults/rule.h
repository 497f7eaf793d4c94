// A fault rule: what it matches, what it does, and how often it fires.
// Parsed from JSON (the admin API, `mockforge faults add`) or from a fixture
// file's `faults:` list (fixtures/ turns the YAML into JSON). Protocol-level
// names (Kafka API keys and error codes, MQTT packet types and reason codes,
// AMQP methods and reply codes) are resolved by each broker's resolver,
// registered on the FaultSet (fault_set.h); this module names no protocol
// library.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/traffic/message.h"

namespace mockforge::faults {

// A malformed rule: `field` is the JSON path inside the rule ("action.code").
class RuleError : public std::invalid_argument {
 public:
  RuleError(std::string field, const std::string& message)
      : std::invalid_argument(field.empty() ? message : field + ": " + message),
        field_(std::move(field)),
        message_(message) {}
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string field_;
  std::string message_;
};

struct Match {
  // Kafka: API name or key ("Produce", "0"); MQTT: packet type ("publish");
  // AMQP: method ("basic.publish"). Empty: every operation.
  std::string operation;
  // Kafka topic (exact), MQTT topic filter (+ and # wildcards), AMQP exchange
  // (exact, "" the default exchange).
  std::optional<std::string> topic;
  std::optional<int32_t> partition;  // Kafka
  std::optional<std::string> queue;  // AMQP
  // Kafka client.id, MQTT client identifier, AMQP connection_name property.
  std::optional<std::string> client;

  // Set by the protocol's resolver: the operation as the broker sees it
  // (Kafka API key, MQTT packet type, AMQP class << 16 | method); -1: any.
  int32_t operation_id = -1;
};

enum class ActionKind {
  kError,            // Kafka error code, MQTT reason code
  kNack,             // AMQP basic.nack of a publish on a confirm channel
  kChannelClose,     // AMQP channel.close with a reply code
  kConnectionClose,  // AMQP connection.close with a reply code
  kLatency,          // handle later (fixed delay plus uniform jitter)
  kClose,            // drop the TCP connection
  kDrop,             // ignore silently (no answer, not routed)
  kThrottle,         // at most rate_per_second matching operations a second
  kPause,            // hold matching operations for `duration` from the first firing
};

std::string_view to_string(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kError;
  // kError / kChannelClose / kConnectionClose: the code as written (a name or
  // a number); `code` is what the resolver made of it.
  std::string code_text;
  int32_t code = 0;
  std::string text;  // AMQP close reply text; "" picks the code's name
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds jitter{0};
  double rate_per_second = 0;
  std::chrono::milliseconds duration{0};
};

struct Rule {
  std::string name;  // unique; "fault-N" when not given
  traffic::Protocol protocol = traffic::Protocol::kKafka;
  Match match;
  Action action;
  // How many times it fires; nullopt: until removed.
  std::optional<uint64_t> times;
  double probability = 1.0;  // (0, 1]
  // Where it was written (fixture files), for error messages.
  std::string origin;

  // Throws RuleError. The protocol's names are left for the resolver.
  static Rule from_json(const nlohmann::json& spec);
  nlohmann::json to_json() const;
};

// MQTT topic filter matching (+ one level, # the rest, $-topics not matched
// by a leading wildcard).
bool mqtt_filter_matches(std::string_view filter, std::string_view topic);

}  // namespace mockforge::faults
