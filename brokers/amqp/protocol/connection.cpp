#include "brokers/amqp/protocol/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/protocol/dead_letter.h"
#include "brokers/amqp/protocol/delivery_count.h"
#include "core/log/logging.h"
#include "faults/fault_set.h"

namespace mockforge::amqp {
namespace {

// A reply text is a shortstr: a longer one is cut to 252 bytes and "...", as RabbitMQ does.
std::string short_reply_text(const std::string& text) {
  if (text.size() <= 255) return text;
  return text.substr(0, 252) + "...";
}

// Deliveries per pump() before yielding the strand to other work.
constexpr int kDeliveriesPerPump = 256;
// The size at which an output batch is handed to the socket before it closes.
constexpr std::size_t kBatchFlushBytes = 256 * 1024;

FieldTable server_properties(const BrokerSettings& settings) {
  FieldTable capabilities;
  for (const char* name : {"publisher_confirms", "exchange_exchange_bindings", "basic.nack",
                           "consumer_cancel_notify", "connection.blocked", "consumer_priorities",
                           "authentication_failure_close", "per_consumer_qos", "direct_reply_to"}) {
    capabilities.set(name, true);
  }
  FieldTable properties;
  properties.set("capabilities", std::move(capabilities));
  properties.set("cluster_name", std::string("mockforge"));
  properties.set("copyright", std::string("mockforge"));
  properties.set("information", "mockforge " + settings.version +
                                    ": a mock AMQP 0-9-1 broker, RabbitMQ-compatible");
  properties.set("platform", "mockforge " + settings.version + " (C++20)");
  properties.set("product", settings.product);
  properties.set("version", settings.product_version);
  return properties;
}

bool bool_capability(const FieldTable& client_properties, std::string_view name) {
  const FieldValue* capabilities = client_properties.find("capabilities");
  if (!capabilities) return false;
  const auto* table = capabilities->get_if<FieldTable>();
  if (!table) return false;
  const FieldValue* value = table->find(name);
  const bool* flag = value ? value->get_if<bool>() : nullptr;
  return flag && *flag;
}

std::optional<std::pair<std::string, std::string>> parse_credentials(const std::string& mechanism,
                                                                     const std::string& response) {
  if (mechanism == "PLAIN") {
    // [authzid] NUL authcid NUL passwd
    std::size_t first = response.find('\0');
    if (first == std::string::npos) return std::nullopt;
    std::size_t second = response.find('\0', first + 1);
    if (second == std::string::npos) return std::nullopt;
    return std::pair{response.substr(first + 1, second - first - 1), response.substr(second + 1)};
  }
  // AMQPLAIN: a field table without its length prefix, with LOGIN and PASSWORD.
  ByteWriter framed;
  framed.write_u32(static_cast<uint32_t>(response.size()));
  framed.write_bytes(response);
  ByteReader reader(framed.bytes());
  FieldTable table = decode_field_table(reader);
  const FieldValue* login = table.find("LOGIN");
  const FieldValue* password = table.find("PASSWORD");
  const auto* login_text = login ? login->get_if<std::string>() : nullptr;
  const auto* password_text = password ? password->get_if<std::string>() : nullptr;
  if (!login_text || !password_text) return std::nullopt;
  return std::pair{*login_text, *password_text};
}

}  // namespace

class AmqpConnection::OutputBatch {
 public:
  explicit OutputBatch(AmqpConnection& connection) : connection_(connection) {
    ++connection_.batch_depth_;
  }
  ~OutputBatch() {
    if (--connection_.batch_depth_ == 0) connection_.flush_batch();
  }
  OutputBatch(const OutputBatch&) = delete;
  OutputBatch& operator=(const OutputBatch&) = delete;

