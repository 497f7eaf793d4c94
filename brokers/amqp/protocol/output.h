// What the protocol state machine needs from the session below it. The
// session implements it on core/net; unit tests implement it with vectors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mockforge::amqp {

// The subject of a TLS client certificate the handshake verified.
struct ClientCertificate {
  std::string common_name;
  std::string distinguished_name;  // RFC 4514 form: CN=app,O=org
};

class ConnectionOutput {
 public:
  virtual ~ConnectionOutput() = default;
  // Thread-safe: queues bytes for the socket.
  virtual void send(std::vector<uint8_t> bytes) = 0;
  // Writes what is queued, then closes the socket.
  virtual void close_after_flush(std::string reason) = 0;
  // Negotiated heartbeat: send a heartbeat frame every interval / 2 and close
  // after 2 * interval without receiving anything. Zero disables both.
  virtual void set_heartbeat(std::chrono::seconds interval) = 0;
  // Thread-safe: runs `task` later on this connection's strand.
  virtual void post(std::function<void()> task) = 0;
  // Strand-only: runs `task` on this connection's strand after `delay` (a
  // fault rule's latency), unless the connection closed meanwhile.
  virtual void post_after(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  // Strand-only: stop reading the socket (no further frames reach the state
  // machine) and suspend the heartbeat receive timeout, as RabbitMQ does for a
  // connection blocked by a resource alarm; resume_reading() undoes both.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  // Strand-only: true while more output waits for the socket than a
  // consumer's deliveries may add to (a client that does not read); the
  // deliveries then stay in their queues until the output is written.
  virtual bool congested() const { return false; }
  // Strand-only: call AmqpConnection::on_output_drained() once what is
  // queued now has been written.
  virtual void notify_when_drained() {}
  // The peer's address, "host:port" ("" where there is no socket, as in
  // unit tests). Any thread.
  virtual std::string peer_address() const { return ""; }
  // The verified client certificate of a TLS connection, or none.
  virtual std::optional<ClientCertificate> peer_certificate() const { return std::nullopt; }
};

}  // namespace mockforge::amqp
