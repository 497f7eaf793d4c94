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

#include "brokers/kafka/broker/sasl_session.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {

struct ServedApi;

struct FrameCheck {
  enum class Kind { kNeedMore, kComplete, kInvalid } kind;
  std::size_t length = 0;  // kComplete: frame length including the size prefix
  std::string error;
};

// Looks at the unread bytes: a 4-byte size, then that many bytes. Sizes below
// a minimal request header (8 bytes) or above `max_frame_bytes` are invalid
// before the body is read (Kafka closes the connection). A raw SASL token
// (after SaslHandshake v0) has no header: any size up to the maximum.
FrameCheck check_frame(std::span<const uint8_t> unread, std::size_t max_frame_bytes,
                       bool raw_sasl_token = false);

class RequestPipeline {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void send(Bytes frame) = 0;
    // Flushes what was sent, then closes (protocol violation).
    virtual void close(std::string reason) = 0;
    // Answers went out; `pending` requests are still unanswered.
    virtual void answered(std::size_t pending) { (void)pending; }
  };

  RequestPipeline(BrokerState& broker, Sink& sink, std::shared_ptr<ConnectionScheduler> scheduler,
                  std::string local_host, int32_t local_port, std::string client_host,
                  int32_t node_id = 0, bool tls_listener = false);
  ~RequestPipeline();

  // One whole frame, size prefix included.
  void on_frame(std::span<const uint8_t> frame);
  // The connection is gone: later answers are dropped.
  void on_closed();
  std::size_t pending_responses() const;
  // The next frame is a raw SASL token (SaslHandshake v0 was accepted), not a request.
  bool expects_raw_sasl_token() const { return sasl_.state() == SaslSession::State::kRawTokens; }

 private:
  struct Slot {
    bool done = false;
    std::optional<Bytes> frame;
  };
  struct State {
    Sink* sink;
    std::deque<std::shared_ptr<Slot>> slots;
    bool closing = false;
    // A fault rule holds a request (latency, throttle, pause): later frames
    // wait here, in order, as a broker handles one request at a time.
    bool holding = false;
    std::deque<Bytes> held;
    void flush();
  };

  // Decodes the header, checks the fault rules and dispatches.
  void handle_frame(std::span<const uint8_t> frame);
  // The fault seam: true when a rule took the request (answered it, dropped
  // it, closed the connection or held it).
  bool apply_faults(const std::shared_ptr<Request>& request, const ServedApi& api,
                    std::span<const uint8_t> frame, Reader body);
  void dispatch(const std::shared_ptr<Request>& request, const ServedApi& api, Reader& body);
  void release_held();
  // SASL on this connection: true when the request may go on to dispatch; otherwise it was
  // refused (answered with ILLEGAL_SASL_STATE and/or the connection closed), as Kafka does.
  bool admit(const std::shared_ptr<Request>& request, const ServedApi& api, Reader body);
  void handle_raw_sasl_token(std::span<const uint8_t> token);
  void close(const std::string& reason);

  BrokerState& broker_;
  std::shared_ptr<State> state_;
  std::shared_ptr<ConnectionScheduler> scheduler_;
  std::string local_host_;
  int32_t local_port_;
  std::string client_host_;
  int32_t node_id_;
  bool tls_listener_;
  // From the first request's header: Kafka says who connected only there.
  std::optional<std::string> client_id_;
  bool closed_ = false;
  SaslSession sasl_;
};

}  // namespace mockforge::kafka
