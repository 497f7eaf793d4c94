// Bridge rules: the bridges: list of mockforge.yaml (positions and errors),
// matching and rendering, and the engine on a hub with recording brokers
// (loops, refusals, counts). The real brokers: tests/clients/bridges.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridges/engine.h"
#include "bridges/rules_json.h"
#include "core/config/config.h"
#include "core/metrics/registry.h"
#include "core/traffic/hub.h"

namespace mockforge::bridges {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using traffic::Protocol;

std::vector<std::string> errors_of(std::string_view yaml, config::Config* out = nullptr) {
  config::Config config;
  std::vector<std::string> texts;
  for (const auto& error : config::apply_yaml_text(config, yaml, "mockforge.yaml"))
    texts.push_back(error.to_string());
  if (out != nullptr) *out = config;
  return texts;
}

constexpr std::string_view kRules = R"(bridges:
  - name: sensors
    from: {protocol: mqtt, filter: "warehouse/sensors/#"}
    to: {protocol: kafka, topic: "mqtt.{topic}", key: "{3}", partition: 2}
  - name: orders
    from: {protocol: kafka, topic_regex: "orders\\..*"}
    to: {protocol: amqp, exchange: x, routing_key: "{key}"}
  - name: alerts
    from: {protocol: amqp, exchange: e, routing_key: "pattern.#"}
    to: {protocol: mqtt, topic: "amqp/{routing_key}", qos: 2, retain: true}
)";

TEST(BridgesConfig, ParsesRulesAndPrintsThemBack) {
  config::Config config;
  ASSERT_THAT(errors_of(kRules, &config), IsEmpty());
  ASSERT_EQ(config.bridges.size(), 3u);
  EXPECT_EQ(config.bridges[0].name, "sensors");
  EXPECT_EQ(config.bridges[0].to.key, "{3}");
  EXPECT_EQ(config.bridges[0].to.partition, 2);
  EXPECT_EQ(config.bridges[1].from.topic_regex, "orders\\..*");
  EXPECT_EQ(config.bridges[2].to.qos, 2);
  EXPECT_TRUE(config.bridges[2].to.retain);
  config::Config again;
  ASSERT_THAT(errors_of(config::to_yaml(config), &again), IsEmpty());
  EXPECT_EQ(again, config);
}

TEST(BridgesConfig, ErrorsNameFileLineAndField) {
  EXPECT_THAT(errors_of("bridges:\n"
                        "  - name: a\n"
                        "    from: {protocol: mqtt, filter: \"a/#/b\"}\n"
                        "    to: {protocol: kafka, topic: \"t\", qos: 1}\n"
                        "  - name: a\n"
                        "    from: {protocol: smtp}\n"
                        "    to: {protocol: mqtt, topic: \"x/{nope}\"}\n"
                        "  - name: c\n"
                        "    from: {protocol: kafka, topic: t, topic_prefix: u}\n"
                        "    to: {protocol: mqtt, topic: \"x\", qos: 3}\n"),
              ElementsAre("mockforge.yaml:3:28: bridges[0].from.filter: '#' must be a whole level "
                          "and the last one",
                          "mockforge.yaml:4:39: bridges[0].to.qos: not a field of a kafka "
                          "destination",
                          "mockforge.yaml:6:12: bridges[1].from.protocol: one of kafka, mqtt, amqp",
                          "mockforge.yaml:10:38: bridges[2].to.qos: expected a QoS 0, 1 or 2",
                          "mockforge.yaml:9:29: bridges[2].from.topic: a kafka source needs "
                          "exactly one of topic, topic_prefix, topic_regex"));
  EXPECT_THAT(errors_of("bridges:\n"
                        "  - name: a\n"
                        "    from: {protocol: mqtt, filter: \"a\"}\n"
                        "    to: {protocol: kafka, topic: \"t\"}\n"
                        "  - name: a\n"
                        "    from: {protocol: mqtt, filter: \"b\"}\n"
                        "    to: {protocol: kafka, topic: \"t\"}\n"),
              ElementsAre("mockforge.yaml:5:5: bridges[1].name: duplicate bridge name (first on "
                          "line 2)"));
  EXPECT_THAT(errors_of("bridges: 3\n"),
              ElementsAre("mockforge.yaml:1:10: bridges: expected a list of bridge rules, got "
                          "\"3\""));
}

TEST(BridgesMatch, AmqpTopicPatterns) {
  EXPECT_TRUE(amqp_topic_matches("pattern.#", "pattern"));
  EXPECT_TRUE(amqp_topic_matches("pattern.#", "pattern.a.b"));
  EXPECT_FALSE(amqp_topic_matches("pattern.#", "other.a"));
  EXPECT_TRUE(amqp_topic_matches("*.b.#", "a.b"));
  EXPECT_FALSE(amqp_topic_matches("*.b", "a.b.c"));
  EXPECT_TRUE(amqp_topic_matches("#.c", "a.b.c"));
  EXPECT_TRUE(amqp_topic_matches("", "anything"));
}

