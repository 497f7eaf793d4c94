#include "brokers/mqtt/codec/unsubscribe.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Unsubscribe> decode_unsubscribe(const FixedHeader& header,
                                             std::span<const std::uint8_t> body,
                                             ProtocolVersion version,
                                             const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0x02);
    Unsubscribe packet;
    packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) {
      packet.properties = wire::read_properties(reader, PropertyContext::unsubscribe);
    }
    if (reader.at_end()) {
      wire::fail(ReasonCode::protocol_error, "UNSUBSCRIBE without any Topic Filter");
    }
    while (!reader.at_end()) packet.topic_filters.push_back(reader.utf8_string("Topic Filter"));
    return packet;
  });
}

void encode(const Unsubscribe& packet, ProtocolVersion version, Bytes& out) {
  if (packet.topic_filters.empty()) throw EncodeError("UNSUBSCRIBE needs a Topic Filter");
  wire::PacketWriter writer(out, PacketType::unsubscribe, 0x02);
  Bytes& body = writer.body();
  wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) {
    wire::append_properties(packet.properties, PropertyContext::unsubscribe, body);
  }
  for (const auto& filter : packet.topic_filters) wire::append_utf8_string(filter, body);
  writer.finish();
}

}  // namespace mockforge::mqtt
