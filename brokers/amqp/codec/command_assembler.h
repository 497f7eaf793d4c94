// Joins frames into commands: a method, and for content-bearing methods
// (basic.publish, basic.deliver, basic.return, basic.get-ok) the content
// header and body frames that follow it on the same channel. Frames of
// different channels may interleave; within a channel the content must follow
// its method, which is where 505 UNEXPECTED_FRAME comes from.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/frame.h"
#include "mockforge/amqp/methods.h"

namespace mockforge::amqp {

struct Command {
  uint16_t channel = 0;
  Method method;
  // Present exactly when the method carries content.
  std::optional<ContentHeader> header;
  std::string body;
};

struct HeartbeatReceived {
  friend bool operator==(const HeartbeatReceived&, const HeartbeatReceived&) = default;
};
struct NeedMoreFrames {
  friend bool operator==(const NeedMoreFrames&, const NeedMoreFrames&) = default;
};

// Every CommandError is a connection error: close with reply_code, naming
// the offending method in connection.close's class-id/method-id if known.
struct CommandError {
  ReplyCode reply_code;
  uint16_t channel = 0;
  MethodId method;  // {0, 0} when no method is involved
  std::string message;
};

using AssembleResult = std::variant<NeedMoreFrames, Command, HeartbeatReceived, CommandError>;

class CommandAssembler {
 public:
  AssembleResult add(const Frame& frame);
  AssembleResult add(const FrameView& frame);

  // Whether `channel` is between a content method and the end of its body.
  bool content_pending(uint16_t channel) const {
    const auto it = pending_.find(channel);
    return it != pending_.end() && it->second.active;
  }
  // Drops partial content of a channel, e.g. when it closes.
  void forget_channel(uint16_t channel) { pending_.erase(channel); }
  // Bodies announced larger than this are counted as their frames arrive but
  // not kept: the command comes out with an empty body and the header's size,
  // for the caller to refuse (0: no limit).
  void set_max_body_size(uint64_t size) { max_body_size_ = size; }

 private:
  AssembleResult add_method(const FrameView& frame);
  AssembleResult add_header(const FrameView& frame);
  AssembleResult add_body(const FrameView& frame);

  // One slot per channel that has carried content; a finished command leaves
  // its slot inactive for the next one, so publishing allocates no map node.
  struct Pending {
    Command command;
    uint64_t body_size = 0;
    uint64_t received = 0;  // body bytes so far, kept or not
    bool active = false;
  };
  Pending* active_pending(uint16_t channel);
  std::map<uint16_t, Pending> pending_;
  uint64_t max_body_size_ = 0;
};

}  // namespace mockforge::amqp
