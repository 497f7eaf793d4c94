// The one mapping per protocol between the neutral message and the codec's
// types (brokers/*/codec/neutral_message.h), used by the brokers' traffic
// seams and the CLI clients alike: each way, and back.
#include "brokers/amqp/codec/neutral_message.h"

#include <gtest/gtest.h>

#include "brokers/kafka/codec/neutral_message.h"
#include "brokers/mqtt/codec/neutral_message.h"

namespace mockforge {
namespace {

traffic::Message sample() {
  traffic::Message message;
  message.payload = "{\"id\":1}";
  message.key = "k1";
  message.timestamp_ms = 1'700'000'000'123;
  message.headers = {
      {"text", std::string("v")}, {"count", int64_t{7}}, {"ratio", 0.5}, {"flag", true}};
  auto& p = message.properties;
  p.content_type = "application/json";
  p.content_encoding = "identity";
  p.correlation_id = "c-1";
  p.reply_to = "replies";
  p.message_id = "m-1";
  p.type = "order";
  p.app_id = "svc";
  p.user_id = "guest";
  p.expiration = "60000";
  p.priority = 3;
  p.delivery_mode = 2;
  p.message_expiry_seconds = 30;
  p.payload_utf8 = true;
  return message;
}

TEST(NeutralMessage, AmqpPropertiesBothWaysKeepTypesAndSeconds) {
  const auto message = sample();
  const auto properties = amqp::to_basic_properties(message);
  EXPECT_EQ(properties.timestamp, uint64_t{1'700'000'000});
  ASSERT_TRUE(properties.headers.has_value());
  EXPECT_EQ(properties.headers->entries.size(), 4u);

  traffic::Message back;
  amqp::read_basic_properties(properties, back);
  EXPECT_EQ(back.headers, message.headers);
  EXPECT_EQ(back.timestamp_ms, 1'700'000'000'000);  // AMQP timestamps are seconds
  auto expected = message.properties;
  expected.message_expiry_seconds.reset();  // MQTT's, not AMQP's
  expected.payload_utf8.reset();
  EXPECT_EQ(back.properties, expected);
}

TEST(NeutralMessage, AmqpFieldValuesWithoutANeutralFormAreLeftOut) {
  EXPECT_FALSE(amqp::to_header_value(amqp::FieldValue(amqp::FieldTable{})).has_value());
  EXPECT_EQ(amqp::to_header_value(amqp::FieldValue(amqp::Timestamp{42})),
            std::optional<traffic::HeaderValue>(int64_t{42}));
}

TEST(NeutralMessage, MqttPropertiesBothWays) {
  const auto message = sample();
  const auto with_expiry = mqtt::to_publish_properties(message, mqtt::Expiry::kInclude);
  EXPECT_EQ(with_expiry.integer(mqtt::PropertyId::message_expiry_interval), uint32_t{30});
  const auto without = mqtt::to_publish_properties(message, mqtt::Expiry::kOmit);
  EXPECT_FALSE(without.integer(mqtt::PropertyId::message_expiry_interval).has_value());

  traffic::Message back;
  mqtt::read_publish_properties(with_expiry, back);
  EXPECT_EQ(back.properties.content_type, "application/json");
  EXPECT_EQ(back.properties.reply_to, "replies");
  EXPECT_EQ(back.properties.correlation_id, "c-1");
  EXPECT_EQ(back.properties.message_expiry_seconds, uint32_t{30});
  EXPECT_EQ(back.properties.payload_utf8, true);
  // User properties carry text: typed headers come back as their text.
  const std::vector<traffic::Header> texts = {{"text", std::string("v")},
                                              {"count", std::string("7")},
                                              {"ratio", std::string("0.5")},
                                              {"flag", std::string("true")}};
  EXPECT_EQ(back.headers, texts);
}

TEST(NeutralMessage, KafkaRecordBothWays) {
  const auto message = sample();
  const auto record = kafka::to_new_record(message, 5);
  EXPECT_EQ(record.timestamp_ms, message.timestamp_ms);
  EXPECT_EQ(kafka::to_new_record(traffic::Message{}, 5).timestamp_ms, 5);  // unset: now

  kafka::Record stored;
  stored.key = record.key;
  stored.value = record.value;
  stored.headers = record.headers;
  stored.timestamp_delta = 23;
  kafka::RecordBatchHeader header;
  header.base_timestamp = 1000;
  header.max_timestamp = 9000;
  auto back = kafka::to_message("orders", 2, header, stored);
  EXPECT_EQ(back.protocol, traffic::Protocol::kKafka);
  EXPECT_EQ(back.destination, "orders");
  EXPECT_EQ(back.partition, 2);
  EXPECT_EQ(back.key, "k1");
  EXPECT_EQ(back.payload, message.payload);
  EXPECT_EQ(back.headers.size(), 4u);
  EXPECT_EQ(back.timestamp_ms, 1023);
  header.attributes = kafka::batch_attributes::kLogAppendTime;
  EXPECT_EQ(kafka::to_message("orders", 2, header, stored).timestamp_ms, 9000);
}

}  // namespace
}  // namespace mockforge
