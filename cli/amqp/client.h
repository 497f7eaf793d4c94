// A blocking AMQP 0-9-1 client over cli/net, built on the broker's codec: it
// opens a connection (PLAIN auth) and one channel, runs synchronous methods,
// publishes content, and hands asynchronous traffic (deliveries, returns,
// confirms) to the caller. A channel or connection close from the broker
// becomes an AmqpError naming the reply code and the method that failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "brokers/amqp/codec/command_assembler.h"
#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/frame.h"
#include "cli/net/tcp.h"
#include "mockforge/amqp/methods.h"

namespace mockforge::cli::amqp {

namespace codec = ::mockforge::amqp;

class AmqpError : public std::runtime_error {
 public:
  AmqpError(const std::string& what, std::uint16_t reply_code = 0)
      : std::runtime_error(what), reply_code_(reply_code) {}
  // The broker's reply code when it closed the channel or connection, else 0.
  std::uint16_t reply_code() const { return reply_code_; }

 private:
  std::uint16_t reply_code_;
};

struct Url {
  std::string user = "guest";
  std::string password = "guest";
  std::string host = "localhost";
  std::uint16_t port = 5672;
  std::string vhost = "/";
  bool tls = false;  // amqps://
};

// amqp://user:pass@host:port/vhost with percent-escapes ("%2f" is "/"), or
// amqps:// (TLS, port 5671 by default). A missing or empty path is the
// default vhost "/". Throws AmqpError.
Url parse_url(std::string_view text);

class Client {
 public:
  // Connects, authenticates, opens the vhost and channel 1.
  // TLS when the URL is amqps:// or `tls` is enabled.
  static Client connect(const Url& url, std::chrono::milliseconds timeout,
                        net::TlsOptions tls = {});

  // Sends `request` on channel 1 and waits for its reply of type Reply;
  // asynchronous commands arriving meanwhile are queued for next_command().
  template <typename Reply>
  Reply call(const codec::Method& request) {
    send_method(request);
    return std::get<Reply>(await_reply(Reply::kId, request).method);
  }

  void send_method(const codec::Method& method);
  // basic.publish, content header and body frames (split to frame_max).
  void publish(const codec::BasicPublish& publish, const codec::BasicProperties& properties,
               std::string_view body);

  // The next asynchronous command on channel 1 (deliver, return, ack, nack,
  // cancel...), or nullopt at the deadline.
  std::optional<codec::Command> next_command(std::chrono::steady_clock::time_point deadline);

  // connection.close / close-ok, then the socket closes.
  void close();

  std::uint32_t frame_max() const { return frame_max_; }
  const codec::FieldTable& server_properties() const { return server_properties_; }

 private:
  Client(net::TcpConnection connection, std::chrono::milliseconds timeout)
      : connection_(std::move(connection)), timeout_(timeout) {}

  void send_frame_bytes(const std::vector<std::uint8_t>& bytes);
  // The next command on any channel; handles heartbeats and broker-initiated
  // closes (answered, then thrown as AmqpError). nullopt at the deadline.
  std::optional<codec::Command> read_command(std::chrono::steady_clock::time_point deadline);
  codec::Command await_reply(codec::MethodId reply, const codec::Method& request);
  codec::Command await_method(codec::MethodId id, std::string_view during);

  net::TcpConnection connection_;
  std::chrono::milliseconds timeout_;
  codec::FrameSplitter splitter_{codec::FrameSplitter::Start::kFramesOnly};
  codec::CommandAssembler assembler_;
  std::vector<std::uint8_t> received_;
  std::deque<codec::Command> inbox_;
  std::uint32_t frame_max_ = codec::kFrameMinSize;
  codec::FieldTable server_properties_;
  bool open_ = false;
};

// "404 NOT_FOUND - no queue 'q' in vhost '/' (queue.declare)".
std::string describe_close(std::uint16_t reply_code, std::string_view reply_text,
                           std::uint16_t class_id, std::uint16_t method_id);

}  // namespace mockforge::cli::amqp
