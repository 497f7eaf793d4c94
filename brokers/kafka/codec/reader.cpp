#include "brokers/kafka/codec/reader.h"

#include <bit>
#include <cstring>

namespace mockforge::kafka {

namespace {

template <typename T>
T load_big_endian(const uint8_t* bytes) {
  std::make_unsigned_t<T> value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<std::make_unsigned_t<T>>((value << 8) | bytes[i]);
  }
  return static_cast<T>(value);
}

}  // namespace

const uint8_t* Reader::take(size_t size) {
  if (size > remaining()) {
    throw DecodeError("need " + std::to_string(size) + " bytes at offset " +
                      std::to_string(position_) + ", only " + std::to_string(remaining()) +
                      " remain");
  }
  const uint8_t* start = data_.data() + position_;
  position_ += size;
  return start;
}

bool Reader::read_bool() { return read_int8() != 0; }
int8_t Reader::read_int8() { return static_cast<int8_t>(*take(1)); }
int16_t Reader::read_int16() { return load_big_endian<int16_t>(take(2)); }
int32_t Reader::read_int32() { return load_big_endian<int32_t>(take(4)); }
int64_t Reader::read_int64() { return load_big_endian<int64_t>(take(8)); }
uint16_t Reader::read_uint16() { return load_big_endian<uint16_t>(take(2)); }
uint32_t Reader::read_uint32() { return load_big_endian<uint32_t>(take(4)); }

double Reader::read_float64() { return std::bit_cast<double>(load_big_endian<uint64_t>(take(8))); }

Uuid Reader::read_uuid() {
  Uuid uuid;
  std::memcpy(uuid.bytes.data(), take(16), 16);
  return uuid;
}

uint32_t Reader::read_unsigned_varint() {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    const uint8_t byte = *take(1);
    if (shift == 28 && (byte & 0xf0) != 0) throw DecodeError("unsigned varint overflows 32 bits");
    value |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw DecodeError("unsigned varint longer than 5 bytes");
}

int32_t Reader::read_varint() {
  const uint32_t raw = read_unsigned_varint();
  return static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

int64_t Reader::read_varlong() {
  uint64_t raw = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const uint8_t byte = *take(1);
    if (shift == 63 && (byte & 0xfe) != 0) throw DecodeError("varlong overflows 64 bits");
    raw |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  throw DecodeError("varlong longer than 10 bytes");
}

int64_t Reader::read_length(bool compact, bool int16_length) {
  int64_t length;
  if (compact) {
    length = static_cast<int64_t>(read_unsigned_varint()) - 1;
  } else {
    length = int16_length ? read_int16() : read_int32();
  }
  if (length < -1) throw DecodeError("negative length " + std::to_string(length));
  if (length > static_cast<int64_t>(remaining())) {
    throw DecodeError("length " + std::to_string(length) + " exceeds the " +
                      std::to_string(remaining()) + " remaining bytes");
  }
  return length;
}

std::optional<std::string> Reader::read_nullable_string(bool compact) {
  const int64_t length = read_length(compact, true);
  if (length < 0) return std::nullopt;
  const auto* start = take(static_cast<size_t>(length));
  return std::string(reinterpret_cast<const char*>(start), static_cast<size_t>(length));
}

std::string Reader::read_string(bool compact) {
  auto value = read_nullable_string(compact);
  if (!value) throw DecodeError("null string where a string is required");
  return std::move(*value);
}

std::optional<Bytes> Reader::read_nullable_bytes(bool compact) {
  const int64_t length = read_length(compact, false);
  if (length < 0) return std::nullopt;
  const auto* start = take(static_cast<size_t>(length));
  return Bytes(start, start + length);
}

std::optional<BytesRef> Reader::read_nullable_borrowed_bytes(bool compact) {
  const int64_t length = read_length(compact, false);
  if (length < 0) return std::nullopt;
  return BytesRef::borrow(read_span(static_cast<size_t>(length)));
}

BytesRef Reader::read_borrowed_bytes(bool compact) {
  auto value = read_nullable_borrowed_bytes(compact);
  if (!value) throw DecodeError("null bytes where bytes are required");
  return std::move(*value);
}

Bytes Reader::read_bytes(bool compact) {
  auto value = read_nullable_bytes(compact);
  if (!value) throw DecodeError("null bytes where bytes are required");
  return std::move(*value);
}

int32_t Reader::read_array_length(bool compact) {
  const int64_t length = read_length(compact, false);
  return static_cast<int32_t>(length);
}

std::span<const uint8_t> Reader::read_span(size_t size) { return {take(size), size}; }

Reader Reader::read_tagged_field_body() {
  const uint32_t size = read_unsigned_varint();
  return Reader(read_span(size));
}

void Reader::skip_tagged_fields() {
  const uint32_t count = read_unsigned_varint();
  for (uint32_t i = 0; i < count; ++i) {
    read_unsigned_varint();  // tag
    read_tagged_field_body();
  }
}

}  // namespace mockforge::kafka
