#include "brokers/amqp/codec/field_table.h"

#include <gtest/gtest.h>

#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::Bytes;
using testing::concat;
using testing::hex;

// One entry per type tag, each named after its tag, written by hand.
Bytes every_type_table_bytes() {
  return hex(
      "0000008e"
      "01 74 74 01"                             // t: true
      "01 62 62 fe"                             // b: -2
      "01 42 42 fe"                             // B: 254
      "01 73 73 fffe"                           // s: -2
      "01 75 75 fffe"                           // u: 65534
      "01 49 49 fffffffe"                       // I: -2
      "01 69 69 fffffffe"                       // i: 4294967294
      "01 6c 6c fffffffffffffffe"               // l: -2
      "01 66 66 3fc00000"                       // f: 1.5f
      "01 64 64 3ff8000000000000"               // d: 1.5
      "01 44 44 02 000004d2"                    // D: 12.34
      "01 53 53 00000002 6869"                  // S: "hi"
      "01 41 41 00000008 49 00000001 56 74 00"  // A: [1, void, false]
      "01 54 54 0000000065537d25"               // T: 1699970341
      "01 46 46 00000003 01 6b 56"              // F: {k: void}
      "01 56 56"                                // V
      "01 78 78 00000003 010203"                // x: bytes 01 02 03
      "01 4c 4c fffffffffffffffe");             // L: 2^64 - 2
}

FieldTable every_type_table() {
  FieldTable nested;
  nested.set("k", Void{});
  FieldTable table;
  table.set("t", true);
  table.set("b", int8_t{-2});
  table.set("B", uint8_t{254});
  table.set("s", int16_t{-2});
  table.set("u", uint16_t{65534});
  table.set("I", int32_t{-2});
  table.set("i", uint32_t{4294967294u});
  table.set("l", int64_t{-2});
  table.set("f", 1.5f);
  table.set("d", 1.5);
  table.set("D", Decimal{2, 1234});
  table.set("S", "hi");
  table.set("A", FieldArray{{FieldValue(int32_t{1}), FieldValue(Void{}), FieldValue(false)}});
  table.set("T", Timestamp{1699970341});
  table.set("F", nested);
  table.set("V", Void{});
  table.set("x", ByteArray{std::string("\x01\x02\x03", 3)});
  table.set("L", uint64_t{18446744073709551614u});
  return table;
}

TEST(AmqpFieldTable, EncodesEveryTypeToHandWrittenBytes) {
  ByteWriter out;
  encode_field_table(out, every_type_table());
  EXPECT_EQ(testing::to_hex(out.bytes()), testing::to_hex(every_type_table_bytes()));
}

TEST(AmqpFieldTable, DecodesEveryTypeKeepingTagsAndOrder) {
  const Bytes bytes = every_type_table_bytes();
  ByteReader in(bytes);
  const FieldTable table = decode_field_table(in);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(table, every_type_table());
  std::string tags;
  for (const auto& entry : table.entries) {
    EXPECT_EQ(entry.name, std::string(1, entry.value.type_tag()));
    tags += entry.value.type_tag();
  }
  EXPECT_EQ(tags, "tbBsuIilfdDSATFVxL");
  ASSERT_NE(table.find("S"), nullptr);
  EXPECT_EQ(*table.find("S")->get_if<std::string>(), "hi");
  EXPECT_EQ(table.find("missing"), nullptr);
}

TEST(AmqpFieldTable, KeepsDuplicateNamesAndWireOrder) {
  const Bytes bytes = hex("00000015 01 62 49 00000001 01 61 49 00000002 01 62 49 00000003");
  ByteReader in(bytes);
  const FieldTable table = decode_field_table(in);
  ASSERT_EQ(table.entries.size(), 3u);
  EXPECT_EQ(table.entries[0].name, "b");
  EXPECT_EQ(table.entries[1].name, "a");
  EXPECT_EQ(*table.find("b")->get_if<int32_t>(), 1);
  ByteWriter out;
  encode_field_table(out, table);
  EXPECT_EQ(out.bytes(), bytes);
}

TEST(AmqpFieldTable, EmptyTableAndArray) {
  ByteWriter out;
  encode_field_table(out, FieldTable{});
  encode_field_array(out, FieldArray{});
  EXPECT_EQ(testing::to_hex(out.bytes()), "0000000000000000");
}

TEST(AmqpFieldTable, UnknownTagIsASyntaxError) {
  const Bytes bytes = hex("00000003 01 6b 5a");  // 'Z'
  ByteReader in(bytes);
  try {
    decode_field_table(in);
    FAIL() << "unknown tag accepted";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.reply_code(), ReplyCode::kSyntaxError);
  }
}

TEST(AmqpFieldTable, LengthBeyondTheDataIsAFrameError) {
  const Bytes bytes = hex("7fffffff 01 6b 56");
  ByteReader in(bytes);
  try {
    decode_field_table(in);
    FAIL() << "length prefix trusted";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.reply_code(), ReplyCode::kFrameError);
  }
}

TEST(AmqpFieldTable, ValueOverrunningItsTableIsRefused) {
  // The table says 4 bytes, the long string inside claims more.
  const Bytes bytes = hex("00000004 01 6b 53 00 00000001 41");
  ByteReader in(bytes);
  EXPECT_THROW(decode_field_table(in), DecodeError);
}

TEST(AmqpFieldTable, DeepNestingIsRefused) {
  // Arrays nested 100 deep: 'A' + length for each level, innermost empty.
  Bytes bytes;
  const int depth = 100;
  for (int level = 0; level < depth; ++level) {
    const uint32_t length = static_cast<uint32_t>(5 * (depth - 1 - level));
    const Bytes header = {'A', static_cast<uint8_t>(length >> 24),
                          static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 8),
                          static_cast<uint8_t>(length)};
    bytes.insert(bytes.end(), header.begin(), header.end());
  }
  ByteReader in(bytes);
  try {
    decode_field_value(in);
    FAIL() << "unbounded nesting accepted";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.reply_code(), ReplyCode::kSyntaxError);
  }
}

TEST(AmqpFieldTable, BooleanOtherThanZeroOrOneIsRefused) {
  const Bytes bytes = concat({hex("74 02")});
  ByteReader in(bytes);
  EXPECT_THROW(decode_field_value(in), DecodeError);
}

}  // namespace
}  // namespace mockforge::amqp
