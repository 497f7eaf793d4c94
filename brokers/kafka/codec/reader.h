#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka {

// Bounds-checked big-endian reader over a byte span it does not own. Every read that would go
// past the end, and every length prefix larger than the remaining bytes (or negative where null
// is not allowed), throws DecodeError; nothing is allocated before its length is validated.
//
// Methods taking `compact` read the flexible-version (KIP-482) form when true: unsigned varint
// of length+1, where 0 means null.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  // A reader never owns its bytes: refuse temporaries that would leave it dangling.
  explicit Reader(Bytes&&) = delete;

  size_t remaining() const { return data_.size() - position_; }
  size_t position() const { return position_; }
  bool at_end() const { return position_ == data_.size(); }

  bool read_bool();
  int8_t read_int8();
  int16_t read_int16();
  int32_t read_int32();
  int64_t read_int64();
  uint16_t read_uint16();
  uint32_t read_uint32();
  double read_float64();
  Uuid read_uuid();

  // Zigzag-encoded signed varints (RecordBatch records) and unsigned varints (flexible lengths).
  int32_t read_varint();
  int64_t read_varlong();
  uint32_t read_unsigned_varint();

  std::string read_string(bool compact);
  std::optional<std::string> read_nullable_string(bool compact);
  Bytes read_bytes(bool compact);
  std::optional<Bytes> read_nullable_bytes(bool compact);
  // Like read_nullable_bytes, but the value borrows the reader's input instead of copying it.
  std::optional<BytesRef> read_nullable_borrowed_bytes(bool compact);
  BytesRef read_borrowed_bytes(bool compact);
  // Element count of an array, -1 for null. A count larger than the remaining bytes is an error,
  // since every element takes at least one byte.
  int32_t read_array_length(bool compact);

  // The next `size` bytes, without copying.
  std::span<const uint8_t> read_span(size_t size);
  void skip(size_t size) { read_span(size); }
  // The rest of the input, without copying.
  std::span<const uint8_t> read_remaining() { return read_span(remaining()); }

  // Reads the unsigned-varint size of a tagged field and returns a reader over its body.
  Reader read_tagged_field_body();
  // Reads a whole tagged-field section and ignores every field in it.
  void skip_tagged_fields();

 private:
  const uint8_t* take(size_t size);
  // Length of a string/bytes value; -1 means null. Checked against the remaining bytes.
  int64_t read_length(bool compact, bool int16_length);

  std::span<const uint8_t> data_;
  size_t position_ = 0;
};

}  // namespace mockforge::kafka
