#pragma once

// What the server assembly asks of every protocol broker. A broker binds in
// start() (throwing runtime::ListenError naming the port), serves on the
// shared runtime, and closes its connections in stop().

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/forward.h"

namespace mockforge::runtime {

// What a reset does with the clients' connections: each protocol's default
// (docs/admin-api.md: MQTT and AMQP close, Kafka keeps), keep them open, or
// close them the protocol's way.
enum class ResetConnections : uint8_t { kDefault, kKeep, kClose };

// Everything a broker shares with the rest of the process.
struct ServiceContext {
  boost::asio::io_context& io;
  const config::Config& config;
  storage::Engine& storage;
  metrics::Registry& metrics;
  admin::HttpServer* admin;  // null when the admin port is disabled
  // Brokers attach their traffic::Endpoint at start() and detach it at stop(),
  // and tell it about every client publish they accept (core/traffic/hub.h).
  traffic::Hub& traffic;
  // The fault rules (faults/): a broker registers its resolver and checks
  // them at its one seam. Null: no fault injection.
  ::mockforge::faults::FaultSet* faults = nullptr;
  // The certificates and policy of the TLS listeners (core/net/tls.h); set
  // when any <proto>.tls_port (or mqtt.wss_port) is on.
  const ::mockforge::net::TlsContext* tls = nullptr;
};

class Service {
 public:
  virtual ~Service() = default;

  // "kafka", "mqtt", "amqp".
  virtual std::string name() const = 0;
  // Binds every listener; throws runtime::ListenError. Accepting starts here.
  virtual void start() = 0;
  // Listener name -> bound port, e.g. {"mqtt": 1883, "mqtt_ws": 9001}.
  virtual std::map<std::string, uint16_t> ports() const = 0;
  // Stops accepting and closes connections the way the protocol does on a
  // broker shutdown. Returns at once; active_connections() tells progress.
  virtual void stop() = 0;
  virtual std::size_t active_connections() const = 0;
  // Drops protocol state that is not storage (groups, sessions, consumers)
  // after the storage engine was reset, and keeps or closes the clients'
  // connections.
  virtual void reset(ResetConnections connections) = 0;
};

}  // namespace mockforge::runtime
