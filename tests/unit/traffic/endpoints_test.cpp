// Each broker's traffic endpoint over the real broker core and storage: what
// the hub publishes lands where a client's publish would (Kafka partitions by
// murmur2, MQTT subscribers and retained messages, AMQP exchanges to queues),
// what it declares exists, and AMQP declarations survive a reset.
#include <gtest/gtest.h>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/protocol/broker_state.h"
#include "brokers/amqp/protocol/traffic.h"
#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/traffic.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/broker/traffic.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"
#include "core/traffic/hub.h"
#include "tests/unit/support/kafka_records.h"

namespace mockforge {
namespace {

using traffic::Message;
using traffic::Protocol;
using traffic::Resource;

// ---- Kafka ------------------------------------------------------------------

using testing::read_topic;

TEST(KafkaTrafficEndpoint, DeclaresTopicsAndAppendsLikeAProducer) {
  storage::Engine storage;
  metrics::Registry registry;
  kafka::BrokerOptions options;
  options.default_partitions = 2;
  kafka::BrokerState broker(options, storage, registry);
  traffic::Hub hub;
  hub.attach(Protocol::kKafka, kafka::make_traffic_endpoint(broker));

  Resource topic;
  topic.name = "orders";
  topic.partitions = 4;
  topic.arguments.push_back({"retention.ms", int64_t{60000}});
  EXPECT_EQ(hub.declare(topic), "");
  EXPECT_EQ(hub.declare(topic), "");  // idempotent
  ASSERT_TRUE(storage.logs().find("orders"));
  EXPECT_EQ(storage.logs().find("orders")->partition_count(), 4);
  EXPECT_EQ(storage.logs().find("orders")->config("retention.ms"), "60000");
  topic.name = "bad name";
  EXPECT_NE(hub.declare(topic).find("not a legal Kafka topic name"), std::string::npos);

  std::vector<Message> messages;
  for (int i = 0; i < 6; ++i) {
    Message m;
    m.destination = "orders";
    m.key = "order-" + std::to_string(i);
    m.payload = "{\"n\":" + std::to_string(i) + "}";
    m.headers.push_back({"source", std::string("fixtures")});
    m.headers.push_back({"attempt", int64_t{i}});
    messages.push_back(m);
  }
  Message fixed;
  fixed.destination = "orders";
  fixed.partition = 3;
  fixed.payload = "pinned";
  messages.push_back(fixed);
  const auto result = hub.publish(messages);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.accepted, 7u);

  const auto records = read_topic(storage, "orders");
  ASSERT_EQ(records.size(), 7u);
  for (const auto& record : records) {
    if (record.value == "pinned") {
      EXPECT_EQ(record.partition, 3);
      continue;
    }
    const kafka::Bytes key(record.key.begin(), record.key.end());
    EXPECT_EQ(record.partition, kafka::murmur2_partition(key, 4)) << record.key;
    ASSERT_EQ(record.headers.size(), 2u);
    EXPECT_EQ(record.headers[0], (std::pair<std::string, std::string>{"source", "fixtures"}));
  }

  fixed.partition = 9;
  const auto refused = hub.publish(fixed);
  EXPECT_EQ(refused.accepted, 0u);
  EXPECT_EQ(refused.error, "topic orders has no partition 9");
}

TEST(KafkaTrafficEndpoint, UnkeyedMessagesGoRoundRobinAndObserversSeeThem) {
  storage::Engine storage;
  metrics::Registry registry;
  kafka::BrokerOptions options;
  options.default_partitions = 3;
  kafka::BrokerState broker(options, storage, registry);
  traffic::Hub hub;
  hub.attach(Protocol::kKafka, kafka::make_traffic_endpoint(broker));
  std::vector<std::string> observed;
  hub.observe([&](const Message& m) { observed.push_back(m.destination + ":" + m.payload); });
  for (int i = 0; i < 6; ++i) {
    Message m;
    m.destination = "auto.created";  // kafka.auto_create_topics is on by default
    m.payload = std::to_string(i);
    ASSERT_TRUE(hub.publish(m).ok());
  }
  int per_partition[3] = {0, 0, 0};
  for (const auto& record : read_topic(storage, "auto.created")) ++per_partition[record.partition];
  EXPECT_EQ(per_partition[0], 2);
  EXPECT_EQ(per_partition[1], 2);
  EXPECT_EQ(per_partition[2], 2);
  ASSERT_EQ(observed.size(), 6u);
  EXPECT_EQ(observed[5], "auto.created:5");
}

TEST(KafkaTrafficEndpoint, StoredBatchesConvertForObservers) {
  const std::vector<kafka::NewRecord> records{
      {1000, kafka::Bytes{'k'}, kafka::Bytes{'v'}, {{"h", kafka::Bytes{'1'}}}}};
  const auto batch = kafka::build_record_batch(records);
  const auto view = kafka::parse_record_batch(batch);
  const auto messages = kafka::to_traffic(view, "t", 2, "rdkafka");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].protocol, Protocol::kKafka);
  EXPECT_EQ(messages[0].key, "k");
  EXPECT_EQ(messages[0].payload, "v");
  EXPECT_EQ(messages[0].partition, 2);
  EXPECT_EQ(messages[0].client_id, "rdkafka");
  EXPECT_EQ(messages[0].timestamp_ms, 1000);
  ASSERT_EQ(messages[0].headers.size(), 1u);
  EXPECT_EQ(traffic::header_text(messages[0].headers[0].value), "1");
}

