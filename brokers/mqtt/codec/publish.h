// PUBLISH (spec 3.3).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct Publish {
  bool dup = false;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  // May be empty in v5 when a Topic Alias property names the topic.
  std::string topic_name;
  // Present on the wire only for QoS 1 and 2, where it must not be 0.
  std::uint16_t packet_id = 0;
  Properties properties;  // v5 only
  Bytes payload;
  bool operator==(const Publish&) const = default;
};

DecodeResult<Publish> decode_publish(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options = {});
void encode(const Publish& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
