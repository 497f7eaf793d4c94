// UNSUBSCRIBE (spec 3.10).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;  // v5 only
  std::vector<std::string> topic_filters;
  bool operator==(const Unsubscribe&) const = default;
};

DecodeResult<Unsubscribe> decode_unsubscribe(const FixedHeader& header,
                                             std::span<const std::uint8_t> body,
                                             ProtocolVersion version,
                                             const DecodeOptions& options = {});
void encode(const Unsubscribe& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
