#include <gtest/gtest.h>

#include <limits>

#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"
#include "tests/unit/kafka_codec/test_bytes.h"

namespace mockforge::kafka {
namespace {

using testing::from_hex;

template <typename Read>
void expect_decode_error(std::string_view hex, Read read) {
  const Bytes bytes = from_hex(hex);
  Reader reader(bytes);
  EXPECT_THROW(read(reader), DecodeError) << hex;
}

TEST(kafka_primitives, IntegersAreBigEndian) {
  Writer writer;
  writer.write_int8(-2);
  writer.write_int16(0x0102);
  writer.write_int32(-2);
  writer.write_int64(0x0102030405060708);
  writer.write_uint16(0xfffe);
  writer.write_float64(1.5);
  EXPECT_EQ(writer.bytes(), from_hex("fe 0102 fffffffe 0102030405060708 fffe 3ff8000000000000"));
  Reader reader(writer.bytes());
  EXPECT_EQ(reader.read_int8(), -2);
  EXPECT_EQ(reader.read_int16(), 0x0102);
  EXPECT_EQ(reader.read_int32(), -2);
  EXPECT_EQ(reader.read_int64(), 0x0102030405060708);
  EXPECT_EQ(reader.read_uint16(), 0xfffe);
  EXPECT_EQ(reader.read_float64(), 1.5);
  EXPECT_TRUE(reader.at_end());
}

TEST(kafka_primitives, UnsignedVarint) {
  const std::pair<uint32_t, const char*> cases[] = {
      {0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"}, {300, "ac02"}, {0xffffffff, "ffffffff0f"}};
  for (const auto& [value, hex] : cases) {
    Writer writer;
    writer.write_unsigned_varint(value);
    EXPECT_EQ(writer.bytes(), from_hex(hex)) << value;
    Reader reader(writer.bytes());
    EXPECT_EQ(reader.read_unsigned_varint(), value);
  }
}

TEST(kafka_primitives, ZigzagVarintAndVarlong) {
  const std::pair<int32_t, const char*> cases[] = {
      {0, "00"},
      {-1, "01"},
      {1, "02"},
      {-2, "03"},
      {63, "7e"},
      {-64, "7f"},
      {64, "8001"},
      {std::numeric_limits<int32_t>::max(), "feffffff0f"},
      {std::numeric_limits<int32_t>::min(), "ffffffff0f"}};
  for (const auto& [value, hex] : cases) {
    Writer writer;
    writer.write_varint(value);
    EXPECT_EQ(writer.bytes(), from_hex(hex)) << value;
    Reader reader(writer.bytes());
    EXPECT_EQ(reader.read_varint(), value);
  }
  Writer writer;
  writer.write_varlong(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(writer.bytes(), from_hex("ffffffffffffffffff01"));
  Reader reader(writer.bytes());
  EXPECT_EQ(reader.read_varlong(), std::numeric_limits<int64_t>::min());
}

TEST(kafka_primitives, OverlongVarintsAreErrors) {
  expect_decode_error("ffffffffff01", [](Reader& reader) { reader.read_unsigned_varint(); });
  expect_decode_error("ffffffff1f", [](Reader& reader) { reader.read_unsigned_varint(); });
  expect_decode_error("ff", [](Reader& reader) { reader.read_unsigned_varint(); });
  expect_decode_error("ffffffffffffffffff7f", [](Reader& reader) { reader.read_varlong(); });
}

TEST(kafka_primitives, StringsClassicAndCompact) {
  Writer writer;
  writer.write_string("kafka", false);
  writer.write_nullable_string(std::nullopt, false);
  writer.write_string("kafka", true);
  writer.write_nullable_string(std::nullopt, true);
  writer.write_string("", true);
  EXPECT_EQ(writer.bytes(), from_hex("0005 6b61666b61 ffff | 06 6b61666b61 00 01"));
  Reader reader(writer.bytes());
  EXPECT_EQ(reader.read_string(false), "kafka");
  EXPECT_EQ(reader.read_nullable_string(false), std::nullopt);
  EXPECT_EQ(reader.read_string(true), "kafka");
  EXPECT_EQ(reader.read_nullable_string(true), std::nullopt);
  EXPECT_EQ(reader.read_string(true), "");
}

TEST(kafka_primitives, BytesAndArrays) {
  Writer writer;
  writer.write_bytes(from_hex("0102"), false);
  writer.write_nullable_bytes(std::optional<Bytes>(), false);
  writer.write_bytes(from_hex("0102"), true);
  writer.write_array_length(2, false);
  writer.write_array_length(-1, false);
  writer.write_array_length(2, true);
  writer.write_array_length(-1, true);
  EXPECT_EQ(writer.bytes(), from_hex("00000002 0102 ffffffff 03 0102 00000002 ffffffff 03 00"));
}

TEST(kafka_primitives, LengthsBeyondTheInputAreErrorsNotAllocations) {
  expect_decode_error("7fffffff 00", [](Reader& reader) { reader.read_bytes(false); });
  expect_decode_error("7fff 41", [](Reader& reader) { reader.read_string(false); });
  expect_decode_error("ffffffff0f 41", [](Reader& reader) { reader.read_bytes(true); });
  expect_decode_error("7fffffff 000000", [](Reader& reader) { reader.read_array_length(false); });
  expect_decode_error("fffffffe", [](Reader& reader) { reader.read_array_length(false); });
  expect_decode_error("fffe", [](Reader& reader) { reader.read_nullable_string(false); });
  expect_decode_error("ffff", [](Reader& reader) { reader.read_string(false); });
  expect_decode_error("0000", [](Reader& reader) { reader.read_int32(); });
}

TEST(kafka_primitives, TaggedFieldsAreBoundsChecked) {
  const Bytes bytes = from_hex("02 00 01 aa 05 02 bbcc | 99");
  Reader skip(bytes);
  skip.skip_tagged_fields();
  EXPECT_EQ(skip.read_int8(), static_cast<int8_t>(0x99));
  expect_decode_error("01 00 05 aa", [](Reader& reader) { reader.skip_tagged_fields(); });
}

TEST(kafka_primitives, UuidBase64) {
  Uuid uuid;
  for (size_t i = 0; i < 16; ++i) uuid.bytes[i] = static_cast<uint8_t>(i * 17);
  const std::string text = uuid.to_base64();
  EXPECT_EQ(text.size(), 22u);
  EXPECT_EQ(Uuid::from_base64(text), uuid);
  EXPECT_EQ(Uuid{}.to_base64(), "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(Uuid::from_base64("short"), std::nullopt);
  Writer writer;
  writer.write_uuid(uuid);
  Reader reader(writer.bytes());
  EXPECT_EQ(reader.read_uuid(), uuid);
}

TEST(kafka_primitives, EncodeRejectsOversizeClassicString) {
  Writer writer;
  EXPECT_THROW(writer.write_string(std::string(40000, 'x'), false), EncodeError);
  writer.write_string(std::string(40000, 'x'), true);
  EXPECT_EQ(writer.size(), 3u + 40000u);
}

}  // namespace
}  // namespace mockforge::kafka
