#pragma once

// One connection's SASL state (SaslHandshake, SaslAuthenticate, KIP-368 re-authentication),
// independent of the transport: the same on a plain and a TLS listener. Driven by explicit time.
//
//   kHandshake ──SaslHandshake v1──▶ kAuthenticate ──SaslAuthenticate…──▶ kAuthenticated
//        └─────SaslHandshake v0──▶ kRawTokens (size-prefixed tokens, no Kafka header) ──┘
//   kAuthenticated ──SaslHandshake v1 (re-authentication)──▶ kAuthenticate
//   any failure ──▶ kFailed (the connection is closed after the answer)

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/kafka/broker/broker_state.h"

namespace mockforge::sasl {
class ServerExchange;
}  // namespace mockforge::sasl

namespace mockforge::kafka {

class SaslSession {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kHandshake, kAuthenticate, kRawTokens, kAuthenticated, kFailed };

  explicit SaslSession(const SaslOptions& options);
  ~SaslSession();

  // Whether the listener requires authentication at all (kafka.sasl_mechanisms).
  bool required() const { return options_.enabled(); }
  State state() const { return state_; }
  const std::vector<std::string>& mechanisms() const { return options_.mechanisms; }
  // The authenticated user; empty before.
  const std::string& principal() const { return principal_; }
  // Why the session failed (kFailed), for the close reason and the debug log. No secrets.
  const std::string& failure() const { return failure_; }

  // SaslHandshake: NONE, UNSUPPORTED_SASL_MECHANISM (then kFailed) or ILLEGAL_SASL_STATE.
  int16_t handshake(std::string_view mechanism, int16_t version);

  struct Answer {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::string token;
    int64_t session_lifetime_ms = 0;
  };
  // One client token, from SaslAuthenticate or (after a v0 handshake) a raw frame.
  Answer authenticate(std::string_view token, Clock::time_point now);

  // True once an authenticated session outlived kafka.sasl_session_lifetime.
  bool expired(Clock::time_point now) const;

 private:
  Answer fail(int16_t code, std::string message, std::string detail);

  const SaslOptions& options_;
  State state_ = State::kHandshake;
  std::unique_ptr<sasl::ServerExchange> exchange_;
  std::string mechanism_;
  std::string principal_;
  std::string failure_;
  bool reauthenticating_ = false;
  std::optional<Clock::time_point> expires_at_;
};

}  // namespace mockforge::kafka
