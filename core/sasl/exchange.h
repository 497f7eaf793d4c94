#pragma once

// One server-side SASL authentication, fed the client's tokens in order.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/sasl/users.h"

namespace mockforge::sasl {

struct Step {
  enum class Outcome { kContinue, kSuccess, kFailure } outcome = Outcome::kFailure;
  std::string response;   // the server's token (kContinue, and kSuccess for SCRAM's verifier)
  std::string error;      // kFailure: safe to send to the client (names no secret)
  std::string detail;     // kFailure: why, for the debug log (no password)
  std::string principal;  // kSuccess: the authenticated user name
  // kSuccess: when the credential expires, in Unix milliseconds (OAUTHBEARER's exp claim).
  std::optional<int64_t> expires_ms;
};

class ServerExchange {
 public:
  virtual ~ServerExchange() = default;
  virtual std::string_view mechanism() const = 0;
  // After kSuccess or kFailure the exchange is over; further steps fail.
  virtual Step step(std::string_view client_token) = 0;
};

// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 over `users` (which must outlive the exchange);
// nullptr for any other mechanism. `server_nonce` (SCRAM's server part of the nonce): empty
// means random; tests fix it.
std::unique_ptr<ServerExchange> make_server_exchange(std::string_view mechanism,
                                                     const UserStore& users,
                                                     std::string server_nonce = "");

}  // namespace mockforge::sasl
