#pragma once

// SASL OAUTHBEARER (RFC 7628) with unsecured JWS tokens (RFC 7515 `"alg":"none"`, RFC 7519
// claims), validated the way Kafka's OAuthBearerUnsecuredValidatorCallbackHandler does, plus
// optional audience and issuer checks (Kafka's expected.audience / expected.issuer).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::sasl {

class ServerExchange;

struct OAuthBearerOptions {
  // Kafka's unsecuredValidatorPrincipalClaimName and unsecuredValidatorScopeClaimName.
  std::string principal_claim = "sub";
  std::string scope_claim = "scope";
  // Every entry must be in the token's scope (unsecuredValidatorRequiredScope).
  std::vector<std::string> required_scope;
  // When not empty, the token's `aud` (a string or a list) must contain one of these.
  std::vector<std::string> audience;
  // When not empty, the token's `iss` must equal it.
  std::string issuer;
  // unsecuredValidatorAllowableClockSkewMs.
  std::chrono::milliseconds allowed_clock_skew{0};
  // Wall clock the exp and iat claims are compared with; tests fix it.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

// The client's one message: gs2 header `n,[a=authzid],` then %x01-separated key=value pairs,
// one of them `auth=Bearer <token>`, ended by %x01%x01.
struct OAuthBearerInitialResponse {
  std::string authzid;
  std::string token;
  std::map<std::string, std::string> extensions;  // the pairs other than auth
};
std::optional<OAuthBearerInitialResponse> parse_oauthbearer_initial_response(
    std::string_view message);

struct TokenValidation {
  bool valid = false;
  // valid: the principal and the exp claim in Unix milliseconds.
  std::string principal;
  int64_t expires_ms = 0;
  // invalid: RFC 7628's status ("invalid_token" or "insufficient_scope"), the missing scope
  // for the latter, and why (for the debug log).
  std::string status;
  std::string scope;
  std::string detail;
};
TokenValidation validate_unsecured_jws(std::string_view token, const OAuthBearerOptions& options);

// The server's error challenge: {"status":"...","scope":"..."} (scope only when set).
std::string oauthbearer_error_challenge(const TokenValidation& failure);

// An unsecured JWS `base64url(header).base64url(claims).` (tests and the CLI).
std::string make_unsecured_jws(std::string_view claims_json);
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

// The OAUTHBEARER server exchange; `options` must outlive it.
std::unique_ptr<ServerExchange> make_oauthbearer_exchange(const OAuthBearerOptions& options);

}  // namespace mockforge::sasl
