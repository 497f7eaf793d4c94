#include "brokers/amqp/codec/buffer.h"

#include <bit>
#include <cstring>
#include <limits>

namespace mockforge::amqp {

void ByteReader::require(std::size_t count) const {
  if (count > remaining()) {
    throw DecodeError(ReplyCode::kFrameError, "truncated data: need " + std::to_string(count) +
                                                  " bytes at offset " + std::to_string(position_) +
                                                  ", " + std::to_string(remaining()) + " left");
  }
}

uint8_t ByteReader::read_u8() {
  require(1);
  return bytes_[position_++];
}

uint16_t ByteReader::read_u16() {
  require(2);
  const uint16_t value = static_cast<uint16_t>((bytes_[position_] << 8) | bytes_[position_ + 1]);
  position_ += 2;
  return value;
}

uint32_t ByteReader::read_u32() {
  require(4);
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | bytes_[position_++];
  return value;
}

uint64_t ByteReader::read_u64() {
  require(8);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | bytes_[position_++];
  return value;
}

float ByteReader::read_f32() { return std::bit_cast<float>(read_u32()); }

double ByteReader::read_f64() { return std::bit_cast<double>(read_u64()); }

std::span<const uint8_t> ByteReader::read_bytes(std::size_t count) {
  require(count);
  const auto view = bytes_.subspan(position_, count);
  position_ += count;
  return view;
}

std::string ByteReader::read_shortstr() {
  const std::size_t length = read_u8();
  const auto view = read_bytes(length);
  return std::string(view.begin(), view.end());
}

std::string ByteReader::read_longstr() {
  const std::size_t length = read_u32();
  const auto view = read_bytes(length);
  return std::string(view.begin(), view.end());
}

void ByteReader::expect_end(std::string_view what) const {
  if (!empty()) {
    throw DecodeError(
        ReplyCode::kFrameError,
        std::to_string(remaining()) + " unexpected trailing bytes after " + std::string(what));
  }
}

void ByteWriter::write_u16(uint16_t value) {
  uint8_t* out = grow(2);
  out[0] = static_cast<uint8_t>(value >> 8);
  out[1] = static_cast<uint8_t>(value);
}

void ByteWriter::write_u32(uint32_t value) {
  uint8_t* out = grow(4);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}

void ByteWriter::write_u64(uint64_t value) {
  uint8_t* out = grow(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(value >> (56 - 8 * i));
}

void ByteWriter::write_f32(float value) { write_u32(std::bit_cast<uint32_t>(value)); }

void ByteWriter::write_f64(double value) { write_u64(std::bit_cast<uint64_t>(value)); }

void ByteWriter::write_bytes(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
}

void ByteWriter::write_bytes(std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
}

void ByteWriter::write_shortstr(std::string_view value) {
  if (value.size() > std::numeric_limits<uint8_t>::max()) {
    throw EncodeError("short string of " + std::to_string(value.size()) +
                      " bytes exceeds 255 bytes");
  }
  write_u8(static_cast<uint8_t>(value.size()));
  write_bytes(value);
}

void ByteWriter::write_longstr(std::string_view value) {
  if (value.size() > std::numeric_limits<uint32_t>::max()) {
    throw EncodeError("long string exceeds 4 GiB");
  }
  write_u32(static_cast<uint32_t>(value.size()));
  write_bytes(value);
}

std::size_t ByteWriter::begin_u32_length() {
  const std::size_t offset = used_;
  write_u32(0);
  return offset;
}

void ByteWriter::end_u32_length(std::size_t placeholder) {
  const std::size_t length = used_ - placeholder - 4;
  if (length > std::numeric_limits<uint32_t>::max()) {
    throw EncodeError("length-prefixed section exceeds 4 GiB");
  }
  overwrite_u32(placeholder, static_cast<uint32_t>(length));
}

void ByteWriter::overwrite_u32(std::size_t offset, uint32_t value) {
  if (offset > used_ || used_ - offset < 4) throw std::out_of_range("overwrite_u32 past the end");
  for (int i = 0; i < 4; ++i) {
    bytes_[offset + static_cast<std::size_t>(i)] = static_cast<uint8_t>(value >> (24 - 8 * i));
  }
}

}  // namespace mockforge::amqp
