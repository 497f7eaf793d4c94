#include "brokers/mqtt/session/mqtt_connection.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "brokers/mqtt/broker/client.h"
#include "core/log/logging.h"
#include "core/small_pool.h"

namespace mockforge::mqtt {

namespace {

// Reads the fixed header's Remaining Length: the frame length, or how to go on.
net::FrameStatus frame_boundary(std::span<const uint8_t> unread, uint32_t maximum_packet_size) {
  uint32_t remaining = 0;
  for (std::size_t i = 1; i <= 4; ++i) {
    if (unread.size() <= i) return net::FrameStatus::need_more();
    const uint8_t byte = unread[i];
    remaining |= static_cast<uint32_t>(byte & 0x7F) << (7 * (i - 1));
    if ((byte & 0x80) == 0) {
      const std::size_t total = 1 + i + remaining;
      if (total > maximum_packet_size) {
        return net::FrameStatus::invalid(fmt::format("packet of {} bytes exceeds the maximum of {}",
                                                     total, maximum_packet_size));
      }
      if (unread.size() < total) return net::FrameStatus::need_more(total);
      return net::FrameStatus::complete(total);
    }
  }
  return net::FrameStatus::invalid("malformed Remaining Length");
}

// One MQTT connection's protocol: the framing for core/net, the Client, and
// the link the broker reaches it through, in one object (owned by the
// connection). The broker's reference to the link shares ownership of the
// connection, so a delivery posted to it finds the client alive; once closed,
// the client ignores deliveries.
class MqttProtocol final : public Client, public net::FrameProtocol {
 public:
  // From the small-object pool: one per connection, kept while it is idle.
  static void* operator new(std::size_t size) { return SmallPool::allocate(size); }
  static void operator delete(void* block, std::size_t size) noexcept {
    SmallPool::deallocate(block, size);
  }

  MqttProtocol(net::Connection& connection, Broker& broker, std::size_t max_unsent_bytes)
      : Client(broker), connection_(connection), max_unsent_bytes_(max_unsent_bytes) {
    // The peer's address is not kept, so it is logged now.
    if (const auto log = log::get("mqtt"); log->should_log(spdlog::level::debug)) {
      log->debug("mqtt connection {} from {}", connection_.id(), connection_.remote_address());
    }
  }

  // FrameProtocol. Client has same-named (non-virtual) events: the calls
  // below name it.
  net::FrameStatus next_frame(std::span<const uint8_t> unread) override {
    // Garbage is refused at its first byte instead of waiting for its "length".
    if (!connect_seen() && (unread[0] >> 4) != static_cast<uint8_t>(PacketType::connect)) {
      return net::FrameStatus::invalid("first packet is not CONNECT");
    }
    return frame_boundary(unread, maximum_inbound_packet_size());
  }
  void on_frame(std::span<const uint8_t> frame) override {
    in_publish_ = (frame[0] >> 4) == static_cast<uint8_t>(PacketType::publish);
    Client::on_frame(frame);
    in_publish_ = false;
  }
  void on_invalid_frame(std::string_view error) override {
    DecodeError decode_error;
    decode_error.reason_code = error.starts_with("malformed") ? ReasonCode::malformed_packet
                                                              : ReasonCode::packet_too_large;
    decode_error.message = std::string(error);
    on_framing_error(decode_error);
  }
  void on_idle_timeout() override { on_read_timeout(); }
  void on_server_shutdown() override { Client::on_server_shutdown(); }
  void on_output_drained() override { Client::on_output_drained(); }
  void on_closed(std::string_view reason) override {
    log::get("mqtt")->debug("mqtt connection {} closed: {}", connection_.id(), reason);
    Client::on_closed();
  }

