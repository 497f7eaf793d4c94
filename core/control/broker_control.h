// The control API one broker implements: inspect (and peek), delete, purge
// and reset its own objects. mount() serves it on the admin port under
// /__mockforge/api/<protocol>/, so every broker gets the same routing, error
// shape and JSON encoding, and none of them handles HTTP.
//
//   GET    /__mockforge/api/<protocol>/<path...>        -> inspect()
//   DELETE /__mockforge/api/<protocol>/<path...>        -> remove()
//   POST   /__mockforge/api/<protocol>/<path...>/purge  -> purge() (path without "purge")
//   POST   /__mockforge/api/<protocol>/reset[?connections=keep|close] -> reset()
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/forward.h"
#include "core/runtime/service.h"

namespace mockforge::control {

struct Request {
  std::vector<std::string> path;  // percent-decoded segments after the protocol
  std::map<std::string, std::string> query;

  std::string query_or(const std::string& key, std::string fallback) const;
  // The integer query parameter, or `fallback` when absent; throws
  // BadRequest naming the parameter when it is not an integer.
  int64_t query_int(const std::string& key, int64_t fallback) const;
  bool query_bool(const std::string& key) const;  // "true"/"1" (absent: false)
};

struct Reply {
  int status = 200;
  nlohmann::json body;

  static Reply ok(nlohmann::json body) { return Reply{200, std::move(body)}; }
  // {"error": {"status": N, "message": "..."}}, as every admin error.
  static Reply error(int status, const std::string& message);
  static Reply not_found(const std::string& what) { return error(404, "no " + what); }
};

// Thrown by handlers for a malformed request; answered with 400.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class BrokerControl {
 public:
  virtual ~BrokerControl() = default;
  // "kafka", "mqtt", "amqp": the path segment after /__mockforge/api/.
  virtual std::string protocol() const = 0;
  // Lists, describes and peeks; changes nothing (peeking consumes nothing).
  virtual Reply inspect(const Request& request) const = 0;
  // Deletes one object.
  virtual Reply remove(const Request& request) = 0;
  // Empties one object and keeps it.
  virtual Reply purge(const Request& request) = 0;
  // Returns this protocol's state to the one fixtures seeded at start-up,
  // keeping or closing the clients' connections (a protocol that cannot
  // keep them answers 400).
  virtual Reply reset(runtime::ResetConnections connections) = 0;
};

// ?connections=keep|close of a reset request (absent: kDefault); throws
// BadRequest for anything else.
runtime::ResetConnections reset_connections(const std::map<std::string, std::string>& query);

// Serves `broker` on `server`; the server keeps a reference.
void mount(admin::HttpServer& server, std::shared_ptr<BrokerControl> broker);

// A payload for JSON: {"encoding": "utf8", "data": text} when it is valid
// UTF-8, else {"encoding": "base64", "data": ...}; "size" is the byte count.
nlohmann::json payload_json(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
bool is_utf8(std::string_view bytes);

}  // namespace mockforge::control
