#include "brokers/amqp/codec/command_assembler.h"

#include <algorithm>
#include <utility>

namespace mockforge::amqp {

namespace {

// Reserved for a body up front at most; larger bodies grow as frames arrive,
// so a header announcing a huge size allocates nothing by itself.
constexpr uint64_t kMaxBodyReserve = 1 << 20;

}  // namespace

AssembleResult CommandAssembler::add(const Frame& frame) {
  return add(FrameView{frame.type, frame.channel, frame.payload});
}

AssembleResult CommandAssembler::add(const FrameView& frame) {
  switch (frame.type) {
    case FrameType::kMethod:
      return add_method(frame);
    case FrameType::kHeader:
      return add_header(frame);
    case FrameType::kBody:
      return add_body(frame);
    case FrameType::kHeartbeat:
      return HeartbeatReceived{};
  }
  return CommandError{ReplyCode::kFrameError, frame.channel, {}, "unknown frame type"};
}

CommandAssembler::Pending* CommandAssembler::active_pending(uint16_t channel) {
  const auto it = pending_.find(channel);
  return it != pending_.end() && it->second.active ? &it->second : nullptr;
}

AssembleResult CommandAssembler::add_method(const FrameView& frame) {
  if (const Pending* pending = active_pending(frame.channel)) {
    return CommandError{
        ReplyCode::kUnexpectedFrame, frame.channel, method_id(pending->command.method),
        "method frame on channel " + std::to_string(frame.channel) + " while content of " +
            std::string(method_name(pending->command.method)) + " is incomplete"};
  }
  MethodId id;
  try {
    ByteReader ids(frame.payload);
    id.class_id = ids.read_u16();
    id.method_id = ids.read_u16();
    Method method = decode_method(id.class_id, id.method_id, frame.payload.subspan(ids.position()));
    if (!method_info(method).has_content) {
      return Command{frame.channel, std::move(method), std::nullopt, {}};
    }
    Pending& pending = pending_[frame.channel];
    pending.command.channel = frame.channel;
    pending.command.method = std::move(method);
    pending.command.header.reset();
    pending.command.body.clear();
    pending.body_size = 0;
    pending.received = 0;
    pending.active = true;
    return NeedMoreFrames{};
  } catch (const DecodeError& error) {
    return CommandError{error.reply_code(), frame.channel, id, error.what()};
  }
}

AssembleResult CommandAssembler::add_header(const FrameView& frame) {
  Pending* pending = active_pending(frame.channel);
  if (pending == nullptr || pending->command.header) {
    return CommandError{ReplyCode::kUnexpectedFrame,
                        frame.channel,
                        {},
                        "content header frame on channel " + std::to_string(frame.channel) +
                            " without a content method before it"};
  }
  const MethodId id = method_id(pending->command.method);
  try {
    ContentHeader header = decode_content_header(frame.payload);
    if (header.class_id != id.class_id) {
      pending_.erase(frame.channel);
      return CommandError{ReplyCode::kUnexpectedFrame, frame.channel, id,
                          "content header class does not match its method"};
    }
    pending->body_size = header.body_size;
    pending->command.header = std::move(header);
  } catch (const DecodeError& error) {
    pending_.erase(frame.channel);
    return CommandError{error.reply_code(), frame.channel, id, error.what()};
  }
  if (pending->body_size == 0) {
    pending->active = false;
    return std::move(pending->command);
  }
  if (max_body_size_ == 0 || pending->body_size <= max_body_size_) {
    pending->command.body.reserve(std::min(pending->body_size, kMaxBodyReserve));
  }
  return NeedMoreFrames{};
}

AssembleResult CommandAssembler::add_body(const FrameView& frame) {
  Pending* pending = active_pending(frame.channel);
  if (pending == nullptr || !pending->command.header) {
    return CommandError{ReplyCode::kUnexpectedFrame,
                        frame.channel,
                        {},
                        "content body frame on channel " + std::to_string(frame.channel) +
                            " without a content header before it"};
  }
  if (frame.payload.size() > pending->body_size - pending->received) {
    const MethodId id = method_id(pending->command.method);
    pending_.erase(frame.channel);
    return CommandError{ReplyCode::kFrameError, frame.channel, id,
                        "content body longer than the size in its header"};
  }
  pending->received += frame.payload.size();
  if (max_body_size_ == 0 || pending->body_size <= max_body_size_) {
    pending->command.body.append(reinterpret_cast<const char*>(frame.payload.data()),
                                 frame.payload.size());
  }
  if (pending->received < pending->body_size) return NeedMoreFrames{};
  pending->active = false;
  return std::move(pending->command);
}

}  // namespace mockforge::amqp