 private:
  AmqpConnection& connection_;
};

template <class Write>
void AmqpConnection::emit(Write&& write) {
  if (batch_depth_ == 0) {
    ByteWriter out;
    write(out);
    output_->send(out.take());
    return;
  }
  write(batch_);
  if (batch_.size() >= kBatchFlushBytes) flush_batch();
}

AmqpConnection::AmqpConnection(BrokerState& broker, std::shared_ptr<ConnectionOutput> output)
    : broker_(broker),
      output_(std::move(output)),
      id_(broker.next_connection_id()),
      splitter_(FrameSplitter::Start::kExpectProtocolHeader, broker.settings().frame_max),
      frame_max_(broker.settings().frame_max),
      channel_max_(broker.settings().channel_max) {
  assembler_.set_max_body_size(broker.settings().max_message_size);
  broker_.metrics().connections.inc();
}

AmqpConnection::~AmqpConnection() {
  broker_.remove_connection(id_);
  release_all_channels();
  broker_.metrics().connections.dec();
}

FrameBoundary AmqpConnection::frame_boundary(std::span<const uint8_t> unread) const {
  if (state_ == State::kAwaitHeader) {
    if (check_protocol_header(unread) == ProtocolHeaderStatus::kIncomplete) {
      return {FrameBoundary::Kind::kNeedMore, kProtocolHeader.size()};
    }
    return {FrameBoundary::Kind::kComplete, std::min(unread.size(), kProtocolHeader.size())};
  }
  if (unread.size() < kFrameHeaderSize) return {FrameBoundary::Kind::kNeedMore, kFrameHeaderSize};
  uint32_t size = (uint32_t{unread[3]} << 24) | (uint32_t{unread[4]} << 16) |
                  (uint32_t{unread[5]} << 8) | uint32_t{unread[6]};
  uint64_t total = uint64_t{size} + kFrameOverhead;
  if (frame_max_ != 0 && total > frame_max_) return {FrameBoundary::Kind::kTooLarge, 0};
  if (unread.size() < total) return {FrameBoundary::Kind::kNeedMore, total};
  return {FrameBoundary::Kind::kComplete, total};
}

void AmqpConnection::on_oversize_frame() {
  close_connection(
      ReplyCode::kFrameError,
      fmt::format("FRAME_ERROR - frame larger than the negotiated frame_max {}", frame_max_));
}

void AmqpConnection::on_frame(std::span<const uint8_t> bytes) {
  if (state_ == State::kClosed) return;
  OutputBatch batch(*this);
  splitter_.feed(bytes);
  while (state_ != State::kClosed) {
    SplitViewResult result = splitter_.next_view();
    if (std::holds_alternative<NeedMoreBytes>(result)) return;
    if (std::holds_alternative<ProtocolHeaderReceived>(result)) {
      send_connection_start();
      continue;
    }
    if (const auto* error = std::get_if<FrameError>(&result)) {
      if (error->answer_with_protocol_header()) {
        emit([](ByteWriter& out) { out.write_bytes(std::span<const uint8_t>(kProtocolHeader)); });
        state_ = State::kClosed;
        close_output("bad protocol header");
        return;
      }
      close_connection(error->reply_code,
                       fmt::format("{} - {}", reply_code_name(error->reply_code), error->message));
      return;
    }
    const FrameView& frame = std::get<FrameView>(result);
    if (state_ == State::kClosing) {
      // Only connection.close / close-ok matter now; other frames are dropped.
      if (frame.type != FrameType::kMethod || frame.channel != 0) continue;
    }
    if (frame.type != FrameType::kHeartbeat && frame.channel != 0 && state_ == State::kOpen) {
      Channel* channel = find_channel(frame.channel);
      if (channel && channel->state == Channel::State::kClosing &&
          frame.type != FrameType::kMethod) {
        continue;  // content of a method dropped on a closing channel
      }
    }
    AssembleResult assembled;
    try {
      assembled = assembler_.add(frame);
    } catch (const DecodeError& error) {
      close_connection(error.reply_code(), error.what());
      return;
    }
    if (const auto* error = std::get_if<CommandError>(&assembled)) {
      close_connection(error->reply_code,
                       fmt::format("{} - {}", reply_code_name(error->reply_code), error->message),
                       error->method);
      return;
    }
    if (auto* command = std::get_if<Command>(&assembled)) on_command(*command);
  }
}

void AmqpConnection::send_connection_start() {
  state_ = State::kAwaitStartOk;
  // EXTERNAL is offered only when the TLS handshake verified a client
  // certificate (RabbitMQ's rabbit_auth_mechanism_ssl should_offer).
  client_certificate_ = output_->peer_certificate();
  std::string mechanisms;
  for (const std::string& mechanism : broker_.settings().auth_mechanisms) {
    if (mechanism == "EXTERNAL" && !client_certificate_) continue;
    if (!mechanisms.empty()) mechanisms += ' ';
    mechanisms += mechanism;
  }
  offered_mechanisms_ = mechanisms;
  send_method(0, ConnectionStart{0, 9, server_properties(broker_.settings()), mechanisms, "en_US"});
}

void AmqpConnection::on_command(Command& command) {
  MethodId id = method_id(command.method);
  if (state_ == State::kClosing) {
    if (id == ConnectionCloseOk::kId) {
      state_ = State::kClosed;
      close_output("connection closed after error");
    } else if (id == ConnectionClose::kId) {
      send_method(0, ConnectionCloseOk{});
      state_ = State::kClosed;
      close_output("connection closed after error");
    }
    return;
  }
  if (command.channel == 0) {
    if (id.class_id != ConnectionStart::kId.class_id) {
      // RabbitMQ's words: a non-connection method on channel 0 is a channel error.
      close_connection(ReplyCode::kChannelError,
                       "CHANNEL_ERROR - unexpected method in connection state running", id);
      return;
    }
    on_connection_method(command);
    return;
  }
  if (state_ != State::kOpen) {
    close_connection(ReplyCode::kChannelError,
                     "CHANNEL_ERROR - channel used before connection.open", id);
    return;
  }
  if (id.class_id == ConnectionStart::kId.class_id) {
    close_connection(ReplyCode::kCommandInvalid,
                     fmt::format("COMMAND_INVALID - {} on channel {}", method_name(command.method),
                                 command.channel),
                     id);
    return;
  }
  // Under a memory alarm a publish, and everything after it, waits.
  if (id == BasicPublish::kId && !has_published_) {
    has_published_ = true;
    if (broker_.memory_alarm()) apply_memory_alarm();
  }
  if (!held_.empty() || (id == BasicPublish::kId && broker_.memory_alarm())) {
    // Blocked: like RabbitMQ, stop reading the socket until the alarm clears,
    // so the client's further commands wait in its own TCP buffers.
    if (held_.empty()) output_->pause_reading();
    held_.push_back(std::move(command));
    return;
  }
  on_channel_method(command);
}

void AmqpConnection::on_connection_method(Command& command) {
  MethodId id = method_id(command.method);
  auto expect = [&](State state, MethodId wanted) {
    if (state_ == state && id == wanted) return true;
    return false;
  };
  if (id == ConnectionClose::kId) {
    flush_confirms();
    release_all_channels();
    send_method(0, ConnectionCloseOk{});
    state_ = State::kClosed;
    close_output("client closed the connection");
    return;
  }
  if (id == ConnectionCloseOk::kId) {
    state_ = State::kClosed;
    close_output("close-ok");
    return;
  }
  if (expect(State::kAwaitStartOk, ConnectionStartOk::kId)) {
    handle_start_ok(std::get<ConnectionStartOk>(command.method));
  } else if (expect(State::kAwaitTuneOk, ConnectionTuneOk::kId)) {
    handle_tune_ok(std::get<ConnectionTuneOk>(command.method));
  } else if (expect(State::kAwaitOpen, ConnectionOpen::kId)) {
    handle_open(std::get<ConnectionOpen>(command.method));
  } else if (id == ConnectionUpdateSecret::kId && state_ == State::kOpen) {
    handle_update_secret(std::get<ConnectionUpdateSecret>(command.method));
  } else {
    close_connection(ReplyCode::kCommandInvalid,
                     fmt::format("COMMAND_INVALID - unexpected {}", method_name(command.method)),
                     id);
  }
}

void AmqpConnection::handle_start_ok(const ConnectionStartOk& start_ok) {
  {
    auto text = [&](std::string_view key) {
      const FieldValue* value = start_ok.client_properties.find(key);
      const auto* string = value ? value->get_if<std::string>() : nullptr;
      return string ? *string : std::string();
    };
    std::lock_guard lock(summary_mutex_);
    summary_.name = text("connection_name");
    summary_.product = text("product");
    summary_.version = text("version");
    summary_.platform = text("platform");
  }
  consumer_cancel_notify_ = bool_capability(start_ok.client_properties, "consumer_cancel_notify");
  blocked_capability_ = bool_capability(start_ok.client_properties, "connection.blocked");
  if (const FieldValue* name = start_ok.client_properties.find("connection_name")) {
    if (const auto* text = name->get_if<std::string>()) client_name_ = *text;
  }
  const std::string& mechanism = start_ok.mechanism;
  if (mechanism != "PLAIN" && mechanism != "AMQPLAIN" && mechanism != "EXTERNAL") {
    close_connection(
        ReplyCode::kCommandInvalid,
        fmt::format("COMMAND_INVALID - unknown authentication mechanism '{}'", mechanism),
        ConnectionStartOk::kId);
    return;
  }
  bool offered = false;
  for (std::string_view rest = offered_mechanisms_; !rest.empty();) {
    const auto space = rest.find(' ');
    if (rest.substr(0, space) == mechanism) offered = true;
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  if (!offered) {
    close_connection(
        ReplyCode::kCommandInvalid,
        fmt::format("COMMAND_INVALID - invalid authentication mechanism '{}'", mechanism),
        ConnectionStartOk::kId);
    return;
  }
  // Who logs in, and why not (for the log; never a password).
  std::string user;
  std::string refusal;
  if (mechanism == "EXTERNAL") {
    // The user named by the certificate must exist; no password is checked.
    user = broker_.settings().cert_login_common_name ? client_certificate_->common_name
                                                     : client_certificate_->distinguished_name;
    if (user.empty() || !broker_.access().user_exists(user)) refusal = "no such user";
  } else {
    std::optional<std::pair<std::string, std::string>> credentials;
    try {
      credentials = parse_credentials(mechanism, start_ok.response);
    } catch (const DecodeError&) {
      credentials.reset();
    }
    if (!credentials) {
      refusal = "malformed response";
    } else {
      user = credentials->first;
      if (!broker_.access().check_password(credentials->first, credentials->second)) {
        refusal = "invalid credentials";
      }
    }
  }
  // RabbitMQ's loopback_users: a successful login refused for its address.
  if (refusal.empty() && !broker_.access().may_log_in_from(user, output_->peer_address())) {
    refusal = fmt::format("user '{}' can only connect via localhost", user);
  }
  if (!refusal.empty()) {
    log::get("amqp")->info("connection {}: {} login refused for user '{}': {}", id_, mechanism,
                           user, refusal);
    if (!bool_capability(start_ok.client_properties, "authentication_failure_close")) {
      // RabbitMQ closes the socket without a word unless the client asked
      // for connection.close on authentication failure.
      state_ = State::kClosed;
      close_output("authentication failed");
      return;
    }
    close_connection(ReplyCode::kAccessRefused,
                     fmt::format("ACCESS_REFUSED - Login was refused using authentication "
                                 "mechanism {}. For details see the broker logfile.",
                                 mechanism),
                     ConnectionStartOk::kId);
    return;
  }
  user_ = user;
  state_ = State::kAwaitTuneOk;
  const BrokerSettings& settings = broker_.settings();
  send_method(0,
              ConnectionTune{settings.channel_max, settings.frame_max, settings.heartbeat_seconds});
}

void AmqpConnection::handle_tune_ok(const ConnectionTuneOk& tune_ok) {
  const BrokerSettings& settings = broker_.settings();
  if (tune_ok.frame_max != 0 && tune_ok.frame_max < kFrameMinSize) {
    close_connection(
        ReplyCode::kNotAllowed,
        fmt::format("NOT_ALLOWED - frame_max={} < {} min size", tune_ok.frame_max, kFrameMinSize),
        ConnectionTuneOk::kId);
    return;
  }
  if (tune_ok.frame_max > settings.frame_max || tune_ok.frame_max == 0) {
    if (tune_ok.frame_max != 0) {
      close_connection(ReplyCode::kNotAllowed,
                       fmt::format("NOT_ALLOWED - frame_max={} > {} max size", tune_ok.frame_max,
                                   settings.frame_max),
                       ConnectionTuneOk::kId);
      return;
    }
    frame_max_ = settings.frame_max;
  } else {
    frame_max_ = tune_ok.frame_max;
  }
  splitter_.set_frame_max(frame_max_);
  channel_max_ = tune_ok.channel_max == 0 ? settings.channel_max
                                          : std::min(tune_ok.channel_max, settings.channel_max);
  output_->set_heartbeat(std::chrono::seconds(tune_ok.heartbeat));
  state_ = State::kAwaitOpen;
}

void AmqpConnection::handle_open(const ConnectionOpen& open) {
  // RabbitMQ's wording: an unknown vhost, then one the user may not open.
  if (!broker_.access().vhost_exists(open.virtual_host)) {
    close_connection(ReplyCode::kNotAllowed,
                     fmt::format("NOT_ALLOWED - vhost {} not found", open.virtual_host),
                     ConnectionOpen::kId);
    return;
  }
  permissions_ = broker_.access().permissions(user_, open.virtual_host);
  vhost_ = permissions_ ? broker_.find_vhost(open.virtual_host) : nullptr;
  if (!vhost_) {
    close_connection(ReplyCode::kNotAllowed,
                     fmt::format("NOT_ALLOWED - access to vhost '{}' refused for user '{}'",
                                 open.virtual_host, user_),
                     ConnectionOpen::kId);
    return;
  }
  state_ = State::kOpen;
  {
    std::lock_guard lock(summary_mutex_);
    summary_.vhost = open.virtual_host;
    summary_.user = user_;
  }
  send_method(0, ConnectionOpenOk{});
  broker_.add_connection(id_, weak_from_this());
  if (events_on()) {
    emit_event(traffic::EventKind::kConnect, {},
               fmt::format("vhost '{}', user '{}'", open.virtual_host, user_));
  }
  apply_memory_alarm();
}

void AmqpConnection::handle_update_secret(const ConnectionUpdateSecret& update) {
  // RabbitMQ re-checks a new secret only with auth backends whose state
  // expires; its internal user store never does, so it answers update-secret-ok
  // to any secret and the connection keeps its user. mockforge's users are
  // that internal store.
  log::get("amqp")->debug("connection {}: secret updated for user '{}' (reason: {})", id_, user_,
                          update.reason);
  send_method(0, ConnectionUpdateSecretOk{});
}

void AmqpConnection::check_access(Permission permission, ResourceKind kind,
                                  const std::string& name) const {
  const std::string& checked =
      kind == ResourceKind::kExchange && name.empty() ? std::string("amq.default") : name;
  if (permissions_ && permissions_->of(permission).matches(checked)) return;
  throw AmqpError(ReplyCode::kAccessRefused,
                  fmt::format("ACCESS_REFUSED - access to {} '{}' in vhost '{}' refused for user "
                              "'{}'",
                              kind == ResourceKind::kExchange ? "exchange" : "queue", checked,
                              vhost_ ? vhost_->name() : std::string(), user_));
}

void AmqpConnection::memory_alarm_changed() {
  std::weak_ptr<AmqpConnection> weak = weak_from_this();
  output_->post([weak] {
    if (auto self = weak.lock()) self->apply_memory_alarm();
  });
}

void AmqpConnection::apply_memory_alarm() {
  if (state_ != State::kOpen) return;
  const bool alarm = broker_.memory_alarm();
  if (alarm && !blocked_sent_ && blocked_capability_ && has_published_) {
    send_method(0, ConnectionBlocked{"low on memory"});
    blocked_sent_ = true;
  }
  if (alarm) return;
  if (blocked_sent_) {
    send_method(0, ConnectionUnblocked{});
    blocked_sent_ = false;
  }
  const bool was_holding = !held_.empty();
  if (fault_hold_) return;  // release_fault_hold() goes on
  while (!held_.empty() && state_ == State::kOpen && !broker_.memory_alarm()) {
    Command command = std::move(held_.front());
    held_.pop_front();
    on_channel_method(command);
  }
  if (was_holding && held_.empty() && state_ == State::kOpen) output_->resume_reading();
}

void AmqpConnection::on_channel_method(Command& command) {
  MethodId id = method_id(command.method);
  auto it = channels_.find(command.channel);
  if (id == ChannelOpen::kId) {
    if (it != channels_.end()) {
      close_connection(ReplyCode::kChannelError, "CHANNEL_ERROR - second 'channel.open' seen", id);
      return;
    }
    if (command.channel > channel_max_) {
      close_connection(ReplyCode::kNotAllowed,
                       fmt::format("NOT_ALLOWED - channel {} above channel_max {}", command.channel,
                                   channel_max_),
                       id);
      return;
    }
    Channel& channel = channels_[command.channel];
    channel.number = command.channel;
    note_channel(channel);
    broker_.metrics().channels.inc();
    send_method(command.channel, ChannelOpenOk{});
    return;
  }
  if (it == channels_.end()) {
    close_connection(ReplyCode::kChannelError, "CHANNEL_ERROR - expected 'channel.open'", id);
    return;
  }
  Channel& channel = it->second;
  if (id == ChannelClose::kId) {
    flush_confirms(channel);
    release_channel(channel);
    assembler_.forget_channel(command.channel);
    channels_.erase(it);
    forget_channel(command.channel);
    send_method(command.channel, ChannelCloseOk{});
    return;
  }
  if (id == ChannelCloseOk::kId) {
    if (channel.state == Channel::State::kClosing) {
      channels_.erase(it);
      forget_channel(command.channel);
    }
    return;
  }
  if (channel.state == Channel::State::kClosing) return;  // dropped until close-ok
  if (id == ChannelFlow::kId) {
    channel.flow_active = std::get<ChannelFlow>(command.method).active;
    send_method(channel.number, ChannelFlowOk{channel.flow_active});
    pump(channel);
    return;
  }
  if (const auto* faults = broker_.fault_set(); faults && faults->armed(traffic::Protocol::kAmqp)) {
    if (apply_faults(channel, command)) return;
  }
  dispatch(channel, command);
  if (id == BasicQos::kId || id == BasicConsume::kId || id == BasicCancel::kId ||
      id == ConfirmSelect::kId || id == TxSelect::kId) {
    // The channel may have been closed by an error meanwhile.
    if (auto open = channels_.find(command.channel); open != channels_.end())
      note_channel(open->second);
  }
}

ConnectionSummary AmqpConnection::summary() const {
  std::lock_guard lock(summary_mutex_);
  ConnectionSummary copy = summary_;
  copy.id = id_;
  copy.address = output_->peer_address();
  return copy;
}

void AmqpConnection::note_channel(const Channel& channel) {
  ChannelSummary entry{channel.number,       channel.consumer_prefetch, channel.channel_prefetch,
                       channel.confirm_mode, channel.tx_mode,           channel.consumers.size()};
  std::lock_guard lock(summary_mutex_);
  auto& channels = summary_.channels;
  auto it = std::find_if(channels.begin(), channels.end(),
                         [&](const ChannelSummary& c) { return c.number == channel.number; });
  if (it == channels.end()) {
    channels.push_back(entry);
  } else {
    *it = entry;
  }
}

void AmqpConnection::forget_channel(uint16_t number) {
  std::lock_guard lock(summary_mutex_);
  std::erase_if(summary_.channels, [&](const ChannelSummary& c) { return c.number == number; });
}

void AmqpConnection::dispatch(Channel& channel, Command& command) {
  MethodId id = method_id(command.method);
  Handler handler = find_handler(id);
  if (!handler) {
    close_connection(
        ReplyCode::kCommandInvalid,
        fmt::format("COMMAND_INVALID - {} is not a client method", method_name(command.method)),
        id);
    return;
  }
  try {
    HandlerContext context{*this, channel, command};
    handler(context);
  } catch (const AmqpError& error) {
    if (is_channel_error(error.code())) {
      close_channel_with_error(channel, error.code(), error.what(), id);
    } else {
      close_connection(error.code(), error.what(), id);
    }
  } catch (const EncodeError& error) {
    close_connection(ReplyCode::kInternalError, fmt::format("INTERNAL_ERROR - {}", error.what()),
                     id);
  }
}

void AmqpConnection::close_channel_with_error(Channel& channel, ReplyCode code,
                                              const std::string& text, MethodId method) {
  if (events_on()) {
    emit_event(
        traffic::EventKind::kError, {},
        fmt::format("channel {} closed: {} {}", channel.number, static_cast<int>(code), text));
  }
  flush_confirms(channel);
  release_channel(channel);
  channel.state = Channel::State::kClosing;
  send_method(channel.number, ChannelClose{static_cast<uint16_t>(code), short_reply_text(text),
                                           method.class_id, method.method_id});
}

void AmqpConnection::close_connection(ReplyCode code, const std::string& text, MethodId method) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (events_on()) {
    emit_event(traffic::EventKind::kError, {},
               fmt::format("connection closed: {} {}", static_cast<int>(code), text));
  }
  flush_confirms();
  release_all_channels();
  if (state_ == State::kAwaitHeader) {
    state_ = State::kClosed;
    close_output(text);
    return;
  }
  state_ = State::kClosing;
  send_method(0, ConnectionClose{static_cast<uint16_t>(code), short_reply_text(text),
                                 method.class_id, method.method_id});
}

void AmqpConnection::on_heartbeat_timeout() {
  const bool handshaking = state_ == State::kAwaitHeader || state_ == State::kAwaitStartOk ||
                           state_ == State::kAwaitTuneOk;
  log::get("amqp")->info("connection {}: {}, closing", id_,
                         handshaking ? "handshake timeout" : "missed heartbeats");
  release_all_channels();
  state_ = State::kClosed;
  close_output("missed heartbeats");
}

void AmqpConnection::on_server_shutdown() {
  if (state_ == State::kClosed) return;
  flush_confirms();
  release_all_channels();
  if (state_ != State::kAwaitHeader && state_ != State::kClosing) {
    send_method(0, ConnectionClose{static_cast<uint16_t>(ReplyCode::kConnectionForced),
                                   "CONNECTION_FORCED - broker forced connection closure with "
                                   "reason 'shutdown'",
                                   0, 0});
  }
  state_ = State::kClosed;
  close_output("server shutdown");
}

void AmqpConnection::on_closed() {
  // Only connections that were opened said connect.
  if (vhost_ != nullptr && events_on()) emit_event(traffic::EventKind::kDisconnect);
  state_ = State::kClosed;
  held_.clear();
  broker_.remove_connection(id_);
  release_all_channels();
  output_->set_heartbeat(std::chrono::seconds(0));
}

void AmqpConnection::release_all_channels() {
  for (auto& [number, channel] : channels_) release_channel(channel);
  {
    std::lock_guard lock(summary_mutex_);
    summary_.channels.clear();
  }
  if (!released_ && vhost_) {
    released_ = true;
    vhost_->drop_connection(id_);
  }
}

void AmqpConnection::release_channel(Channel& channel) {
  if (channel.state == Channel::State::kClosing) return;  // released when it started closing
  std::vector<std::string> tags;
  for (const auto& [tag, consumer] : channel.consumers) tags.push_back(tag);
  for (const std::string& tag : tags) drop_consumer(channel, tag);
  // Unacked deliveries go back to their queues, marked redelivered.
  for (auto& [tag, delivery] : channel.unacked) requeue_delivery(delivery);
  channel.unacked.clear();
  channel.tx_pending.clear();
  if (!channel.reply_to_key.empty()) broker_.unregister_reply_to(channel.reply_to_key);
  channel.reply_consumer_tag.clear();
  channel.state = Channel::State::kClosing;
  broker_.metrics().channels.dec();
}

Channel* AmqpConnection::find_channel(uint16_t number) {
  auto it = channels_.find(number);
  if (it == channels_.end() || it->second.state != Channel::State::kOpen) return nullptr;
  return &it->second;
}

void AmqpConnection::flush_batch() {
  if (batch_.size() == 0) return;
  output_->send(batch_.take());
}

void AmqpConnection::close_output(std::string reason) {
  flush_batch();
  output_->close_after_flush(std::move(reason));
}

void AmqpConnection::send_method(uint16_t channel, const Method& method) {
  emit([&](ByteWriter& out) { encode_method_frame(out, channel, method); });
}

void AmqpConnection::send_content(uint16_t channel, const Method& method,
                                  std::span<const uint8_t> header_payload, std::string_view body) {
  emit([&](ByteWriter& out) {
    out.reserve(out.size() + 2 * kFrameOverhead + 64 + header_payload.size() + body.size());
    encode_method_frame(out, channel, method);
    encode_frame(out, FrameType::kHeader, channel, header_payload);
    encode_body_frames(out, channel,
                       std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                       frame_max_);
  });
}

void AmqpConnection::write_delivery(ByteWriter& out, uint16_t channel,
                                    std::string_view consumer_tag, uint64_t delivery_tag,
                                    const storage::Message& message, bool quorum) {
  std::string_view properties = *message.properties;
  std::vector<uint8_t> counted;
  if (quorum && message.delivery_count > 1) {
    counted = with_delivery_count(properties, message.delivery_count - 1);
    if (!counted.empty()) {
      properties = {reinterpret_cast<const char*>(counted.data()), counted.size()};
    }
  }
  const std::string& body = *message.body;
  out.reserve(out.size() + 3 * kFrameOverhead + 16 + consumer_tag.size() + message.exchange.size() +
              message.routing_key.size() + properties.size() + body.size());
  const std::size_t placeholder = begin_frame(out, FrameType::kMethod, channel);
  out.write_u16(BasicDeliver::kId.class_id);
  out.write_u16(BasicDeliver::kId.method_id);
  BasicDeliver::write_arguments(out, consumer_tag, delivery_tag, message.redelivered,
                                message.exchange, message.routing_key);
  end_frame(out, placeholder);
  encode_frame(out, FrameType::kHeader, channel,
               std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()));
  encode_body_frames(out, channel,
                     std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                     frame_max_);
}

