// Golden-byte check shared by the v3.1.1 and v5 suites: the encoder must
// produce exactly the hand-built bytes, and decoding them must give back the
// packet.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "tests/unit/mqtt_codec/hex.h"

namespace mockforge::mqtt::testing {

inline void expect_golden(const Packet& packet, ProtocolVersion version, std::string_view hex) {
  const Bytes expected = from_hex(hex);
  EXPECT_EQ(encode_hex(packet, version), to_hex(expected));
  const auto decoded = decode_packet(expected, version);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_TRUE(*decoded == packet) << "decoded packet differs for " << hex;
}

}  // namespace mockforge::mqtt::testing
