// The QoS 1 and QoS 2 acknowledgements: PUBACK, PUBREC, PUBREL and PUBCOMP
// (spec 3.4 - 3.7). They share one layout; before v5 only the packet
// identifier is sent. In v5 the reason code and properties are omitted on the
// wire when they are Success and empty.
#pragma once

#include <cstdint>
#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct PublishResponse {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;  // v5 only
  bool operator==(const PublishResponse&) const = default;
};

struct PubAck : PublishResponse {
  bool operator==(const PubAck&) const = default;
};
struct PubRec : PublishResponse {
  bool operator==(const PubRec&) const = default;
};
struct PubRel : PublishResponse {
  bool operator==(const PubRel&) const = default;
};
struct PubComp : PublishResponse {
  bool operator==(const PubComp&) const = default;
};

DecodeResult<PubAck> decode_puback(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options = {});
DecodeResult<PubRec> decode_pubrec(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options = {});
DecodeResult<PubRel> decode_pubrel(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options = {});
DecodeResult<PubComp> decode_pubcomp(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options = {});

void encode(const PubAck& packet, ProtocolVersion version, Bytes& out);
void encode(const PubRec& packet, ProtocolVersion version, Bytes& out);
void encode(const PubRel& packet, ProtocolVersion version, Bytes& out);
void encode(const PubComp& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
