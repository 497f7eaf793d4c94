#include "brokers/mqtt/codec/wire.h"

#include <algorithm>
#include <array>

#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/utf8.h"

namespace mockforge::mqtt {

VariableByteInteger parse_variable_byte_integer(std::span<const std::uint8_t> bytes) {
  VariableByteInteger result;
  std::uint32_t multiplier = 1;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= bytes.size()) return result;  // incomplete
    const std::uint8_t byte = bytes[i];
    result.value += static_cast<std::uint32_t>(byte & 0x7F) * multiplier;
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) {
        result.status = ParseStatus::malformed;  // non-minimal encoding
        return result;
      }
      result.status = ParseStatus::complete;
      result.size = i + 1;
      return result;
    }
    multiplier *= 128;
  }
  result.status = ParseStatus::malformed;
  return result;
}

std::size_t variable_byte_integer_size(std::uint32_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

void append_variable_byte_integer(std::uint32_t value, Bytes& out) {
  if (value > kMaxRemainingLength) throw EncodeError("variable byte integer out of range");
  do {
    std::uint8_t byte = value % 128;
    value /= 128;
    if (value > 0) byte |= 0x80;
    out.push_back(byte);
  } while (value > 0);
}

FixedHeaderParse parse_fixed_header(std::span<const std::uint8_t> bytes) {
  FixedHeaderParse result;
  if (bytes.empty()) return result;
  const auto length = parse_variable_byte_integer(bytes.subspan(1));
  result.status = length.status;
  if (length.status != ParseStatus::complete) return result;
  result.header.type = static_cast<PacketType>(bytes[0] >> 4);
  result.header.flags = bytes[0] & 0x0F;
  result.header.remaining_length = length.value;
  result.header.size = 1 + length.size;
  return result;
}

namespace wire {

void fail(ReasonCode reason, std::string message) {
  throw DecodeError{reason, std::move(message), std::nullopt};
}

namespace {

[[noreturn]] void truncated(std::string_view what) {
  fail(ReasonCode::malformed_packet, std::string(what) + " runs past the end of the packet");
}

}  // namespace

std::span<const std::uint8_t> Reader::take(std::size_t count, std::string_view what) {
  if (remaining() < count) truncated(what);
  auto bytes = data_.subspan(position_, count);
  position_ += count;
  return bytes;
}

std::span<const std::uint8_t> Reader::take_rest() { return take(remaining(), "rest"); }

std::uint8_t Reader::byte(std::string_view what) { return take(1, what)[0]; }

std::uint16_t Reader::two_byte_integer(std::string_view what) {
  auto bytes = take(2, what);
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

std::uint32_t Reader::four_byte_integer(std::string_view what) {
  auto bytes = take(4, what);
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

std::uint32_t Reader::variable_byte_integer(std::string_view what) {
  const auto parsed = parse_variable_byte_integer(data_.subspan(position_));
  if (parsed.status == ParseStatus::incomplete) truncated(what);
  if (parsed.status == ParseStatus::malformed) {
    fail(ReasonCode::malformed_packet, std::string(what) + " is not a valid variable byte integer");
  }
  position_ += parsed.size;
  return parsed.value;
}

std::string Reader::utf8_string(std::string_view what) {
  const std::uint16_t length = two_byte_integer(what);
  auto bytes = take(length, what);
  std::string text(bytes.begin(), bytes.end());
  check_utf8(text, what, options_);
  return text;
}

Bytes Reader::binary_data(std::string_view what) {
  const std::uint16_t length = two_byte_integer(what);
  auto bytes = take(length, what);
  return Bytes(bytes.begin(), bytes.end());
}

void Reader::expect_end(std::string_view what) const {
  if (!at_end()) {
    fail(ReasonCode::malformed_packet,
         std::to_string(remaining()) + " unexpected bytes after " + std::string(what));
  }
}

void check_utf8(std::string_view text, std::string_view what, const DecodeOptions& options) {
  switch (validate_mqtt_utf8(text, options.utf8)) {
    case Utf8Status::valid:
      return;
    case Utf8Status::ill_formed:
      fail(ReasonCode::malformed_packet, std::string(what) + " is not well-formed UTF-8");
    case Utf8Status::contains_null:
      fail(ReasonCode::malformed_packet, std::string(what) + " contains U+0000");
    case Utf8Status::contains_control:
      fail(ReasonCode::malformed_packet, std::string(what) + " contains a control character");
    case Utf8Status::contains_nonchar:
      fail(ReasonCode::malformed_packet, std::string(what) + " contains a noncharacter");
  }
}

void expect_flags(const FixedHeader& header, std::uint8_t expected) {
  if (header.flags != expected) {
    fail(ReasonCode::malformed_packet,
         std::string(packet_type_name(header.type)) + " has invalid fixed header flags");
  }
}

std::uint16_t read_packet_id(Reader& reader) {
  const std::uint16_t packet_id = reader.two_byte_integer("Packet Identifier");
  if (packet_id == 0) fail(ReasonCode::protocol_error, "Packet Identifier must not be 0");
  return packet_id;
}

void append_packet_id(std::uint16_t packet_id, Bytes& out) {
  if (packet_id == 0) throw EncodeError("Packet Identifier must not be 0");
  append_two_byte_integer(packet_id, out);
}

ReasonCode read_reason_code(Reader& reader, PacketType packet) {
  const auto code = static_cast<ReasonCode>(reader.byte("Reason Code"));
  if (!is_reason_code_allowed(packet, code)) {
    fail(ReasonCode::malformed_packet,
         "reason code " + std::to_string(static_cast<unsigned>(code)) + " is not valid in " +
             std::string(packet_type_name(packet)));
  }
  return code;
}

void append_byte(std::uint8_t value, Bytes& out) { out.push_back(value); }

void append_two_byte_integer(std::uint16_t value, Bytes& out) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void append_four_byte_integer(std::uint32_t value, Bytes& out) {
  out.push_back(static_cast<std::uint8_t>(value >> 24));
  out.push_back(static_cast<std::uint8_t>(value >> 16));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void append_utf8_string(std::string_view text, Bytes& out) {
  if (text.size() > kMaxFieldLength) throw EncodeError("UTF-8 string longer than 65535 bytes");
  append_two_byte_integer(static_cast<std::uint16_t>(text.size()), out);
  out.insert(out.end(), text.begin(), text.end());
}

void append_binary_data(std::span<const std::uint8_t> data, Bytes& out) {
  if (data.size() > kMaxFieldLength) throw EncodeError("binary data longer than 65535 bytes");
  append_two_byte_integer(static_cast<std::uint16_t>(data.size()), out);
  out.insert(out.end(), data.begin(), data.end());
}

namespace {
constexpr std::size_t kFixedHeaderReserve = 5;
}

PacketWriter::PacketWriter(Bytes& out, PacketType type, std::uint8_t flags)
    : out_(out),
      start_(out.size()),
      first_byte_(static_cast<std::uint8_t>((static_cast<std::uint8_t>(type) << 4) | flags)) {
  out_.resize(out_.size() + kFixedHeaderReserve);
}

PacketWriter::~PacketWriter() {
  if (!finished_) out_.resize(start_);
}

void PacketWriter::finish() {
  const std::size_t body_size = out_.size() - start_ - kFixedHeaderReserve;
  if (body_size > kMaxRemainingLength) {
    throw EncodeError("packet body exceeds the maximum Remaining Length");
  }
  Bytes header;
  header.push_back(first_byte_);
  append_variable_byte_integer(static_cast<std::uint32_t>(body_size), header);
  const std::size_t gap = kFixedHeaderReserve - header.size();
  std::copy(header.begin(), header.end(), out_.begin() + static_cast<std::ptrdiff_t>(start_ + gap));
  out_.erase(out_.begin() + static_cast<std::ptrdiff_t>(start_),
             out_.begin() + static_cast<std::ptrdiff_t>(start_ + gap));
  finished_ = true;
}

}  // namespace wire
}  // namespace mockforge::mqtt
