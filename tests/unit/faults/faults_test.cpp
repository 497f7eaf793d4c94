// Fault rules: parsing (JSON and YAML), matching, firing (once, N times,
// probability under a seed, until removed), throttle and pause windows, the
// firing counter and the observers.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "core/metrics/registry.h"
#include "faults/fault_set.h"
#include "faults/rule.h"
#include "faults/rule_yaml.h"

namespace mockforge::faults {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using traffic::Protocol;

// Stands in for a broker's resolver: operation names map to ids by a table,
// error codes are numbers.
void test_resolver(Rule& rule) {
  if (rule.match.operation == "Produce") rule.match.operation_id = 0;
  if (rule.match.operation == "Fetch") rule.match.operation_id = 1;
  if (rule.match.operation == "bogus") throw RuleError("match.api", "unknown");
  if (!rule.action.code_text.empty()) rule.action.code = std::stoi(rule.action.code_text);
}

class FaultSetTest : public ::testing::Test {
 protected:
  FaultSetTest() : faults(metrics, 42) {
    faults.set_resolver(Protocol::kKafka, &test_resolver);
    faults.set_resolver(Protocol::kMqtt, [](Rule&) {});
  }

  Rule add(const json& spec) { return faults.add(Rule::from_json(spec)); }

  static Subject produce(std::string_view topic, int32_t partition, std::string_view client = "") {
    Subject subject;
    subject.protocol = Protocol::kKafka;
    subject.operation_id = 0;
    subject.operation = "Produce";
    subject.topics.emplace_back(topic, partition);
    subject.client = client;
    return subject;
  }

  double firings(const std::string& rule, const std::string& protocol) {
    return metrics
        .counter("mockforge_fault_firings_total", "Fault rules fired, by rule and protocol.",
                 {"rule", "protocol"})
        .with({rule, protocol})
        .value();
  }

