#include "brokers/amqp/codec/frame.h"

#include <algorithm>
#include <limits>

namespace mockforge::amqp {
namespace {

constexpr std::size_t kAmqpPrefixSize = 4;

bool is_known_frame_type(uint8_t type) {
  return type == kFrameMethod || type == kFrameHeader || type == kFrameBody ||
         type == kFrameHeartbeat;
}

}  // namespace

ProtocolHeaderStatus check_protocol_header(std::span<const uint8_t> bytes) {
  const std::size_t prefix = std::min(bytes.size(), kAmqpPrefixSize);
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(prefix),
                  kProtocolHeader.begin())) {
    return ProtocolHeaderStatus::kNotAmqp;
  }
  const std::size_t length = std::min(bytes.size(), kProtocolHeader.size());
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length),
                  kProtocolHeader.begin())) {
    return length == kProtocolHeader.size() ? ProtocolHeaderStatus::kUnsupportedVersion
                                            : ProtocolHeaderStatus::kIncomplete;
  }
  return length == kProtocolHeader.size() ? ProtocolHeaderStatus::kAccepted
                                          : ProtocolHeaderStatus::kIncomplete;
}

void encode_frame(ByteWriter& out, FrameType type, uint16_t channel,
                  std::span<const uint8_t> payload) {
  if (payload.size() > std::numeric_limits<uint32_t>::max()) {
    throw EncodeError("frame payload exceeds 4 GiB");
  }
  out.write_u8(static_cast<uint8_t>(type));
  out.write_u16(channel);
  out.write_u32(static_cast<uint32_t>(payload.size()));
  out.write_bytes(payload);
  out.write_u8(kFrameEnd);
}

std::vector<uint8_t> encode_frame(const Frame& frame) {
  ByteWriter out;
  encode_frame(out, frame.type, frame.channel, frame.payload);
  return out.take();
}

std::vector<uint8_t> encode_method_frame(uint16_t channel, const Method& method) {
  ByteWriter out;
  encode_method_frame(out, channel, method);
  return out.take();
}

void encode_method_frame(ByteWriter& out, uint16_t channel, const Method& method) {
  const std::size_t placeholder = begin_frame(out, FrameType::kMethod, channel);
  encode_method(out, method);
  end_frame(out, placeholder);
}

std::size_t begin_frame(ByteWriter& out, FrameType type, uint16_t channel) {
  out.write_u8(static_cast<uint8_t>(type));
  out.write_u16(channel);
  return out.begin_u32_length();
}

void end_frame(ByteWriter& out, std::size_t placeholder) {
  out.end_u32_length(placeholder);
  out.write_u8(kFrameEnd);
}

std::vector<uint8_t> encode_content_header_frame(uint16_t channel, const ContentHeader& header) {
  ByteWriter out;
  encode_frame(out, FrameType::kHeader, channel, encode_content_header(header));
  return out.take();
}

std::vector<uint8_t> encode_heartbeat_frame() {
  ByteWriter out;
  encode_frame(out, FrameType::kHeartbeat, 0, {});
  return out.take();
}

void encode_body_frames(ByteWriter& out, uint16_t channel, std::span<const uint8_t> body,
                        uint32_t frame_max) {
  if (frame_max != 0 && frame_max <= kFrameOverhead) {
    throw EncodeError("frame_max " + std::to_string(frame_max) + " leaves no room for a body");
  }
  const std::size_t chunk = frame_max == 0 ? std::numeric_limits<uint32_t>::max()
                                           : static_cast<std::size_t>(frame_max) - kFrameOverhead;
  for (std::size_t offset = 0; offset < body.size(); offset += chunk) {
    encode_frame(out, FrameType::kBody, channel,
                 body.subspan(offset, std::min(chunk, body.size() - offset)));
  }
}

FrameSplitter::FrameSplitter(Start start, uint32_t frame_max)
    : awaiting_protocol_header_(start == Start::kExpectProtocolHeader), frame_max_(frame_max) {}

