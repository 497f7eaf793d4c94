// Golden bytes for every method: each expected payload is written by hand from
// the spec's field lists (class id, method id, then the arguments, with
// consecutive bits packed least significant bit first).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "brokers/amqp/codec/buffer.h"
#include "mockforge/amqp/methods.h"
#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::Bytes;
using testing::concat;
using testing::hex;
using testing::longstr;
using testing::shortstr;

struct GoldenMethod {
  Method method;
  Bytes payload;
};

FieldTable product_table() {
  FieldTable table;
  table.set("product", std::string("mf"));
  return table;
}

FieldTable max_length_table() {
  FieldTable table;
  table.set("x-max-length", int32_t{1000});
  return table;
}

std::vector<GoldenMethod> golden_methods() {
  return {
      // connection
      {ConnectionStart{.version_major = 0,
                       .version_minor = 9,
                       .server_properties = product_table(),
                       .mechanisms = "PLAIN AMQPLAIN",
                       .locales = "en_US"},
       concat({hex("000a 000a 00 09 0000000f"), shortstr("product"), hex("53"), longstr("mf"),
               longstr("PLAIN AMQPLAIN"), longstr("en_US")})},
      {ConnectionStartOk{.client_properties = {},
                         .mechanism = "PLAIN",
                         .response = std::string("\0guest\0guest", 12),
                         .locale = "en_US"},
       concat({hex("000a 000b 00000000"), shortstr("PLAIN"), hex("0000000c 00"),
               testing::ascii("guest"), hex("00"), testing::ascii("guest"), shortstr("en_US")})},
      {ConnectionSecure{.challenge = "chal"}, concat({hex("000a 0014"), longstr("chal")})},
      {ConnectionSecureOk{.response = "resp"}, concat({hex("000a 0015"), longstr("resp")})},
      {ConnectionTune{.channel_max = 2047, .frame_max = 131072, .heartbeat = 60},
       hex("000a 001e 07ff 00020000 003c")},
      {ConnectionTuneOk{.channel_max = 256, .frame_max = 4096, .heartbeat = 20},
       hex("000a 001f 0100 00001000 0014")},
      {ConnectionOpen{.virtual_host = "/", .reserved_1 = "", .reserved_2 = false},
       hex("000a 0028 01 2f 00 00")},
      {ConnectionOpenOk{}, hex("000a 0029 00")},
      {ConnectionClose{
           .reply_code = 504, .reply_text = "CHANNEL_ERROR", .class_id = 20, .method_id = 40},
       concat({hex("000a 0032 01f8"), shortstr("CHANNEL_ERROR"), hex("0014 0028")})},
      {ConnectionCloseOk{}, hex("000a 0033")},
      {ConnectionBlocked{.reason = "low on memory"},
       concat({hex("000a 003c"), shortstr("low on memory")})},
      {ConnectionUnblocked{}, hex("000a 003d")},
      {ConnectionUpdateSecret{.new_secret = "token", .reason = "refresh"},
       concat({hex("000a 0046"), longstr("token"), shortstr("refresh")})},
      {ConnectionUpdateSecretOk{}, hex("000a 0047")},
      // channel
      {ChannelOpen{}, hex("0014 000a 00")},
      {ChannelOpenOk{}, hex("0014 000b 00000000")},
      {ChannelFlow{.active = true}, hex("0014 0014 01")},
      {ChannelFlowOk{.active = false}, hex("0014 0015 00")},
      {ChannelClose{.reply_code = 404, .reply_text = "NOT_FOUND", .class_id = 50, .method_id = 10},
       concat({hex("0014 0028 0194"), shortstr("NOT_FOUND"), hex("0032 000a")})},
      {ChannelCloseOk{}, hex("0014 0029")},
      // exchange
      {ExchangeDeclare{.exchange = "orders",
                       .type = "topic",
                       .passive = false,
                       .durable = true,
                       .auto_delete = false,
                       .internal = true,
                       .no_wait = false},
       concat({hex("0028 000a 0000"), shortstr("orders"), shortstr("topic"), hex("0a 00000000")})},
      {ExchangeDeclareOk{}, hex("0028 000b")},
      {ExchangeDelete{.exchange = "orders", .if_unused = true, .no_wait = true},
       concat({hex("0028 0014 0000"), shortstr("orders"), hex("03")})},
      {ExchangeDeleteOk{}, hex("0028 0015")},
      {ExchangeBind{.destination = "dst", .source = "src", .routing_key = "rk", .no_wait = true},
       concat({hex("0028 001e 0000"), shortstr("dst"), shortstr("src"), shortstr("rk"),
               hex("01 00000000")})},
      {ExchangeBindOk{}, hex("0028 001f")},
      {ExchangeUnbind{.destination = "dst", .source = "src", .routing_key = "rk"},
       concat({hex("0028 0028 0000"), shortstr("dst"), shortstr("src"), shortstr("rk"),
               hex("00 00000000")})},
      {ExchangeUnbindOk{}, hex("0028 0033")},
      // queue
      {QueueDeclare{.queue = "payments",
                    .passive = true,
                    .durable = false,
                    .exclusive = true,
                    .auto_delete = false,
                    .no_wait = true,
                    .arguments = max_length_table()},
       concat({hex("0032 000a 0000"), shortstr("payments"), hex("15 00000012"),
               shortstr("x-max-length"), hex("49 000003e8")})},
      {QueueDeclareOk{.queue = "amq.gen-1", .message_count = 5, .consumer_count = 2},
       concat({hex("0032 000b"), shortstr("amq.gen-1"), hex("00000005 00000002")})},
      {QueueBind{.queue = "q", .exchange = "ex", .routing_key = "rk"},
       concat({hex("0032 0014 0000"), shortstr("q"), shortstr("ex"), shortstr("rk"),
               hex("00 00000000")})},
      {QueueBindOk{}, hex("0032 0015")},
      {QueuePurge{.queue = "q", .no_wait = true},
       concat({hex("0032 001e 0000"), shortstr("q"), hex("01")})},
      {QueuePurgeOk{.message_count = 7}, hex("0032 001f 00000007")},
      {QueueDelete{.queue = "q", .if_unused = false, .if_empty = true, .no_wait = true},
       concat({hex("0032 0028 0000"), shortstr("q"), hex("06")})},
      {QueueDeleteOk{.message_count = 3}, hex("0032 0029 00000003")},
      // queue.unbind has no no-wait bit: the table follows the routing key.
      {QueueUnbind{.queue = "q", .exchange = "ex", .routing_key = "rk"},
       concat({hex("0032 0032 0000"), shortstr("q"), shortstr("ex"), shortstr("rk"),
               hex("00000000")})},
      {QueueUnbindOk{}, hex("0032 0033")},
      // basic
      {BasicQos{.prefetch_size = 0, .prefetch_count = 10, .global = true},
       hex("003c 000a 00000000 000a 01")},
      {BasicQosOk{}, hex("003c 000b")},
      {BasicConsume{.queue = "q",
                    .consumer_tag = "ctag",
                    .no_local = false,
                    .no_ack = true,
                    .exclusive = true,
                    .no_wait = false},
       concat({hex("003c 0014 0000"), shortstr("q"), shortstr("ctag"), hex("06 00000000")})},
      {BasicConsumeOk{.consumer_tag = "ctag"}, concat({hex("003c 0015"), shortstr("ctag")})},
      {BasicCancel{.consumer_tag = "ctag", .no_wait = true},
       concat({hex("003c 001e"), shortstr("ctag"), hex("01")})},
      {BasicCancelOk{.consumer_tag = "ctag"}, concat({hex("003c 001f"), shortstr("ctag")})},
      {BasicPublish{
           .exchange = "amq.direct", .routing_key = "rk", .mandatory = true, .immediate = false},
       concat({hex("003c 0028 0000"), shortstr("amq.direct"), shortstr("rk"), hex("01")})},
      {BasicReturn{
           .reply_code = 312, .reply_text = "NO_ROUTE", .exchange = "ex", .routing_key = "rk"},
       concat({hex("003c 0032 0138"), shortstr("NO_ROUTE"), shortstr("ex"), shortstr("rk")})},
      {BasicDeliver{.consumer_tag = "ctag",
                    .delivery_tag = 0x0102030405060708,
                    .redelivered = true,
                    .exchange = "ex",
                    .routing_key = "rk"},
       concat({hex("003c 003c"), shortstr("ctag"), hex("0102030405060708 01"), shortstr("ex"),
               shortstr("rk")})},
      {BasicGet{.queue = "q", .no_ack = true},
       concat({hex("003c 0046 0000"), shortstr("q"), hex("01")})},
      {BasicGetOk{.delivery_tag = 9,
                  .redelivered = false,
                  .exchange = "",
                  .routing_key = "rk",
                  .message_count = 4},
       concat({hex("003c 0047 0000000000000009 00 00"), shortstr("rk"), hex("00000004")})},
      {BasicGetEmpty{}, hex("003c 0048 00")},
      {BasicAck{.delivery_tag = 5, .multiple = true}, hex("003c 0050 0000000000000005 01")},
      {BasicReject{.delivery_tag = 6, .requeue = false}, hex("003c 005a 0000000000000006 00")},
      {BasicRecoverAsync{.requeue = true}, hex("003c 0064 01")},
      {BasicRecover{.requeue = false}, hex("003c 006e 00")},
      {BasicRecoverOk{}, hex("003c 006f")},
      {BasicNack{.delivery_tag = 7, .multiple = false, .requeue = true},
       hex("003c 0078 0000000000000007 02")},
      // tx
      {TxSelect{}, hex("005a 000a")},
      {TxSelectOk{}, hex("005a 000b")},
      {TxCommit{}, hex("005a 0014")},
      {TxCommitOk{}, hex("005a 0015")},
      {TxRollback{}, hex("005a 001e")},
      {TxRollbackOk{}, hex("005a 001f")},
      // confirm
      {ConfirmSelect{.nowait = true}, hex("0055 000a 01")},
      {ConfirmSelectOk{}, hex("0055 000b")},
  };
}

