// The AMQP protocol on core/net: cuts frames for net::Connection, feeds the
// AmqpConnection state machine, and implements its output (sending,
// heartbeats, posting to the strand).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "brokers/amqp/protocol/connection.h"
#include "core/net/connection.h"

namespace mockforge::amqp {

class SessionOutput : public ConnectionOutput, public std::enable_shared_from_this<SessionOutput> {
 public:
  // Deliveries wait while more than `max_unsent_bytes` are unsent
  // (amqp.max_unsent_bytes): see congested().
  SessionOutput(net::Connection& connection, std::size_t max_unsent_bytes);

  void send(std::vector<uint8_t> bytes) override;
  void close_after_flush(std::string reason) override;
  void set_heartbeat(std::chrono::seconds interval) override;
  void post(std::function<void()> task) override;
  void post_after(std::chrono::milliseconds delay, std::function<void()> task) override;
  void pause_reading() override;
  void resume_reading() override;
  bool congested() const override;
  void notify_when_drained() override;
  std::string peer_address() const override;
  std::optional<ClientCertificate> peer_certificate() const override;

 private:
  std::chrono::milliseconds receive_timeout() const;
  void arm_heartbeat_timer();

  std::size_t max_unsent_bytes_;
  std::weak_ptr<net::Connection> connection_;
  net::Connection* raw_connection_;  // strand-only use, while the connection lives
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer heartbeat_timer_;
  std::chrono::seconds heartbeat_{0};
  bool paused_ = false;
};

class AmqpSession : public net::FrameProtocol {
 public:
  // Shares ownership of the broker state so that a connection torn down late
  // (after the service) never outlives it.
  // Deliveries to the connection's consumers wait while more than
  // `max_unsent_bytes` are unsent (amqp.max_unsent_bytes).
  AmqpSession(net::Connection& connection, std::shared_ptr<BrokerState> broker,
              std::size_t max_unsent_bytes);
  ~AmqpSession() override;

  net::FrameStatus next_frame(std::span<const uint8_t> unread) override;
  void on_frame(std::span<const uint8_t> frame) override;
  void on_invalid_frame(std::string_view error) override;
  void on_idle_timeout() override;
  void on_server_shutdown() override;
  void on_closed(std::string_view reason) override;
  void on_output_drained() override;

 private:
  std::shared_ptr<BrokerState> broker_;
  std::shared_ptr<SessionOutput> output_;
  std::shared_ptr<AmqpConnection> connection_;
};

}  // namespace mockforge::amqp
