#include "brokers/mqtt/codec/ping.h"

#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

template <typename Packet>
DecodeResult<Packet> decode_empty(const FixedHeader& header, std::span<const std::uint8_t> body) {
  return wire::guarded_decode(body, DecodeOptions{}, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    reader.expect_end(packet_type_name(header.type));
    return Packet{};
  });
}

void encode_empty(PacketType type, Bytes& out) {
  wire::PacketWriter writer(out, type, 0);
  writer.finish();
}

}  // namespace

DecodeResult<PingReq> decode_pingreq(const FixedHeader& header,
                                     std::span<const std::uint8_t> body) {
  return decode_empty<PingReq>(header, body);
}

DecodeResult<PingResp> decode_pingresp(const FixedHeader& header,
                                       std::span<const std::uint8_t> body) {
  return decode_empty<PingResp>(header, body);
}

void encode(const PingReq&, ProtocolVersion, Bytes& out) { encode_empty(PacketType::pingreq, out); }

void encode(const PingResp&, ProtocolVersion, Bytes& out) {
  encode_empty(PacketType::pingresp, out);
}

}  // namespace mockforge::mqtt
