#include "brokers/mqtt/codec/connect.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

constexpr std::uint8_t kReserved = 0x01;
constexpr std::uint8_t kCleanStart = 0x02;
constexpr std::uint8_t kWillFlag = 0x04;
constexpr std::uint8_t kWillQoSShift = 3;
constexpr std::uint8_t kWillRetain = 0x20;
constexpr std::uint8_t kPasswordFlag = 0x40;
constexpr std::uint8_t kUserNameFlag = 0x80;

ProtocolVersion read_protocol(wire::Reader& reader) {
  const std::string name = reader.utf8_string("Protocol Name");
  const std::uint8_t level = reader.byte("Protocol Level");
  if (name != "MQTT" && name != "MQIsdp") {
    wire::fail(ReasonCode::protocol_error, "unknown protocol name \"" + name + "\"");
  }
  const bool supported =
      (name == "MQIsdp" && level == 3) || (name == "MQTT" && (level == 4 || level == 5));
  if (!supported) {
    wire::fail(ReasonCode::unsupported_protocol_version,
               "unsupported protocol " + name + " level " + std::to_string(level));
  }
  return static_cast<ProtocolVersion>(level);
}

Connect read_connect_after_protocol(wire::Reader& reader, ProtocolVersion version) {
  Connect packet;
  packet.protocol_version = version;
  const std::uint8_t flags = reader.byte("Connect Flags");
  if ((flags & kReserved) != 0) {
    wire::fail(ReasonCode::malformed_packet, "CONNECT reserved flag is set");
  }
  packet.clean_start = (flags & kCleanStart) != 0;
  const bool has_will = (flags & kWillFlag) != 0;
  const std::uint8_t will_qos = (flags >> kWillQoSShift) & 0x03;
  const bool will_retain = (flags & kWillRetain) != 0;
  if (!has_will && (will_qos != 0 || will_retain)) {
    wire::fail(ReasonCode::malformed_packet, "Will QoS or Will Retain set without Will Flag");
  }
  if (will_qos == 3) wire::fail(ReasonCode::malformed_packet, "Will QoS is 3");
  const bool has_user_name = (flags & kUserNameFlag) != 0;
  const bool has_password = (flags & kPasswordFlag) != 0;
  if (!is_v5(version) && has_password && !has_user_name) {
    wire::fail(ReasonCode::malformed_packet, "Password Flag set without User Name Flag");
  }
  packet.keep_alive = reader.two_byte_integer("Keep Alive");
  if (is_v5(version)) {
    packet.properties = wire::read_properties(reader, PropertyContext::connect);
    if (packet.properties.contains(PropertyId::authentication_data) &&
        !packet.properties.contains(PropertyId::authentication_method)) {
      wire::fail(ReasonCode::protocol_error, "Authentication Data without Authentication Method");
    }
  }

  packet.client_id = reader.utf8_string("Client Identifier");
  if (packet.client_id.empty() && !is_v5(version) &&
      (!packet.clean_start || version == ProtocolVersion::v3_1)) {
    wire::fail(ReasonCode::client_identifier_not_valid,
               "empty Client Identifier requires Clean Session (and MQTT 3.1.1 or later)");
  }
  if (has_will) {
    Will will;
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    if (is_v5(version)) will.properties = wire::read_properties(reader, PropertyContext::will);
    will.topic = reader.utf8_string("Will Topic");
    will.payload = reader.binary_data("Will Payload");
    packet.will = std::move(will);
  }
  if (has_user_name) packet.user_name = reader.utf8_string("User Name");
  if (has_password) packet.password = reader.binary_data("Password");
  reader.expect_end("CONNECT payload");
  return packet;
}

}  // namespace

DecodeResult<Connect> decode_connect(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    const ProtocolVersion version = read_protocol(reader);
    try {
      return read_connect_after_protocol(reader, version);
    } catch (DecodeError& error) {
      error.connect_version = version;
      throw;
    }
  });
}

void encode(const Connect& packet, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, PacketType::connect, 0);
  Bytes& body = writer.body();
  wire::append_utf8_string(version == ProtocolVersion::v3_1 ? "MQIsdp" : "MQTT", body);
  wire::append_byte(static_cast<std::uint8_t>(version), body);
  if (!is_v5(version) && packet.password && !packet.user_name) {
    throw EncodeError("a Password needs a User Name before MQTT 5");
  }
  std::uint8_t flags = 0;
  if (packet.clean_start) flags |= kCleanStart;
  if (packet.will) {
    flags |= kWillFlag;
    flags |=
        static_cast<std::uint8_t>(static_cast<std::uint8_t>(packet.will->qos) << kWillQoSShift);
    if (packet.will->retain) flags |= kWillRetain;
  }
  if (packet.user_name) flags |= kUserNameFlag;
  if (packet.password) flags |= kPasswordFlag;
  wire::append_byte(flags, body);
  wire::append_two_byte_integer(packet.keep_alive, body);
  if (is_v5(version)) wire::append_properties(packet.properties, PropertyContext::connect, body);
  wire::append_utf8_string(packet.client_id, body);
  if (packet.will) {
    if (is_v5(version)) {
      wire::append_properties(packet.will->properties, PropertyContext::will, body);
    }
    wire::append_utf8_string(packet.will->topic, body);
    wire::append_binary_data(packet.will->payload, body);
  }
  if (packet.user_name) wire::append_utf8_string(*packet.user_name, body);
  if (packet.password) wire::append_binary_data(*packet.password, body);
  writer.finish();
}

}  // namespace mockforge::mqtt