void FrameSplitter::feed(std::span<const uint8_t> bytes) {
  if (error_) return;
  if (read_offset_ > 0 && read_offset_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_offset_));
    read_offset_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::span<const uint8_t> FrameSplitter::unread() const {
  return std::span<const uint8_t>(buffer_).subspan(read_offset_);
}

void FrameSplitter::consume(std::size_t count) { read_offset_ += count; }

FrameError FrameSplitter::fail(FrameErrorKind kind, ReplyCode code, std::string message) {
  error_ = FrameError{kind, code, std::move(message)};
  return *error_;
}

SplitResult FrameSplitter::next() {
  SplitViewResult result = next_view();
  if (const auto* view = std::get_if<FrameView>(&result)) {
    return Frame{view->type, view->channel,
                 std::vector<uint8_t>(view->payload.begin(), view->payload.end())};
  }
  if (std::holds_alternative<NeedMoreBytes>(result)) return NeedMoreBytes{};
  if (std::holds_alternative<ProtocolHeaderReceived>(result)) return ProtocolHeaderReceived{};
  return std::get<FrameError>(std::move(result));
}

SplitViewResult FrameSplitter::next_view() {
  if (error_) return *error_;
  const auto bytes = unread();

  if (awaiting_protocol_header_) {
    switch (check_protocol_header(bytes)) {
      case ProtocolHeaderStatus::kIncomplete:
        return NeedMoreBytes{};
      case ProtocolHeaderStatus::kNotAmqp:
        return fail(FrameErrorKind::kNotAmqp, ReplyCode::kFrameError,
                    "stream does not start with the AMQP protocol header");
      case ProtocolHeaderStatus::kUnsupportedVersion:
        return fail(FrameErrorKind::kUnsupportedProtocolVersion, ReplyCode::kFrameError,
                    "client asked for an AMQP version other than 0-9-1");
      case ProtocolHeaderStatus::kAccepted:
        awaiting_protocol_header_ = false;
        consume(kProtocolHeader.size());
        return ProtocolHeaderReceived{};
    }
  }

  if (bytes.size() < kFrameHeaderSize) return NeedMoreBytes{};
  ByteReader header(bytes.first(kFrameHeaderSize));
  const uint8_t type = header.read_u8();
  const uint16_t channel = header.read_u16();
  const uint32_t size = header.read_u32();

  if (!is_known_frame_type(type)) {
    return fail(FrameErrorKind::kUnknownFrameType, ReplyCode::kFrameError,
                "unknown frame type " + std::to_string(type));
  }
  if (frame_max_ != 0 && uint64_t{size} + kFrameOverhead > frame_max_) {
    return fail(FrameErrorKind::kFrameTooLarge, ReplyCode::kFrameError,
                "frame of " + std::to_string(uint64_t{size} + kFrameOverhead) +
                    " bytes exceeds frame_max " + std::to_string(frame_max_));
  }
  if (type == kFrameHeartbeat && channel != 0) {
    return fail(FrameErrorKind::kBadHeartbeat, ReplyCode::kFrameError,
                "heartbeat frame on channel " + std::to_string(channel));
  }
  const std::size_t total = std::size_t{size} + kFrameOverhead;
  if (bytes.size() < total) return NeedMoreBytes{};
  if (bytes[total - 1] != kFrameEnd) {
    return fail(FrameErrorKind::kBadFrameEnd, ReplyCode::kFrameError,
                "frame end octet is " + std::to_string(bytes[total - 1]) + ", expected 206");
  }
  if (type == kFrameHeartbeat && size != 0) {
    return fail(FrameErrorKind::kBadHeartbeat, ReplyCode::kFrameError,
                "heartbeat frame with a payload");
  }
  consume(total);
  return FrameView{static_cast<FrameType>(type), channel, bytes.subspan(kFrameHeaderSize, size)};
}

}  // namespace mockforge::amqp
