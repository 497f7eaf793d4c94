#include "brokers/amqp/codec/command_assembler.h"

#include <utility>

namespace mockforge::amqp {

AssembleResult CommandAssembler::add(const Frame& frame) {
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

AssembleResult CommandAssembler::add_method(const Frame& frame) {
  if (const auto it = pending_.find(frame.channel); it != pending_.end()) {
    return CommandError{
        ReplyCode::kUnexpectedFrame, frame.channel, method_id(it->second.command.method),
        "method frame on channel " + std::to_string(frame.channel) + " while content of " +
            std::string(method_name(it->second.command.method)) + " is incomplete"};
  }
  MethodId id;
  try {
    ByteReader ids(frame.payload);
    id.class_id = ids.read_u16();
    id.method_id = ids.read_u16();
    Method method = decode_method(id.class_id, id.method_id,
                                  std::span<const uint8_t>(frame.payload).subspan(ids.position()));
    Command command{frame.channel, std::move(method), std::nullopt, {}};
    if (!method_info(command.method).has_content) return command;
    pending_.emplace(frame.channel, Pending{std::move(command), 0});
    return NeedMoreFrames{};
  } catch (const DecodeError& error) {
    return CommandError{error.reply_code(), frame.channel, id, error.what()};
  }
}

AssembleResult CommandAssembler::add_header(const Frame& frame) {
  const auto it = pending_.find(frame.channel);
  if (it == pending_.end() || it->second.command.header) {
    return CommandError{ReplyCode::kUnexpectedFrame,
                        frame.channel,
                        {},
                        "content header frame on channel " + std::to_string(frame.channel) +
                            " without a content method before it"};
  }
  Pending& pending = it->second;
  const MethodId id = method_id(pending.command.method);
  try {
    ContentHeader header = decode_content_header(frame.payload);
    if (header.class_id != id.class_id) {
      pending_.erase(it);
      return CommandError{ReplyCode::kUnexpectedFrame, frame.channel, id,
                          "content header class does not match its method"};
    }
    pending.body_size = header.body_size;
    pending.command.header = std::move(header);
  } catch (const DecodeError& error) {
    pending_.erase(it);
    return CommandError{error.reply_code(), frame.channel, id, error.what()};
  }
  if (pending.body_size == 0) {
    Command command = std::move(pending.command);
    pending_.erase(it);
    return command;
  }
  return NeedMoreFrames{};
}

AssembleResult CommandAssembler::add_body(const Frame& frame) {
  const auto it = pending_.find(frame.channel);
  if (it == pending_.end() || !it->second.command.header) {
    return CommandError{ReplyCode::kUnexpectedFrame,
                        frame.channel,
                        {},
                        "content body frame on channel " + std::to_string(frame.channel) +
                            " without a content header before it"};
  }
  Pending& pending = it->second;
  std::string& body = pending.command.body;
  if (frame.payload.size() > pending.body_size - body.size()) {
    const MethodId id = method_id(pending.command.method);
    pending_.erase(it);
    return CommandError{ReplyCode::kFrameError, frame.channel, id,
                        "content body longer than the size in its header"};
  }
  body.append(frame.payload.begin(), frame.payload.end());
  if (body.size() < pending.body_size) return NeedMoreFrames{};
  Command command = std::move(pending.command);
  pending_.erase(it);
  return command;
}

}  // namespace mockforge::amqp
