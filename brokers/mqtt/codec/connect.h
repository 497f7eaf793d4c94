// CONNECT (spec 3.1): the first packet of a connection, which also fixes the
// protocol version used for every later packet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Will {
  std::string topic;
  Bytes payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  Properties properties;  // v5 Will Properties
  bool operator==(const Will&) const = default;
};

struct Connect {
  // What the client sent; encode() writes the version it is given instead.
  ProtocolVersion protocol_version = ProtocolVersion::v3_1_1;
  bool clean_start = true;       // "Clean Session" before v5
  std::uint16_t keep_alive = 0;  // seconds
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> user_name;
  std::optional<Bytes> password;
  Properties properties;  // v5 only
  bool operator==(const Connect&) const = default;
};

// The protocol level does not need to be known in advance: CONNECT carries it.
DecodeResult<Connect> decode_connect(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     const DecodeOptions& options = {});
void encode(const Connect& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
