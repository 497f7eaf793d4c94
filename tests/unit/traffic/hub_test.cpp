// The traffic hub with recording endpoints: routing by protocol, refusals,
// observers of injected and client publishes, the observed() check.
#include "core/traffic/hub.h"

#include <gtest/gtest.h>

#include <thread>

namespace mockforge::traffic {
namespace {

class RecordingEndpoint : public Endpoint {
 public:
  PublishResult publish(std::span<const Message> messages) override {
    ++calls;
    PublishResult result;
    for (const auto& message : messages) {
      if (message.payload == "refuse") {
        result.error = "refused " + message.destination;
        return result;
      }
      published.push_back(message);
      ++result.accepted;
    }
    return result;
  }
  std::string declare(const Resource& resource) override {
    declared.push_back(resource);
    return check(resource);
  }
  std::string check(const Resource& resource) override {
    return resource.name == "bad" ? "no" : "";
  }
  int calls = 0;
  std::vector<Message> published;
  std::vector<Resource> declared;
};

Message message(Protocol protocol, std::string destination, std::string payload = "x") {
  Message out;
  out.protocol = protocol;
  out.destination = std::move(destination);
  out.payload = std::move(payload);
  return out;
}

TEST(TrafficHub, PublishGoesToEachMessagesBrokerInRuns) {
  Hub hub;
  auto kafka = std::make_shared<RecordingEndpoint>();
  auto mqtt = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kKafka, kafka);
  hub.attach(Protocol::kMqtt, mqtt);
  std::vector<Message> batch{message(Protocol::kKafka, "a"), message(Protocol::kKafka, "b"),
                             message(Protocol::kMqtt, "c/d"), message(Protocol::kKafka, "e")};
  const auto result = hub.publish(batch);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.accepted, 4u);
  EXPECT_EQ(kafka->calls, 2);  // [a, b] then [e]
  ASSERT_EQ(kafka->published.size(), 3u);
  EXPECT_EQ(kafka->published[2].destination, "e");
  ASSERT_EQ(mqtt->published.size(), 1u);
  EXPECT_EQ(mqtt->published[0].destination, "c/d");
}

TEST(TrafficHub, UnattachedProtocolAndRefusalsStopThePublish) {
  Hub hub;
  auto kafka = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kKafka, kafka);
  std::vector<Message> batch{message(Protocol::kKafka, "a"), message(Protocol::kAmqp, "x"),
                             message(Protocol::kKafka, "never")};
  auto result = hub.publish(batch);
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.error, "amqp is not enabled");
  EXPECT_EQ(kafka->published.size(), 1u);

  std::vector<Message> refused{message(Protocol::kKafka, "ok"),
                               message(Protocol::kKafka, "t", "refuse"),
                               message(Protocol::kKafka, "after")};
  result = hub.publish(refused);
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.error, "refused t");
  EXPECT_EQ(kafka->published.back().destination, "ok");
}

TEST(TrafficHub, DetachOnlyRemovesTheSameEndpoint) {
  Hub hub;
  auto first = std::make_shared<RecordingEndpoint>();
  auto second = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kMqtt, first);
  hub.attach(Protocol::kMqtt, second);  // replaces
  hub.detach(Protocol::kMqtt, first.get());
  EXPECT_TRUE(hub.attached(Protocol::kMqtt));
  EXPECT_TRUE(hub.publish(message(Protocol::kMqtt, "t")).ok());
  EXPECT_EQ(second->published.size(), 1u);
  EXPECT_TRUE(first->published.empty());
  hub.detach(Protocol::kMqtt, second.get());
  EXPECT_FALSE(hub.attached(Protocol::kMqtt));
  EXPECT_FALSE(hub.publish(message(Protocol::kMqtt, "t")).ok());
}

TEST(TrafficHub, DeclareGoesToTheResourcesBroker) {
  Hub hub;
  auto amqp = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kAmqp, amqp);
  Resource exchange;
  exchange.protocol = Protocol::kAmqp;
  exchange.kind = Resource::Kind::kExchange;
  exchange.name = "orders";
  EXPECT_EQ(hub.declare(exchange), "");
  exchange.name = "bad";
  EXPECT_EQ(hub.declare(exchange), "no");
  ASSERT_EQ(amqp->declared.size(), 2u);
  Resource topic;
  topic.protocol = Protocol::kKafka;
  EXPECT_EQ(hub.declare(topic), "kafka is not enabled");
}

