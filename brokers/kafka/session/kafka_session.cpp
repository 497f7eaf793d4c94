#include "brokers/kafka/session/kafka_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log/logging.h"

namespace mockforge::kafka {

namespace {

class StrandScheduler : public ConnectionScheduler {
 public:
  explicit StrandScheduler(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}

  void post(std::function<void()> fn) override { boost::asio::post(strand_, std::move(fn)); }

  std::function<void()> run_after(std::chrono::milliseconds delay,
                                  std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(strand_, delay);
    auto callback = std::make_shared<std::function<void()>>(std::move(fn));
    timer->async_wait([timer, callback](const boost::system::error_code& ec) {
      if (ec || !*callback) return;
      auto run = std::move(*callback);
      *callback = nullptr;
      run();
    });
    // Cancelling drops the callback (and what it holds) right away, on the strand.
    return [timer, callback, strand = strand_] {
      *callback = nullptr;
      boost::asio::post(strand, [timer] { timer->cancel(); });
    };
  }

 private:
  boost::asio::any_io_executor strand_;
};

}  // namespace

KafkaSession::KafkaSession(net::Connection& connection, BrokerState& broker, std::string local_host,
                           int32_t local_port, int32_t node_id, bool tls_listener,
                           std::size_t max_pending_requests)
    : connection_(connection), broker_(broker), max_pending_requests_(max_pending_requests) {
  pipeline_ = std::make_unique<RequestPipeline>(
      broker, *this, std::make_shared<StrandScheduler>(connection.executor()),
      std::move(local_host), local_port, connection.remote_address(), node_id, tls_listener);
  broker_.metrics().connections.inc();
}

KafkaSession::~KafkaSession() = default;

net::FrameStatus KafkaSession::next_frame(std::span<const uint8_t> unread) {
  FrameCheck check =
      check_frame(unread, broker_.options().max_frame_bytes, pipeline_->expects_raw_sasl_token());
  switch (check.kind) {
    case FrameCheck::Kind::kNeedMore:
      return net::FrameStatus::need_more(check.length);
    case FrameCheck::Kind::kComplete:
      return net::FrameStatus::complete(check.length);
    case FrameCheck::Kind::kInvalid:
      break;
  }
  return net::FrameStatus::invalid(std::move(check.error));
}

void KafkaSession::on_frame(std::span<const uint8_t> frame) {
  pipeline_->on_frame(frame);
  if (!paused_ && pipeline_->pending_responses() >= max_pending_requests()) {
    paused_ = true;
    connection_.pause_reading();
  }
}

void KafkaSession::answered(std::size_t pending) {
  if (paused_ && pending < max_pending_requests()) {
    paused_ = false;
    connection_.resume_reading();
  }
}

void KafkaSession::on_invalid_frame(std::string_view error) {
  log::get("kafka")->debug("closing {}: {}", connection_.remote_address(), error);
  // Kafka closes without a reply; the connection flushes what is queued and closes.
}

void KafkaSession::on_idle_timeout() {
  log::get("kafka")->debug("closing {}: no request for 10 minutes", connection_.remote_address());
  connection_.close_after_flush("idle");
}

void KafkaSession::on_server_shutdown() { connection_.close_after_flush("server shutdown"); }

void KafkaSession::on_closed(std::string_view) {
  pipeline_->on_closed();
  broker_.metrics().connections.dec();
}

void KafkaSession::send(Bytes frame) { connection_.send(std::move(frame)); }

void KafkaSession::close(std::string reason) {
  log::get("kafka")->debug("closing {}: {}", connection_.remote_address(), reason);
  connection_.close_after_flush(std::move(reason));
}

}  // namespace mockforge::kafka
