// Basic vocabulary shared by every MQTT packet: protocol levels, QoS, packet
// types and the byte buffer type used for payloads and binary data.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace mockforge::mqtt {

using Bytes = std::vector<std::uint8_t>;

// The "Protocol Level" byte of CONNECT. Level 3 travels with the protocol name
// "MQIsdp", levels 4 and 5 with "MQTT".
enum class ProtocolVersion : std::uint8_t {
  v3_1 = 3,
  v3_1_1 = 4,
  v5 = 5,
};

constexpr bool is_v5(ProtocolVersion version) { return version == ProtocolVersion::v5; }

enum class QoS : std::uint8_t {
  at_most_once = 0,
  at_least_once = 1,
  exactly_once = 2,
};

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};

std::string_view packet_type_name(PacketType type);

// Largest Remaining Length a four-byte Variable Byte Integer can carry.
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
// Largest whole packet: one type byte, four length bytes and the body.
inline constexpr std::uint32_t kMaxPacketSize = kMaxRemainingLength + 5;
// Largest UTF-8 string or binary field (two-byte length prefix).
inline constexpr std::size_t kMaxFieldLength = 65'535;

}  // namespace mockforge::mqtt
