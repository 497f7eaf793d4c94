// SUBACK (spec 3.9). Before v5 each entry is a granted QoS or 0x80; on
// decode 0x80 becomes ReasonCode::unspecified_error, and on encode every v5
// error code becomes 0x80.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;                 // v5 only
  std::vector<ReasonCode> reason_codes;  // one per subscription, in order
  bool operator==(const Suback&) const = default;
};

DecodeResult<Suback> decode_suback(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options = {});
void encode(const Suback& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
