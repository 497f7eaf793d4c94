// DISCONNECT (spec 3.14). Before v5 it is a bare fixed header; in v5 it may
// carry a reason code and properties, omitted on the wire when Normal
// disconnection and empty.
#pragma once

#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Disconnect {
  ReasonCode reason_code = ReasonCode::normal_disconnection;  // v5 only
  Properties properties;                                      // v5 only
  bool operator==(const Disconnect&) const = default;
};

DecodeResult<Disconnect> decode_disconnect(const FixedHeader& header,
                                           std::span<const std::uint8_t> body,
                                           ProtocolVersion version,
                                           const DecodeOptions& options = {});
void encode(const Disconnect& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
