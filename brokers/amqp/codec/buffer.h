// Bounds-checked big-endian reader and writer for AMQP 0-9-1 wire data.
//
// ByteReader never reads past the span it was given and never trusts a length
// prefix: every length is checked against the bytes actually present before
// anything is allocated. Malformed input throws DecodeError carrying the reply
// code a peer should close the connection with.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mockforge/amqp/constants.h"

namespace mockforge::amqp {

// Thrown by decoders. `reply_code()` is the code to close the connection with.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(ReplyCode reply_code, const std::string& what)
      : std::runtime_error(what), reply_code_(reply_code) {}
  ReplyCode reply_code() const { return reply_code_; }

 private:
  ReplyCode reply_code_;
};

// Thrown by encoders when a value cannot be represented on the wire, for
// example a short string longer than 255 bytes.
class EncodeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - position_; }
  std::size_t position() const { return position_; }
  bool empty() const { return remaining() == 0; }

  uint8_t read_u8();
  uint16_t read_u16();
  uint32_t read_u32();
  uint64_t read_u64();
  int8_t read_i8() { return static_cast<int8_t>(read_u8()); }
  int16_t read_i16() { return static_cast<int16_t>(read_u16()); }
  int32_t read_i32() { return static_cast<int32_t>(read_u32()); }
  int64_t read_i64() { return static_cast<int64_t>(read_u64()); }
  float read_f32();
  double read_f64();

  // The next `count` bytes, without copying; throws if fewer remain.
  std::span<const uint8_t> read_bytes(std::size_t count);
  // shortstr: octet length + bytes.
  std::string read_shortstr();
  // longstr: 32-bit length + bytes.
  std::string read_longstr();
  // A reader over the next `count` bytes; this reader skips past them.
  ByteReader read_sub_reader(std::size_t count) { return ByteReader(read_bytes(count)); }

  // Throws a FRAME_ERROR DecodeError naming `what` unless all bytes were read.
  void expect_end(std::string_view what) const;

 private:
  void require(std::size_t count) const;

  std::span<const uint8_t> bytes_;
  std::size_t position_ = 0;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  // Appends to `bytes` (e.g. a batch of frames being built up).
  explicit ByteWriter(std::vector<uint8_t> bytes)
      : bytes_(std::move(bytes)), used_(bytes_.size()) {}

  const std::vector<uint8_t>& bytes() const {
    bytes_.resize(used_);
    return bytes_;
  }
  std::vector<uint8_t> take() {
    bytes_.resize(used_);
    used_ = 0;
    return std::move(bytes_);
  }
  std::size_t size() const { return used_; }
  // What is written so far, valid until the next write.
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), used_}; }
  // Forgets what is written, keeping the room (a scratch writer).
  void clear() { used_ = 0; }
  // Makes room for `capacity` bytes in all; grows geometrically, so reserving
  // before each of many appends stays amortised O(1). The room is zeroed
  // (std::vector cannot leave it uninitialised): reserve what will be
  // written, not a large guess.
  void reserve(std::size_t capacity) {
    if (capacity > bytes_.size()) bytes_.resize(std::max(capacity, 2 * bytes_.size()));
  }
  // Appends `count` bytes and returns where they start, for the caller to fill.
  uint8_t* grow(std::size_t count) {
    if (used_ + count > bytes_.size()) reserve(std::max<std::size_t>(used_ + count, 128));
    uint8_t* at = bytes_.data() + used_;
    used_ += count;
    return at;
  }

  void write_u8(uint8_t value) { *grow(1) = value; }
  void write_u16(uint16_t value);
  void write_u32(uint32_t value);
  void write_u64(uint64_t value);
  void write_i8(int8_t value) { write_u8(static_cast<uint8_t>(value)); }
  void write_i16(int16_t value) { write_u16(static_cast<uint16_t>(value)); }
  void write_i32(int32_t value) { write_u32(static_cast<uint32_t>(value)); }
  void write_i64(int64_t value) { write_u64(static_cast<uint64_t>(value)); }
  void write_f32(float value);
  void write_f64(double value);
  void write_bytes(std::span<const uint8_t> bytes);
  void write_bytes(std::string_view bytes);
  // Throws EncodeError if `value` is longer than 255 bytes.
  void write_shortstr(std::string_view value);
  // Throws EncodeError if `value` does not fit a 32-bit length.
  void write_longstr(std::string_view value);

  // Writes a 32-bit placeholder and returns its offset, for sizes that are
  // known only once the following bytes are written.
  std::size_t begin_u32_length();
  // Fills the placeholder with the number of bytes written since it.
  void end_u32_length(std::size_t placeholder);
  void overwrite_u32(std::size_t offset, uint32_t value);

 private:
  // Sized ahead of what is written (bytes past used_ are scratch), so that
  // appending is a store rather than a vector insertion.
  mutable std::vector<uint8_t> bytes_;
  std::size_t used_ = 0;
};

}  // namespace mockforge::amqp