TEST(AmqpMethodGolden, EncodesEveryMethodToHandWrittenBytes) {
  for (const auto& golden : golden_methods()) {
    SCOPED_TRACE(std::string(method_name(golden.method)));
    EXPECT_EQ(testing::to_hex(encode_method(golden.method)), testing::to_hex(golden.payload));
  }
}

TEST(AmqpMethodGolden, DecodesEveryMethodFromHandWrittenBytes) {
  for (const auto& golden : golden_methods()) {
    SCOPED_TRACE(std::string(method_name(golden.method)));
    const Method decoded = decode_method_payload(golden.payload);
    EXPECT_EQ(decoded.index(), golden.method.index());
    EXPECT_TRUE(decoded == golden.method);
  }
}

TEST(AmqpMethodGolden, CoversEveryKnownMethod) {
  std::set<MethodId> covered;
  for (const auto& golden : golden_methods()) covered.insert(method_id(golden.method));
  std::set<MethodId> known;
  for (const auto& info : all_method_infos()) known.insert(info.id);
  EXPECT_EQ(covered, known);
  // 60 methods in the XML plus blocked, unblocked, update-secret, update-secret-ok.
  EXPECT_EQ(known.size(), 64u);
}

TEST(AmqpMethodGolden, RejectsTruncatedAndTrailingBytes) {
  for (const auto& golden : golden_methods()) {
    SCOPED_TRACE(std::string(method_name(golden.method)));
    Bytes longer = golden.payload;
    longer.push_back(0);
    try {
      decode_method_payload(longer);
      ADD_FAILURE() << "trailing byte accepted";
    } catch (const DecodeError& error) {
      EXPECT_EQ(error.reply_code(), ReplyCode::kFrameError);
    }
    if (golden.payload.size() > 4) {
      const Bytes shorter(golden.payload.begin(), golden.payload.end() - 1);
      EXPECT_THROW(decode_method_payload(shorter), DecodeError);
    }
  }
}

