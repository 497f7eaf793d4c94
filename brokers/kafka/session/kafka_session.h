#pragma once

// Binds a RequestPipeline to a core/net Connection (framing callbacks, the
// strand as ConnectionScheduler).

#include <memory>
#include <string>

#include "brokers/kafka/protocol/request_pipeline.h"
#include "core/net/connection.h"

namespace mockforge::kafka {

class KafkaSession : public net::FrameProtocol, public RequestPipeline::Sink {
 public:
  // `max_pending_requests`: unanswered requests at which the connection stops
  // being read (kafka.max_inflight_requests).
  KafkaSession(net::Connection& connection, BrokerState& broker, std::string local_host,
               int32_t local_port, int32_t node_id = 0, bool tls_listener = false,
               std::size_t max_pending_requests = 16);
  ~KafkaSession() override;

  net::FrameStatus next_frame(std::span<const uint8_t> unread) override;
  void on_frame(std::span<const uint8_t> frame) override;
  void on_invalid_frame(std::string_view error) override;
  void on_idle_timeout() override;
  void on_server_shutdown() override;
  void on_closed(std::string_view reason) override;

  void send(Bytes frame) override;
  void close(std::string reason) override;
  void answered(std::size_t pending) override;

 private:
  // Unanswered requests (long-polling Fetches, and whatever waits behind
  // them) at which the connection stops reading until some are answered
  // (kafka.max_inflight_requests). Kafka itself reads one request at a time
  // per connection; this keeps clients' pipelining while bounding what a
  // client that never reads its answers can make the broker hold.
  std::size_t max_pending_requests() const { return max_pending_requests_; }

  net::Connection& connection_;
  BrokerState& broker_;
  std::unique_ptr<RequestPipeline> pipeline_;
  std::size_t max_pending_requests_;
  bool paused_ = false;  // max_pending_requests() reached
};

}  // namespace mockforge::kafka
