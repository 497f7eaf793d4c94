#pragma once

// One mockforge process, embeddable: `mockforge serve` runs it, and tests
// start it in-process on ephemeral ports.
//
//   mockforge::config::Config config;
//   config.kafka.port = 0;  // ...
//   mockforge::Server server(config);
//   server.start();                 // binds everything or throws, leaving nothing running
//   auto port = server.port("kafka");
//   server.reset();                 // back to the state fixtures seeded
//   server.stop();

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/forward.h"
#include "core/runtime/service.h"

namespace mockforge {

namespace watch {
class History;
class Expectations;
}  // namespace watch
namespace faults {
class FaultSet;
}  // namespace faults

std::string_view version();       // "0.1.0"
std::string_view git_revision();  // `git describe` of the build, or "unknown"

class Server {
 public:
  explicit Server(config::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every enabled listener and starts serving. Throws std::exception
  // with a message naming the port on failure, after undoing what started.
  void start();
  // Graceful stop, bounded by server.shutdown_timeout. Idempotent.
  void stop();
  // Blocks until stop() has finished (from another thread or a signal).
  void wait();
  bool running() const;

  const config::Config& config() const;
  // Listener name ("admin", "kafka", "mqtt", "mqtt_ws", "amqp") -> bound port.
  std::map<std::string, uint16_t> ports() const;
  std::optional<uint16_t> port(const std::string& listener) const;
  // JSON for --ready-file and /__mockforge/api/info.
  std::string info_json() const;

  // Reads the TLS certificate, key and CA files again; connections accepted
  // afterwards use them. False when no TLS listener is on; throws (keeping
  // the current ones) when a file cannot be used.
  bool reload_tls();
  // Writes info_json() to `path` atomically (temp file and rename).
  void write_ready_file(const std::string& path) const;

  // Returns storage and broker state to what it was right after start-up
  // (fixtures seeded). Returns the time it took in microseconds.
  // `connections`: keep or close the clients' connections (each protocol's
  // default: MQTT and AMQP close, Kafka keeps).
  int64_t reset(runtime::ResetConnections connections = runtime::ResetConnections::kDefault);

  storage::Engine& storage();
  metrics::Registry& metrics();
  // The traffic seam: publish through the brokers, observe what they accept.
  traffic::Hub& traffic();
  // What the brokers accepted (bounded; a reset empties it), and the
  // expectations that wait on it (watch/).
  watch::History& history();
  watch::Expectations& expectations();
  // The fault rules in force (faults/fault_set.h): add, remove, observe.
  ::mockforge::faults::FaultSet& faults();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mockforge
