#include "brokers/amqp/codec/buffer.h"

#include <gtest/gtest.h>

#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::hex;

TEST(AmqpByteReader, ReadsBigEndianIntegers) {
  const auto bytes = hex("01 0203 04050607 08090a0b0c0d0e0f");
  ByteReader in(bytes);
  EXPECT_EQ(in.read_u8(), 0x01);
  EXPECT_EQ(in.read_u16(), 0x0203);
  EXPECT_EQ(in.read_u32(), 0x04050607u);
  EXPECT_EQ(in.read_u64(), 0x08090a0b0c0d0e0fULL);
  EXPECT_TRUE(in.empty());
  EXPECT_THROW(in.read_u8(), DecodeError);
}

TEST(AmqpByteReader, NeverTrustsALengthPrefix) {
  // A long string claiming 4 GiB with 3 bytes behind it.
  const auto huge = hex("ffffffff 616263");
  ByteReader in(huge);
  try {
    in.read_longstr();
    FAIL() << "length prefix trusted";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.reply_code(), ReplyCode::kFrameError);
  }
  const auto short_claim = hex("05 6162");
  ByteReader short_in(short_claim);
  EXPECT_THROW(short_in.read_shortstr(), DecodeError);
}

TEST(AmqpByteReader, SubReaderIsConfinedToItsBytes) {
  const auto bytes = hex("0102 0304");
  ByteReader in(bytes);
  ByteReader sub = in.read_sub_reader(2);
  EXPECT_EQ(sub.read_u16(), 0x0102);
  EXPECT_THROW(sub.read_u8(), DecodeError);
  EXPECT_EQ(in.read_u16(), 0x0304);
}

TEST(AmqpByteWriter, WritesStringsAndLengthPlaceholders) {
  ByteWriter out;
  out.write_shortstr("ab");
  out.write_longstr("c");
  const auto placeholder = out.begin_u32_length();
  out.write_u16(0xbeef);
  out.end_u32_length(placeholder);
  EXPECT_EQ(testing::to_hex(out.bytes()),
            "026162"
            "0000000163"
            "00000002beef");
}

TEST(AmqpByteWriter, RefusesShortStringsOver255Bytes) {
  ByteWriter out;
  EXPECT_NO_THROW(out.write_shortstr(std::string(255, 'a')));
  EXPECT_THROW(out.write_shortstr(std::string(256, 'a')), EncodeError);
}

}  // namespace
}  // namespace mockforge::amqp
