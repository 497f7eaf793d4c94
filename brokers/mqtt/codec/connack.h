// CONNACK (spec 3.2). Before v5 the reason code travels as a 3.1.1 return
// code; see to_v3_connect_return_code for the mapping.
#pragma once

#include <cstdint>
#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Connack {
  bool session_present = false;
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;  // v5 only
  bool operator==(const Connack&) const = default;
};

DecodeResult<Connack> decode_connack(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options = {});
void encode(const Connack& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
