// PINGREQ and PINGRESP (spec 3.12, 3.13): a fixed header and nothing else.
#pragma once

#include <cstdint>
#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct PingReq {
  bool operator==(const PingReq&) const = default;
};
struct PingResp {
  bool operator==(const PingResp&) const = default;
};

DecodeResult<PingReq> decode_pingreq(const FixedHeader& header, std::span<const std::uint8_t> body);
DecodeResult<PingResp> decode_pingresp(const FixedHeader& header,
                                       std::span<const std::uint8_t> body);
void encode(const PingReq& packet, ProtocolVersion version, Bytes& out);
void encode(const PingResp& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
