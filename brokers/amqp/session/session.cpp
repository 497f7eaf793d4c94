#include "brokers/amqp/session/session.h"

#include <boost/asio/post.hpp>

#include "brokers/amqp/codec/frame.h"

namespace mockforge::amqp {

SessionOutput::SessionOutput(net::Connection& connection, std::size_t max_unsent_bytes)
    : max_unsent_bytes_(max_unsent_bytes),
      connection_(connection.weak_from_this()),
      raw_connection_(&connection),
      executor_(connection.executor()),
      heartbeat_timer_(connection.executor()) {}

void SessionOutput::send(std::vector<uint8_t> bytes) {
  if (auto connection = connection_.lock()) connection->send(std::move(bytes));
}

void SessionOutput::close_after_flush(std::string reason) {
  heartbeat_timer_.cancel();
  if (auto connection = connection_.lock()) connection->close_after_flush(std::move(reason));
}

void SessionOutput::set_heartbeat(std::chrono::seconds interval) {
  heartbeat_ = interval;
  heartbeat_timer_.cancel();
  if (auto connection = connection_.lock()) connection->set_idle_timeout(receive_timeout());
  if (interval.count() > 0) arm_heartbeat_timer();
}

std::chrono::milliseconds SessionOutput::receive_timeout() const {
  // A paused connection cannot hear the client's heartbeats.
  if (paused_ || heartbeat_.count() == 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(heartbeat_) * 2;
}

void SessionOutput::pause_reading() {
  paused_ = true;
  if (auto connection = connection_.lock()) {
    connection->pause_reading();
    connection->set_idle_timeout(receive_timeout());
  }
}

void SessionOutput::resume_reading() {
  paused_ = false;
  if (auto connection = connection_.lock()) {
    connection->set_idle_timeout(receive_timeout());
    connection->resume_reading();
  }
}

bool SessionOutput::congested() const {
  auto connection = connection_.lock();
  return connection && connection->outbound_bytes() > max_unsent_bytes_;
}

void SessionOutput::notify_when_drained() {
  if (auto connection = connection_.lock()) connection->notify_when_drained();
}

std::string SessionOutput::peer_address() const {
  auto connection = connection_.lock();
  return connection ? connection->remote_address() : std::string();
}

std::optional<ClientCertificate> SessionOutput::peer_certificate() const {
  auto connection = connection_.lock();
  if (!connection) return std::nullopt;
  auto peer = connection->peer_certificate();
  if (!peer) return std::nullopt;
  return ClientCertificate{peer->common_name, peer->distinguished_name};
}

void SessionOutput::arm_heartbeat_timer() {
  heartbeat_timer_.expires_after(std::chrono::milliseconds(heartbeat_) / 2);
  std::weak_ptr<SessionOutput> weak = weak_from_this();
  heartbeat_timer_.async_wait([weak](const boost::system::error_code& error) {
    if (error) return;
    auto self = weak.lock();
    if (!self || self->heartbeat_.count() == 0) return;
    auto connection = self->connection_.lock();
    if (!connection || connection->closed()) return;
    connection->send(encode_heartbeat_frame());
    self->arm_heartbeat_timer();
  });
}

void SessionOutput::post(std::function<void()> task) {
  boost::asio::post(executor_, std::move(task));
}

void SessionOutput::post_after(std::chrono::milliseconds delay, std::function<void()> task) {
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay);
  timer->async_wait([timer, connection = connection_,
                     task = std::move(task)](const boost::system::error_code& error) {
    const auto alive = connection.lock();
    if (error || !alive || alive->closed()) return;
    task();
  });
}

AmqpSession::AmqpSession(net::Connection& connection, std::shared_ptr<BrokerState> broker,
                         std::size_t max_unsent_bytes)
    : broker_(std::move(broker)),
      output_(std::make_shared<SessionOutput>(connection, max_unsent_bytes)),
      connection_(std::make_shared<AmqpConnection>(*broker_, output_)) {}

AmqpSession::~AmqpSession() = default;

net::FrameStatus AmqpSession::next_frame(std::span<const uint8_t> unread) {
  FrameBoundary boundary = connection_->frame_boundary(unread);
  switch (boundary.kind) {
    case FrameBoundary::Kind::kNeedMore:
      return net::FrameStatus::need_more(boundary.length);
    case FrameBoundary::Kind::kComplete:
      return net::FrameStatus::complete(boundary.length);
    case FrameBoundary::Kind::kTooLarge:
      break;
  }
  return net::FrameStatus::invalid("frame larger than frame_max");
}

void AmqpSession::on_frame(std::span<const uint8_t> frame) { connection_->on_frame(frame); }

void AmqpSession::on_invalid_frame(std::string_view) { connection_->on_oversize_frame(); }

void AmqpSession::on_idle_timeout() { connection_->on_heartbeat_timeout(); }

void AmqpSession::on_server_shutdown() { connection_->on_server_shutdown(); }

void AmqpSession::on_closed(std::string_view) { connection_->on_closed(); }

void AmqpSession::on_output_drained() { connection_->on_output_drained(); }

}  // namespace mockforge::amqp