// ---- MQTT -------------------------------------------------------------------

// A connected client that records what the broker routes to it.
class RecordingLink : public mqtt::ClientLink, public std::enable_shared_from_this<RecordingLink> {
 public:
  void deliver(mqtt::Delivery delivery) override { deliveries.push_back(std::move(delivery)); }
  void take_over() override {}
  void session_dropped() override { ++sessions_dropped; }
  void adopt(mqtt::SessionHandOver) override {}
  std::shared_ptr<ClientLink> shared() override { return shared_from_this(); }
  void registered(std::shared_ptr<storage::Session> session) override {
    id = std::string(session->client_id());
  }
  std::string_view registered_id() const override { return id; }
  mqtt::ClientInfo describe() const override { return {id, 5, 0, "test", 0, 0}; }
  std::vector<mqtt::Delivery> deliveries;
  std::string id;
  int sessions_dropped = 0;
};

TEST(MqttTrafficEndpoint, ReachesSubscribersWithQosAndStoresRetained) {
  storage::Engine storage;
  mqtt::BrokerOptions options;
  options.maximum_qos = mqtt::QoS::at_least_once;
  mqtt::Broker broker(options, storage.retained(), storage.sessions(), nullptr);
  traffic::Hub hub;
  hub.attach(Protocol::kMqtt, mqtt::make_traffic_endpoint(broker));

  auto link = std::make_shared<RecordingLink>();
  broker.connect("dashboard", true, 0, link);
  storage::SubscriptionOptions qos1;
  qos1.qos = 1;
  broker.subscribe("dashboard", "warehouse/+/temperature", qos1);

  Message m;
  m.protocol = Protocol::kMqtt;
  m.destination = "warehouse/a1/temperature";
  m.payload = "{\"c\":21.5}";
  m.qos = 1;
  m.retain = true;
  m.properties.content_type = "application/json";
  m.properties.reply_to = "warehouse/a1/ack";
  m.properties.correlation_id = "corr-1";
  m.headers.push_back({"unit", std::string("celsius")});
  m.client_id = "mockforge:fixtures";
  const auto result = hub.publish(m);
  ASSERT_TRUE(result.ok()) << result.error;

  ASSERT_EQ(link->deliveries.size(), 1u);
  const auto& delivered = *link->deliveries[0].message;
  EXPECT_EQ(delivered.topic, "warehouse/a1/temperature");
  EXPECT_EQ(link->deliveries[0].qos, mqtt::QoS::at_least_once);
  EXPECT_EQ(delivered.properties.string(mqtt::PropertyId::content_type), "application/json");
  EXPECT_EQ(delivered.properties.string(mqtt::PropertyId::response_topic), "warehouse/a1/ack");
  ASSERT_EQ(delivered.properties.user_properties().size(), 1u);
  EXPECT_EQ(delivered.properties.user_properties()[0].value, "celsius");

  auto retained = storage.retained().get("warehouse/a1/temperature", storage::Clock::now());
  ASSERT_TRUE(retained);
  EXPECT_EQ(*retained->payload, "{\"c\":21.5}");
  EXPECT_EQ(retained->qos, 1);

  // Round trip for observers.
  const auto back = mqtt::to_traffic(delivered);
  EXPECT_EQ(back.properties.correlation_id, "corr-1");
  EXPECT_EQ(back.client_id, "mockforge:fixtures");
  EXPECT_EQ(traffic::header_text(back.headers[0].value), "celsius");

  m.qos = 2;
  EXPECT_EQ(hub.publish(m).error, "QoS 2 is above mqtt.maximum_qos");
  m.qos = 0;
  m.destination = "bad/+/wildcard";
  EXPECT_NE(hub.publish(m).error.find("not a valid MQTT topic name"), std::string::npos);
  m.destination = "$SYS/broker/x";
  EXPECT_EQ(hub.publish(m).error, "$SYS/ topics are the broker's");
}