void AmqpConnection::drop_consumer(Channel& channel, const std::string& tag) {
  auto it = channel.consumers.find(tag);
  if (it == channel.consumers.end()) return;
  if (events_on()) {
    emit_event(traffic::EventKind::kUnsubscribe, it->second.queue,
               fmt::format("consumer tag '{}' on channel {}", tag, channel.number));
  }
  Consumer consumer = std::move(it->second);
  channel.consumers.erase(it);
  consumer.storage->remove_available_listener(consumer.listener);
  if (vhost_) {
    vhost_->remove_consumer(consumer.queue, consumer.registration);
    if (auto deadline = vhost_->next_unused_expiry()) broker_.housekeeping_at(*deadline);
  }
}

void AmqpConnection::consumer_queue_deleted(uint16_t channel_number, const std::string& tag) {
  std::weak_ptr<AmqpConnection> weak = weak_from_this();
  output_->post([weak, channel_number, tag] {
    auto self = weak.lock();
    if (!self || self->state_ != State::kOpen) return;
    Channel* channel = self->find_channel(channel_number);
    if (!channel || !channel->consumers.contains(tag)) return;
    self->drop_consumer(*channel, tag);
    if (self->consumer_cancel_notify_) {
      self->send_method(channel_number, BasicCancel{tag, true});
    }
  });
}

