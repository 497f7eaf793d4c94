#include "brokers/amqp/codec/frame.h"

#include <gtest/gtest.h>

#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::Bytes;
using testing::concat;
using testing::hex;

const Bytes kHeader = hex("414d5150 00 00 09 01");
// channel.open on channel 1, then a heartbeat.
const Bytes kChannelOpenFrame = hex("01 0001 00000005 0014000a00 ce");
const Bytes kHeartbeatFrame = hex("08 0000 00000000 ce");

template <typename T>
T expect(const SplitResult& result) {
  const T* value = std::get_if<T>(&result);
  if (value == nullptr) {
    if (const auto* error = std::get_if<FrameError>(&result)) {
      ADD_FAILURE() << "unexpected frame error: " << error->message;
    }
    throw std::runtime_error("unexpected split result alternative " +
                             std::to_string(result.index()));
  }
  return *value;
}

TEST(AmqpFrame, EncodesFrames) {
  EXPECT_EQ(encode_method_frame(1, ChannelOpen{}), kChannelOpenFrame);
  EXPECT_EQ(encode_heartbeat_frame(), kHeartbeatFrame);
  ContentHeader header;
  header.body_size = 3;
  EXPECT_EQ(testing::to_hex(encode_content_header_frame(2, header)),
            "02"
            "0002"
            "0000000e"
            "003c"
            "0000"
            "0000000000000003"
            "0000"
            "ce");
}

TEST(AmqpFrame, SplitsBodiesByFrameMax) {
  ByteWriter out;
  const Bytes body = testing::ascii("abcdefghij");
  encode_body_frames(out, 3, body, 8 + 4);  // 4 payload bytes per frame
  EXPECT_EQ(testing::to_hex(out.bytes()),
            "03000300000004"
            "61626364"
            "ce"
            "03000300000004"
            "65666768"
            "ce"
            "03000300000002"
            "696a"
            "ce");
  ByteWriter empty;
  encode_body_frames(empty, 3, {}, 4096);
  EXPECT_TRUE(empty.bytes().empty());
  EXPECT_THROW(encode_body_frames(empty, 3, body, 8), EncodeError);
}

TEST(AmqpProtocolHeader, TellsApartWrongHeaders) {
  EXPECT_EQ(check_protocol_header(kHeader), ProtocolHeaderStatus::kAccepted);
  EXPECT_EQ(check_protocol_header(hex("414d51")), ProtocolHeaderStatus::kIncomplete);
  EXPECT_EQ(check_protocol_header(hex("414d5150 00 00")), ProtocolHeaderStatus::kIncomplete);
  EXPECT_EQ(check_protocol_header(testing::ascii("GET / HTTP/1.1\r\n")),
            ProtocolHeaderStatus::kNotAmqp);
  EXPECT_EQ(check_protocol_header(hex("16 03 01")), ProtocolHeaderStatus::kNotAmqp);  // TLS
  // AMQP 0-10 and 1.0 and 0-8.
  EXPECT_EQ(check_protocol_header(hex("414d5150 01 01 00 0a")),
            ProtocolHeaderStatus::kUnsupportedVersion);
  EXPECT_EQ(check_protocol_header(hex("414d5150 00 01 00 00")),
            ProtocolHeaderStatus::kUnsupportedVersion);
  EXPECT_EQ(check_protocol_header(hex("414d5150 01 01 08 00")),
            ProtocolHeaderStatus::kUnsupportedVersion);
}

TEST(AmqpFrameSplitter, HeaderThenFramesFedOneByteAtATime) {
  FrameSplitter splitter;
  const Bytes stream = concat({kHeader, kChannelOpenFrame, kHeartbeatFrame});
  std::vector<SplitResult> results;
  for (uint8_t byte : stream) {
    splitter.feed(std::span<const uint8_t>(&byte, 1));
    for (auto result = splitter.next(); !std::holds_alternative<NeedMoreBytes>(result);
         result = splitter.next()) {
      results.push_back(result);
    }
  }
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<ProtocolHeaderReceived>(results[0]));
  const Frame& method = expect<Frame>(results[1]);
  EXPECT_EQ(method.type, FrameType::kMethod);
  EXPECT_EQ(method.channel, 1);
  EXPECT_EQ(method.payload, hex("0014000a00"));
  EXPECT_EQ(expect<Frame>(results[2]).type, FrameType::kHeartbeat);
  EXPECT_EQ(splitter.buffered(), 0u);
}

TEST(AmqpFrameSplitter, PartialFrameWaitsForTheRest) {
  FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
  const Bytes frame = kChannelOpenFrame;
  splitter.feed(std::span(frame).first(9));
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(splitter.next()));
  EXPECT_EQ(splitter.buffered(), 9u);
  splitter.feed(std::span(frame).subspan(9));
  EXPECT_EQ(expect<Frame>(splitter.next()).payload, hex("0014000a00"));
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(splitter.next()));
}

