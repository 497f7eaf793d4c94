#include "brokers/mqtt/codec/auth.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Auth> decode_auth(const FixedHeader& header, std::span<const std::uint8_t> body,
                               ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    if (!is_v5(version)) {
      wire::fail(ReasonCode::malformed_packet, "packet type 15 is reserved before MQTT 5");
    }
    wire::expect_flags(header, 0);
    Auth packet;
    // Remaining Length 0: Success and no properties.
    if (!reader.at_end()) {
      packet.reason_code = wire::read_reason_code(reader, PacketType::auth);
      if (!reader.at_end())
        packet.properties = wire::read_properties(reader, PropertyContext::auth);
    }
    reader.expect_end("AUTH");
    return packet;
  });
}

void encode(const Auth& packet, ProtocolVersion version, Bytes& out) {
  if (!is_v5(version)) throw EncodeError("AUTH exists only in MQTT 5");
  wire::PacketWriter writer(out, PacketType::auth, 0);
  Bytes& body = writer.body();
  if (packet.reason_code != ReasonCode::success || !packet.properties.empty()) {
    wire::append_byte(static_cast<std::uint8_t>(packet.reason_code), body);
    wire::append_properties(packet.properties, PropertyContext::auth, body);
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
