#include "cli/amqp/client.h"

#include <algorithm>

namespace mockforge::cli::amqp {
namespace {

using Clock = std::chrono::steady_clock;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, std::string_view url) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      throw AmqpError("bad percent-escape in URL '" + std::string(url) + "'");
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

Url parse_url(std::string_view text) {
  constexpr std::string_view kScheme = "amqp://";
  constexpr std::string_view kTlsScheme = "amqps://";
  Url url;
  std::string_view rest;
  if (text.substr(0, kScheme.size()) == kScheme) {
    rest = text.substr(kScheme.size());
  } else if (text.substr(0, kTlsScheme.size()) == kTlsScheme) {
    rest = text.substr(kTlsScheme.size());
    url.tls = true;
    url.port = 5671;
  } else {
    throw AmqpError("URL '" + std::string(text) + "' must start with amqp:// or amqps://");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    url.user = percent_decode(userinfo.substr(0, colon), text);
    url.password = colon == std::string_view::npos
                       ? std::string()
                       : percent_decode(userinfo.substr(colon + 1), text);
  }
  if (!authority.empty()) {
    try {
      auto endpoint = net::parse_endpoint(authority, url.port);
      url.host = endpoint.host;
      url.port = endpoint.port;
    } catch (const net::NetError& e) {
      throw AmqpError(std::string(e.what()) + " in URL '" + std::string(text) + "'");
    }
  }
  if (!path.empty()) url.vhost = percent_decode(path, text);
  return url;
}

std::string describe_close(std::uint16_t reply_code, std::string_view reply_text,
                           std::uint16_t class_id, std::uint16_t method_id) {
  std::string name(codec::reply_code_name(static_cast<codec::ReplyCode>(reply_code)));
  std::string out = std::to_string(reply_code);
  if (!name.empty() && reply_text.substr(0, name.size()) != name) out += " " + name;
  if (!reply_text.empty()) out += " " + std::string(reply_text);
  if (class_id != 0) {
    if (const auto* info = codec::find_method_info({class_id, method_id})) {
      out += " (" + std::string(info->name) + ")";
    }
  }
  return out;
}

void Client::send_frame_bytes(const std::vector<std::uint8_t>& bytes) {
  connection_.send_all(bytes, timeout_);
}

void Client::send_method(const codec::Method& method) {
  send_frame_bytes(codec::encode_method_frame(1, method));
}

void Client::publish(const codec::BasicPublish& publish, const codec::BasicProperties& properties,
                     std::string_view body) {
  codec::ByteWriter out;
  codec::encode_frame(out, codec::FrameType::kMethod, 1, codec::encode_method(publish));
  codec::ContentHeader header;
  header.body_size = body.size();
  header.properties = properties;
  codec::encode_frame(out, codec::FrameType::kHeader, 1, codec::encode_content_header(header));
  codec::encode_body_frames(out, 1,
                            std::span<const std::uint8_t>(
                                reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
                            frame_max_);
  send_frame_bytes(out.take());
}

std::optional<codec::Command> Client::read_command(Clock::time_point deadline) {
  for (;;) {
    auto split = splitter_.next();
    if (auto* error = std::get_if<codec::FrameError>(&split)) {
      throw AmqpError("bad frame from " + connection_.peer_name() + ": " + error->message);
    }
    if (auto* frame = std::get_if<codec::Frame>(&split)) {
      codec::AssembleResult assembled;
      try {
        assembled = assembler_.add(*frame);
      } catch (const codec::DecodeError& e) {
        throw AmqpError("bad frame from " + connection_.peer_name() + ": " + e.what());
      }
      if (auto* error = std::get_if<codec::CommandError>(&assembled)) {
        throw AmqpError("bad command from " + connection_.peer_name() + ": " + error->message);
      }
      auto* command = std::get_if<codec::Command>(&assembled);
      if (command == nullptr) continue;  // heartbeat or partial content
      if (auto* close = std::get_if<codec::ConnectionClose>(&command->method)) {
        send_frame_bytes(codec::encode_method_frame(0, codec::ConnectionCloseOk{}));
        connection_.close();
        open_ = false;
        throw AmqpError("connection closed by " + connection_.peer_name() + ": " +
                            describe_close(close->reply_code, close->reply_text, close->class_id,
                                           close->method_id),
                        close->reply_code);
      }
      if (auto* close = std::get_if<codec::ChannelClose>(&command->method)) {
        send_frame_bytes(codec::encode_method_frame(command->channel, codec::ChannelCloseOk{}));
        throw AmqpError("channel closed by " + connection_.peer_name() + ": " +
                            describe_close(close->reply_code, close->reply_text, close->class_id,
                                           close->method_id),
                        close->reply_code);
      }
      return std::move(*command);
    }
    if (std::holds_alternative<codec::ProtocolHeaderReceived>(split)) {
      throw AmqpError(connection_.peer_name() + " refused the AMQP 0-9-1 protocol header");
    }
    if (Clock::now() >= deadline) return std::nullopt;
    received_.clear();
    auto status = connection_.recv_some(received_, net::remaining(deadline));
    if (status == net::TcpConnection::RecvStatus::closed) {
      open_ = false;
      throw AmqpError("connection closed by " + connection_.peer_name());
    }
    if (status == net::TcpConnection::RecvStatus::data) splitter_.feed(received_);
  }
}

codec::Command Client::await_method(codec::MethodId id, std::string_view during) {
  auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto command = read_command(deadline);
    if (!command) {
      const auto* info = codec::find_method_info(id);
      throw AmqpError("no " + std::string(info ? info->name : "reply") + " from " +
                      connection_.peer_name() + " within " + std::to_string(timeout_.count()) +
                      " ms" + (during.empty() ? "" : " (" + std::string(during) + ")"));
    }
    if (codec::method_id(command->method) == id) return std::move(*command);
    inbox_.push_back(std::move(*command));
  }
}

codec::Command Client::await_reply(codec::MethodId reply, const codec::Method& request) {
  return await_method(reply, codec::method_name(request));
}

Client Client::connect(const Url& url, std::chrono::milliseconds timeout, net::TlsOptions tls) {
  tls.enabled = tls.enabled || url.tls;
  Client client(net::TcpConnection::connect(url.host, url.port, timeout, tls), timeout);
  client.connection_.send_all(codec::kProtocolHeader, timeout);
  auto start = client.await_method(codec::ConnectionStart::kId, "connection start");
  const auto& start_method = std::get<codec::ConnectionStart>(start.method);
  client.server_properties_ = start_method.server_properties;
  const std::string& mechanisms = start_method.mechanisms;
  bool plain = false;
  for (std::size_t pos = 0; pos <= mechanisms.size();) {
    auto space = mechanisms.find(' ', pos);
    if (mechanisms.substr(pos, space - pos) == "PLAIN") plain = true;
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  if (!plain) {
    throw AmqpError(client.connection_.peer_name() +
                    " does not offer the PLAIN mechanism (offers: " + mechanisms + ")");
  }
  codec::ConnectionStartOk start_ok;
  start_ok.client_properties.set("product", std::string("mockforge"));
  codec::FieldTable capabilities;
  capabilities.set("publisher_confirms", true);
  capabilities.set("basic.nack", true);
  capabilities.set("consumer_cancel_notify", true);
  capabilities.set("authentication_failure_close", true);
  start_ok.client_properties.set("capabilities", capabilities);
  start_ok.mechanism = "PLAIN";
  start_ok.response = std::string(1, '\0') + url.user + std::string(1, '\0') + url.password;
  start_ok.locale = "en_US";
  client.send_frame_bytes(codec::encode_method_frame(0, start_ok));
  auto tune_command = client.await_method(codec::ConnectionTune::kId, "login");
  const auto& tune = std::get<codec::ConnectionTune>(tune_command.method);
  codec::ConnectionTuneOk tune_ok;
  tune_ok.channel_max = tune.channel_max;
  tune_ok.frame_max =
      tune.frame_max == 0 ? 131072 : std::min<std::uint32_t>(tune.frame_max, 131072);
  // This client never sits idle between reads for long, so it declines heartbeats.
  tune_ok.heartbeat = 0;
  client.frame_max_ = tune_ok.frame_max;
  client.splitter_.set_frame_max(tune_ok.frame_max);
  client.send_frame_bytes(codec::encode_method_frame(0, tune_ok));
  codec::ConnectionOpen open;
  open.virtual_host = url.vhost;
  client.send_frame_bytes(codec::encode_method_frame(0, open));
  client.await_method(codec::ConnectionOpenOk::kId, "connection.open");
  client.open_ = true;
  client.call<codec::ChannelOpenOk>(codec::ChannelOpen{});
  return client;
}

std::optional<codec::Command> Client::next_command(Clock::time_point deadline) {
  if (!inbox_.empty()) {
    auto command = std::move(inbox_.front());
    inbox_.pop_front();
    return command;
  }
  return read_command(deadline);
}

void Client::close() {
  if (!open_) return;
  open_ = false;
  codec::ConnectionClose close;
  close.reply_code = static_cast<std::uint16_t>(codec::ReplyCode::kReplySuccess);
  close.reply_text = "bye";
  send_frame_bytes(codec::encode_method_frame(0, close));
  auto deadline = Clock::now() + timeout_;
  // Deliveries may still be in flight: skip them until close-ok.
  while (auto command = read_command(deadline)) {
    if (std::holds_alternative<codec::ConnectionCloseOk>(command->method)) break;
  }
  connection_.close();
}

}  // namespace mockforge::cli::amqp
