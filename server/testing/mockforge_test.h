#pragma once

// GoogleTest fixtures that run mockforge in-process on ephemeral loopback
// ports, with helpers for the usual test steps.
//
//   class OrdersTest : public mockforge::testing::MockforgeTest {};
//   TEST_F(OrdersTest, ServicePublishesConfirmation) {
//     // kafka_bootstrap() is "127.0.0.1:<port>", mqtt_url() "tcp://127.0.0.1:<port>"
//     my_service.start(kafka_bootstrap(), mqtt_url());
//     produce("orders.created", R"({"order_id":"o-1"})", "o-1");
//     auto confirmed = consume("orders.confirmed", 1);  // waits up to 5 s
//     ASSERT_EQ(confirmed.size(), 1u);
//     publish_mqtt("warehouse/sensors/zone-1/temperature", R"({"celsius": 85})");
//     auto alert = expect(R"({"protocol": "mqtt", "topic": "alerts/critical"})");
//     EXPECT_TRUE(alert.met) << alert.message;
//   }
//
// MockforgeTest starts a fresh server per test; override make_config() to
// change its configuration. SharedMockforgeTest starts one server per test
// suite and resets it before each test, which takes milliseconds; to
// configure it, define in the suite:
//
//   static void SetUpTestSuite() {
//     auto config = mockforge::testing::ephemeral_config();
//     config.kafka.fixtures_dir = "fixtures/kafka";
//     start_shared(std::move(config));
//   }

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/traffic/message.h"
#include "server/server.h"
#include "watch/expectation.h"

namespace mockforge::testing {

// Loopback only, every port ephemeral, warnings and errors logged.
config::Config ephemeral_config();

// One Kafka record as a consumer sees it.
struct KafkaMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  std::vector<std::pair<std::string, std::string>> headers;
};

using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;
using KafkaMatcher = std::function<bool(const KafkaMessage&)>;

// The helpers both fixtures share; they act on the fixture's running server.
class MockforgeSteps {
 public:
  virtual ~MockforgeSteps() = default;

  // Addresses for client libraries. kafka_bootstrap(): "127.0.0.1:<port>"
  // (librdkafka's bootstrap.servers); mqtt_url(): "tcp://127.0.0.1:<port>"
  // (paho's serverURI); amqp_url(): "amqp://guest:guest@127.0.0.1:<port>/";
  // admin_url(): "http://127.0.0.1:<port>".
  std::string kafka_bootstrap() const;
  std::string mqtt_url() const;
  std::string amqp_url() const;
  std::string admin_url() const;
  // Port of a listener ("admin", "kafka", "mqtt", "mqtt_ws", "amqp"); throws
  // std::invalid_argument for one that is not running.
  uint16_t port(const std::string& listener) const;
  std::string address(const std::string& listener) const;  // "127.0.0.1:<port>"

  // Kafka: stores one record through the storage engine, exactly as a
  // producer's RecordBatch would be stored, creating the topic (with
  // kafka.default_partitions) when missing. Keyed records go to murmur2(key)
  // like the Java client's partitioner, others to `partition` (default 0).
  // Returns the record's offset; throws std::runtime_error if storage refuses.
  int64_t produce(const std::string& topic, const std::string& value,
                  std::optional<std::string> key = std::nullopt, const KafkaHeaders& headers = {},
                  std::optional<int32_t> partition = std::nullopt);

  // Kafka: the next `count` records of `topic` after those this test already
  // consumed, waiting up to `timeout` for them to arrive. Partitions are read
  // in order of index, each in offset order. Returns fewer on timeout.
  std::vector<KafkaMessage> consume(const std::string& topic, std::size_t count,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Kafka: waits until a record of `topic` not yet consumed by this test
  // matches; records read on the way are consumed. nullopt on timeout.
  std::optional<KafkaMessage> wait_for_message(
      const std::string& topic, const KafkaMatcher& matches,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // MQTT and AMQP: publishes through the broker's own delivery path
  // (subscribers, retained messages, exchanges and queues) exactly as a
  // client's publish would be delivered. Throws std::runtime_error if the
  // broker refuses (e.g. a missing exchange).
  void publish_mqtt(const std::string& topic, const std::string& payload, int qos = 0,
                    bool retain = false);
  void publish_amqp(const std::string& exchange, const std::string& routing_key,
                    const std::string& body, const traffic::Properties& properties = {},
                    const std::vector<traffic::Header>& headers = {});

  // Waits for an expectation on what the brokers accepted, from any source
  // (clients, fixtures, these helpers), in the JSON form of
  // POST /__mockforge/api/expect (watch/expectation.h, docs/admin-api.md).
  // Returns as soon as it is decided; `.met`, and `.message` and
  // `.closest_misses` say why not. Throws std::invalid_argument for a bad spec.
  watch::Verdict expect(const std::string& spec_json);

 protected:
  virtual Server& running_server() const = 0;
  // Forgets what consume() has read (after a reset the logs start over).
  void reset_cursors() { cursors_.clear(); }

 private:
  // topic -> partition -> next offset to read
  std::map<std::string, std::map<int32_t, int64_t>> cursors_;
};

class MockforgeTest : public ::testing::Test, public MockforgeSteps {
 protected:
  // Override to change the configuration; start from ephemeral_config().
  virtual config::Config make_config() const { return ephemeral_config(); }

  void SetUp() override;
  void TearDown() override;

  Server& server() { return *server_; }
  Server& running_server() const override;

 private:
  std::unique_ptr<Server> server_;
};

class SharedMockforgeTest : public ::testing::Test, public MockforgeSteps {
 protected:
  // Starts the suite's server with ephemeral_config(); a suite that defines
  // its own SetUpTestSuite() calls start_shared() with its configuration.
  static void SetUpTestSuite();
  static void start_shared(config::Config config);
  static void TearDownTestSuite();
  // Resets the server (storage back to what fixtures seeded) before each test.
  void SetUp() override;

  static Server& server() { return *shared_; }
  Server& running_server() const override;

 private:
  static inline std::unique_ptr<Server> shared_;
};

}  // namespace mockforge::testing
