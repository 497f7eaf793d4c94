// `mockforge scenario run` without brokers: where the responders are
// subscribed on real brokers, what is refused, and the loop marker.
#include "cli/scenario/scenario.h"

#include <gtest/gtest.h>

#include "cli/scenario/remote.h"
#include "fixtures/fixture_set.h"

namespace mockforge::cli::scenario {
namespace {

fixtures::LoadedFixtures load(const std::string& yaml) {
  auto set = fixtures::load_fixture_text(yaml, "s.yaml", std::nullopt);
  if (set.ok()) fixtures::check_references(set);
  EXPECT_TRUE(set.ok()) << (set.errors.empty() ? "" : set.errors[0].to_string());
  return set;
}

std::string text(const std::vector<fixtures::FixtureError>& errors) {
  std::string out;
  for (const auto& error : errors) out += error.to_string() + "\n";
  return out;
}

TEST(ScenarioSubscriptionsTest, WhereEachProtocolsRulesListen) {
  const auto set = load(R"(amqp:
  exchanges:
    - {name: events, type: topic}
    - {name: tasks, type: direct}
    - {name: all, type: fanout}
  queues: [{name: rpc}]
responders:
  - {identifier: k1, when: {protocol: kafka, topic: orders}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: k2, when: {protocol: kafka, topic: orders, key: a}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: m1, when: {protocol: mqtt, topic: "devices/{id}/cmd"}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: m2, when: {protocol: mqtt, topic: "devices/#"}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a1, when: {protocol: amqp, exchange: events, routing_key: "order.{id}.#"}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a2, when: {protocol: amqp, exchange: events}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a3, when: {protocol: amqp, exchange: tasks, routing_key: resize}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a4, when: {protocol: amqp, exchange: all}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a5, when: {protocol: amqp, exchange: amq.topic, routing_key: "x.*"}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: a6, when: {protocol: amqp, exchange: "", routing_key: rpc}, then: {protocol: kafka, topic: out, value_template: x}}
)");
  std::vector<fixtures::FixtureError> errors;
  const auto got = subscriptions(set, errors);
  EXPECT_TRUE(errors.empty()) << text(errors);
  EXPECT_EQ(got.kafka_topics, (std::vector<std::string>{"orders"}));
  EXPECT_EQ(got.mqtt_filters, (std::vector<std::string>{"devices/+/cmd", "devices/#"}));
  EXPECT_EQ(got.amqp_bindings, (std::vector<AmqpBinding>{{"events", "order.*.#"},
                                                         {"events", "#"},
                                                         {"tasks", "resize"},
                                                         {"all", ""},
                                                         {"amq.topic", "x.*"}}));
  EXPECT_EQ(got.amqp_queues, (std::vector<std::string>{"rpc"}));
}

TEST(ScenarioSubscriptionsTest, RulesABrokerCannotSubscribeForAreRefused) {
  const auto set = load(R"(amqp:
  exchanges: [{name: tasks, type: direct}]
responders:
  - {identifier: any, when: {protocol: amqp, routing_key: a}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: unknown, when: {protocol: amqp, exchange: nope, routing_key: a}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: wild, when: {protocol: amqp, exchange: tasks, routing_key: "a.*"}, then: {protocol: kafka, topic: out, value_template: x}}
  - {identifier: default, when: {protocol: amqp, exchange: "", routing_key: "#"}, then: {protocol: kafka, topic: out, value_template: x}}
)");
  std::vector<fixtures::FixtureError> errors;
  subscriptions(set, errors);
  const auto all = text(errors);
  ASSERT_EQ(errors.size(), 4u) << all;
  EXPECT_NE(all.find("s.yaml:4:5: any.when.exchange: scenario run subscribes to the exchange"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("unknown.when.exchange: scenario run binds to exchange 'nope' as its type "
                     "says: declare it in amqp.exchanges"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("wild.when.routing_key: exchange 'tasks' is a direct exchange"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("default.when.routing_key: on the default exchange"), std::string::npos)
      << all;
}

TEST(ScenarioRefusalsTest, ProtocolsWithoutTargets) {
  const auto set = load(R"(kafka:
  fixtures:
    - {identifier: ticks, topic: t, value_template: x, auto_produce: {enabled: true, rate_per_second: 1}}
responders:
  - {identifier: r, when: {protocol: mqtt, topic: a}, then: {protocol: kafka, topic: out, value_template: x}}
)");
  Options options;
  options.targets.kafka_bootstrap = "localhost:9092";
  const auto all = text(refusals(set, options));
  EXPECT_EQ(all.find("ticks.auto_produce"), std::string::npos) << all;
  EXPECT_NE(all.find("r.when: the responder listens on mqtt but no --mqtt-url was given"),
            std::string::npos)
      << all;
}

TEST(ScenarioMarkerTest, OwnMessagesAreDroppedOthersKeepTheirSender) {
  traffic::Message reply;
  reply.protocol = traffic::Protocol::kKafka;
  reply.client_id = "mockforge:responder:echo#1";
  reply.headers.push_back({"trace", std::string("t-1")});
  auto sent = marked(reply, "run-a");
  ASSERT_EQ(sent.headers.size(), 3u);
  EXPECT_EQ(sent.headers[1], (traffic::Header{"x-mockforge-sender", "mockforge:responder:echo#1"}));
  EXPECT_EQ(sent.headers[2], (traffic::Header{"x-mockforge-run", "run-a"}));

  // Back from the broker, as a listener reads it (no client id).
  auto own = sent;
  own.client_id.clear();
  EXPECT_FALSE(unmark(own, "run-a"));

  auto other = sent;
  other.client_id.clear();
  EXPECT_TRUE(unmark(other, "run-b"));
  EXPECT_EQ(other.client_id, "mockforge:responder:echo#1");
  EXPECT_EQ(other.headers, reply.headers);

  traffic::Message plain;
  plain.headers.push_back({"k", std::string("v")});
  EXPECT_TRUE(unmark(plain, "run-a"));
  EXPECT_EQ(plain.client_id, "");
  EXPECT_EQ(plain.headers.size(), 1u);
}

}  // namespace
}  // namespace mockforge::cli::scenario