TEST(MqttTrafficEndpoint, ClientPublishesAreObservedWithTheClientId) {
  storage::Engine storage;
  mqtt::Broker broker(mqtt::BrokerOptions{}, storage.retained(), storage.sessions(), nullptr);
  traffic::Hub hub;
  broker.set_traffic(&hub);
  mqtt::Message message;
  message.topic = "devices/d1/status";
  message.payload = std::make_shared<const mqtt::Bytes>(mqtt::Bytes{'o', 'k'});
  message.publisher = "device-d1";
  broker.publish_from_client(message);  // nobody observes: nothing to do
  std::vector<Message> seen;
  hub.observe([&](const Message& m) { seen.push_back(m); });
  broker.publish_from_client(message);
  broker.publish(message);  // the endpoint's path: the hub reports those itself
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].protocol, Protocol::kMqtt);
  EXPECT_EQ(seen[0].client_id, "device-d1");
  EXPECT_EQ(seen[0].payload, "ok");
}

// ---- AMQP -------------------------------------------------------------------

class AmqpTrafficEndpointTest : public ::testing::Test {
 protected:
  AmqpTrafficEndpointTest() : broker(amqp::BrokerSettings{}, storage, registry) {
    hub.attach(Protocol::kAmqp, endpoint);
  }

  std::string declare(Resource::Kind kind, std::string name, std::string type = "",
                      std::string destination = "", std::string key = "") {
    Resource resource;
    resource.protocol = Protocol::kAmqp;
    resource.kind = kind;
    resource.name = std::move(name);
    resource.type = std::move(type);
    resource.destination = std::move(destination);
    resource.routing_key = std::move(key);
    return hub.declare(resource);
  }

  Message publish_to(std::string exchange, std::string key, std::string body) {
    Message m;
    m.protocol = Protocol::kAmqp;
    m.destination = std::move(exchange);
    m.routing_key = std::move(key);
    m.payload = std::move(body);
    return m;
  }

  uint64_t ready(const std::string& queue) {
    auto q = storage.queues().find("/", queue);
    return q ? q->ready_count() : 0;
  }

  storage::Engine storage;
  metrics::Registry registry;
  amqp::BrokerState broker;
  std::shared_ptr<amqp::TrafficEndpoint> endpoint = std::make_shared<amqp::TrafficEndpoint>(broker);
  traffic::Hub hub;
};

TEST_F(AmqpTrafficEndpointTest, RoutesThroughExchangesIntoQueuesWithProperties) {
  using Kind = Resource::Kind;
  ASSERT_EQ(declare(Kind::kExchange, "notifications", "topic"), "");
  ASSERT_EQ(declare(Kind::kQueue, "email.queue"), "");
  ASSERT_EQ(declare(Kind::kQueue, "sms.queue"), "");
  ASSERT_EQ(declare(Kind::kBinding, "notifications", "", "email.queue", "notify.email.*"), "");
  ASSERT_EQ(declare(Kind::kBinding, "notifications", "", "sms.queue", "notify.sms.#"), "");
  // Equal declarations are idempotent; an inequivalent one is RabbitMQ's 406.
  EXPECT_EQ(declare(Kind::kExchange, "notifications", "topic"), "");
  EXPECT_NE(declare(Kind::kExchange, "notifications", "fanout").find("406"), std::string::npos);
  EXPECT_NE(declare(Kind::kBinding, "nope", "", "email.queue", "x").find("404"), std::string::npos);
  EXPECT_NE(declare(Kind::kExchange, "x", "weird").find("unknown type"), std::string::npos);

  auto m = publish_to("notifications", "notify.email.welcome", "hello");
  m.properties.content_type = "application/json";
  m.properties.correlation_id = "c-7";
  m.properties.reply_to = "replies";
  m.properties.delivery_mode = 2;
  m.headers.push_back({"attempt", int64_t{3}});
  m.headers.push_back({"source", std::string("fixtures")});
  ASSERT_TRUE(hub.publish(m).ok());
  ASSERT_TRUE(hub.publish(publish_to("notifications", "notify.sms.urgent.now", "sms")).ok());
  ASSERT_TRUE(hub.publish(publish_to("notifications", "nobody.listens", "dropped")).ok());
  EXPECT_EQ(ready("email.queue"), 1u);
  EXPECT_EQ(ready("sms.queue"), 1u);

  auto popped = storage.queues().find("/", "email.queue")->pop(storage::Clock::now());
  ASSERT_TRUE(popped.delivery);
  const auto& stored = popped.delivery->message;
  EXPECT_EQ(*stored.body, "hello");
  EXPECT_EQ(stored.routing_key, "notify.email.welcome");
  const auto header = amqp::decode_content_header(std::span(
      reinterpret_cast<const uint8_t*>(stored.properties->data()), stored.properties->size()));
  EXPECT_EQ(header.body_size, 5u);
  EXPECT_EQ(header.properties.content_type, "application/json");
  EXPECT_EQ(header.properties.correlation_id, "c-7");
  EXPECT_EQ(header.properties.delivery_mode, 2);
  ASSERT_TRUE(header.properties.headers);
  EXPECT_EQ(*header.properties.headers->find("attempt")->get_if<int64_t>(), 3);

  // What observers of a client publish get back from the stored form.
  const auto seen = amqp::to_traffic(stored.exchange, stored.routing_key, *stored.properties,
                                     *stored.body, "/", "pika");
  EXPECT_EQ(seen.properties.reply_to, "replies");
  ASSERT_EQ(seen.headers.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(seen.headers[0].value), 3);
  EXPECT_EQ(seen.client_id, "pika");

  const auto missing = hub.publish(publish_to("nope", "k", "x"));
  EXPECT_EQ(missing.accepted, 0u);
  EXPECT_NE(missing.error.find("404 NOT_FOUND - no exchange 'nope'"), std::string::npos);
}

