// Golden bytes for every MQTT 3.1.1 packet (and CONNECT at level 3), built
// by hand from the OASIS 3.1.1 spec, section 3.
#include <gtest/gtest.h>

#include "tests/unit/mqtt_codec/golden.h"

namespace mockforge::mqtt {
namespace {

using testing::bytes_of;
using testing::expect_golden;
constexpr auto v311 = ProtocolVersion::v3_1_1;

TEST(MqttGoldenV311, ConnectMinimal) {
  Connect connect;
  connect.protocol_version = v311;
  connect.clean_start = true;
  connect.keep_alive = 60;
  connect.client_id = "c1";
  expect_golden(connect, v311, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31");
}

TEST(MqttGoldenV311, ConnectWithWillUserNameAndPassword) {
  Connect connect;
  connect.protocol_version = v311;
  connect.clean_start = true;
  connect.keep_alive = 10;
  connect.client_id = "id";
  connect.will = Will{"w", bytes_of("x"), QoS::at_least_once, true, {}};
  connect.user_name = "u";
  connect.password = bytes_of("p");
  expect_golden(connect, v311,
                "10 1a 00 04 4d 51 54 54 04 ee 00 0a 00 02 69 64 00 01 77 00 01 78"
                " 00 01 75 00 01 70");
}

TEST(MqttGoldenV311, ConnectMqIsdpLevel3) {
  Connect connect;
  connect.protocol_version = ProtocolVersion::v3_1;
  connect.keep_alive = 60;
  connect.client_id = "a";
  expect_golden(connect, ProtocolVersion::v3_1,
                "10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 61");
}

TEST(MqttGoldenV311, ConnackAcceptedWithSessionPresent) {
  expect_golden(Connack{true, ReasonCode::success, {}}, v311, "20 02 01 00");
}

TEST(MqttGoldenV311, ConnackRefusedNotAuthorized) {
  expect_golden(Connack{false, ReasonCode::not_authorized, {}}, v311, "20 02 00 05");
}

TEST(MqttGoldenV311, PublishQoS0) {
  Publish publish;
  publish.topic_name = "a/b";
  publish.payload = bytes_of("hi");
  expect_golden(publish, v311, "30 07 00 03 61 2f 62 68 69");
}

TEST(MqttGoldenV311, PublishQoS1DupRetain) {
  Publish publish;
  publish.dup = true;
  publish.qos = QoS::at_least_once;
  publish.retain = true;
  publish.topic_name = "a/b";
  publish.packet_id = 10;
  publish.payload = bytes_of("hi");
  expect_golden(publish, v311, "3b 09 00 03 61 2f 62 00 0a 68 69");
}

TEST(MqttGoldenV311, PublishQoS2EmptyPayload) {
  Publish publish;
  publish.qos = QoS::exactly_once;
  publish.topic_name = "a/b";
  publish.packet_id = 0x1234;
  expect_golden(publish, v311, "34 07 00 03 61 2f 62 12 34");
}

TEST(MqttGoldenV311, PublishAcknowledgements) {
  expect_golden(PubAck{{1, ReasonCode::success, {}}}, v311, "40 02 00 01");
  expect_golden(PubRec{{2, ReasonCode::success, {}}}, v311, "50 02 00 02");
  expect_golden(PubRel{{3, ReasonCode::success, {}}}, v311, "62 02 00 03");
  expect_golden(PubComp{{4, ReasonCode::success, {}}}, v311, "70 02 00 04");
}

TEST(MqttGoldenV311, Subscribe) {
  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions = {{"a/+", {QoS::at_least_once}}, {"b/#", {QoS::exactly_once}}};
  expect_golden(subscribe, v311, "82 0e 00 01 00 03 61 2f 2b 01 00 03 62 2f 23 02");
}

TEST(MqttGoldenV311, Suback) {
  Suback suback;
  suback.packet_id = 1;
  suback.reason_codes = {ReasonCode::granted_qos_1, ReasonCode::unspecified_error,
                         ReasonCode::granted_qos_0};
  expect_golden(suback, v311, "90 05 00 01 01 80 00");
}

TEST(MqttGoldenV311, Unsubscribe) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 2;
  unsubscribe.topic_filters = {"a/+", "b"};
  expect_golden(unsubscribe, v311, "a2 0a 00 02 00 03 61 2f 2b 00 01 62");
}

TEST(MqttGoldenV311, Unsuback) { expect_golden(Unsuback{2, {}, {}}, v311, "b0 02 00 02"); }

TEST(MqttGoldenV311, PingAndDisconnect) {
  expect_golden(PingReq{}, v311, "c0 00");
  expect_golden(PingResp{}, v311, "d0 00");
  expect_golden(Disconnect{}, v311, "e0 00");
}

// Encoding a v5-flavoured packet for a 3.1.1 peer drops what 3.1.1 cannot say.
TEST(MqttGoldenV311, V5OnlyDataIsDroppedOrMapped) {
  Publish publish;
  publish.topic_name = "a/b";
  publish.payload = bytes_of("hi");
  publish.properties.add_user_property("k", "v");
  EXPECT_EQ(testing::encode_hex(publish, v311), "30 07 00 03 61 2f 62 68 69");

  Suback suback{1,
                {},
                {ReasonCode::granted_qos_2, ReasonCode::not_authorized,
                 ReasonCode::wildcard_subscriptions_not_supported}};
  EXPECT_EQ(testing::encode_hex(suback, v311), "90 05 00 01 02 80 80");

  EXPECT_EQ(testing::encode_hex(Connack{false, ReasonCode::banned, {}}, v311), "20 02 00 05");
  EXPECT_EQ(testing::encode_hex(Connack{false, ReasonCode::server_busy, {}}, v311), "20 02 00 03");
  EXPECT_EQ(testing::encode_hex(PubAck{{7, ReasonCode::quota_exceeded, {}}}, v311), "40 02 00 07");
  EXPECT_EQ(testing::encode_hex(Disconnect{ReasonCode::server_shutting_down, {}}, v311), "e0 00");
  Subscribe subscribe{
      3, {}, {{"t", {QoS::at_least_once, true, true, RetainHandling::do_not_send}}}};
  EXPECT_EQ(testing::encode_hex(subscribe, v311), "82 06 00 03 00 01 74 01");
}

TEST(MqttGoldenV311, CannotExpressAuthOrPasswordWithoutUserName) {
  Bytes out;
  EXPECT_THROW(encode(Auth{}, v311, out), EncodeError);
  Connect connect;
  connect.client_id = "c";
  connect.password = bytes_of("p");
  EXPECT_THROW(encode(connect, v311, out), EncodeError);
  EXPECT_TRUE(out.empty());
}

TEST(MqttGoldenV311, EncoderRejectsMissingPacketIdentifier) {
  Publish publish;
  publish.qos = QoS::at_least_once;
  publish.topic_name = "t";
  Bytes out = {0xAA};
  EXPECT_THROW(encode(publish, v311, out), EncodeError);
  EXPECT_EQ(out, Bytes{0xAA});  // left as it was
}

}  // namespace
}  // namespace mockforge::mqtt
