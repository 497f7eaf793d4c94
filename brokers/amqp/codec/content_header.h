// Content header frame payload (class id, weight, body size, property flags
// and the basic class's 14 properties).
//
// Property flags are 16-bit words; in each word bits 15..1 mark properties
// present in order, and bit 0 says another flag word follows. The basic class
// has 14 properties, so one word normally suffices: content-type is bit 15,
// cluster-id (the spec's "reserved") is bit 2. A decoded header remembers how
// many flag words it had so that it re-encodes byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "brokers/amqp/codec/buffer.h"
#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

inline constexpr uint16_t kBasicClassId = 60;
inline constexpr int kBasicPropertyCount = 14;

struct BasicProperties {
  std::optional<std::string> content_type;      // bit 15
  std::optional<std::string> content_encoding;  // bit 14
  std::optional<FieldTable> headers;            // bit 13
  std::optional<uint8_t> delivery_mode;         // bit 12
  std::optional<uint8_t> priority;              // bit 11
  std::optional<std::string> correlation_id;    // bit 10
  std::optional<std::string> reply_to;          // bit 9
  std::optional<std::string> expiration;        // bit 8
  std::optional<std::string> message_id;        // bit 7
  std::optional<uint64_t> timestamp;            // bit 6
  std::optional<std::string> type;              // bit 5
  std::optional<std::string> user_id;           // bit 4
  std::optional<std::string> app_id;            // bit 3
  std::optional<std::string> cluster_id;        // bit 2 ("reserved" in the spec)

  // The first property-flags word these properties produce.
  uint16_t property_flags() const;
  friend bool operator==(const BasicProperties&, const BasicProperties&) = default;
};

struct ContentHeader {
  uint16_t class_id = kBasicClassId;
  uint16_t weight = 0;
  uint64_t body_size = 0;
  BasicProperties properties;
  // Number of property-flag words on the wire (at least 1). More than one
  // only if a peer sent continuation words with no further properties set.
  uint8_t flag_word_count = 1;

  friend bool operator==(const ContentHeader&, const ContentHeader&) = default;
};

void encode_content_header(ByteWriter& out, const ContentHeader& header);
std::vector<uint8_t> encode_content_header(const ContentHeader& header);
// Decodes a whole content header frame payload. Throws DecodeError:
// FRAME_ERROR when truncated or followed by extra bytes, SYNTAX_ERROR for a
// class other than basic, a non-zero weight or flags for unknown properties.
ContentHeader decode_content_header(std::span<const uint8_t> payload);

}  // namespace mockforge::amqp
