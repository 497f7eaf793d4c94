// Any MQTT control packet, decoded from a complete frame or encoded for a
// given protocol version.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "brokers/mqtt/codec/auth.h"
#include "brokers/mqtt/codec/connack.h"
#include "brokers/mqtt/codec/connect.h"
#include "brokers/mqtt/codec/disconnect.h"
#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/ping.h"
#include "brokers/mqtt/codec/puback.h"
#include "brokers/mqtt/codec/publish.h"
#include "brokers/mqtt/codec/suback.h"
#include "brokers/mqtt/codec/subscribe.h"
#include "brokers/mqtt/codec/unsuback.h"
#include "brokers/mqtt/codec/unsubscribe.h"

namespace mockforge::mqtt {

using Packet = std::variant<Connect, Connack, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe,
                            Suback, Unsubscribe, Unsuback, PingReq, PingResp, Disconnect, Auth>;

PacketType packet_type(const Packet& packet);

// Decodes one complete packet (fixed header included, as Framer returns it).
// `version` is the connection's protocol version; a CONNECT ignores it and
// reports its own. Checks the fixed-header flags of every packet type and
// that the Remaining Length matches the frame.
DecodeResult<Packet> decode_packet(std::span<const std::uint8_t> packet, ProtocolVersion version,
                                   const DecodeOptions& options = {});

// Appends the packet encoded for `version` to `out`. Throws EncodeError when
// the packet cannot be expressed in that version.
void encode_packet(const Packet& packet, ProtocolVersion version, Bytes& out);
Bytes encode_packet(const Packet& packet, ProtocolVersion version);

}  // namespace mockforge::mqtt