TEST(AmqpMethodGolden, UnknownMethodIsNotImplemented) {
  try {
    decode_method_payload(hex("000a 00ff"));
    FAIL() << "unknown method accepted";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.reply_code(), ReplyCode::kNotImplemented);
  }
}

TEST(AmqpMethodMetadata, FlagsAndRepliesComeFromTheSpec) {
  static_assert(BasicPublish::kHasContent && !BasicPublish::kSynchronous);
  static_assert(BasicDeliver::kHasContent && BasicReturn::kHasContent && BasicGetOk::kHasContent);
  static_assert(QueueDeclare::kSynchronous && !QueueDeclare::kHasContent);
  static_assert(QueueDeclare::kReplies.size() == 1 &&
                QueueDeclare::kReplies[0] == QueueDeclareOk::kId);
  static_assert(BasicGet::kReplies.size() == 2 && BasicGet::kReplies[0] == BasicGetOk::kId &&
                BasicGet::kReplies[1] == BasicGetEmpty::kId);
  static_assert(!BasicAck::kSynchronous && BasicAck::kReplies.empty());
  // From the extension file: the XML leaves these out or under-specifies them.
  static_assert(BasicRecover::kSynchronous && BasicRecover::kReplies[0] == BasicRecoverOk::kId);
  static_assert(ConnectionUpdateSecret::kSynchronous &&
                ConnectionUpdateSecret::kReplies[0] == ConnectionUpdateSecretOk::kId);
  static_assert(!ConnectionBlocked::kSynchronous);
  static_assert(ExchangeUnbindOk::kId == MethodId{40, 51});

  const MethodInfo* info = find_method_info({60, 70});
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->name, "basic.get");
  EXPECT_TRUE(info->synchronous);
  ASSERT_EQ(info->replies.size(), 2u);
  EXPECT_EQ(find_method_info({60, 99}), nullptr);
  EXPECT_EQ(method_info(Method{ConfirmSelect{}}).name, "confirm.select");
}

