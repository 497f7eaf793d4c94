// One assertion about what the brokers accepted, as POST
// /__mockforge/api/expect, `mockforge expect` and the C++ fixture's expect()
// take it (docs/admin-api.md):
//
//   {"protocol": "kafka", "topic": "orders.confirmed",
//    "match": {"json": [{"path": "$.status", "equals": "confirmed"}],
//              "regex": "o-4[0-9]", "headers": {"source": "billing"},
//              "properties": {"correlation_id": "c-1"}, "key": "o-42",
//              "client_id": "order-service"},
//    "count": {"at_least": 1},            // or {"exactly": N} or {"none": true}
//    "since": "reset",                    // or "now", or a history seq
//    "timeout_ms": 5000}
//
// Or a sequence, met when each step's messages arrive after the previous
// step's (steps may name different protocols; each takes only at_least):
//
//   {"in_order": [{"protocol": "kafka", "topic": "orders.created"},
//                 {"protocol": "amqp", "exchange": "notifications"}],
//    "since": "now", "timeout_ms": 5000}
//
// The destination is a Kafka "topic", an MQTT "topic" (a topic filter: + and
// # match as in subscriptions), or an AMQP "exchange" with an optional
// "routing_key" (a topic-exchange pattern: * one word, # any).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/regex/pattern.h"
#include "core/traffic/message.h"
#include "watch/json_path.h"

namespace mockforge::watch {

struct FieldCheck {
  enum class Op { kEquals, kNotEquals, kExists, kAbsent, kGt, kGte, kLt, kLte, kRegex, kContains };
  JsonPath path;
  Op op = Op::kExists;
  nlohmann::json operand;
  std::optional<mockforge::regex::Pattern> pattern;  // kRegex
};

struct Expectation {
  enum class Count { kAtLeast, kExactly, kNone };
  enum class Since { kReset, kNow, kSeq };

  traffic::Protocol protocol = traffic::Protocol::kKafka;
  std::optional<std::string> destination;  // topic, topic filter or exchange
  std::optional<std::string> routing_key;  // AMQP pattern
  std::vector<FieldCheck> json;
  std::optional<std::string> regex_text;
  std::optional<mockforge::regex::Pattern> regex;  // searched in the payload
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> properties;
  std::optional<std::string> key;
  std::optional<std::string> client_id;
  Count count = Count::kAtLeast;
  uint64_t n = 1;
  Since since = Since::kReset;
  uint64_t since_seq = 0;
  std::chrono::milliseconds timeout{5000};
  // A sequence (then the fields above but since and timeout are unused).
  std::vector<Expectation> in_order;
  static constexpr std::size_t kMaxSteps = 64;

  // Throws std::invalid_argument naming the offending field ("match.json[0].path: ...").
  static Expectation from_json(const nlohmann::json& spec);
  static Expectation sequence_from_json(const nlohmann::json& spec);

  // Why `message` does not match; empty when it does. `passed` counts the
  // criteria it met (to rank near misses).
  std::vector<std::string> mismatches(const traffic::Message& message, int* passed = nullptr) const;
  std::string describe() const;  // one line: protocol, destination, count
};

struct Miss {
  uint64_t seq = 0;
  std::string destination;
  std::vector<std::string> reasons;
};

struct Verdict {
  bool met = false;
  uint64_t matched = 0;
  std::vector<uint64_t> matched_seqs;  // the first few
  std::vector<Miss> closest_misses;    // when not met: up to five, closest first
  uint64_t window_messages = 0;        // messages of the protocol in the window
  std::string message;                 // a sentence for people and CLI output
  // A sequence: each step's description and the seq that completed it (0: not reached).
  std::vector<std::pair<std::string, uint64_t>> steps;
  nlohmann::json to_json() const;
};

}  // namespace mockforge::watch
