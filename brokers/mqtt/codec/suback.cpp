#include "brokers/mqtt/codec/suback.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Suback> decode_suback(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    Suback packet;
    packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) packet.properties = wire::read_properties(reader, PropertyContext::suback);
    if (reader.at_end()) wire::fail(ReasonCode::protocol_error, "SUBACK without return codes");
    while (!reader.at_end()) {
      if (is_v5(version)) {
        packet.reason_codes.push_back(wire::read_reason_code(reader, PacketType::suback));
        continue;
      }
      const std::uint8_t code = reader.byte("SUBACK return code");
      if (code > 2 && code != kV3SubackFailure) {
        wire::fail(ReasonCode::malformed_packet,
                   "invalid SUBACK return code " + std::to_string(code));
      }
      packet.reason_codes.push_back(code == kV3SubackFailure ? ReasonCode::unspecified_error
                                                             : static_cast<ReasonCode>(code));
    }
    return packet;
  });
}

void encode(const Suback& packet, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, PacketType::suback, 0);
  Bytes& body = writer.body();
  wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) wire::append_properties(packet.properties, PropertyContext::suback, body);
  for (const ReasonCode code : packet.reason_codes) {
    wire::append_byte(
        is_v5(version) ? static_cast<std::uint8_t>(code) : to_v3_suback_return_code(code), body);
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
