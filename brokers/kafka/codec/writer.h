#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka {

// Growing big-endian byte writer. Methods taking `compact` write the flexible-version form.
class Writer {
 public:
  Writer() = default;

  const Bytes& bytes() const { return buffer_; }
  Bytes take() { return std::move(buffer_); }
  size_t size() const { return buffer_.size(); }
  void reserve(size_t bytes) { buffer_.reserve(bytes); }

  void write_bool(bool value) { write_int8(value ? 1 : 0); }
  void write_int8(int8_t value);
  void write_int16(int16_t value);
  void write_int32(int32_t value);
  void write_int64(int64_t value);
  void write_uint16(uint16_t value);
  void write_uint32(uint32_t value);
  void write_float64(double value);
  void write_uuid(const Uuid& value);

  void write_varint(int32_t value);
  void write_varlong(int64_t value);
  void write_unsigned_varint(uint32_t value);

  void write_string(std::string_view value, bool compact);
  void write_nullable_string(const std::optional<std::string>& value, bool compact);
  void write_bytes(std::span<const uint8_t> value, bool compact);
  void write_nullable_bytes(const std::optional<Bytes>& value, bool compact);
  void write_nullable_bytes(const std::optional<BytesRef>& value, bool compact);
  // -1 writes null.
  void write_array_length(int32_t count, bool compact);
  void write_raw(std::span<const uint8_t> value);

  // A tagged field: tag, size, then the body already encoded in `body`.
  void write_tagged_field(uint32_t tag, const Writer& body);

  // Overwrites 4 bytes at `offset` (e.g. a frame size written after the body).
  void patch_int32(size_t offset, int32_t value);

 private:
  Bytes buffer_;
};

// Converts a container size to an array length prefix; throws EncodeError above INT32_MAX.
int32_t checked_array_length(size_t size);

}  // namespace mockforge::kafka
