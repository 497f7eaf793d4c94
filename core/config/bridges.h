// The `bridges:` list of mockforge.yaml: rules that copy messages accepted by
// one broker into another (bridges/, docs/bridges.md). Plain data here; the
// bridges module compiles and runs the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mockforge::config {

// One side of a rule. Which fields a side may use depends on its protocol and
// direction (check_bridge_rule() says which):
//   from kafka: topic (exact), topic_prefix or topic_regex (one of them)
//   from mqtt:  filter (an MQTT topic filter with + and #)
//   from amqp:  exchange (exact), routing_key (a topic pattern with * and #;
//               empty matches every key), vhost
//   to kafka:   topic (template), key (template; absent: no key), partition
//   to mqtt:    topic (template), qos 0-2, retain
//   to amqp:    exchange (template), routing_key (template), vhost
struct BridgeSide {
  std::string protocol = {};  // kafka, mqtt, amqp
  std::string topic = {};
  std::string topic_prefix = {};
  std::string topic_regex = {};
  std::string filter = {};
  std::string exchange = {};
  std::string routing_key = {};
  std::string vhost = {};
  std::optional<std::string> key = {};
  std::optional<int32_t> partition = {};
  int qos = 0;
  bool retain = false;
  bool operator==(const BridgeSide&) const = default;
};

struct BridgeRule {
  std::string name;  // letters, digits, '.', '_', '-'; unique
  BridgeSide from = {};
  BridgeSide to = {};
  bool operator==(const BridgeRule&) const = default;
};

// One problem in a rule: the field ("from.filter", "to.qos", "name") and why.
using BridgeFieldError = std::pair<std::string, std::string>;

// Everything wrong with one rule on its own (names are checked for
// uniqueness by the list's reader).
std::vector<BridgeFieldError> check_bridge_rule(const BridgeRule& rule);

// The placeholders a template may use: {topic}, {routing_key}, {exchange},
// {key}, {1}..{9}; "" when `text` uses only those and its braces pair up,
// else why not.
std::string check_bridge_template(const std::string& text);

}  // namespace mockforge::config
