// Golden bytes for every MQTT 5.0 packet, built by hand from the OASIS 5.0
// spec, sections 2.2.2 (properties) and 3.
#include <gtest/gtest.h>

#include "tests/unit/mqtt_codec/golden.h"

namespace mockforge::mqtt {
namespace {

using testing::bytes_of;
using testing::expect_golden;
constexpr auto v5 = ProtocolVersion::v5;

TEST(MqttGoldenV5, ConnectMinimal) {
  Connect connect;
  connect.protocol_version = v5;
  connect.keep_alive = 60;
  connect.client_id = "c1";
  expect_golden(connect, v5, "10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31");
}

TEST(MqttGoldenV5, ConnectWithPropertiesAndWillProperties) {
  Connect connect;
  connect.protocol_version = v5;
  connect.keep_alive = 10;
  connect.client_id = "id";
  connect.properties = {{PropertyId::session_expiry_interval, 3600u},
                        {PropertyId::receive_maximum, 100u},
                        {PropertyId::user_property, StringPair{"k", "v"}}};
  Will will{"w", bytes_of("x"), QoS::at_least_once, true, {}};
  will.properties = {{PropertyId::will_delay_interval, 5u},
                     {PropertyId::payload_format_indicator, 1u},
                     {PropertyId::content_type, std::string("t")}};
  connect.will = will;
  connect.user_name = "u";
  connect.password = bytes_of("p");
  expect_golden(connect, v5,
                "10 36 00 04 4d 51 54 54 05 ee 00 0a"
                " 0f 11 00 00 0e 10 21 00 64 26 00 01 6b 00 01 76"
                " 00 02 69 64"
                " 0b 18 00 00 00 05 01 01 03 00 01 74"
                " 00 01 77 00 01 78 00 01 75 00 01 70");
}

TEST(MqttGoldenV5, ConnectPasswordWithoutUserNameIsAllowed) {
  Connect connect;
  connect.protocol_version = v5;
  connect.keep_alive = 60;
  connect.client_id = "c1";
  connect.password = bytes_of("p");
  expect_golden(connect, v5, "10 12 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 01 70");
}

TEST(MqttGoldenV5, ConnackWithProperties) {
  Connack connack;
  connack.properties = {{PropertyId::assigned_client_identifier, std::string("abc")},
                        {PropertyId::topic_alias_maximum, 10u},
                        {PropertyId::maximum_qos, 1u},
                        {PropertyId::retain_available, 0u},
                        {PropertyId::server_keep_alive, 30u}};
  expect_golden(connack, v5, "20 13 00 00 10 12 00 03 61 62 63 22 00 0a 24 01 25 00 13 00 1e");
}

TEST(MqttGoldenV5, ConnackRefused) {
  expect_golden(Connack{false, ReasonCode::not_authorized, {}}, v5, "20 03 00 87 00");
}

TEST(MqttGoldenV5, PublishWithPropertiesInOrder) {
  Publish publish;
  publish.qos = QoS::at_least_once;
  publish.topic_name = "a/b";
  publish.packet_id = 10;
  publish.properties = {{PropertyId::topic_alias, 2u},
                        {PropertyId::user_property, StringPair{"a", "1"}},
                        {PropertyId::user_property, StringPair{"a", "2"}},
                        {PropertyId::subscription_identifier, 200u}};
  publish.payload = bytes_of("hi");
  expect_golden(publish, v5,
                "32 1e 00 03 61 2f 62 00 0a 14 23 00 02 26 00 01 61 00 01 31"
                " 26 00 01 61 00 01 32 0b c8 01 68 69");
}

TEST(MqttGoldenV5, PublishEmptyTopicWithTopicAlias) {
  Publish publish;
  publish.properties = {{PropertyId::topic_alias, 5u}};
  expect_golden(publish, v5, "30 06 00 00 03 23 00 05");
}

TEST(MqttGoldenV5, PublishAcknowledgementsShortAndLongForms) {
  expect_golden(PubAck{{1, ReasonCode::success, {}}}, v5, "40 02 00 01");
  expect_golden(PubAck{{1, ReasonCode::no_matching_subscribers, {}}}, v5, "40 03 00 01 10");
  expect_golden(
      PubRec{{2, ReasonCode::unspecified_error, {{PropertyId::reason_string, std::string("bad")}}}},
      v5, "50 0a 00 02 80 06 1f 00 03 62 61 64");
  expect_golden(PubRel{{3, ReasonCode::packet_identifier_not_found, {}}}, v5, "62 03 00 03 92");
  expect_golden(PubComp{{4, ReasonCode::success, {}}}, v5, "70 02 00 04");
}

TEST(MqttGoldenV5, PublishAcknowledgementWithExplicitEmptyPropertiesDecodes) {
  // Remaining Length 4: reason code and a zero Property Length are both sent.
  const auto decoded = decode_packet(testing::from_hex("40 04 00 01 00 00"), v5);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(std::get<PubAck>(*decoded) == (PubAck{{1, ReasonCode::success, {}}}));
}

TEST(MqttGoldenV5, SubscribeWithOptions) {
  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.properties = {{PropertyId::subscription_identifier, 5u}};
  subscribe.subscriptions = {
      {"a/+", {QoS::at_least_once, true, true, RetainHandling::send_at_new_subscribe}},
      {"$share/g/t", {QoS::exactly_once, false, false, RetainHandling::do_not_send}}};
  expect_golden(subscribe, v5,
                "82 18 00 01 02 0b 05 00 03 61 2f 2b 1d"
                " 00 0a 24 73 68 61 72 65 2f 67 2f 74 22");
}

TEST(MqttGoldenV5, Suback) {
  Suback suback;
  suback.packet_id = 1;
  suback.properties = {{PropertyId::reason_string, std::string("ok")}};
  suback.reason_codes = {ReasonCode::granted_qos_1, ReasonCode::topic_filter_invalid,
                         ReasonCode::wildcard_subscriptions_not_supported};
  expect_golden(suback, v5, "90 0b 00 01 05 1f 00 02 6f 6b 01 8f a2");
}

TEST(MqttGoldenV5, Unsubscribe) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 2;
  unsubscribe.properties.add_user_property("k", "v");
  unsubscribe.topic_filters = {"a/+"};
  expect_golden(unsubscribe, v5, "a2 0f 00 02 07 26 00 01 6b 00 01 76 00 03 61 2f 2b");
}

TEST(MqttGoldenV5, Unsuback) {
  expect_golden(Unsuback{2, {}, {ReasonCode::success, ReasonCode::no_subscription_existed}}, v5,
                "b0 05 00 02 00 00 11");
}

TEST(MqttGoldenV5, Ping) {
  expect_golden(PingReq{}, v5, "c0 00");
  expect_golden(PingResp{}, v5, "d0 00");
}

TEST(MqttGoldenV5, DisconnectForms) {
  expect_golden(Disconnect{}, v5, "e0 00");
  expect_golden(Disconnect{ReasonCode::session_taken_over, {}}, v5, "e0 01 8e");
  expect_golden(Disconnect{ReasonCode::disconnect_with_will_message,
                           {{PropertyId::session_expiry_interval, 0u},
                            {PropertyId::server_reference, std::string("s")}}},
                v5, "e0 0b 04 09 11 00 00 00 00 1c 00 01 73");
}

TEST(MqttGoldenV5, Auth) {
  expect_golden(Auth{}, v5, "f0 00");
  expect_golden(Auth{ReasonCode::continue_authentication,
                     {{PropertyId::authentication_method, std::string("SCRAM")},
                      {PropertyId::authentication_data, Bytes{0x01, 0x02}}}},
                v5, "f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02");
}

TEST(MqttGoldenV5, RemainingLengthUsesTwoBytesFrom128) {
  Publish publish;
  publish.topic_name = "t";
  publish.payload.assign(200, 0x41);
  publish.properties = {};
  const Bytes encoded = encode_packet(publish, v5);
  // 2 + 1 (topic) + 1 (Property Length) + 200 = 204 = 0xcc 0x01
  ASSERT_GE(encoded.size(), 3u);
  EXPECT_EQ(testing::to_hex(std::span(encoded).first(3)), "30 cc 01");
  EXPECT_EQ(encoded.size(), 207u);
}

TEST(MqttGoldenV5, EncoderRefusesPropertiesNotAllowedInThePacket) {
  Publish publish;
  publish.topic_name = "t";
  publish.properties = {{PropertyId::session_expiry_interval, 1u}};
  Bytes out;
  EXPECT_THROW(encode(publish, v5, out), EncodeError);
  publish.properties = {{PropertyId::topic_alias, 70000u}};  // wider than two bytes
  EXPECT_THROW(encode(publish, v5, out), EncodeError);
  publish.properties = {{PropertyId::content_type, 3u}};  // wrong type
  EXPECT_THROW(encode(publish, v5, out), EncodeError);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace mockforge::mqtt
