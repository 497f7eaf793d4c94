#include "brokers/mqtt/codec/connack.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Connack> decode_connack(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    Connack packet;
    const std::uint8_t acknowledge_flags = reader.byte("Connect Acknowledge Flags");
    if ((acknowledge_flags & 0xFE) != 0) {
      wire::fail(ReasonCode::malformed_packet, "CONNACK reserved flags are set");
    }
    packet.session_present = (acknowledge_flags & 0x01) != 0;
    if (is_v5(version)) {
      packet.reason_code = wire::read_reason_code(reader, PacketType::connack);
      packet.properties = wire::read_properties(reader, PropertyContext::connack);
    } else {
      const std::uint8_t return_code = reader.byte("Connect Return code");
      const auto reason = from_v3_connect_return_code(return_code);
      if (!reason) {
        wire::fail(ReasonCode::malformed_packet,
                   "reserved CONNACK return code " + std::to_string(return_code));
      }
      packet.reason_code = *reason;
    }
    reader.expect_end("CONNACK");
    return packet;
  });
}

void encode(const Connack& packet, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, PacketType::connack, 0);
  Bytes& body = writer.body();
  wire::append_byte(packet.session_present ? 0x01 : 0x00, body);
  if (is_v5(version)) {
    wire::append_byte(static_cast<std::uint8_t>(packet.reason_code), body);
    wire::append_properties(packet.properties, PropertyContext::connack, body);
  } else {
    wire::append_byte(static_cast<std::uint8_t>(to_v3_connect_return_code(packet.reason_code)),
                      body);
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
