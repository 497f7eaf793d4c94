#include "brokers/mqtt/codec/reason_code.h"

#include <gtest/gtest.h>

namespace mockforge::mqtt {
namespace {

TEST(MqttReasonCode, NamesEveryCode) {
  int known = 0;
  for (int value = 0; value < 256; ++value) {
    if (is_known_reason_code(static_cast<std::uint8_t>(value))) ++known;
  }
  EXPECT_EQ(known, 43);  // 0x00 counted once
  EXPECT_EQ(reason_code_name(ReasonCode::malformed_packet), "Malformed Packet");
  EXPECT_EQ(reason_code_name(ReasonCode::packet_too_large), "Packet too large");
  EXPECT_EQ(reason_code_name(ReasonCode::wildcard_subscriptions_not_supported),
            "Wildcard Subscriptions not supported");
  EXPECT_EQ(reason_code_name(static_cast<ReasonCode>(0x03)), "Unknown reason code");
  EXPECT_TRUE(is_error(ReasonCode::unspecified_error));
  EXPECT_FALSE(is_error(ReasonCode::no_matching_subscribers));
}

TEST(MqttReasonCode, AllowedPerPacket) {
  EXPECT_TRUE(is_reason_code_allowed(PacketType::puback, ReasonCode::no_matching_subscribers));
  EXPECT_FALSE(is_reason_code_allowed(PacketType::pubrel, ReasonCode::no_matching_subscribers));
  EXPECT_TRUE(is_reason_code_allowed(PacketType::pubrel, ReasonCode::packet_identifier_not_found));
  EXPECT_TRUE(is_reason_code_allowed(PacketType::suback, ReasonCode::granted_qos_2));
  EXPECT_FALSE(is_reason_code_allowed(PacketType::connack, ReasonCode::granted_qos_1));
  EXPECT_TRUE(
      is_reason_code_allowed(PacketType::disconnect, ReasonCode::disconnect_with_will_message));
  EXPECT_FALSE(is_reason_code_allowed(PacketType::auth, ReasonCode::not_authorized));
}

TEST(MqttReasonCode, MapsToV311ConnackReturnCodes) {
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::success), ConnectReturnCode::accepted);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::unsupported_protocol_version),
            ConnectReturnCode::unacceptable_protocol_version);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::client_identifier_not_valid),
            ConnectReturnCode::identifier_rejected);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::server_unavailable),
            ConnectReturnCode::server_unavailable);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::server_busy),
            ConnectReturnCode::server_unavailable);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::bad_user_name_or_password),
            ConnectReturnCode::bad_user_name_or_password);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::not_authorized),
            ConnectReturnCode::not_authorized);
  EXPECT_EQ(to_v3_connect_return_code(ReasonCode::banned), ConnectReturnCode::not_authorized);
  for (std::uint8_t code = 0; code <= 5; ++code) {
    const auto reason = from_v3_connect_return_code(code);
    ASSERT_TRUE(reason.has_value());
    EXPECT_EQ(static_cast<std::uint8_t>(to_v3_connect_return_code(*reason)), code);
  }
  EXPECT_FALSE(from_v3_connect_return_code(6).has_value());
  EXPECT_EQ(connect_return_code_name(ConnectReturnCode::identifier_rejected),
            "Connection Refused, identifier rejected");
}

TEST(MqttReasonCode, MapsToV311SubackReturnCodes) {
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::granted_qos_0), 0x00);
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::granted_qos_1), 0x01);
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::granted_qos_2), 0x02);
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::not_authorized), 0x80);
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::topic_filter_invalid), 0x80);
  EXPECT_EQ(to_v3_suback_return_code(ReasonCode::shared_subscriptions_not_supported), 0x80);
}

}  // namespace
}  // namespace mockforge::mqtt