void AmqpConnection::schedule_pump(uint16_t channel_number) {
  {
    std::lock_guard lock(pump_mutex_);
    if (std::find(pump_requests_.begin(), pump_requests_.end(), channel_number) ==
        pump_requests_.end()) {
      pump_requests_.push_back(channel_number);
    }
    if (std::exchange(pump_posted_, true)) return;
  }
  std::weak_ptr<AmqpConnection> weak = weak_from_this();
  output_->post([weak] {
    if (auto self = weak.lock()) self->run_scheduled_pumps();
  });
}

void AmqpConnection::run_scheduled_pumps() {
  std::vector<uint16_t> channels;
  {
    std::lock_guard lock(pump_mutex_);
    channels.swap(pump_requests_);
    pump_posted_ = false;
  }
  if (state_ != State::kOpen) return;
  // One batch for every channel's deliveries: one send for the lot.
  OutputBatch batch(*this);
  for (uint16_t number : channels) {
    if (Channel* channel = find_channel(number)) pump(*channel);
  }
}

void AmqpConnection::confirm_publish(Channel& channel, uint64_t seq, bool ack) {
  if (!ack) {
    flush_confirms(channel);
    send_method(channel.number, BasicNack{seq, false, false});
    channel.confirms_sent = channel.confirms_owed = seq;
    return;
  }
  if (channel.confirms_owed == channel.confirms_sent) confirm_channels_.push_back(channel.number);
  channel.confirms_owed = seq;
  if (std::exchange(confirm_flush_posted_, true)) return;
  // Runs after the frames of this read (and any read completed meanwhile).
  std::weak_ptr<AmqpConnection> weak = weak_from_this();
  output_->post([weak] {
    auto self = weak.lock();
    if (!self) return;
    self->confirm_flush_posted_ = false;
    if (self->state_ != State::kOpen) return;
    OutputBatch batch(*self);
    self->flush_confirms();
  });
}

