// The fixed header (packet type, flags, Remaining Length) and the Variable
// Byte Integer that encodes the Remaining Length and v5 property lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct FixedHeader {
  // Raw high nibble of the first byte; 0 is reserved and 15 (AUTH) is v5 only,
  // so check it before use.
  PacketType type = PacketType::connect;
  std::uint8_t flags = 0;  // low nibble of the first byte
  std::uint32_t remaining_length = 0;
  std::size_t size = 0;  // bytes taken by the fixed header itself (2..5)

  std::size_t packet_size() const { return size + remaining_length; }
};

enum class ParseStatus { complete, incomplete, malformed };

struct VariableByteInteger {
  ParseStatus status = ParseStatus::incomplete;
  std::uint32_t value = 0;
  std::size_t size = 0;  // bytes consumed when complete
};

// Reads a Variable Byte Integer from the start of `bytes`. More than four
// bytes, or a longer encoding than needed [MQTT-1.5.5-1], is malformed.
VariableByteInteger parse_variable_byte_integer(std::span<const std::uint8_t> bytes);

// Appends the minimal encoding of `value`; throws EncodeError above
// kMaxRemainingLength.
void append_variable_byte_integer(std::uint32_t value, Bytes& out);
std::size_t variable_byte_integer_size(std::uint32_t value);

struct FixedHeaderParse {
  ParseStatus status = ParseStatus::incomplete;
  FixedHeader header;
};

// Reads the fixed header at the start of `bytes` without checking the type or
// flags (decode_packet does that).
FixedHeaderParse parse_fixed_header(std::span<const std::uint8_t> bytes);

}  // namespace mockforge::mqtt