config::Config rules() {
  config::Config config;
  EXPECT_THAT(errors_of(kRules, &config), IsEmpty());
  return config;
}

TEST(BridgesRender, MqttToKafkaTurnsSlashesIntoDotsAndKeepsHeaders) {
  const auto rule = rules().bridges[0];
  traffic::Message in;
  in.protocol = Protocol::kMqtt;
  in.destination = "warehouse/sensors/a/temp";
  in.payload = "21.5";
  in.headers = {{"site", std::string("berlin")}};
  in.properties.content_type = "text/plain";
  Captures captures;
  ASSERT_TRUE(matches(rule, in, &captures));
  const auto out = render(rule, in, captures);
  EXPECT_EQ(out.protocol, Protocol::kKafka);
  EXPECT_EQ(out.destination, "mqtt.warehouse.sensors.a.temp");
  EXPECT_EQ(out.key, "a");
  EXPECT_EQ(out.partition, 2);
  EXPECT_EQ(out.payload, "21.5");
  EXPECT_EQ(out.client_id, "mockforge:bridge:sensors");
  EXPECT_THAT(out.headers, ElementsAre(traffic::Header{"site", std::string("berlin")},
                                       traffic::Header{kHopHeader, std::string("mqtt:sensors")}));
  in.destination = "warehouse/other";
  EXPECT_FALSE(matches(rule, in, nullptr));
}

TEST(BridgesRender, AmqpToMqttTurnsDotsIntoSlashes) {
  const auto rule = rules().bridges[2];
  traffic::Message in;
  in.protocol = Protocol::kAmqp;
  in.destination = "e";
  in.routing_key = "pattern.a.b";
  in.properties.expiration = "1500";
  Captures captures;
  ASSERT_TRUE(matches(rule, in, &captures));
  const auto out = render(rule, in, captures);
  EXPECT_EQ(out.destination, "amqp/pattern/a/b");
  EXPECT_EQ(out.qos, 2);
  EXPECT_TRUE(out.retain);
  EXPECT_EQ(out.properties.message_expiry_seconds, 2u);  // 1500 ms, rounded up
  in.destination = "other";
  EXPECT_FALSE(matches(rule, in, nullptr));
}

class RecordingEndpoint : public traffic::Endpoint {
 public:
  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    if (!refuse.empty()) return {0, refuse};
    for (const auto& m : messages) published.push_back(m);
    return {messages.size(), ""};
  }
  std::string declare(const traffic::Resource&) override { return ""; }
  std::string check(const traffic::Resource&) override { return ""; }
  std::vector<traffic::Message> published;
  std::string refuse;
};

config::BridgeRule rule(std::string name, config::BridgeSide from, config::BridgeSide to) {
  return {std::move(name), std::move(from), std::move(to)};
}

TEST(BridgesEngine, ABAndBADoNotLoop) {
  traffic::Hub hub;
  auto mqtt = std::make_shared<RecordingEndpoint>();
  auto kafka = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kMqtt, mqtt);
  hub.attach(Protocol::kKafka, kafka);
  metrics::Registry registry;
  Engine engine(hub, registry);
  engine.add(
      rule("a", {.protocol = "mqtt", .filter = "#"}, {.protocol = "kafka", .topic = "{topic}"}),
      true);
  engine.add(rule("b", {.protocol = "kafka", .topic_prefix = "t"},
                  {.protocol = "mqtt", .topic = "{topic}"}),
             true);
  // A same-protocol rule copies once, never its own copies.
  engine.add(rule("c", {.protocol = "mqtt", .filter = "t/#"},
                  {.protocol = "mqtt", .topic = "copy/{topic}"}),
             true);
  engine.start();
  traffic::Message m;
  m.protocol = Protocol::kMqtt;
  m.destination = "t/1";
  m.client_id = "device";
  ASSERT_TRUE(hub.publish(m).ok());
  // t/1 -> kafka t.1 (a), -> mqtt copy/t/1 (c), whose copy goes to kafka copy.t.1 (a
  // has not touched it), and nothing comes back to MQTT from Kafka (b).
  ASSERT_EQ(kafka->published.size(), 2u);
  EXPECT_EQ(kafka->published[0].destination, "t.1");
  EXPECT_EQ(kafka->published[1].destination, "copy.t.1");
  ASSERT_EQ(mqtt->published.size(), 2u);  // the original and c's copy
  EXPECT_EQ(mqtt->published[1].destination, "copy/t/1");
  const auto list = engine.list();
  EXPECT_EQ(list[0].messages, 2u);
  EXPECT_EQ(list[1].messages, 0u);
  EXPECT_EQ(list[2].messages, 1u);
  EXPECT_TRUE(engine.remove("c"));
  EXPECT_FALSE(engine.remove("c"));
  // Without rules nothing watches the hub.
  EXPECT_TRUE(hub.observed());
  EXPECT_TRUE(engine.remove("a"));
  EXPECT_TRUE(engine.remove("b"));
  EXPECT_FALSE(hub.observed());
  engine.add(rule("a", {.protocol = "mqtt", .filter = "#"}, {.protocol = "kafka", .topic = "x"}),
             false);
  EXPECT_TRUE(hub.observed());
  engine.stop();
  EXPECT_FALSE(hub.observed());
}