TEST(AmqpFrameSplitter, ManyFramesInOneRead) {
  FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
  const Bytes stream = concat({kChannelOpenFrame, kHeartbeatFrame, kChannelOpenFrame});
  splitter.feed(stream);
  EXPECT_EQ(expect<Frame>(splitter.next()).type, FrameType::kMethod);
  EXPECT_EQ(expect<Frame>(splitter.next()).type, FrameType::kHeartbeat);
  EXPECT_EQ(expect<Frame>(splitter.next()).type, FrameType::kMethod);
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(splitter.next()));
}

TEST(AmqpFrameSplitter, BadFrameEndIsAFrameError) {
  FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
  splitter.feed(hex("01 0001 00000005 0014000a00 cd"));
  const auto& error = expect<FrameError>(splitter.next());
  EXPECT_EQ(error.kind, FrameErrorKind::kBadFrameEnd);
  EXPECT_EQ(error.reply_code, ReplyCode::kFrameError);
  EXPECT_FALSE(error.answer_with_protocol_header());
  // The splitter stays failed.
  splitter.feed(kHeartbeatFrame);
  EXPECT_EQ(expect<FrameError>(splitter.next()).kind, FrameErrorKind::kBadFrameEnd);
  EXPECT_TRUE(splitter.failed());
}

TEST(AmqpFrameSplitter, OversizeFrameIsRefusedBeforeItsBody) {
  FrameSplitter splitter(FrameSplitter::Start::kFramesOnly, 4096);
  // Only the 7-byte header of a frame announcing 4089 bytes (4097 with overhead).
  splitter.feed(hex("03 0001 00000ff9"));
  const auto& error = expect<FrameError>(splitter.next());
  EXPECT_EQ(error.kind, FrameErrorKind::kFrameTooLarge);
  EXPECT_EQ(error.reply_code, ReplyCode::kFrameError);

  FrameSplitter exact(FrameSplitter::Start::kFramesOnly, 4096);
  exact.feed(hex("03 0001 00000ff8"));
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(exact.next()));

  FrameSplitter unlimited(FrameSplitter::Start::kFramesOnly, 0);
  unlimited.feed(hex("03 0001 7fffffff"));
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(unlimited.next()));
}

TEST(AmqpFrameSplitter, FrameMaxCanBeRaisedAfterTuning) {
  FrameSplitter splitter(FrameSplitter::Start::kFramesOnly, 4096);
  splitter.set_frame_max(131072);
  splitter.feed(hex("03 0001 00001000"));
  EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(splitter.next()));
}

TEST(AmqpFrameSplitter, WrongProtocolHeaders) {
  {
    FrameSplitter splitter;
    splitter.feed(hex("414d5150 01 01 00 0a"));
    const auto& error = expect<FrameError>(splitter.next());
    EXPECT_EQ(error.kind, FrameErrorKind::kUnsupportedProtocolVersion);
    EXPECT_TRUE(error.answer_with_protocol_header());
  }
  {
    FrameSplitter splitter;
    splitter.feed(testing::ascii("G"));  // known to be wrong from the first byte
    const auto& error = expect<FrameError>(splitter.next());
    EXPECT_EQ(error.kind, FrameErrorKind::kNotAmqp);
    EXPECT_TRUE(error.answer_with_protocol_header());
  }
  {
    FrameSplitter splitter;
    splitter.feed(hex("414d5150 00 00 09"));
    EXPECT_TRUE(std::holds_alternative<NeedMoreBytes>(splitter.next()));
  }
}

TEST(AmqpFrameSplitter, UnknownFrameTypeAndBadHeartbeats) {
  {
    FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
    splitter.feed(hex("04 0000 00000000 ce"));
    const auto& error = expect<FrameError>(splitter.next());
    EXPECT_EQ(error.kind, FrameErrorKind::kUnknownFrameType);
    EXPECT_EQ(error.reply_code, ReplyCode::kFrameError);
  }
  {
    FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
    splitter.feed(hex("08 0001 00000000 ce"));
    EXPECT_EQ(expect<FrameError>(splitter.next()).kind, FrameErrorKind::kBadHeartbeat);
  }
  {
    FrameSplitter splitter(FrameSplitter::Start::kFramesOnly);
    splitter.feed(hex("08 0000 00000001 00 ce"));
    EXPECT_EQ(expect<FrameError>(splitter.next()).kind, FrameErrorKind::kBadHeartbeat);
  }
}

}  // namespace
}  // namespace mockforge::amqp
