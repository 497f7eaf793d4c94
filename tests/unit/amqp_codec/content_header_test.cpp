#include "brokers/amqp/codec/content_header.h"

#include <gtest/gtest.h>

#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::Bytes;
using testing::concat;
using testing::hex;
using testing::shortstr;

ContentHeader all_properties_header() {
  FieldTable headers;
  headers.set("k", "v");
  ContentHeader header;
  header.body_size = 10;
  BasicProperties& p = header.properties;
  p.content_type = "text/plain";
  p.content_encoding = "utf-8";
  p.headers = headers;
  p.delivery_mode = 2;
  p.priority = 5;
  p.correlation_id = "c1";
  p.reply_to = "r";
  p.expiration = "60000";
  p.message_id = "m1";
  p.timestamp = 0x65537d25;
  p.type = "t";
  p.user_id = "guest";
  p.app_id = "app";
  p.cluster_id = "cl";
  return header;
}

Bytes all_properties_bytes() {
  return concat({hex("003c 0000 000000000000000a fffc"), shortstr("text/plain"), shortstr("utf-8"),
                 hex("00000008 01 6b 53 00000001 76"), hex("02 05"), shortstr("c1"), shortstr("r"),
                 shortstr("60000"), shortstr("m1"), hex("0000000065537d25"), shortstr("t"),
                 shortstr("guest"), shortstr("app"), shortstr("cl")});
}

TEST(AmqpContentHeader, AllPropertiesToHandWrittenBytes) {
  EXPECT_EQ(testing::to_hex(encode_content_header(all_properties_header())),
            testing::to_hex(all_properties_bytes()));
  EXPECT_EQ(decode_content_header(all_properties_bytes()), all_properties_header());
}

TEST(AmqpContentHeader, NoProperties) {
  ContentHeader header;
  header.body_size = 0x0102030405;
  const Bytes bytes = hex("003c 0000 0000000102030405 0000");
  EXPECT_EQ(encode_content_header(header), bytes);
  EXPECT_EQ(decode_content_header(bytes), header);
}

TEST(AmqpContentHeader, EachPropertyHasItsOwnFlagBit) {
  ContentHeader header;
  header.properties.content_type = "a";
  header.properties.delivery_mode = 1;
  EXPECT_EQ(header.properties.property_flags(), 0x9000);
  header.properties = {};
  header.properties.cluster_id = "c";
  EXPECT_EQ(header.properties.property_flags(), 0x0004);
  header.properties = {};
  header.properties.timestamp = 1;
  EXPECT_EQ(header.properties.property_flags(), 0x0040);
}

TEST(AmqpContentHeader, EmptyContinuationWordRoundTrips) {
  const Bytes bytes = concat({hex("003c 0000 0000000000000001 8001 0000"), shortstr("a")});
  const ContentHeader header = decode_content_header(bytes);
  EXPECT_EQ(header.flag_word_count, 2);
  EXPECT_EQ(header.properties.content_type, "a");
  EXPECT_EQ(encode_content_header(header), bytes);
}

TEST(AmqpContentHeader, RefusesUnknownPropertyFlags) {
  for (const char* flags : {"0002", "0001 0100"}) {
    SCOPED_TRACE(flags);
    try {
      decode_content_header(concat({hex("003c 0000 0000000000000000"), hex(flags)}));
      FAIL() << "unknown property flag accepted";
    } catch (const DecodeError& error) {
      EXPECT_EQ(error.reply_code(), ReplyCode::kSyntaxError);
    }
  }
}

TEST(AmqpContentHeader, RefusesOtherClassesTruncationAndTrailingBytes) {
  EXPECT_THROW(decode_content_header(hex("0032 0000 0000000000000000 0000")), DecodeError);
  EXPECT_THROW(decode_content_header(hex("003c 0000 0000000000000000 8000 05 6162")), DecodeError);
  EXPECT_THROW(decode_content_header(hex("003c 0000 0000000000000000 0000 00")), DecodeError);
}

}  // namespace
}  // namespace mockforge::amqp
