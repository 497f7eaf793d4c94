// UNSUBACK (spec 3.11). Before v5 it carries only the packet identifier.
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

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;                 // v5 only
  std::vector<ReasonCode> reason_codes;  // v5 only, one per topic filter
  bool operator==(const Unsuback&) const = default;
};

DecodeResult<Unsuback> decode_unsuback(const FixedHeader& header,
                                       std::span<const std::uint8_t> body, ProtocolVersion version,
                                       const DecodeOptions& options = {});
void encode(const Unsuback& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