void AmqpConnection::flush_confirms(Channel& channel) {
  if (channel.confirms_owed == channel.confirms_sent) return;
  const uint64_t owed = channel.confirms_owed;
  send_method(channel.number, BasicAck{owed, owed - channel.confirms_sent > 1});
  channel.confirms_sent = owed;
}

void AmqpConnection::flush_confirms() {
  for (uint16_t number : confirm_channels_) {
    if (auto it = channels_.find(number); it != channels_.end()) flush_confirms(it->second);
  }
  confirm_channels_.clear();
}

void AmqpConnection::settle(Channel& channel, uint64_t delivery_tag, Settle how) {
  std::optional<UnackedDelivery> taken = channel.unacked.take(delivery_tag);
  if (!taken) return;
  UnackedDelivery& delivery = *taken;
  if (delivery.consumer_tag) {
    if (auto consumer = channel.consumers.find(*delivery.consumer_tag);
        consumer != channel.consumers.end() && consumer->second.unacked->load() > 0) {
      // The last unacked delivery of a single active consumer that is
      // being replaced: the replacement may start now.
      if (consumer->second.unacked->fetch_sub(1) == 1 && vhost_) {
        vhost_->consumer_idle(consumer->second.queue, consumer->second.registration);
      }
    }
  }
  if (events_on()) {
    emit_event(how == Settle::kAck ? traffic::EventKind::kAck : traffic::EventKind::kNack,
               delivery.queue->name(),
               fmt::format("delivery tag {} on channel {}{}", delivery_tag, channel.number,
                           how == Settle::kRequeue ? ", requeued"
                           : how == Settle::kDrop  ? ", dropped"
                                                   : ""));
  }
  switch (how) {
    case Settle::kAck:
      delivery.queue->ack(delivery.id);
      broker_.metrics().acked.inc();
      break;
    case Settle::kRequeue:
      requeue_delivery(delivery);
      break;
    case Settle::kDrop:
      if (auto removed = delivery.queue->remove(delivery.id); removed && vhost_) {
        std::vector<storage::Message> messages;
        messages.push_back(std::move(*removed));
        dead_letter(broker_, *vhost_, delivery.queue->name(), std::move(messages),
                    DeathReason::kRejected);
      }
      break;
  }
}

