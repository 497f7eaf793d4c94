#include "brokers/mqtt/codec/packet.h"

#include <string>

#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

template <typename T>
DecodeResult<Packet> widen(DecodeResult<T>&& result) {
  if (!result) return result.error();
  return Packet{std::move(result.value())};
}

DecodeError malformed(std::string message) {
  return DecodeError{ReasonCode::malformed_packet, std::move(message), std::nullopt};
}

}  // namespace

PacketType packet_type(const Packet& packet) {
  // The variant's alternatives are in packet type order, starting at CONNECT.
  return static_cast<PacketType>(packet.index() + 1);
}

DecodeResult<Packet> decode_packet(std::span<const std::uint8_t> packet, ProtocolVersion version,
                                   const DecodeOptions& options) {
  const auto parsed = parse_fixed_header(packet);
  if (parsed.status != ParseStatus::complete) {
    return malformed(parsed.status == ParseStatus::incomplete ? "incomplete fixed header"
                                                              : "invalid Remaining Length");
  }
  const FixedHeader& header = parsed.header;
  if (header.packet_size() != packet.size()) {
    return malformed("Remaining Length does not match the packet size");
  }
  const auto body = packet.subspan(header.size);
  switch (header.type) {
    case PacketType::connect:
      return widen(decode_connect(header, body, options));
    case PacketType::connack:
      return widen(decode_connack(header, body, version, options));
    case PacketType::publish:
      return widen(decode_publish(header, body, version, options));
    case PacketType::puback:
      return widen(decode_puback(header, body, version, options));
    case PacketType::pubrec:
      return widen(decode_pubrec(header, body, version, options));
    case PacketType::pubrel:
      return widen(decode_pubrel(header, body, version, options));
    case PacketType::pubcomp:
      return widen(decode_pubcomp(header, body, version, options));
    case PacketType::subscribe:
      return widen(decode_subscribe(header, body, version, options));
    case PacketType::suback:
      return widen(decode_suback(header, body, version, options));
    case PacketType::unsubscribe:
      return widen(decode_unsubscribe(header, body, version, options));
    case PacketType::unsuback:
      return widen(decode_unsuback(header, body, version, options));
    case PacketType::pingreq:
      return widen(decode_pingreq(header, body));
    case PacketType::pingresp:
      return widen(decode_pingresp(header, body));
    case PacketType::disconnect:
      return widen(decode_disconnect(header, body, version, options));
    case PacketType::auth:
      return widen(decode_auth(header, body, version, options));
  }
  return malformed("reserved packet type 0");
}

void encode_packet(const Packet& packet, ProtocolVersion version, Bytes& out) {
  std::visit([&](const auto& concrete) { encode(concrete, version, out); }, packet);
}

Bytes encode_packet(const Packet& packet, ProtocolVersion version) {
  Bytes out;
  encode_packet(packet, version, out);
  return out;
}

}  // namespace mockforge::mqtt
