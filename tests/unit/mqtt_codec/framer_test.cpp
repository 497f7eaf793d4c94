#include "brokers/mqtt/codec/framer.h"

#include <gtest/gtest.h>

#include "tests/unit/mqtt_codec/hex.h"

namespace mockforge::mqtt {
namespace {

using testing::from_hex;
using testing::to_hex;

TEST(MqttFramer, ReturnsPacketsFedOneByteAtATime) {
  const Bytes stream = from_hex("c0 00 30 07 00 03 61 2f 62 68 69 e0 00");
  Framer framer;
  std::vector<std::string> packets;
  for (const std::uint8_t byte : stream) {
    framer.feed(std::span(&byte, 1));
    for (auto result = framer.next(); result.status == Framer::Status::packet;
         result = framer.next()) {
      packets.push_back(to_hex(result.packet));
    }
  }
  EXPECT_EQ(packets, (std::vector<std::string>{"c0 00", "30 07 00 03 61 2f 62 68 69", "e0 00"}));
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(MqttFramer, ReturnsSeveralPacketsFromOneFeed) {
  Framer framer;
  framer.feed(from_hex("c0 00 d0 00 e0"));
  auto first = framer.next();
  ASSERT_EQ(first.status, Framer::Status::packet);
  EXPECT_EQ(first.header.type, PacketType::pingreq);
  auto second = framer.next();
  ASSERT_EQ(second.status, Framer::Status::packet);
  EXPECT_EQ(second.header.type, PacketType::pingresp);
  EXPECT_EQ(framer.next().status, Framer::Status::need_more);
  EXPECT_EQ(framer.buffered_bytes(), 1u);
  framer.feed(from_hex("00"));
  EXPECT_EQ(framer.next().status, Framer::Status::packet);
}

TEST(MqttFramer, WaitsForAMultiByteRemainingLength) {
  Framer framer;
  framer.feed(from_hex("30"));
  EXPECT_EQ(framer.next().status, Framer::Status::need_more);
  framer.feed(from_hex("80"));
  EXPECT_EQ(framer.next().status, Framer::Status::need_more);
  framer.feed(from_hex("01"));  // Remaining Length 128
  EXPECT_EQ(framer.next().status, Framer::Status::need_more);
  Bytes body(128, 0);
  body[1] = 1;  // topic length 1
  body[2] = 't';
  framer.feed(body);
  const auto result = framer.next();
  ASSERT_EQ(result.status, Framer::Status::packet);
  EXPECT_EQ(result.header.remaining_length, 128u);
  EXPECT_EQ(result.header.size, 3u);
  EXPECT_EQ(result.packet.size(), 131u);
  EXPECT_TRUE(decode_packet(result.packet, ProtocolVersion::v3_1_1).has_value());
}

TEST(MqttFramer, RejectsOversizeAsSoonAsTheLengthIsKnown) {
  Framer framer(10);
  framer.feed(from_hex("30 0b 00"));  // 2 + 11 = 13 bytes > 10
  EXPECT_TRUE(framer.failed());
  EXPECT_EQ(framer.buffered_bytes(), 0u);  // the body is not kept
  const auto result = framer.next();
  ASSERT_EQ(result.status, Framer::Status::error);
  EXPECT_EQ(result.error.reason_code, ReasonCode::packet_too_large);
  framer.feed(Bytes(100, 0));
  EXPECT_EQ(framer.buffered_bytes(), 0u);
  EXPECT_EQ(framer.next().status, Framer::Status::error);  // sticky
}

TEST(MqttFramer, RejectsHugeDeclaredLengthWithoutWaitingForTheBody) {
  Framer framer(1024);
  framer.feed(from_hex("30 ff ff ff 7f"));  // 268435455 bytes announced
  const auto result = framer.next();
  ASSERT_EQ(result.status, Framer::Status::error);
  EXPECT_EQ(result.error.reason_code, ReasonCode::packet_too_large);
}

TEST(MqttFramer, AcceptsAPacketOfExactlyTheMaximumSize) {
  Framer framer(9);
  framer.feed(from_hex("30 07 00 03 61 2f 62 68 69"));
  EXPECT_EQ(framer.next().status, Framer::Status::packet);
}

TEST(MqttFramer, ChecksTheNextPacketInTheSameFeedToo) {
  Framer framer(10);
  framer.feed(from_hex("c0 00 30 0b"));
  EXPECT_EQ(framer.next().status, Framer::Status::packet);
  const auto result = framer.next();
  ASSERT_EQ(result.status, Framer::Status::error);
  EXPECT_EQ(result.error.reason_code, ReasonCode::packet_too_large);
}

TEST(MqttFramer, RejectsAFiveByteRemainingLength) {
  Framer framer;
  framer.feed(from_hex("30 80 80 80 80"));
  const auto result = framer.next();
  ASSERT_EQ(result.status, Framer::Status::error);
  EXPECT_EQ(result.error.reason_code, ReasonCode::malformed_packet);
}

TEST(MqttFramer, DefaultAllowsTheLargestRemainingLength) {
  Framer framer;
  framer.feed(from_hex("30 ff ff ff 7f"));
  EXPECT_EQ(framer.next().status, Framer::Status::need_more);
  EXPECT_FALSE(framer.failed());
}

TEST(MqttVariableByteInteger, EncodesTheSpecBoundaries) {
  const std::vector<std::pair<std::uint32_t, std::string>> cases = {{0, "00"},
                                                                    {127, "7f"},
                                                                    {128, "80 01"},
                                                                    {16383, "ff 7f"},
                                                                    {16384, "80 80 01"},
                                                                    {2097151, "ff ff 7f"},
                                                                    {2097152, "80 80 80 01"},
                                                                    {268435455, "ff ff ff 7f"}};
  for (const auto& [value, hex] : cases) {
    Bytes out;
    append_variable_byte_integer(value, out);
    EXPECT_EQ(to_hex(out), hex);
    EXPECT_EQ(variable_byte_integer_size(value), out.size());
    const auto parsed = parse_variable_byte_integer(out);
    ASSERT_EQ(parsed.status, ParseStatus::complete);
    EXPECT_EQ(parsed.value, value);
    EXPECT_EQ(parsed.size, out.size());
  }
  Bytes out;
  EXPECT_THROW(append_variable_byte_integer(268435456, out), EncodeError);
}

}  // namespace
}  // namespace mockforge::mqtt