void AmqpConnection::requeue_delivery(const UnackedDelivery& delivery) {
  storage::RequeueResult requeued = delivery.queue->requeue(
      delivery.id, delivery.rules.requeue_place, delivery.rules.delivery_limit);
  if (requeued.over_limit && vhost_) {
    std::vector<storage::Message> messages;
    messages.push_back(std::move(*requeued.over_limit));
    dead_letter(broker_, *vhost_, delivery.queue->name(), std::move(messages),
                DeathReason::kDeliveryLimit);
  }
  hint_expiry(*delivery.queue);
}

void AmqpConnection::emit_event(traffic::EventKind kind, std::string_view queue,
                                std::string_view detail, const storage::Message* message) const {
  auto* events = broker_.listening_events();
  if (events == nullptr) return;
  traffic::Event event;
  event.protocol = traffic::Protocol::kAmqp;
  event.kind = kind;
  event.client_id = client_id();
  event.connection = output_->peer_address();
  event.topic = std::string(queue);
  event.detail = std::string(detail);
  if (message != nullptr) {
    event.exchange = message->exchange;
    event.routing_key = message->routing_key;
    if (message->body) {
      event.size = message->body->size();
      event.preview = traffic::Events::preview(*message->body);
    }
  }
  events->emit(std::move(event));
}

