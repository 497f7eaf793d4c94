#pragma once

// What a request handler gets and how it answers. One file per API under
// handlers/ defines a HandlerSpec; registry.cpp lists them in the one table
// that dispatch and ApiVersions both read.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/reader.h"
#include "core/traffic/events.h"

namespace mockforge::kafka {

class SaslSession;

// The connection's strand, seen by handlers that complete later (no Asio here).
class ConnectionScheduler {
 public:
  virtual ~ConnectionScheduler() = default;
  // Runs `fn` on the connection's strand (from any thread).
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on the strand after `delay`. The returned function cancels it.
  virtual std::function<void()> run_after(std::chrono::milliseconds delay,
                                          std::function<void()> fn) = 0;
};

class Request {
 public:
  using Responder = std::function<void(std::optional<Bytes> frame)>;

  Request(BrokerState& broker, RequestHeader header, std::string local_host, int32_t local_port,
          std::string client_host, std::shared_ptr<ConnectionScheduler> scheduler,
          Responder responder)
      : broker(broker),
        header(std::move(header)),
        local_host(std::move(local_host)),
        local_port(local_port),
        client_host(std::move(client_host)),
        scheduler(std::move(scheduler)),
        responder_(std::move(responder)) {}

  BrokerState& broker;
  const RequestHeader header;
  const std::string local_host;  // the address the client connected to
  const int32_t local_port;
  const std::string client_host;
  const std::shared_ptr<ConnectionScheduler> scheduler;
  // The connection's SASL state (set by RequestPipeline; the SASL handlers use it).
  // It dies with the connection: what outlives it (a waiting Fetch) uses principal.
  SaslSession* sasl = nullptr;
  // The authenticated SASL user name when the request arrived ("" without SASL).
  std::string principal;
  // The broker of the cluster (kafka.brokers) the connection arrived on, and
  // whether on its SSL listener (set by RequestPipeline).
  int32_t node_id = 0;
  bool tls_listener = false;

  // The port a client of this listener kind reaches `node` at.
  int32_t advertised_port(int32_t node) const;
  // For a request on one partition: FENCED_LEADER_EPOCH or
  // UNKNOWN_LEADER_EPOCH when `current_leader_epoch` (-1: not checked) is
  // older or newer than the partition's, then NOT_LEADER_OR_FOLLOWER when
  // this broker does not lead it, else NONE (Kafka's order).
  int16_t check_leader(const std::string& topic, int32_t partition,
                       int32_t current_leader_epoch = -1) const;
  // NOT_COORDINATOR when this broker does not coordinate the group / the
  // transactional id, else NONE.
  int16_t check_group_coordinator(const std::string& group_id) const;
  int16_t check_transaction_coordinator(const std::string& transactional_id) const;

  int16_t version() const { return header.api_version; }
  std::string client_id() const { return header.client_id.value_or(""); }

  // Answers (on the connection's strand). Only the first answer counts.
  template <typename Response>
  void reply(const Response& response) {
    respond(
        encode_response_frame(header.correlation_id, header.api_key, header.api_version, response));
  }
  // No response at all (Produce with acks=0).
  void reply_nothing() { respond(std::nullopt); }
  // Counts an error code returned to the client in kafka_request_errors_total
  // (and tells the event stream, when anyone listens).
  void count_error(int16_t code);
  // The event stream (core/traffic/events.h): check events_on() before
  // building an event; emit_event() fills in protocol, client id and peer.
  bool events_on() const { return broker.listening_events() != nullptr; }
  void emit_event(traffic::Event event) const;

 private:
  void respond(std::optional<Bytes> frame) {
    if (answered_) return;
    answered_ = true;
    responder_(std::move(frame));
  }
  Responder responder_;
  bool answered_ = false;
};

using RequestPtr = std::shared_ptr<Request>;

// Decodes the body from `body` (throws DecodeError on malformed input), acts, and eventually
// calls reply() on the request, on the connection's strand.
using HandlerFunction = void (*)(const RequestPtr& request, Reader& body);

struct HandlerSpec {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;
  HandlerFunction handle;
};

}  // namespace mockforge::kafka
