#include "brokers/kafka/broker/sasl_session.h"

#include <algorithm>

#include "brokers/kafka/broker/error_codes.h"
#include "core/sasl/exchange.h"
#include "core/sasl/oauthbearer.h"

namespace mockforge::kafka {

SaslSession::SaslSession(const SaslOptions& options) : options_(options) {}

SaslSession::~SaslSession() = default;

int16_t SaslSession::handshake(std::string_view mechanism, int16_t version) {
  if (!required()) return error::kIllegalSaslState;  // Kafka's answer on a PLAINTEXT listener
  if (state_ == State::kAuthenticated) {
    // KIP-368 re-authentication: v1 only, with the same mechanism.
    if (version < 1 || mechanism != mechanism_) {
      state_ = State::kFailed;
      failure_ = "re-authentication must use SaslHandshake v1 and the same mechanism";
      return error::kIllegalSaslState;
    }
    reauthenticating_ = true;
  } else if (state_ != State::kHandshake) {
    state_ = State::kFailed;
    failure_ = "SaslHandshake out of order";
    return error::kIllegalSaslState;
  }
  const bool enabled = std::find(options_.mechanisms.begin(), options_.mechanisms.end(),
                                 mechanism) != options_.mechanisms.end();
  if (enabled && mechanism == "OAUTHBEARER") {
    if (options_.oauthbearer) exchange_ = sasl::make_oauthbearer_exchange(*options_.oauthbearer);
  } else if (enabled && options_.users) {
    exchange_ = sasl::make_server_exchange(mechanism, *options_.users);
  }
  if (!exchange_) {
    state_ = State::kFailed;
    failure_ = "unsupported SASL mechanism " + std::string(mechanism);
    return error::kUnsupportedSaslMechanism;
  }
  mechanism_ = std::string(mechanism);
  state_ = version >= 1 ? State::kAuthenticate : State::kRawTokens;
  return error::kNone;
}

SaslSession::Answer SaslSession::fail(int16_t code, std::string message, std::string detail) {
  state_ = State::kFailed;
  failure_ = std::move(detail);
  Answer answer;
  answer.error_code = code;
  answer.error_message = std::move(message);
  return answer;
}

SaslSession::Answer SaslSession::authenticate(std::string_view token, Clock::time_point now) {
  if (state_ == State::kAuthenticated) {
    // Kafka answers this way on an authenticated connection and keeps it open.
    Answer answer;
    answer.error_code = error::kIllegalSaslState;
    answer.error_message = "SaslAuthenticate request received after successful authentication";
    return answer;
  }
  if (!required()) {
    Answer answer;
    answer.error_code = error::kIllegalSaslState;
    answer.error_message = "SASL is not enabled on this listener";
    return answer;
  }
  if (state_ != State::kAuthenticate && state_ != State::kRawTokens) {
    return fail(error::kIllegalSaslState, "SaslAuthenticate before SaslHandshake",
                "SaslAuthenticate before SaslHandshake");
  }
  const sasl::Step step = exchange_->step(token);
  switch (step.outcome) {
    case sasl::Step::Outcome::kFailure:
      return fail(error::kSaslAuthenticationFailed, step.error,
                  std::string(exchange_->mechanism()) + ": " + step.detail);
    case sasl::Step::Outcome::kContinue: {
      Answer answer;
      answer.token = step.response;
      return answer;
    }
    case sasl::Step::Outcome::kSuccess:
      break;
  }
  if (reauthenticating_ && step.principal != principal_) {
    return fail(error::kSaslAuthenticationFailed,
                "Cannot change principals during re-authentication from User:" + principal_ +
                    " to User:" + step.principal,
                "re-authentication as another user");
  }
  principal_ = step.principal;
  reauthenticating_ = false;
  exchange_.reset();
  state_ = State::kAuthenticated;
  Answer answer;
  answer.token = step.response;
  if (options_.session_lifetime.count() > 0) {
    // Kafka's SaslServerAuthenticator: the session ends with the credential (an OAUTHBEARER
    // token's exp) when that comes first; only when connections.max.reauth.ms is set.
    std::chrono::milliseconds lifetime = options_.session_lifetime;
    if (step.expires_ms) {
      const auto wall_now = std::chrono::duration_cast<std::chrono::milliseconds>(
          (options_.oauthbearer ? options_.oauthbearer->now() : std::chrono::system_clock::now())
              .time_since_epoch());
      lifetime = std::min(lifetime, std::max(std::chrono::milliseconds(*step.expires_ms) - wall_now,
                                             std::chrono::milliseconds(1)));
    }
    expires_at_ = now + lifetime;
    answer.session_lifetime_ms = lifetime.count();
  } else {
    expires_at_.reset();
  }
  return answer;
}

bool SaslSession::expired(Clock::time_point now) const {
  return expires_at_.has_value() && now >= *expires_at_;
}

}  // namespace mockforge::kafka
