#include "brokers/kafka/codec/writer.h"

#include <bit>
#include <limits>

namespace mockforge::kafka {

namespace {

template <typename T>
void store_big_endian(Bytes& out, T value) {
  const auto raw = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t i = sizeof(T); i-- > 0;) out.push_back(static_cast<uint8_t>(raw >> (8 * i)));
}

}  // namespace

void Writer::write_int8(int8_t value) { buffer_.push_back(static_cast<uint8_t>(value)); }
void Writer::write_int16(int16_t value) { store_big_endian(buffer_, value); }
void Writer::write_int32(int32_t value) { store_big_endian(buffer_, value); }
void Writer::write_int64(int64_t value) { store_big_endian(buffer_, value); }
void Writer::write_uint16(uint16_t value) { store_big_endian(buffer_, value); }
void Writer::write_uint32(uint32_t value) { store_big_endian(buffer_, value); }
void Writer::write_float64(double value) {
  store_big_endian(buffer_, std::bit_cast<uint64_t>(value));
}
void Writer::write_uuid(const Uuid& value) { write_raw(value.bytes); }

void Writer::write_unsigned_varint(uint32_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<uint8_t>(value));
}

void Writer::write_varint(int32_t value) {
  const auto raw = static_cast<uint32_t>(value);
  write_unsigned_varint((raw << 1) ^ static_cast<uint32_t>(value >> 31));
}

void Writer::write_varlong(int64_t value) {
  const auto raw = static_cast<uint64_t>(value);
  uint64_t zigzag = (raw << 1) ^ static_cast<uint64_t>(value >> 63);
  while (zigzag >= 0x80) {
    buffer_.push_back(static_cast<uint8_t>(zigzag | 0x80));
    zigzag >>= 7;
  }
  buffer_.push_back(static_cast<uint8_t>(zigzag));
}

void Writer::write_string(std::string_view value, bool compact) {
  if (compact) {
    if (value.size() >= std::numeric_limits<uint32_t>::max()) {
      throw EncodeError("string too long");
    }
    write_unsigned_varint(static_cast<uint32_t>(value.size() + 1));
  } else {
    if (value.size() > static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
      throw EncodeError("string longer than 32767 bytes");
    }
    write_int16(static_cast<int16_t>(value.size()));
  }
  buffer_.insert(buffer_.end(), value.begin(), value.end());
}

void Writer::write_nullable_string(const std::optional<std::string>& value, bool compact) {
  if (value) {
    write_string(*value, compact);
  } else if (compact) {
    write_unsigned_varint(0);
  } else {
    write_int16(-1);
  }
}

void Writer::write_bytes(std::span<const uint8_t> value, bool compact) {
  if (value.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw EncodeError("bytes value too long");
  }
  if (compact) {
    write_unsigned_varint(static_cast<uint32_t>(value.size() + 1));
  } else {
    write_int32(static_cast<int32_t>(value.size()));
  }
  write_raw(value);
}

void Writer::write_nullable_bytes(const std::optional<BytesRef>& value, bool compact) {
  if (value) {
    write_bytes(value->span(), compact);
  } else if (compact) {
    write_unsigned_varint(0);
  } else {
    write_int32(-1);
  }
}

void Writer::write_nullable_bytes(const std::optional<Bytes>& value, bool compact) {
  if (value) {
    write_bytes(*value, compact);
  } else if (compact) {
    write_unsigned_varint(0);
  } else {
    write_int32(-1);
  }
}

void Writer::write_array_length(int32_t count, bool compact) {
  if (count < -1) throw EncodeError("negative array length");
  if (compact) {
    write_unsigned_varint(static_cast<uint32_t>(count + 1));
  } else {
    write_int32(count);
  }
}

void Writer::write_raw(std::span<const uint8_t> value) {
  buffer_.insert(buffer_.end(), value.begin(), value.end());
}

void Writer::write_tagged_field(uint32_t tag, const Writer& body) {
  write_unsigned_varint(tag);
  if (body.size() > std::numeric_limits<uint32_t>::max()) throw EncodeError("tagged field too big");
  write_unsigned_varint(static_cast<uint32_t>(body.size()));
  write_raw(body.bytes());
}

void Writer::patch_int32(size_t offset, int32_t value) {
  if (offset + 4 > buffer_.size()) throw EncodeError("patch outside the written bytes");
  const auto raw = static_cast<uint32_t>(value);
  for (size_t i = 0; i < 4; ++i) buffer_[offset + i] = static_cast<uint8_t>(raw >> (8 * (3 - i)));
}

int32_t checked_array_length(size_t size) {
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw EncodeError("array has more than INT32_MAX items");
  }
  return static_cast<int32_t>(size);
}

}  // namespace mockforge::kafka