TEST_F(AmqpTrafficEndpointTest, DeclarationsComeBackAfterAResetWithTheSeededMessages) {
  using Kind = Resource::Kind;
  ASSERT_EQ(declare(Kind::kExchange, "tasks", "direct"), "");
  ASSERT_EQ(declare(Kind::kQueue, "work"), "");
  ASSERT_EQ(declare(Kind::kBinding, "tasks", "", "work", "do"), "");
  ASSERT_TRUE(hub.publish(publish_to("tasks", "do", "seed-1")).ok());
  ASSERT_TRUE(hub.publish(publish_to("tasks", "do", "seed-2")).ok());
  storage.mark_initial_state();
  ASSERT_TRUE(hub.publish(publish_to("tasks", "do", "later")).ok());
  EXPECT_EQ(ready("work"), 3u);

  // What the AMQP service's reset observer does.
  storage.reset();
  for (auto* vhost : broker.vhosts()) vhost->reset();
  endpoint->redeclare();

  EXPECT_EQ(ready("work"), 2u);
  ASSERT_TRUE(hub.publish(publish_to("tasks", "do", "after-reset")).ok());
  EXPECT_EQ(ready("work"), 3u);
  auto first = storage.queues().find("/", "work")->pop(storage::Clock::now());
  ASSERT_TRUE(first.delivery);
  EXPECT_EQ(*first.delivery->message.body, "seed-1");
}

TEST_F(AmqpTrafficEndpointTest, QueueArgumentsApply) {
  Resource queue;
  queue.protocol = Protocol::kAmqp;
  queue.kind = Resource::Kind::kQueue;
  queue.name = "bounded";
  queue.arguments.push_back({"x-max-length", int64_t{2}});
  queue.arguments.push_back({"x-overflow", std::string("reject-publish")});
  ASSERT_EQ(hub.declare(queue), "");
  EXPECT_TRUE(hub.publish(publish_to("", "bounded", "1")).ok());
  EXPECT_TRUE(hub.publish(publish_to("", "bounded", "2")).ok());
  const auto third = hub.publish(publish_to("", "bounded", "3"));
  EXPECT_NE(third.error.find("refused the message"), std::string::npos);
  EXPECT_EQ(ready("bounded"), 2u);
}

}  // namespace
}  // namespace mockforge

namespace mockforge {
namespace {

TEST_F(AmqpTrafficEndpointTest, CheckChangesNothing) {
  Resource exchange;
  exchange.protocol = Protocol::kAmqp;
  exchange.kind = Resource::Kind::kExchange;
  exchange.name = "audit";
  exchange.type = "fanout";
  EXPECT_EQ(hub.check(exchange), "");
  EXPECT_FALSE(broker.find_vhost("/")->has_exchange("audit"));
  ASSERT_EQ(hub.declare(exchange), "");
  exchange.type = "topic";
  EXPECT_NE(hub.check(exchange).find("406 PRECONDITION_FAILED"), std::string::npos);
  Resource queue;
  queue.protocol = Protocol::kAmqp;
  queue.kind = Resource::Kind::kQueue;
  queue.name = "bad.args";
  queue.arguments.push_back({"x-max-length", std::string("lots")});
  EXPECT_NE(hub.check(queue).find("x-max-length"), std::string::npos);
  EXPECT_FALSE(broker.find_vhost("/")->has_queue("bad.args"));
}

}  // namespace
}  // namespace mockforge