TEST(TrafficHub, ObserversSeeAcceptedInjectedMessagesOnly) {
  Hub hub;
  auto kafka = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kKafka, kafka);
  EXPECT_FALSE(hub.observed());
  std::vector<std::string> seen;
  const auto token = hub.observe([&](const Message& m) { seen.push_back(m.destination); });
  EXPECT_TRUE(hub.observed());
  std::vector<Message> batch{message(Protocol::kKafka, "a"),
                             message(Protocol::kKafka, "b", "refuse")};
  (void)hub.publish(batch);
  EXPECT_EQ(seen, std::vector<std::string>{"a"});
  // What a broker reports for a client's publish.
  Message client = message(Protocol::kMqtt, "from/client");
  client.client_id = "sensor-1";
  std::string who;
  const auto second = hub.observe([&](const Message& m) { who = m.client_id; });
  hub.accepted(client);
  EXPECT_EQ(seen.back(), "from/client");
  EXPECT_EQ(who, "sensor-1");
  EXPECT_TRUE(hub.unobserve(token));
  EXPECT_FALSE(hub.unobserve(token));
  EXPECT_TRUE(hub.observed());
  EXPECT_TRUE(hub.unobserve(second));
  EXPECT_FALSE(hub.observed());
}

TEST(TrafficHub, ObserversMayPublishAndUnobserveConcurrently) {
  Hub hub;
  auto mqtt = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kMqtt, mqtt);
  // An observer that answers: what a responder does (one hop only here).
  hub.observe([&](const Message& m) {
    if (m.destination == "request") (void)hub.publish(message(Protocol::kMqtt, "reply"));
  });
  EXPECT_TRUE(hub.publish(message(Protocol::kMqtt, "request")).ok());
  ASSERT_EQ(mqtt->published.size(), 2u);
  EXPECT_EQ(mqtt->published[1].destination, "reply");

  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop) hub.unobserve(hub.observe([](const Message&) {}));
  });
  Message client = message(Protocol::kMqtt, "x");
  for (int i = 0; i < 2000; ++i) hub.accepted(client);
  stop = true;
  churn.join();
}

TEST(TrafficHub, GatesRefuseBeforeTheBrokerAndStopThePublish) {
  Hub hub;
  auto kafka = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kKafka, kafka);
  EXPECT_FALSE(hub.gated());
  std::vector<std::string> seen;
  const auto token = hub.add_gate([&seen](const Message& m) {
    seen.push_back(m.destination);
    return m.payload == "bad" ? Admission::refuse("payload is bad") : Admission::accept();
  });
  EXPECT_TRUE(hub.gated());
  std::vector<std::string> observed;
  hub.observe([&observed](const Message& m) { observed.push_back(m.destination); });

  std::vector<Message> batch{message(Protocol::kKafka, "a"), message(Protocol::kKafka, "b", "bad"),
                             message(Protocol::kKafka, "c")};
  auto result = hub.publish(batch);
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.error, "refused: payload is bad");
  ASSERT_EQ(kafka->published.size(), 1u);
  EXPECT_EQ(kafka->published[0].destination, "a");
  EXPECT_EQ(observed, std::vector<std::string>{"a"});
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));  // c was not tried

  // A refusal of the first message of a run calls no broker at all.
  const int calls = kafka->calls;
  result = hub.publish(message(Protocol::kKafka, "x", "bad"));
  EXPECT_EQ(result.accepted, 0u);
  EXPECT_EQ(kafka->calls, calls);

  // admit(): the first refusal of the gates in order wins.
  hub.add_gate([](const Message&) { return Admission::refuse("second"); });
  EXPECT_EQ(hub.admit(message(Protocol::kKafka, "x", "bad")).reason, "payload is bad");
  EXPECT_EQ(hub.admit(message(Protocol::kKafka, "x")).reason, "second");

  EXPECT_TRUE(hub.remove_gate(token));
  EXPECT_FALSE(hub.remove_gate(token));
  EXPECT_TRUE(hub.gated());
  EXPECT_TRUE(hub.admit(message(Protocol::kKafka, "x", "bad")).refused);
}

TEST(TrafficHub, HeaderText) {
  EXPECT_EQ(header_text(HeaderValue{std::string("a")}), "a");
  EXPECT_EQ(header_text(HeaderValue{int64_t{-42}}), "-42");
  EXPECT_EQ(header_text(HeaderValue{2.5}), "2.5");
  EXPECT_EQ(header_text(HeaderValue{3.0}), "3");
  EXPECT_EQ(header_text(HeaderValue{true}), "true");
  EXPECT_EQ(parse_protocol("amqp"), Protocol::kAmqp);
  EXPECT_FALSE(parse_protocol("stomp"));
}

}  // namespace
}  // namespace mockforge::traffic
