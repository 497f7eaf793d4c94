#pragma once

// Per-connection Kafka protocol state, free of sockets: frames in, response
// frames out, in request order even when handlers complete later (Fetch
// long-poll, JoinGroup). All calls run on the connection's strand.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {

struct FrameCheck {
  enum class Kind { kNeedMore, kComplete, kInvalid } kind;
  std::size_t length = 0;  // kComplete: frame length including the size prefix
  std::string error;
};

// Looks at the unread bytes: a 4-byte size, then that many bytes. Sizes below
// a minimal request header (8 bytes) or above `max_frame_bytes` are invalid
// before the body is read (Kafka closes the connection).
FrameCheck check_frame(std::span<const uint8_t> unread, std::size_t max_frame_bytes);

class RequestPipeline {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void send(Bytes frame) = 0;
    // Flushes what was sent, then closes (protocol violation).
    virtual void close(std::string reason) = 0;
  };

  RequestPipeline(BrokerState& broker, Sink& sink, std::shared_ptr<ConnectionScheduler> scheduler,
                  std::string local_host, int32_t local_port, std::string client_host);
  ~RequestPipeline();

  // One whole frame, size prefix included.
  void on_frame(std::span<const uint8_t> frame);
  // The connection is gone: later answers are dropped.
  void on_closed();
  std::size_t pending_responses() const;

 private:
  struct Slot {
    bool done = false;
    std::optional<Bytes> frame;
  };
  struct State {
    Sink* sink;
    std::deque<std::shared_ptr<Slot>> slots;
    bool closing = false;
    void flush();
  };

  BrokerState& broker_;
  std::shared_ptr<State> state_;
  std::shared_ptr<ConnectionScheduler> scheduler_;
  std::string local_host_;
  int32_t local_port_;
  std::string client_host_;
};

}  // namespace mockforge::kafka
