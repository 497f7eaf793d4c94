// Each way a packet can break the spec, and the reason code the broker must
// answer with (CONNACK before the session, DISCONNECT after).
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/mqtt_codec/hex.h"

namespace mockforge::mqtt {
namespace {

using testing::from_hex;

struct MalformedCase {
  std::string name;
  ProtocolVersion version;
  std::string hex;
  ReasonCode expected;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

class MqttMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MqttMalformed, MapsToReasonCode) {
  const auto& c = GetParam();
  const auto decoded = decode_packet(from_hex(c.hex), c.version);
  ASSERT_FALSE(decoded.has_value()) << c.name;
  EXPECT_EQ(static_cast<int>(decoded.error().reason_code), static_cast<int>(c.expected))
      << c.name << ": " << decoded.error().message;
}

constexpr auto v31 = ProtocolVersion::v3_1;
constexpr auto v311 = ProtocolVersion::v3_1_1;
constexpr auto v5 = ProtocolVersion::v5;
constexpr auto malformed = ReasonCode::malformed_packet;
constexpr auto protocol = ReasonCode::protocol_error;

INSTANTIATE_TEST_SUITE_P(
    Cases, MqttMalformed,
    ::testing::Values(
        // Fixed header
        MalformedCase{"reserved_packet_type_0", v311, "00 00", malformed},
        MalformedCase{"auth_before_v5", v311, "f0 00", malformed},
        MalformedCase{"connect_flags_not_zero", v311,
                      "11 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31", malformed},
        MalformedCase{"subscribe_flags_not_0010", v311, "80 08 00 01 00 03 61 2f 62 00", malformed},
        MalformedCase{"unsubscribe_flags_not_0010", v311, "a0 07 00 01 00 03 61 2f 62", malformed},
        MalformedCase{"pubrel_flags_not_0010", v311, "60 02 00 01", malformed},
        MalformedCase{"puback_flags_not_zero", v5, "42 02 00 01", malformed},
        MalformedCase{"remaining_length_five_bytes", v311, "30 ff ff ff ff 01", malformed},
        MalformedCase{"remaining_length_not_minimal", v311, "c0 80 00", malformed},
        MalformedCase{"remaining_length_beyond_frame", v311, "30 09 00 03 61 2f 62", malformed},
        MalformedCase{"pingreq_with_body", v311, "c0 01 00", malformed},
        MalformedCase{"disconnect_with_body_before_v5", v311, "e0 01 00", malformed},
        // CONNECT
        MalformedCase{"connect_reserved_flag", v311,
                      "10 0e 00 04 4d 51 54 54 04 03 00 3c 00 02 63 31", malformed},
        MalformedCase{"connect_unknown_level", v311,
                      "10 0e 00 04 4d 51 54 54 06 02 00 3c 00 02 63 31",
                      ReasonCode::unsupported_protocol_version},
        MalformedCase{"connect_mqtt_level_3", v311,
                      "10 0e 00 04 4d 51 54 54 03 02 00 3c 00 02 63 31",
                      ReasonCode::unsupported_protocol_version},
        MalformedCase{"connect_mqisdp_level_4", v311,
                      "10 10 00 06 4d 51 49 73 64 70 04 02 00 3c 00 02 63 31",
                      ReasonCode::unsupported_protocol_version},
        MalformedCase{"connect_unknown_protocol_name", v311,
                      "10 0e 00 04 4d 51 58 58 04 02 00 3c 00 02 63 31", protocol},
        MalformedCase{"connect_will_qos_3", v311, "10 0e 00 04 4d 51 54 54 04 1e 00 3c 00 02 63 31",
                      malformed},
        MalformedCase{"connect_will_qos_without_will_flag", v311,
                      "10 0e 00 04 4d 51 54 54 04 0a 00 3c 00 02 63 31", malformed},
        MalformedCase{"connect_will_retain_without_will_flag", v5,
                      "10 0f 00 04 4d 51 54 54 05 22 00 3c 00 00 02 63 31", malformed},
        MalformedCase{"connect_password_without_user_name_v311", v311,
                      "10 11 00 04 4d 51 54 54 04 42 00 3c 00 02 63 31 00 01 70", malformed},
        MalformedCase{"connect_password_without_user_name_v31", v31,
                      "10 13 00 06 4d 51 49 73 64 70 03 42 00 3c 00 02 63 31 00 01 70", malformed},
        MalformedCase{"connect_empty_client_id_without_clean_session", v311,
                      "10 0c 00 04 4d 51 54 54 04 00 00 3c 00 00",
                      ReasonCode::client_identifier_not_valid},
        MalformedCase{"connect_empty_client_id_at_level_3", v31,
                      "10 0e 00 06 4d 51 49 73 64 70 03 02 00 3c 00 00",
                      ReasonCode::client_identifier_not_valid},
        MalformedCase{"connect_trailing_bytes", v311,
                      "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31 00", malformed},
        MalformedCase{"connect_truncated_client_id", v311,
                      "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 05 63 31", malformed},
        MalformedCase{"connect_receive_maximum_0", v5,
                      "10 12 00 04 4d 51 54 54 05 02 00 3c 03 21 00 00 00 02 63 31", protocol},
        MalformedCase{"connect_session_expiry_twice", v5,
                      "10 19 00 04 4d 51 54 54 05 02 00 3c 0a 11 00 00 00 01 11 00 00 00 02"
                      " 00 02 63 31",
                      protocol},
        MalformedCase{"connect_will_property_not_allowed", v5,
                      "10 1a 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31"
                      " 05 11 00 00 00 01 00 01 77 00 00",
                      malformed},
        MalformedCase{"connect_request_problem_information_2", v5,
                      "10 11 00 04 4d 51 54 54 05 02 00 3c 02 17 02 00 02 63 31", protocol},
        MalformedCase{"connect_authentication_data_without_method", v5,
                      "10 13 00 04 4d 51 54 54 05 02 00 3c 04 16 00 01 ff 00 02 63 31", protocol},
        // PUBLISH
        MalformedCase{"publish_qos_3", v311, "36 07 00 03 61 2f 62 00 01", malformed},
        MalformedCase{"publish_dup_with_qos_0", v311, "38 05 00 03 61 2f 62", malformed},
        MalformedCase{"publish_packet_id_0", v311, "32 07 00 03 61 2f 62 00 00", protocol},
        MalformedCase{"publish_missing_packet_id", v311, "32 05 00 03 61 2f 62", malformed},
        MalformedCase{"publish_wildcard_in_topic", v311, "30 05 00 03 61 2f 2b",
                      ReasonCode::topic_name_invalid},
        MalformedCase{"publish_empty_topic_v311", v311, "30 02 00 00",
                      ReasonCode::topic_name_invalid},
        MalformedCase{"publish_empty_topic_without_alias_v5", v5, "30 03 00 00 00", protocol},
        MalformedCase{"publish_topic_alias_0", v5, "30 06 00 00 03 23 00 00",
                      ReasonCode::topic_alias_invalid},
        MalformedCase{"publish_overlong_utf8", v311, "30 05 00 03 61 c0 af", malformed},
        MalformedCase{"publish_null_character", v311, "30 05 00 03 61 00 62", malformed},
        MalformedCase{"publish_surrogate", v5, "30 06 00 03 ed a0 80 00", malformed},
        MalformedCase{"publish_truncated_topic", v311, "30 03 00 05 61", malformed},
        MalformedCase{"publish_payload_format_2", v5, "30 08 00 01 74 02 01 02 68 69", protocol},
        MalformedCase{"publish_property_length_past_end", v5, "30 05 00 01 74 09 01", malformed},
        // SUBSCRIBE / UNSUBSCRIBE
        MalformedCase{"subscribe_empty_payload_v311", v311, "82 02 00 01", protocol},
        MalformedCase{"subscribe_empty_payload_v5", v5, "82 03 00 01 00", protocol},
        MalformedCase{"subscribe_packet_id_0", v311, "82 08 00 00 00 03 61 2f 62 00", protocol},
        MalformedCase{"subscribe_reserved_bits_v311", v311, "82 08 00 01 00 03 61 2f 62 04",
                      malformed},
        MalformedCase{"subscribe_qos_3_v311", v311, "82 08 00 01 00 03 61 2f 62 03", malformed},
        MalformedCase{"subscribe_reserved_bits_v5", v5, "82 09 00 01 00 00 03 61 2f 62 40",
                      malformed},
        MalformedCase{"subscribe_qos_3_v5", v5, "82 09 00 01 00 00 03 61 2f 62 03", protocol},
        MalformedCase{"subscribe_retain_handling_3", v5, "82 09 00 01 00 00 03 61 2f 62 30",
                      protocol},
        MalformedCase{"subscribe_no_local_on_shared", v5,
                      "82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 74 05", protocol},
        MalformedCase{"subscribe_two_subscription_identifiers", v5,
                      "82 0d 00 01 04 0b 01 0b 02 00 03 61 2f 62 00", protocol},
        MalformedCase{"subscribe_subscription_identifier_0", v5,
                      "82 0b 00 01 02 0b 00 00 03 61 2f 62 00", protocol},
        MalformedCase{"subscribe_missing_options_byte", v311, "82 07 00 01 00 03 61 2f 62",
                      malformed},
        MalformedCase{"unsubscribe_empty_payload", v311, "a2 02 00 01", protocol},
        // Acknowledgements
        MalformedCase{"puback_packet_id_0", v311, "40 02 00 00", protocol},
        MalformedCase{"puback_reason_not_for_puback", v5, "40 03 00 01 92", malformed},
        MalformedCase{"pubrel_trailing_byte_v311", v311, "62 03 00 01 00", malformed},
        MalformedCase{"connack_reserved_flags", v311, "20 02 02 00", malformed},
        MalformedCase{"connack_reserved_return_code", v311, "20 02 00 06", malformed},
        MalformedCase{"suback_invalid_return_code_v311", v311, "90 03 00 01 03", malformed},
        MalformedCase{"unsuback_with_payload_v311", v311, "b0 03 00 01 00", malformed},
        // DISCONNECT / AUTH properties
        MalformedCase{"disconnect_reason_not_for_disconnect", v5, "e0 01 01", malformed},
        MalformedCase{"disconnect_unknown_property", v5, "e0 03 00 01 05", malformed},
        MalformedCase{"disconnect_property_not_allowed", v5, "e0 05 00 03 23 00 01", malformed},
        MalformedCase{"disconnect_duplicate_property", v5,
                      "e0 0c 00 0a 11 00 00 00 01 11 00 00 00 02", protocol},
        MalformedCase{"disconnect_property_length_not_minimal", v5, "e0 03 00 80 00", malformed},
        MalformedCase{"disconnect_property_length_past_end", v5, "e0 02 00 05", malformed},
        MalformedCase{"disconnect_truncated_property_value", v5, "e0 04 00 02 11 00", malformed},
        MalformedCase{"auth_reason_not_for_auth", v5, "f0 02 87 00", malformed}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(MqttMalformedConnect, ReportsTheClientsVersionOnceKnown) {
  const auto v5_reserved = decode_packet(
      from_hex("10 0f 00 04 4d 51 54 54 05 03 00 3c 00 00 02 63 31"), ProtocolVersion::v3_1_1);
  ASSERT_FALSE(v5_reserved.has_value());
  EXPECT_EQ(v5_reserved.error().connect_version, ProtocolVersion::v5);

  const auto unknown_level = decode_packet(
      from_hex("10 0e 00 04 4d 51 54 54 06 02 00 3c 00 02 63 31"), ProtocolVersion::v3_1_1);
  ASSERT_FALSE(unknown_level.has_value());
  EXPECT_FALSE(unknown_level.error().connect_version.has_value());
}

TEST(MqttMalformedConnect, EmptyClientIdIsFineWithCleanSessionOrInV5) {
  EXPECT_TRUE(
      decode_packet(from_hex("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00"), ProtocolVersion::v3_1_1)
          .has_value());
  EXPECT_TRUE(
      decode_packet(from_hex("10 0d 00 04 4d 51 54 54 05 00 00 3c 00 00 00"), ProtocolVersion::v5)
          .has_value());
}

TEST(MqttMalformedProperties, UserPropertyAndPublishSubscriptionIdentifierMayRepeat) {
  const auto disconnect = decode_packet(
      from_hex("e0 10 00 0e 26 00 01 61 00 01 62 26 00 01 61 00 01 62"), ProtocolVersion::v5);
  ASSERT_TRUE(disconnect.has_value()) << disconnect.error().message;
  EXPECT_EQ(std::get<Disconnect>(*disconnect).properties.user_properties().size(), 2u);

  const auto publish =
      decode_packet(from_hex("30 08 00 01 74 04 0b 01 0b 02"), ProtocolVersion::v5);
  ASSERT_TRUE(publish.has_value()) << publish.error().message;
  EXPECT_EQ(std::get<Publish>(*publish).properties.subscription_identifiers(),
            (std::vector<std::uint32_t>{1, 2}));
}

TEST(MqttMalformedUtf8, StrictModeRejectsControlCharacters) {
  const Bytes packet = from_hex("30 05 00 03 61 01 62");
  EXPECT_TRUE(decode_packet(packet, ProtocolVersion::v3_1_1).has_value());
  DecodeOptions strict;
  strict.utf8 = Utf8Strictness::strict;
  const auto decoded = decode_packet(packet, ProtocolVersion::v3_1_1, strict);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().reason_code, ReasonCode::malformed_packet);
}

}  // namespace
}  // namespace mockforge::mqtt
