// AUTH (spec 3.15): v5 only, for enhanced authentication.
#pragma once

#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Auth {
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

// Fails with Malformed Packet for any version before v5.
DecodeResult<Auth> decode_auth(const FixedHeader& header, std::span<const std::uint8_t> body,
                               ProtocolVersion version, const DecodeOptions& options = {});
// Throws EncodeError for any version before v5.
void encode(const Auth& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
