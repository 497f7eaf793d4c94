// Internal to the codec: primitive readers and writers for MQTT data types.
// Readers throw DecodeError; the public decode functions catch it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt::wire {

[[noreturn]] void fail(ReasonCode reason, std::string message);

class Reader {
 public:
  Reader(std::span<const std::uint8_t> data, const DecodeOptions& options)
      : data_(data), options_(options) {}

  std::uint8_t byte(std::string_view what);
  std::uint16_t two_byte_integer(std::string_view what);
  std::uint32_t four_byte_integer(std::string_view what);
  std::uint32_t variable_byte_integer(std::string_view what);
  std::string utf8_string(std::string_view what);
  Bytes binary_data(std::string_view what);
  std::span<const std::uint8_t> take(std::size_t count, std::string_view what);
  std::span<const std::uint8_t> take_rest();

  std::size_t remaining() const { return data_.size() - position_; }
  bool at_end() const { return position_ == data_.size(); }
  void expect_end(std::string_view what) const;
  const DecodeOptions& options() const { return options_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t position_ = 0;
  const DecodeOptions& options_;
};

// Runs a throwing parser over a packet body and turns a DecodeError into a
// failed DecodeResult.
template <typename Parse>
auto guarded_decode(std::span<const std::uint8_t> body, const DecodeOptions& options, Parse&& parse)
    -> DecodeResult<std::invoke_result_t<Parse, Reader&>> {
  try {
    Reader reader(body, options);
    return std::forward<Parse>(parse)(reader);
  } catch (DecodeError& error) {
    return std::move(error);
  }
}

// The low nibble of the first byte must be `expected` for every packet but
// PUBLISH [MQTT-2.2.2-2]; anything else is a Malformed Packet.
void expect_flags(const FixedHeader& header, std::uint8_t expected);

// A Packet Identifier, which must not be 0 [MQTT-2.2.1-3] (Protocol Error).
std::uint16_t read_packet_id(Reader& reader);
void append_packet_id(std::uint16_t packet_id, Bytes& out);

// Reads a v5 reason code byte that must be valid for `packet`.
ReasonCode read_reason_code(Reader& reader, PacketType packet);

void check_utf8(std::string_view text, std::string_view what, const DecodeOptions& options);

void append_byte(std::uint8_t value, Bytes& out);
void append_two_byte_integer(std::uint16_t value, Bytes& out);
void append_four_byte_integer(std::uint32_t value, Bytes& out);
void append_utf8_string(std::string_view text, Bytes& out);
void append_binary_data(std::span<const std::uint8_t> data, Bytes& out);

// Packet framing for encoders: begin() reserves room for the fixed header,
// finish() writes it in front of the body and closes the gap, so the
// Remaining Length always equals what the body encoder wrote.
class PacketWriter {
 public:
  PacketWriter(Bytes& out, PacketType type, std::uint8_t flags);
  PacketWriter(const PacketWriter&) = delete;
  PacketWriter& operator=(const PacketWriter&) = delete;
  // An encoder that throws leaves `out` as it found it.
  ~PacketWriter();

  Bytes& body() { return out_; }
  void finish();

 private:
  Bytes& out_;
  std::size_t start_;
  std::uint8_t first_byte_;
  bool finished_ = false;
};

}  // namespace mockforge::mqtt::wire