void AmqpConnection::hint_expiry(storage::Queue& queue) {
  if (auto expiry = queue.next_expiry()) broker_.housekeeping_at(*expiry);
}

void AmqpConnection::on_output_drained() {
  if (!std::exchange(awaiting_drain_, false) || state_ != State::kOpen) return;
  for (auto& [number, channel] : channels_) {
    if (!channel.consumers.empty()) schedule_pump(number);
  }
}

void AmqpConnection::pump(Channel& channel) {
  if (state_ != State::kOpen || channel.state != Channel::State::kOpen) return;
  OutputBatch batch(*this);
  auto channel_unacked = [&channel] {
    std::size_t count = 0;
    for (const auto& [tag, consumer] : channel.consumers) count += consumer.unacked->load();
    return count;
  };
  auto has_capacity = [&](const Consumer& consumer) {
    if (!channel.flow_active) return false;
    if (consumer.no_ack) return true;
    if (consumer.prefetch != 0 && consumer.unacked->load() >= consumer.prefetch) return false;
    return channel.channel_prefetch == 0 || channel_unacked() < channel.channel_prefetch;
  };
  // Publishes whether the consumer could take a message (consumer
  // priorities); one that stops while messages wait lets the others in.
  auto set_ready = [&](Consumer& consumer, bool ready) {
    if (consumer.ready->exchange(ready) && !ready && vhost_ &&
        consumer.storage->ready_count() > 0) {
      vhost_->wake_consumers(consumer.queue, consumer.registration);
    }
  };
  // Pushes from now on ask for another pump; earlier ones are seen by this one.
  for (auto& [tag, consumer] : channel.consumers) {
    consumer.pump_wanted->store(false, std::memory_order_seq_cst);
  }
  const uint64_t round = ++channel.pump_round;
  // Whether priorities or single-active-consumer let a consumer take
  // messages is asked once per consumer per pump (it takes the vhost's lock).
  auto may_consume = [&](Consumer& consumer) {
    if (!vhost_) return true;
    if (consumer.checked_round != round) {
      consumer.checked_round = round;
      consumer.may_consume = vhost_->may_consume(consumer.queue, consumer.registration);
    }
    return consumer.may_consume;
  };
  // A client that does not read: its consumers take nothing more (other
  // consumers of their queues do) until the output has been written, so the
  // messages wait in their queues, under their limits, and not in this
  // connection's output (RabbitMQ's flow control does the same).
  auto congested = [&] {
    if (!output_->congested()) return false;
    for (auto& entry : channel.consumers) set_ready(entry.second, false);
    if (!std::exchange(awaiting_drain_, true)) output_->notify_when_drained();
    return true;
  };
  if (congested()) return;
  int delivered = 0;
  bool progress = true;
  while (progress) {
    progress = false;
    // Named references, not a structured binding: the delivery lambda below
    // captures `tag`, and clang before 16 cannot capture structured bindings.
    for (auto& entry : channel.consumers) {
      const auto& tag = entry.first;
      auto& consumer = entry.second;
      // A consumer paused by a fault rule is not ready: others on the queue
      // take its messages meanwhile.
      const bool ready = !consumer.paused && has_capacity(consumer);
      set_ready(consumer, ready);
      if (!ready) continue;
      if (!may_consume(consumer)) continue;
      if (const auto* faults = broker_.fault_set();
          faults && faults->armed(traffic::Protocol::kAmqp) &&
          consumer.storage->ready_count() > 0 && apply_delivery_faults(channel, consumer)) {
        set_ready(consumer, false);
        continue;
      }
      storage::PopResult popped = consumer.storage->pop(storage::Clock::now());
      if (!popped.expired.empty()) {
        dead_letter(broker_, *vhost_, consumer.queue, std::move(popped.expired),
                    DeathReason::kExpired);
      }
      if (!popped.delivery) continue;
      const storage::QueuedMessage& message = *popped.delivery;
      uint64_t delivery_tag = channel.next_delivery_tag++;
      if (consumer.no_ack) {
        consumer.storage->ack(message.id);
      } else {
        channel.unacked.add(delivery_tag, UnackedDelivery{consumer.storage, message.id,
                                                          consumer.shared_tag, consumer.rules});
        consumer.unacked->fetch_add(1);
      }
      if (consumer.delivered_counter == nullptr) {
        consumer.delivered_counter =
            &broker_.metrics().delivered_series(vhost_->name(), consumer.queue);
      }
      consumer.delivered_counter->inc();
      if (message.message.redelivered) broker_.metrics().redelivered.inc();
      emit([&](ByteWriter& out) {
        write_delivery(out, channel.number, tag, delivery_tag, message.message,
                       consumer.rules.quorum);
      });
      if (events_on()) {
        emit_event(traffic::EventKind::kDeliver, consumer.queue,
                   fmt::format("consumer tag '{}', delivery tag {}{}", tag, delivery_tag,
                               message.message.redelivered ? ", redelivered" : ""),
                   &message.message);
      }
      set_ready(consumer, has_capacity(consumer));
      progress = true;
      if (congested()) return;
      if (++delivered >= kDeliveriesPerPump) {
        schedule_pump(channel.number);
        return;
      }
    }
  }
}

void AmqpConnection::deliver_direct_reply(uint16_t channel_number, std::string routing_key,
                                          storage::Bytes header_payload, storage::Bytes body) {
  std::weak_ptr<AmqpConnection> weak = weak_from_this();
  output_->post([weak, channel_number, routing_key = std::move(routing_key),
                 header_payload = std::move(header_payload), body = std::move(body)] {
    auto self = weak.lock();
    if (!self || self->state_ != State::kOpen) return;
    Channel* channel = self->find_channel(channel_number);
    if (!channel || channel->reply_consumer_tag.empty() || channel->reply_to_key != routing_key) {
      return;  // the requester went away: the reply is dropped, as in RabbitMQ
    }
    self->broker_.metrics().delivered(self->vhost_->name(), "amq.rabbitmq.reply-to");
    self->send_content(
        channel_number,
        BasicDeliver{channel->reply_consumer_tag, channel->next_delivery_tag++, false, "",
                     routing_key},
        std::span(reinterpret_cast<const uint8_t*>(header_payload->data()), header_payload->size()),
        *body);
  });
}

}  // namespace mockforge::amqp
