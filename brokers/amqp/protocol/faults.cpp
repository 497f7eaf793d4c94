// The fault seam of the AMQP broker: a channel method, before its handler;
// and a consumer's deliveries (the pseudo-method basic.deliver), before the
// channel pumps a message to it.
#include "brokers/amqp/protocol/faults.h"

#include <fmt/format.h>

#include <cctype>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/protocol/connection.h"
#include "faults/fault_set.h"

namespace mockforge::amqp {

namespace {

int32_t operation_id(MethodId id) { return (int32_t{id.class_id} << 16) | id.method_id; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The reply code a rule names: a number or a name such as NOT_FOUND.
std::optional<ReplyCode> reply_code(const std::string& text) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value > 0 && value < 1000) {
      return reply_code_from_value(static_cast<uint16_t>(value));
    }
    return std::nullopt;
  } catch (const std::exception&) {
  }
  const auto wanted = upper(text);
  for (int value = 200; value < 600; ++value) {
    const auto code = reply_code_from_value(static_cast<uint16_t>(value));
    if (code && reply_code_name(*code) == wanted) return code;
  }
  return std::nullopt;
}

constexpr std::string_view kDeliver = "basic.deliver";

void resolve(faults::Rule& rule) {
  auto& match = rule.match;
  if (lower(match.operation) == kDeliver) {
    match.operation = std::string(kDeliver);
    match.operation_id = operation_id(BasicDeliver::kId);
    if (rule.action.kind != faults::ActionKind::kPause) {
      throw faults::RuleError("action.type",
                              "basic.deliver (the broker's push to a consumer) takes pause");
    }
    if (match.topic) {
      throw faults::RuleError("match.exchange",
                              "basic.deliver matches by queue and connection_name");
    }
    return;
  }
  if (!match.operation.empty()) {
    const auto wanted = lower(match.operation);
    const MethodInfo* found = nullptr;
    std::string known;
    for (const auto& entry : registered_handlers()) {
      const MethodInfo* info = find_method_info(entry.id);
      if (!info) continue;
      if (info->name == wanted) found = info;
      known += (known.empty() ? "" : ", ") + std::string(info->name);
    }
    if (!found) {
      throw faults::RuleError("match.method", "'" + match.operation +
                                                  "' is not a method a client sends on a "
                                                  "channel (" +
                                                  known + ") or basic.deliver");
    }
    match.operation = std::string(found->name);
    match.operation_id = operation_id(found->id);
  }
  auto& action = rule.action;
  switch (action.kind) {
    case faults::ActionKind::kError:
      throw faults::RuleError("action.type",
                              "AMQP answers with nack, channel_close or connection_close");
    case faults::ActionKind::kNack:
      if (match.operation_id != operation_id(BasicPublish::kId)) {
        throw faults::RuleError("action.type", "nack answers basic.publish (match.method)");
      }
      break;
    case faults::ActionKind::kChannelClose:
    case faults::ActionKind::kConnectionClose: {
      const bool channel = action.kind == faults::ActionKind::kChannelClose;
      const auto code = reply_code(action.code_text);
      if (!code || (channel ? !is_channel_error(*code) : !is_connection_error(*code))) {
        throw faults::RuleError(
            "action.code",
            "'" + action.code_text + "' is not an AMQP " +
                (channel ? std::string("channel error (311, 312, 313, 403, 404, 405, 406 or "
                                       "their names, such as PRECONDITION_FAILED)")
                         : std::string("connection error (320, 402, 501-506, 530, 540, 541 "
                                       "or their names, such as CONNECTION_FORCED)")));
      }
      action.code = static_cast<int32_t>(*code);
      action.code_text = std::string(reply_code_name(*code));
      if (action.text.size() > 200) {
        throw faults::RuleError("action.text", "at most 200 characters (a short string)");
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

void register_fault_resolver(faults::FaultSet& faults) {
  faults.set_resolver(traffic::Protocol::kAmqp, &resolve);
}

bool AmqpConnection::apply_faults(Channel& channel, Command& command) {
  if (fault_checked_) {
    fault_checked_ = false;  // held by a rule once already
    return false;
  }
  const MethodId id = method_id(command.method);
  faults::Subject subject;
  subject.protocol = traffic::Protocol::kAmqp;
  subject.operation_id = operation_id(id);
  subject.operation = method_name(command.method);
  subject.client = client_name_;
  std::visit(
      [&](const auto& method) {
        if constexpr (requires { method.exchange; }) {
          subject.topics.emplace_back(method.exchange, -1);
        } else if constexpr (requires { method.destination; }) {
          subject.topics.emplace_back(method.destination, -1);  // exchange.bind/unbind
        }
        if constexpr (requires { method.queue; }) subject.queue = method.queue;
      },
      command.method);
  const auto firing = broker_.fault_set()->evaluate(subject);
  if (!firing) return false;
  const auto& action = firing->action;
  const bool publish = id == BasicPublish::kId;
  using faults::ActionKind;
  switch (action.kind) {
    case ActionKind::kNack:
    case ActionKind::kDrop:
      // The message goes nowhere; a confirm channel is told (nack), or
      // acknowledged as for a message no queue took (drop).
      if (publish && channel.confirm_mode) {
        confirm_publish(channel, channel.next_publish_seq++, action.kind == ActionKind::kDrop);
      }
      return true;
    case ActionKind::kChannelClose: {
      const auto code = static_cast<ReplyCode>(action.code);
      close_channel_with_error(
          channel, code,
          fmt::format("{} - {}", reply_code_name(code),
                      action.text.empty() ? "fault rule " + firing->rule : action.text),
          id);
      return true;
    }
    case ActionKind::kConnectionClose: {
      const auto code = static_cast<ReplyCode>(action.code);
      close_connection(
          code,
          fmt::format("{} - {}", reply_code_name(code),
                      action.text.empty() ? "fault rule " + firing->rule : action.text),
          id);
      return true;
    }
    case ActionKind::kClose:
      // The socket goes without a word; on_closed() requeues what was unacked.
      state_ = State::kClosed;
      close_output("fault rule " + firing->rule + " closed the connection");
      return true;
    case ActionKind::kLatency:
    case ActionKind::kThrottle:
    case ActionKind::kPause: {
      if (firing->delay.count() <= 0) return false;
      // This method and everything after it wait, in order; the socket is not read meanwhile.
      if (held_.empty()) output_->pause_reading();
      held_.push_front(std::move(command));
      fault_hold_ = true;
      output_->post_after(firing->delay, [weak = weak_from_this()] {
        if (const auto self = weak.lock()) self->release_fault_hold();
      });
      return true;
    }
    default:
      return false;  // Kafka and MQTT actions: the resolver refuses them for AMQP
  }
}

bool AmqpConnection::apply_delivery_faults(Channel& channel, Consumer& consumer) {
  faults::Subject subject;
  subject.protocol = traffic::Protocol::kAmqp;
  subject.operation_id = operation_id(BasicDeliver::kId);
  subject.operation = kDeliver;
  subject.client = client_name_;
  subject.queue = consumer.queue;
  const auto firing = broker_.fault_set()->evaluate(subject);
  if (!firing || firing->action.kind != faults::ActionKind::kPause || firing->delay.count() <= 0) {
    return false;
  }
  consumer.paused = true;
  output_->post_after(firing->delay,
                      [weak = weak_from_this(), number = channel.number, tag = consumer.tag] {
                        const auto self = weak.lock();
                        if (!self || self->state_ != State::kOpen) return;
                        Channel* found = self->find_channel(number);
                        if (found == nullptr) return;
                        const auto it = found->consumers.find(tag);
                        if (it == found->consumers.end()) return;
                        it->second.paused = false;
                        self->pump(*found);
                      });
  return true;
}

void AmqpConnection::release_fault_hold() {
  fault_hold_ = false;
  fault_checked_ = true;
  while (!held_.empty() && !fault_hold_ && state_ == State::kOpen && !broker_.memory_alarm()) {
    Command command = std::move(held_.front());
    held_.pop_front();
    on_channel_method(command);
    fault_checked_ = false;
  }
  if (!fault_hold_ && held_.empty() && state_ == State::kOpen) output_->resume_reading();
}

}  // namespace mockforge::amqp