  metrics::Registry metrics;
  FaultSet faults;
};

TEST(RuleParse, ReadsEveryField) {
  const auto rule = Rule::from_json(json::parse(R"({
    "name": "nl", "protocol": "kafka",
    "match": {"api": "Produce", "topic": "orders", "partition": 2, "client_id": "svc"},
    "action": {"type": "error", "code": "NOT_LEADER_OR_FOLLOWER"},
    "times": 3, "probability": 0.5})"));
  EXPECT_EQ(rule.name, "nl");
  EXPECT_EQ(rule.protocol, Protocol::kKafka);
  EXPECT_EQ(rule.match.operation, "Produce");
  EXPECT_EQ(rule.match.topic, "orders");
  EXPECT_EQ(rule.match.partition, 2);
  EXPECT_EQ(rule.match.client, "svc");
  EXPECT_EQ(rule.action.kind, ActionKind::kError);
  EXPECT_EQ(rule.action.code_text, "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(rule.times, 3u);
  EXPECT_DOUBLE_EQ(rule.probability, 0.5);
}

TEST(RuleParse, NamesTheBadField) {
  const auto field_of = [](const char* text) {
    try {
      Rule::from_json(json::parse(text));
    } catch (const RuleError& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(field_of(R"({"protocol":"kafka","action":{"type":"close"},"colour":1})"), "colour");
  EXPECT_EQ(field_of(R"({"protocol":"smtp","action":{"type":"close"}})"), "protocol");
  EXPECT_EQ(field_of(R"({"protocol":"kafka","action":{"type":"explode"}})"), "action.type");
  EXPECT_EQ(field_of(R"({"protocol":"kafka","action":{"type":"error"}})"), "action.code");
  EXPECT_EQ(field_of(R"({"protocol":"kafka","action":{"type":"latency","ms":-1}})"), "action.ms");
  EXPECT_EQ(field_of(R"({"protocol":"kafka","action":{"type":"close","ms":5}})"), "action.ms");
  EXPECT_EQ(
      field_of(R"({"protocol":"kafka","match":{"packet":"publish"},"action":{"type":"close"}})"),
      "match.packet");
  EXPECT_EQ(field_of(R"({"protocol":"kafka","match":{"partition":1},"action":{"type":"close"}})"),
            "match.partition");
  EXPECT_EQ(field_of(R"({"protocol":"mqtt","action":{"type":"close"},"times":0})"), "times");
  EXPECT_EQ(field_of(R"({"protocol":"mqtt","action":{"type":"close"},"probability":1.5})"),
            "probability");
  EXPECT_EQ(field_of(R"({"protocol":"mqtt","action":{"type":"throttle","rate_per_second":0}})"),
            "action.rate_per_second");
  EXPECT_EQ(field_of(R"({"protocol":"amqp","action":{"type":"pause"}})"), "action.ms");
  EXPECT_EQ(field_of(R"({"name":"a b","protocol":"amqp","action":{"type":"close"}})"), "name");
}

TEST(RuleParse, YamlScalarsKeepTheirTypes) {
  const auto rule = rule_from_yaml(YAML::Load(R"(
name: slow
protocol: mqtt
match: {packet: publish, topic: "sensors/#", client_id: "007"}
action: {type: latency, ms: 250, jitter_ms: 50}
times: 2
)"));
  EXPECT_EQ(rule.match.client, "007");  // quoted: text, not a number
  EXPECT_EQ(rule.action.latency, milliseconds(250));
  EXPECT_EQ(rule.action.jitter, milliseconds(50));
  EXPECT_EQ(rule.times, 2u);
  EXPECT_THROW(rule_from_yaml(YAML::Load("{protocol: mqtt, action: {type: latency, ms: soon}}")),
               RuleError);
}

TEST(MqttFilter, MatchesLikeABroker) {
  EXPECT_TRUE(mqtt_filter_matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(mqtt_filter_matches("a/#", "a"));
  EXPECT_TRUE(mqtt_filter_matches("a/#", "a/b/c"));
  EXPECT_TRUE(mqtt_filter_matches("#", "x/y"));
  EXPECT_FALSE(mqtt_filter_matches("#", "$SYS/broker"));
  EXPECT_FALSE(mqtt_filter_matches("a/+", "a/b/c"));
  EXPECT_FALSE(mqtt_filter_matches("a/b", "a"));
  EXPECT_TRUE(mqtt_filter_matches("+", ""));
}

TEST_F(FaultSetTest, ArmedOnlyForProtocolsWithLiveRules) {
  EXPECT_FALSE(faults.armed(Protocol::kKafka));
  add({{"protocol", "kafka"}, {"action", {{"type", "close"}}}});
  EXPECT_TRUE(faults.armed(Protocol::kKafka));
  EXPECT_FALSE(faults.armed(Protocol::kMqtt));
  EXPECT_EQ(faults.clear(), 1u);
  EXPECT_FALSE(faults.armed(Protocol::kKafka));
}

TEST_F(FaultSetTest, MatchesApiTopicPartitionAndClient) {
  add({{"name", "r"},
       {"protocol", "kafka"},
       {"match", {{"api", "Produce"}, {"topic", "orders"}, {"partition", 1}, {"client_id", "svc"}}},
       {"action", {{"type", "error"}, {"code", "6"}}}});
  EXPECT_FALSE(faults.evaluate(produce("orders", 0, "svc")));
  EXPECT_FALSE(faults.evaluate(produce("other", 1, "svc")));
  EXPECT_FALSE(faults.evaluate(produce("orders", 1, "someone")));
  auto fetch = produce("orders", 1, "svc");
  fetch.operation_id = 1;
  EXPECT_FALSE(faults.evaluate(fetch));
  // A request naming several partitions matches when one of them does.
  auto several = produce("other", 0, "svc");
  several.topics.emplace_back("orders", 1);
  const auto firing = faults.evaluate(several);
  ASSERT_TRUE(firing);
  EXPECT_EQ(firing->rule, "r");
  EXPECT_EQ(firing->action.kind, ActionKind::kError);
  EXPECT_EQ(firing->action.code, 6);
}

TEST_F(FaultSetTest, FiresOnceThenDisarms) {
  add({{"name", "once"}, {"protocol", "kafka"}, {"action", {{"type", "close"}}}, {"times", 1}});
  EXPECT_TRUE(faults.evaluate(produce("t", 0)));
  EXPECT_FALSE(faults.evaluate(produce("t", 0)));
  EXPECT_FALSE(faults.armed(Protocol::kKafka));
  const auto listed = faults.list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].fired, 1u);
  EXPECT_EQ(listed[0].remaining, 0u);
  EXPECT_EQ(firings("once", "kafka"), 1);
}

TEST_F(FaultSetTest, FiresNTimesOrUntilRemoved) {
  add({{"name", "three"}, {"protocol", "kafka"}, {"action", {{"type", "drop"}}}, {"times", 3}});
  int fired = 0;
  for (int i = 0; i < 10; ++i) fired += faults.evaluate(produce("t", 0)) ? 1 : 0;
  EXPECT_EQ(fired, 3);
  add({{"name", "always"}, {"protocol", "kafka"}, {"action", {{"type", "drop"}}}});
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(faults.evaluate(produce("t", 0)));
  EXPECT_TRUE(faults.remove("always"));
  EXPECT_FALSE(faults.remove("always"));
  EXPECT_FALSE(faults.evaluate(produce("t", 0)));
  EXPECT_EQ(firings("always", "kafka"), 10);
}

TEST_F(FaultSetTest, FirstMatchingRuleInOrderWins) {
  add({{"name", "first"}, {"protocol", "kafka"}, {"action", {{"type", "drop"}}}, {"times", 1}});
  add({{"name", "second"}, {"protocol", "kafka"}, {"action", {{"type", "close"}}}});
  EXPECT_EQ(faults.evaluate(produce("t", 0))->rule, "first");
  EXPECT_EQ(faults.evaluate(produce("t", 0))->rule, "second");
}

TEST_F(FaultSetTest, ProbabilityRepeatsUnderTheSameSeed) {
  const json spec = {{"name", "coin"},
                     {"protocol", "kafka"},
                     {"action", {{"type", "drop"}}},
                     {"probability", 0.3}};
  const auto pattern = [&](uint64_t seed) {
    metrics::Registry registry;
    FaultSet set(registry, seed);
    set.set_resolver(Protocol::kKafka, &test_resolver);
    set.add(Rule::from_json(spec));
    std::string out;
    for (int i = 0; i < 200; ++i) out += set.evaluate(produce("t", 0)) ? '1' : '0';
    return out;
  };
  const auto a = pattern(7);
  EXPECT_EQ(a, pattern(7));
  EXPECT_NE(a, pattern(8));
  const auto ones = std::count(a.begin(), a.end(), '1');
  EXPECT_GT(ones, 20);
  EXPECT_LT(ones, 100);
}

TEST_F(FaultSetTest, LatencyWithJitterStaysInRange) {
  add({{"protocol", "kafka"}, {"action", {{"type", "latency"}, {"ms", 100}, {"jitter_ms", 20}}}});
  bool varied = false;
  const auto first = faults.evaluate(produce("t", 0))->delay;
  for (int i = 0; i < 50; ++i) {
    const auto delay = faults.evaluate(produce("t", 0))->delay;
    EXPECT_GE(delay, milliseconds(100));
    EXPECT_LE(delay, milliseconds(120));
    varied |= delay != first;
  }
  EXPECT_TRUE(varied);
}

TEST_F(FaultSetTest, ThrottleDelaysWhatExceedsTheRate) {
  add({{"name", "slow"},
       {"protocol", "kafka"},
       {"action", {{"type", "throttle"}, {"rate_per_second", 10}}}});
  const auto now = FaultSet::Clock::now();
  EXPECT_FALSE(faults.evaluate(produce("t", 0), now));  // within the rate
  const auto second = faults.evaluate(produce("t", 0), now);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->delay, milliseconds(100));
  EXPECT_EQ(faults.evaluate(produce("t", 0), now)->delay, milliseconds(200));
  // Once the slots have passed, an operation goes through again.
  EXPECT_FALSE(faults.evaluate(produce("t", 0), now + std::chrono::seconds(1)));
}

TEST_F(FaultSetTest, PauseHoldsEveryMatchUntilTheWindowEnds) {
  add({{"name", "nap"},
       {"protocol", "kafka"},
       {"match", {{"api", "Fetch"}}},
       {"action", {{"type", "pause"}, {"ms", 1000}}},
       {"times", 1}});
  auto fetch = produce("t", 0);
  fetch.operation_id = 1;
  const auto now = FaultSet::Clock::now();
  EXPECT_EQ(faults.evaluate(fetch, now)->delay, milliseconds(1000));
  EXPECT_EQ(faults.evaluate(fetch, now + milliseconds(400))->delay, milliseconds(600));
  EXPECT_TRUE(faults.armed(Protocol::kKafka));
  EXPECT_FALSE(faults.evaluate(fetch, now + milliseconds(1000)));
  EXPECT_FALSE(faults.armed(Protocol::kKafka));
  EXPECT_EQ(faults.list()[0].fired, 1u);
}

TEST_F(FaultSetTest, RefusesWhatTheResolverRefusesAndDuplicateNames) {
  EXPECT_THROW(
      add({{"protocol", "kafka"}, {"match", {{"api", "bogus"}}}, {"action", {{"type", "close"}}}}),
      RuleError);
  EXPECT_THROW(add({{"protocol", "amqp"}, {"action", {{"type", "close"}}}}), RuleError);
  add({{"name", "x"}, {"protocol", "kafka"}, {"action", {{"type", "close"}}}});
  try {
    add({{"name", "x"}, {"protocol", "kafka"}, {"action", {{"type", "drop"}}}});
    FAIL() << "a second rule named x was accepted";
  } catch (const RuleError& e) {
    EXPECT_EQ(e.field(), "name");
  }
  EXPECT_EQ(faults.list().size(), 1u);
  // Unnamed rules get fault-N names that do not collide.
  EXPECT_EQ(add({{"protocol", "kafka"}, {"action", {{"type", "close"}}}}).name, "fault-1");
}

TEST_F(FaultSetTest, ObserversHearEveryFiring) {
  std::vector<FiredEvent> events;
  const auto id = faults.observe([&](const FiredEvent& event) { events.push_back(event); });
  add({{"name", "o"}, {"protocol", "kafka"}, {"action", {{"type", "close"}}}, {"times", 2}});
  faults.evaluate(produce("orders", 3, "svc"));
  faults.evaluate(produce("orders", 3, "svc"));
  faults.evaluate(produce("orders", 3, "svc"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rule, "o");
  EXPECT_EQ(events[0].protocol, Protocol::kKafka);
  EXPECT_EQ(events[0].operation, "Produce");
  EXPECT_EQ(events[0].topic, "orders");
  EXPECT_EQ(events[0].client, "svc");
  EXPECT_EQ(events[0].action, ActionKind::kClose);
  faults.unobserve(id);
  add({{"name", "p"}, {"protocol", "kafka"}, {"action", {{"type", "close"}}}});
  faults.evaluate(produce("orders", 3, "svc"));
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(FaultSetTest, MqttTopicFiltersMatchTopicsAndSubscriptions) {
  add({{"protocol", "mqtt"},
       {"match", {{"topic", "sensors/+/temp"}}},
       {"action", {{"type", "drop"}}}});
  Subject publish;
  publish.protocol = Protocol::kMqtt;
  publish.topics.emplace_back("sensors/1/temp", -1);
  EXPECT_TRUE(faults.evaluate(publish));
  Subject subscribe;
  subscribe.protocol = Protocol::kMqtt;
  subscribe.topics.emplace_back("sensors/+/temp", -1);  // the same filter
  EXPECT_TRUE(faults.evaluate(subscribe));
  Subject other;
  other.protocol = Protocol::kMqtt;
  other.topics.emplace_back("sensors/1/humidity", -1);
  EXPECT_FALSE(faults.evaluate(other));
}

TEST_F(FaultSetTest, ToJsonRoundTrips) {
  const auto added = add({{"name", "rt"},
                          {"protocol", "kafka"},
                          {"match", {{"api", "Produce"}, {"topic", "orders"}, {"partition", 0}}},
                          {"action", {{"type", "latency"}, {"ms", 50}, {"jitter_ms", 5}}},
                          {"times", 4}});
  auto again = Rule::from_json(added.to_json());
  EXPECT_EQ(again.name, "rt");
  EXPECT_EQ(again.match.topic, "orders");
  EXPECT_EQ(again.match.partition, 0);
  EXPECT_EQ(again.action.latency, milliseconds(50));
  EXPECT_EQ(again.times, 4u);
}

}  // namespace
}  // namespace mockforge::faults