TEST(AmqpReplyCodes, NamesAndScopes) {
  EXPECT_EQ(reply_code_name(ReplyCode::kNotFound), "NOT_FOUND");
  EXPECT_EQ(reply_code_name(ReplyCode::kPreconditionFailed), "PRECONDITION_FAILED");
  EXPECT_EQ(reply_code_name(ReplyCode::kFrameError), "FRAME_ERROR");
  EXPECT_EQ(static_cast<uint16_t>(ReplyCode::kContentTooLarge), 311);
  EXPECT_EQ(static_cast<uint16_t>(ReplyCode::kInternalError), 541);
  EXPECT_EQ(reply_code_scope(ReplyCode::kReplySuccess), ReplyScope::kSuccess);
  for (auto code :
       {ReplyCode::kContentTooLarge, ReplyCode::kNoConsumers, ReplyCode::kAccessRefused,
        ReplyCode::kNotFound, ReplyCode::kResourceLocked, ReplyCode::kPreconditionFailed}) {
    EXPECT_TRUE(is_channel_error(code)) << reply_code_name(code);
  }
  for (auto code : {ReplyCode::kConnectionForced, ReplyCode::kInvalidPath, ReplyCode::kFrameError,
                    ReplyCode::kSyntaxError, ReplyCode::kCommandInvalid, ReplyCode::kChannelError,
                    ReplyCode::kUnexpectedFrame, ReplyCode::kResourceError, ReplyCode::kNotAllowed,
                    ReplyCode::kNotImplemented, ReplyCode::kInternalError}) {
    EXPECT_TRUE(is_connection_error(code)) << reply_code_name(code);
  }
  EXPECT_EQ(reply_code_from_value(530), ReplyCode::kNotAllowed);
  EXPECT_EQ(reply_code_from_value(312), ReplyCode::kNoRoute);
  EXPECT_TRUE(is_channel_error(ReplyCode::kNoRoute));
  EXPECT_EQ(reply_code_from_value(999), std::nullopt);
}

}  // namespace
}  // namespace mockforge::amqp
