#include "brokers/mqtt/codec/disconnect.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Disconnect> decode_disconnect(const FixedHeader& header,
                                           std::span<const std::uint8_t> body,
                                           ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    Disconnect packet;
    if (is_v5(version)) {
      // Remaining Length 0: Normal disconnection; 1: reason code only.
      if (!reader.at_end())
        packet.reason_code = wire::read_reason_code(reader, PacketType::disconnect);
      if (!reader.at_end()) {
        packet.properties = wire::read_properties(reader, PropertyContext::disconnect);
      }
    }
    reader.expect_end("DISCONNECT");
    return packet;
  });
}

void encode(const Disconnect& packet, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, PacketType::disconnect, 0);
  Bytes& body = writer.body();
  if (is_v5(version) &&
      (packet.reason_code != ReasonCode::normal_disconnection || !packet.properties.empty())) {
    wire::append_byte(static_cast<std::uint8_t>(packet.reason_code), body);
    if (!packet.properties.empty()) {
      wire::append_properties(packet.properties, PropertyContext::disconnect, body);
    }
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
