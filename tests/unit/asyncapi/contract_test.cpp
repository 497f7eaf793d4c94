// The contract check of single published messages: which channel covers a
// message on each protocol, and payload and header violations with pointers.
#include "asyncapi/contract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mockforge::asyncapi {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using traffic::Protocol;

Contract plant_contract() {
  const char* dir = std::getenv("MOCKFORGE_SOURCE_DIR");
  auto loaded = load(std::filesystem::path(dir ? dir : ".") /
                     "tests/unit/asyncapi/documents/v26_brokers.yaml");
  EXPECT_TRUE(loaded.ok());
  std::vector<Model> models;
  models.push_back(std::move(loaded.model));
  return Contract(std::move(models));
}

traffic::Message message(Protocol protocol, std::string destination, std::string payload) {
  traffic::Message m;
  m.protocol = protocol;
  m.destination = std::move(destination);
  m.payload = std::move(payload);
  return m;
}

TEST(AsyncApiContract, MqttMessagesMatchTheFirstConformingMessage) {
  const auto contract = plant_contract();
  auto verdict = contract.check(
      message(Protocol::kMqtt, "factory/berlin/line/7/measured", R"({"value": 1.5, "unit": "C"})"));
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->channel, "factory/{plantId}/line/{lineId}/measured");
  EXPECT_EQ(verdict->message_id, "Measurement");
  EXPECT_TRUE(verdict->ok());

  verdict = contract.check(
      message(Protocol::kMqtt, "factory/lyon/line/2/measured", R"({"value": "hot"})"));
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok());
  EXPECT_EQ(verdict->message_id, "");
  bool as_measurement = false, as_calibration = false;
  for (const auto& v : verdict->violations) {
    as_measurement |= v.pointer == "/value" && v.message.find("(as Measurement)") != v.message.npos;
    as_calibration |= v.message.find("(as Calibration)") != v.message.npos;
  }
  EXPECT_TRUE(as_measurement && as_calibration);

  verdict = contract.check(message(Protocol::kMqtt, "factory/lyon/line/2/measured", "not json"));
  ASSERT_TRUE(verdict);
  ASSERT_EQ(verdict->violations.size(), 1u);
  EXPECT_EQ(verdict->violations[0].message, "the payload is not JSON");

  // Outside the enum of plantId, or on another broker: not covered.
  EXPECT_FALSE(contract.check(message(Protocol::kMqtt, "factory/paris/line/2/measured", "{}")));
  EXPECT_FALSE(contract.check(message(Protocol::kKafka, "factory/lyon/line/2/measured", "{}")));
}

TEST(AsyncApiContract, KafkaTopicsByBindingName) {
  const auto contract = plant_contract();
  auto verdict = contract.check(
      message(Protocol::kKafka, "orders.created.v1", R"({"orderId": "ORD-1", "amount": 5})"));
  ASSERT_TRUE(verdict);
  ASSERT_FALSE(verdict->ok());
  bool at_order_id = false;
  for (const auto& v : verdict->violations) at_order_id |= v.pointer == "/orderId";
  EXPECT_TRUE(at_order_id);
  verdict = contract.check(
      message(Protocol::kKafka, "orders.created.v1", R"({"orderId": "ORD-1234", "amount": 5})"));
  ASSERT_TRUE(verdict);
  EXPECT_THAT(verdict->violations, IsEmpty());
  EXPECT_FALSE(contract.check(message(Protocol::kKafka, "orders.created", "{}")));
}

TEST(AsyncApiContract, AmqpExchangeRoutingKeysHeadersAndQueues) {
  const auto contract = plant_contract();
  auto shipped = message(Protocol::kAmqp, "orders", R"({"orderId": "ORD-1234"})");
  shipped.routing_key = "orders.eu.shipped";
  auto verdict = contract.check(shipped);
  ASSERT_TRUE(verdict);
  ASSERT_EQ(verdict->violations.size(), 1u);  // x-trace-id is required
  EXPECT_EQ(verdict->violations[0].pointer, "/headers");
  shipped.headers.push_back({"x-trace-id", std::string("4f9e0e52-1c1b-4d8e-9a57-2f7e2c1f0c11")});
  verdict = contract.check(shipped);
  ASSERT_TRUE(verdict);
  EXPECT_THAT(verdict->violations, IsEmpty());
  EXPECT_EQ(verdict->message_id, "OrderShipped");

  shipped.destination = "other";
  EXPECT_FALSE(contract.check(shipped));

  auto billing = message(Protocol::kAmqp, "", "[]");
  billing.routing_key = "billing-requests";
  verdict = contract.check(billing);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->channel, "billing");
  ASSERT_FALSE(verdict->ok());  // the payload must be an object
  EXPECT_THAT(verdict->violations[0].message, HasSubstr("type"));
}

TEST(AsyncApiContract, TextHeadersTakeTheSchemasType) {
  const auto schema = Json::parse(R"({"type":"object","properties":{
      "count":{"type":"integer"},"ratio":{"type":"number"},"on":{"type":"boolean"}}})");
  auto m = message(Protocol::kKafka, "t", "{}");
  m.headers = {{"count", std::string("42")},
               {"ratio", std::string("0.5")},
               {"on", std::string("true")},
               {"name", std::string("7")},
               {"typed", int64_t{3}}};
  EXPECT_EQ(headers_json(m, schema),
            nlohmann::json::parse(R"({"count":42,"ratio":0.5,"on":true,"name":"7","typed":3})"));
}

}  // namespace
}  // namespace mockforge::asyncapi

namespace mockforge::asyncapi {
namespace {

TEST(AsyncApiContract, ADraft4SchemaFormatIsValidatedAsDraft4) {
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-draft4";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "doc.yaml");
    out << "asyncapi: 2.6.0\n"
           "servers: {k: {url: x, protocol: kafka}}\n"
           "channels:\n"
           "  levels:\n"
           "    publish:\n"
           "      message:\n"
           "        schemaFormat: application/schema+json;version=draft-04\n"
           "        payload: {type: number, maximum: 10, exclusiveMaximum: true}\n";
  }
  auto loaded = load(dir / "doc.yaml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded.model.channels.at(0).messages.at(0).draft, Draft::kDraft4);
  std::vector<Model> models;
  models.push_back(std::move(loaded.model));
  const Contract contract(std::move(models));
  const auto at = [&](const char* payload) {
    return contract.check(message(traffic::Protocol::kKafka, "levels", payload));
  };
  ASSERT_TRUE(at("9.5"));
  EXPECT_TRUE(at("9.5")->ok());
  EXPECT_FALSE(at("10")->ok());  // draft 4's boolean exclusiveMaximum
}

}  // namespace
}  // namespace mockforge::asyncapi
