// Fuzz target for the MQTT codec: the input is a byte stream from a client.
// For each protocol version (and once with a small packet size limit) the
// framer splits it and every frame is decoded; each packet that decodes must
// re-encode, and the re-encoded bytes must decode to the same packet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "brokers/mqtt/codec/framer.h"
#include "brokers/mqtt/codec/packet.h"

namespace {

using namespace mockforge::mqtt;

void check_round_trip(const Packet& packet, ProtocolVersion version) {
  Bytes encoded;
  try {
    encode_packet(packet, version, encoded);
  } catch (const EncodeError&) {
    std::abort();  // a decoded packet must always be encodable in its version
  }
  const auto again = decode_packet(encoded, version);
  if (!again.has_value() || !(*again == packet)) std::abort();
}

void run(std::span<const std::uint8_t> input, ProtocolVersion version,
         std::uint32_t maximum_packet_size) {
  Framer framer(maximum_packet_size);
  // Feed in uneven chunks to exercise partial headers.
  std::size_t offset = 0;
  std::size_t chunk = 1;
  while (offset < input.size()) {
    const std::size_t size = std::min(chunk, input.size() - offset);
    framer.feed(input.subspan(offset, size));
    offset += size;
    chunk = chunk * 3 % 17 + 1;
    while (true) {
      const auto result = framer.next();
      if (result.status != Framer::Status::packet) break;
      const auto decoded = decode_packet(result.packet, version);
      if (!decoded.has_value()) continue;
      // CONNECT carries its own version; everything else uses the connection's.
      const auto* connect = std::get_if<Connect>(&*decoded);
      check_round_trip(*decoded, connect != nullptr ? connect->protocol_version : version);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  for (const auto version : {ProtocolVersion::v3_1, ProtocolVersion::v3_1_1, ProtocolVersion::v5}) {
    run(input, version, kMaxPacketSize);
  }
  run(input, ProtocolVersion::v5, 64);  // a small limit: Packet Too Large paths
  return 0;
}
