// AMQP 0-9-1 framing: the protocol header, frame encoding, and a streaming
// splitter that turns received bytes into frames or a typed error.
//
// A frame is: type octet, channel short, payload size long, payload, 0xCE.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "brokers/amqp/codec/buffer.h"
#include "brokers/amqp/codec/content_header.h"
#include "mockforge/amqp/constants.h"
#include "mockforge/amqp/methods.h"

namespace mockforge::amqp {

enum class FrameType : uint8_t {
  kMethod = kFrameMethod,
  kHeader = kFrameHeader,
  kBody = kFrameBody,
  kHeartbeat = kFrameHeartbeat,
};

struct Frame {
  FrameType type = FrameType::kHeartbeat;
  uint16_t channel = 0;
  std::vector<uint8_t> payload;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// "AMQP" 0 0 9 1: what a 0-9-1 client sends first, and what a server answers
// with before closing when the client asked for another protocol.
inline constexpr std::array<uint8_t, 8> kProtocolHeader{
    'A', 'M', 'Q', 'P', 0, kProtocolMajor, kProtocolMinor, kProtocolRevision};
// Type, channel and size.
inline constexpr std::size_t kFrameHeaderSize = 7;
// Header plus frame-end octet: what frame_max counts on top of the payload.
inline constexpr std::size_t kFrameOverhead = kFrameHeaderSize + 1;

enum class ProtocolHeaderStatus {
  kIncomplete,          // a prefix of a valid header; more bytes needed
  kAccepted,            // exactly "AMQP" 0 0 9 1
  kNotAmqp,             // does not start with "AMQP" (HTTP, TLS, garbage...)
  kUnsupportedVersion,  // "AMQP" followed by another protocol id or version
};

// Classifies the first bytes a client sent (only the first 8 are looked at).
ProtocolHeaderStatus check_protocol_header(std::span<const uint8_t> bytes);

void encode_frame(ByteWriter& out, FrameType type, uint16_t channel,
                  std::span<const uint8_t> payload);
std::vector<uint8_t> encode_frame(const Frame& frame);
std::vector<uint8_t> encode_method_frame(uint16_t channel, const Method& method);
// Appends a method frame, encoding the method in place.
void encode_method_frame(ByteWriter& out, uint16_t channel, const Method& method);
// A frame written in place: begin_frame() writes type, channel and a size
// placeholder and returns the placeholder; the caller writes the payload, and
// end_frame() fills in the size and writes the frame-end octet.
std::size_t begin_frame(ByteWriter& out, FrameType type, uint16_t channel);
void end_frame(ByteWriter& out, std::size_t placeholder);
std::vector<uint8_t> encode_content_header_frame(uint16_t channel, const ContentHeader& header);
std::vector<uint8_t> encode_heartbeat_frame();
// Appends body frames carrying `body`, each frame (overhead included) no larger
// than frame_max; 0 means no limit. An empty body produces no frame.
void encode_body_frames(ByteWriter& out, uint16_t channel, std::span<const uint8_t> body,
                        uint32_t frame_max);

enum class FrameErrorKind {
  kNotAmqp,                     // protocol header does not start with "AMQP"
  kUnsupportedProtocolVersion,  // "AMQP" with another version
  kUnknownFrameType,
  kFrameTooLarge,  // declared size exceeds frame_max; detected before the body
  kBadFrameEnd,    // last octet is not 0xCE
  kBadHeartbeat,   // heartbeat on a channel other than 0, or with a payload
};

struct FrameError {
  FrameErrorKind kind;
  // What to close the connection with, once it is open.
  ReplyCode reply_code;
  std::string message;

  // A bad protocol header is answered with our own header, then the socket is
  // closed: there is no connection to send connection.close on yet.
  bool answer_with_protocol_header() const {
    return kind == FrameErrorKind::kNotAmqp || kind == FrameErrorKind::kUnsupportedProtocolVersion;
  }
};

struct NeedMoreBytes {
  friend bool operator==(const NeedMoreBytes&, const NeedMoreBytes&) = default;
};
struct ProtocolHeaderReceived {
  friend bool operator==(const ProtocolHeaderReceived&, const ProtocolHeaderReceived&) = default;
};

using SplitResult = std::variant<NeedMoreBytes, ProtocolHeaderReceived, Frame, FrameError>;

// A frame inside the splitter's buffer: valid until the next feed() or next().
struct FrameView {
  FrameType type = FrameType::kHeartbeat;
  uint16_t channel = 0;
  std::span<const uint8_t> payload;
};
using SplitViewResult = std::variant<NeedMoreBytes, ProtocolHeaderReceived, FrameView, FrameError>;

// Turns a byte stream into frames. Feed bytes as they arrive, then call next()
// until it returns NeedMoreBytes. After a FrameError the splitter stays failed
// and returns the same error.
class FrameSplitter {
 public:
  enum class Start {
    kExpectProtocolHeader,  // server side: the stream starts with "AMQP" 0 0 9 1
    kFramesOnly,            // client side, or a stream already past the header
  };

  // frame_max counts a whole frame including its 8 bytes of overhead; 0 means
  // no limit. Before connection.tune-ok the spec's frame-min-size applies.
  explicit FrameSplitter(Start start = Start::kExpectProtocolHeader,
                         uint32_t frame_max = kFrameMinSize);

  void set_frame_max(uint32_t frame_max) { frame_max_ = frame_max; }
  uint32_t frame_max() const { return frame_max_; }

  void feed(std::span<const uint8_t> bytes);
  SplitResult next();
  // As next(), without copying the payload out (the broker's per-frame path).
  SplitViewResult next_view();

  // Bytes received but not yet returned as a frame.
  std::size_t buffered() const { return buffer_.size() - read_offset_; }
  bool failed() const { return error_.has_value(); }

 private:
  FrameError fail(FrameErrorKind kind, ReplyCode code, std::string message);
  std::span<const uint8_t> unread() const;
  void consume(std::size_t count);

  bool awaiting_protocol_header_;
  uint32_t frame_max_;
  std::vector<uint8_t> buffer_;
  std::size_t read_offset_ = 0;
  std::optional<FrameError> error_;
};

}  // namespace mockforge::amqp
