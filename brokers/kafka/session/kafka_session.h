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
  KafkaSession(net::Connection& connection, BrokerState& broker, std::string local_host,
               int32_t local_port, int32_t node_id = 0, bool tls_listener = false);
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

  // Unanswered requests (long-polling Fetches, and whatever waits behind
  // them) at which the connection stops reading until some are answered.
  // Kafka itself reads one request at a time per connection; this keeps
  // clients' pipelining while bounding what a client that never reads its
  // answers can make the broker hold.
  static constexpr std::size_t kMaxPendingRequests = 16;

 private:
  net::Connection& connection_;
  BrokerState& broker_;
  std::unique_ptr<RequestPipeline> pipeline_;
  bool paused_ = false;  // kMaxPendingRequests reached
};

}  // namespace mockforge::kafka
