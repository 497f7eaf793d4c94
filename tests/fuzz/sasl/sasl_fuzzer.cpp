// Feeds client tokens into core/sasl's server exchanges, as a Kafka SaslAuthenticate or raw v0
// token would. Input: one byte choosing the mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512),
// then tokens, each a one-byte length and that many bytes; an OAUTHBEARER exchange sees the same
// tokens. The SCRAM and OAUTHBEARER parsers, the unsecured JWS validator, base64 and base64url
// also see the whole input. Invariants (abort otherwise): an exchange that succeeded names its
// user, once over it only fails, and no answer or log detail contains the password.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/sasl/crypto.h"
#include "core/sasl/exchange.h"
#include "core/sasl/oauthbearer.h"
#include "core/sasl/scram.h"
#include "core/sasl/users.h"

namespace {

using namespace mockforge::sasl;

constexpr std::string_view kPassword = "fuzz-secret";

const UserStore& users() {
  static const UserStore store({"user:fuzz-secret", "u=2C:fuzz-secret"}, 4096);
  return store;
}

const OAuthBearerOptions& oauthbearer() {
  static const OAuthBearerOptions options = [] {
    OAuthBearerOptions o;
    o.audience = {"kafka"};
    o.required_scope = {"produce"};
    o.now = [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    };
    return o;
  }();
  return options;
}

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    parse_client_first(input);
  } catch (const ScramError&) {
  }
  try {
    parse_client_final(input);
  } catch (const ScramError&) {
  }
  try {
    parse_server_first(input);
  } catch (const ScramError&) {
  }
  if (auto decoded = base64_decode(input)) check(base64_encode(*decoded) == input);
  if (auto decoded = base64url_decode(input)) check(base64url_encode(*decoded) == input);
  if (auto response = parse_oauthbearer_initial_response(input)) check(!response->token.empty());
  const TokenValidation validation = validate_unsecured_jws(input, oauthbearer());
  check(validation.valid ? !validation.principal.empty() : !validation.status.empty());
  if (size == 0) return 0;

  constexpr std::string_view kMechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  auto exchange = make_server_exchange(kMechanisms[data[0] % 3], users(), "SERVER");
  auto bearer = make_oauthbearer_exchange(oauthbearer());
  bool over = false;
  bool bearer_over = false;
  for (size_t at = 1; at < size;) {
    const size_t length = data[at++];
    const std::string_view token = input.substr(at, length);
    at += token.size();
    const Step bearer_step = bearer->step(token);
    if (bearer_over) check(bearer_step.outcome == Step::Outcome::kFailure);
    if (bearer_step.outcome == Step::Outcome::kSuccess) check(!bearer_step.principal.empty());
    if (bearer_step.outcome != Step::Outcome::kContinue) bearer_over = true;
    const Step step = exchange->step(token);
    if (over) check(step.outcome == Step::Outcome::kFailure);
    // Errors may quote what the client sent (a SCRAM attribute it did not expect): only
    // a client that never sent the password must never see or log it.
    if (input.find(kPassword) == std::string_view::npos) {
      check(step.response.find(kPassword) == std::string::npos);
      check(step.error.find(kPassword) == std::string::npos);
      check(step.detail.find(kPassword) == std::string::npos);
    }
    if (step.outcome == Step::Outcome::kSuccess) check(!step.principal.empty());
    if (step.outcome != Step::Outcome::kContinue) over = true;
  }
  return 0;
}