  // ClientIo
  void send_bytes(Bytes bytes) override { connection_.send(std::move(bytes)); }
  void close_connection(std::string reason) override {
    connection_.close_after_flush(std::move(reason));
  }
  void set_read_timeout(std::chrono::milliseconds timeout) override {
    connection_.set_idle_timeout(timeout);
  }
  // Unsent output beyond which QoS 0 messages to the client are dropped and
  // QoS 1/2 ones wait in its backlog (Client::send_or_queue).
  bool congested() const override { return connection_.outbound_bytes() > max_unsent_bytes_; }
  void notify_when_drained() override { connection_.notify_when_drained(); }
  std::string peer_address() const override { return connection_.remote_address(); }
  bool tls() const override { return connection_.tls(); }
  std::optional<std::string> certificate_common_name() const override {
    auto peer = connection_.peer_certificate();
    if (!peer) return std::nullopt;
    return std::move(peer->common_name);
  }
  std::optional<std::string> certificate_subject() const override {
    auto peer = connection_.peer_certificate();
    if (!peer) return std::nullopt;
    return std::move(peer->distinguished_name);
  }
  void hold_input(std::chrono::milliseconds delay, std::function<void()> resume) override {
    connection_.pause_reading();
    auto timer = std::make_shared<boost::asio::steady_timer>(connection_.executor(), delay);
    // The timer keeps the connection (and this) alive until it has run.
    timer->async_wait([timer, connection = connection_.shared_from_this(), this,
                       resume = std::move(resume)](const boost::system::error_code& error) {
      if (error || connection->closed()) return;
      resume();
      connection_.resume_reading();
    });
  }
  void run_after(std::chrono::milliseconds delay, std::function<void()> resume) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(connection_.executor(), delay);
    timer->async_wait([timer, connection = connection_.shared_from_this(),
                       resume = std::move(resume)](const boost::system::error_code& error) {
      if (error || connection->closed()) return;
      resume();
    });
  }
  std::shared_ptr<ClientLink> make_link() override {
    return std::shared_ptr<ClientLink>(connection_.shared_from_this(),
                                       static_cast<ClientLink*>(this));
  }

  // ClientLink: any thread; runs on the connection's executor.
  void deliver(Delivery delivery) override {
    // A copy of the client's own PUBLISH goes out before the PUBACK or
    // PUBREC that answers it, as in Mosquitto: delivered now, from within
    // the packet's handler (in_publish_ is only read on the connection's
    // thread).
    if (connection_.executor().running_in_this_thread() && in_publish_) {
      deliver_now(std::move(delivery));
      return;
    }
    run([delivery = std::move(delivery)](Client& client) mutable {
      client.deliver_now(std::move(delivery));
    });
  }
  void take_over() override {
    run([](Client& client) { client.taken_over(); });
  }
  void session_dropped() override {
    run([](Client& client) { client.session_dropped_now(); });
  }
  std::shared_ptr<ClientLink> shared() override { return make_link(); }
  void adopt(SessionHandOver hand_over) override {
    run([hand_over = std::move(hand_over)](Client& client) mutable {
      client.adopt_now(std::move(hand_over));
    });
  }

 private:
  template <typename F>
  void run(F&& action) {
    // The caller holds the link, so the connection (and this) is alive; the
    // posted action keeps it so until it has run.
    boost::asio::post(connection_.executor(), [connection = connection_.shared_from_this(), this,
                                               action = std::forward<F>(action)]() mutable {
      action(static_cast<Client&>(*this));
    });
  }

  net::Connection& connection_;
  std::size_t max_unsent_bytes_;
  bool in_publish_ = false;  // Client::on_frame() of a PUBLISH is on the stack
};

}  // namespace

net::Connection::ProtocolFactory make_mqtt_protocol_factory(Broker& broker,
                                                            std::size_t max_unsent_bytes) {
  return [&broker,
          max_unsent_bytes](net::Connection& connection) -> std::unique_ptr<net::FrameProtocol> {
    return std::make_unique<MqttProtocol>(connection, broker, max_unsent_bytes);
  };
}

}  // namespace mockforge::mqtt
