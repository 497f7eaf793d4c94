#include "brokers/amqp/codec/command_assembler.h"

#include <gtest/gtest.h>

#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

Frame method_frame(uint16_t channel, const Method& method) {
  return Frame{FrameType::kMethod, channel, encode_method(method)};
}

Frame header_frame(uint16_t channel, uint64_t body_size) {
  ContentHeader header;
  header.body_size = body_size;
  header.properties.content_type = "text/plain";
  return Frame{FrameType::kHeader, channel, encode_content_header(header)};
}

Frame body_frame(uint16_t channel, std::string_view text) {
  return Frame{FrameType::kBody, channel, testing::ascii(text)};
}

CommandError expect_error(const AssembleResult& result) {
  const auto* error = std::get_if<CommandError>(&result);
  if (error == nullptr) throw std::runtime_error("expected a command error");
  return *error;
}

TEST(AmqpCommandAssembler, MethodWithoutContentIsACommandAtOnce) {
  CommandAssembler assembler;
  const auto result = assembler.add(method_frame(1, QueueDeclare{.queue = "q"}));
  const auto& command = std::get<Command>(result);
  EXPECT_EQ(command.channel, 1);
  EXPECT_EQ(std::get<QueueDeclare>(command.method).queue, "q");
  EXPECT_FALSE(command.header.has_value());
}

TEST(AmqpCommandAssembler, PublishWithBodyInTwoFramesInterleavedWithAnotherChannel) {
  CommandAssembler assembler;
  EXPECT_TRUE(std::holds_alternative<NeedMoreFrames>(
      assembler.add(method_frame(1, BasicPublish{.routing_key = "rk"}))));
  EXPECT_TRUE(assembler.content_pending(1));
  EXPECT_TRUE(std::holds_alternative<NeedMoreFrames>(assembler.add(header_frame(1, 5))));
  EXPECT_TRUE(std::holds_alternative<Command>(assembler.add(method_frame(2, BasicQos{}))));
  EXPECT_TRUE(std::holds_alternative<NeedMoreFrames>(assembler.add(body_frame(1, "he"))));
  const auto result = assembler.add(body_frame(1, "llo"));
  const auto& command = std::get<Command>(result);
  EXPECT_EQ(command.body, "hello");
  ASSERT_TRUE(command.header.has_value());
  EXPECT_EQ(command.header->properties.content_type, "text/plain");
  EXPECT_FALSE(assembler.content_pending(1));
}

TEST(AmqpCommandAssembler, ZeroLengthBodyCompletesWithTheHeader) {
  CommandAssembler assembler;
  assembler.add(method_frame(1, BasicPublish{}));
  const auto result = assembler.add(header_frame(1, 0));
  EXPECT_EQ(std::get<Command>(result).body, "");
}

TEST(AmqpCommandAssembler, ContentOutOfOrderIsUnexpectedFrame) {
  CommandAssembler assembler;
  EXPECT_EQ(expect_error(assembler.add(header_frame(1, 1))).reply_code,
            ReplyCode::kUnexpectedFrame);
  EXPECT_EQ(expect_error(assembler.add(body_frame(1, "x"))).reply_code,
            ReplyCode::kUnexpectedFrame);
  assembler.add(method_frame(1, BasicPublish{}));
  EXPECT_EQ(expect_error(assembler.add(body_frame(1, "x"))).reply_code,
            ReplyCode::kUnexpectedFrame);
  const auto& error = expect_error(assembler.add(method_frame(1, BasicQos{})));
  EXPECT_EQ(error.reply_code, ReplyCode::kUnexpectedFrame);
  EXPECT_EQ(error.method, BasicPublish::kId);
}

TEST(AmqpCommandAssembler, BodyLongerThanDeclaredIsAFrameError) {
  CommandAssembler assembler;
  assembler.add(method_frame(1, BasicPublish{}));
  assembler.add(header_frame(1, 2));
  EXPECT_EQ(expect_error(assembler.add(body_frame(1, "abc"))).reply_code, ReplyCode::kFrameError);
}

TEST(AmqpCommandAssembler, BodyOverTheLimitIsCountedButNotKept) {
  CommandAssembler assembler;
  assembler.set_max_body_size(4);
  assembler.add(method_frame(1, BasicPublish{}));
  assembler.add(header_frame(1, 6));
  EXPECT_TRUE(std::holds_alternative<NeedMoreFrames>(assembler.add(body_frame(1, "abc"))));
  const auto result = assembler.add(body_frame(1, "def"));
  const auto& command = std::get<Command>(result);
  EXPECT_EQ(command.body, "");
  EXPECT_EQ(command.header->body_size, 6u);
  // Still checked against the header's size, and a body at the limit is kept.
  assembler.add(method_frame(1, BasicPublish{}));
  assembler.add(header_frame(1, 5));
  EXPECT_EQ(expect_error(assembler.add(body_frame(1, "abcdef"))).reply_code,
            ReplyCode::kFrameError);
  assembler.add(method_frame(2, BasicPublish{}));
  assembler.add(header_frame(2, 4));
  EXPECT_EQ(std::get<Command>(assembler.add(body_frame(2, "abcd"))).body, "abcd");
}

TEST(AmqpCommandAssembler, DecodeErrorsCarryTheirReplyCode) {
  CommandAssembler assembler;
  const auto& error =
      expect_error(assembler.add(Frame{FrameType::kMethod, 1, testing::hex("0032 000a 00")}));
  EXPECT_EQ(error.reply_code, ReplyCode::kFrameError);
  EXPECT_EQ(error.method, QueueDeclare::kId);
  EXPECT_EQ(expect_error(assembler.add(Frame{FrameType::kMethod, 1, testing::hex("0063 0001")}))
                .reply_code,
            ReplyCode::kNotImplemented);
}

TEST(AmqpCommandAssembler, Heartbeat) {
  CommandAssembler assembler;
  EXPECT_TRUE(std::holds_alternative<HeartbeatReceived>(
      assembler.add(Frame{FrameType::kHeartbeat, 0, {}})));
}

}  // namespace
}  // namespace mockforge::amqp