TEST(BridgesEngine, RefusalsAreCountedAndPausedMessagesNotCopied) {
  traffic::Hub hub;
  auto mqtt = std::make_shared<RecordingEndpoint>();
  auto kafka = std::make_shared<RecordingEndpoint>();
  kafka->refuse = "storage full";
  hub.attach(Protocol::kMqtt, mqtt);
  hub.attach(Protocol::kKafka, kafka);
  metrics::Registry registry;
  Engine engine(hub, registry);
  engine.add(rule("a", {.protocol = "mqtt", .filter = "#"}, {.protocol = "kafka", .topic = "x"}),
             false);
  EXPECT_THROW(engine.add(rule("a", {.protocol = "mqtt", .filter = "#"},
                               {.protocol = "kafka", .topic = "x"}),
                          false),
               RuleError);
  engine.start();
  traffic::Message m;
  m.protocol = Protocol::kMqtt;
  m.destination = "t";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(hub.publish(m).ok());
  EXPECT_EQ(engine.list()[0].errors, 3u);
  EXPECT_EQ(engine.list()[0].last_error, "storage full");
  EXPECT_EQ(registry.counter("mockforge_bridge_errors_total", "", {"bridge"}).with({"a"}).value(),
            3.0);
  kafka->refuse.clear();
  engine.pause(true);
  ASSERT_TRUE(hub.publish(m).ok());
  EXPECT_TRUE(kafka->published.empty());
  engine.pause(false);
  ASSERT_TRUE(hub.publish(m).ok());
  EXPECT_EQ(kafka->published.size(), 1u);
  EXPECT_EQ(registry.counter("mockforge_bridge_messages_total", "", {"bridge"}).with({"a"}).value(),
            1.0);
}

// The snapshot extension "bridges" comes from a file: a field of the wrong type is a problem
// reported with the rule's name, not an exception out of the restore (nlohmann's value()
// threw type_error for a numeric name, and the admin restore answered 500 with it).
TEST(BridgesSnapshot, RestoreReportsWhatItCannotAddAndKeepsTheRest) {
  traffic::Hub hub;
  metrics::Registry registry;
  Engine engine(hub, registry);
  const auto problems = restore_runtime_rules(engine, R"([
      {"name": 5, "from": {"protocol": "kafka", "topic": "a"}, "to": {"protocol": "mqtt", "topic": "b"}},
      {"name": "ok", "from": {"protocol": "kafka", "topic": "a"}, "to": {"protocol": "mqtt", "topic": "b", "qos": 1}},
      {"name": "typed", "from": {"protocol": 1}, "to": [], "extra": true},
      "not an object",
      {"name": "bad-regex", "from": {"protocol": "kafka", "topic_regex": "("}, "to": {"protocol": "mqtt", "topic": "b"}}])");
  EXPECT_THAT(problems, ::testing::Contains("(no name): name: expected a string"));
  EXPECT_THAT(problems, ::testing::Contains("typed: from.protocol: expected a string"));
  EXPECT_THAT(problems,
              ::testing::Contains("typed: extra: unknown field; a rule has name, from and to"));
  EXPECT_THAT(problems, ::testing::Contains(::testing::HasSubstr("(no name): expected an object")));
  EXPECT_THAT(problems, ::testing::Contains(::testing::HasSubstr("bad-regex: from.topic_regex")));
  const auto rules = engine.list();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].rule.name, "ok");
  // What was restored is captured in the same form and restores as it was.
  const std::string captured = capture_runtime_rules(engine);
  Engine again(hub, registry);
  EXPECT_THAT(restore_runtime_rules(again, captured), IsEmpty());
  EXPECT_EQ(capture_runtime_rules(again), captured);
  EXPECT_THAT(restore_runtime_rules(again, "{}"),
              ElementsAre("the snapshot's bridges are not a JSON list"));
  EXPECT_THAT(restore_runtime_rules(again, std::string(600, '[') + std::string(600, ']')),
              ElementsAre("the snapshot's bridges nest deeper than 512 levels"));
}

}  // namespace
}  // namespace mockforge::bridges
