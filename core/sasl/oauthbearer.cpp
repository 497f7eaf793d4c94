#include "core/sasl/oauthbearer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/sasl/crypto.h"
#include "core/sasl/exchange.h"

namespace mockforge::sasl {
namespace {

using Json = nlohmann::json;

constexpr char kSeparator = '\x01';

bool is_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

bool is_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// RFC 5801 saslname: =2C and =3D stand for ',' and '='; other '=' are malformed.
std::optional<std::string> decode_saslname(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' || text[i] == '\0' || static_cast<unsigned char>(text[i]) > 0x7f) {
      return std::nullopt;
    }
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    const std::string_view escape = text.substr(i + 1, 2);
    if (escape == "2C") {
      out += ',';
    } else if (escape == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

TokenValidation invalid(std::string detail) {
  TokenValidation result;
  result.status = "invalid_token";
  result.detail = std::move(detail);
  return result;
}

std::optional<Json> decode_json_part(std::string_view part) {
  const auto decoded = base64url_decode(part);
  if (!decoded) return std::nullopt;
  Json json = Json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// A NumericDate (seconds, possibly fractional) as milliseconds, as Kafka reads it.
std::optional<int64_t> numeric_date_ms(const Json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  const double ms = it->get<double>() * 1000.0;
  if (!std::isfinite(ms) || std::fabs(ms) > 9.0e15) return std::nullopt;
  return static_cast<int64_t>(ms);
}

// Kafka's reading of the scope claim: one string is one scope, else a list of strings.
std::vector<std::string> scope_of(const Json& claims, const std::string& name) {
  std::vector<std::string> scope;
  const auto it = claims.find(name);
  if (it == claims.end()) return scope;
  if (it->is_string()) {
    std::string value = it->get<std::string>();
    const auto first = value.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return scope;
    const auto last = value.find_last_not_of(" \t\r\n");
    scope.push_back(value.substr(first, last - first + 1));
    return scope;
  }
  if (it->is_array()) {
    for (const Json& item : *it) {
      if (item.is_string()) scope.push_back(item.get<std::string>());
    }
  }
  return scope;
}

class OAuthBearerExchange : public ServerExchange {
 public:
  explicit OAuthBearerExchange(const OAuthBearerOptions& options) : options_(options) {}
  std::string_view mechanism() const override { return "OAUTHBEARER"; }

  Step step(std::string_view token) override {
    switch (stage_) {
      case Stage::kInitial:
        return initial(token);
      case Stage::kErrorSent:
        // RFC 7628 3.2.3: after the error challenge the client sends a lone %x01; Kafka then
        // fails the authentication with the challenge as its message.
        stage_ = Stage::kDone;
        if (token.size() == 1 && token[0] == kSeparator) {
          return failed(error_challenge_, error_detail_);
        }
        return failed(error_challenge_, "expected %x01 after the error challenge");
      case Stage::kDone:
        break;
    }
    return failed("Authentication failed: OAUTHBEARER exchange already ended",
                  "token after the exchange ended");
  }

 private:
  enum class Stage { kInitial, kErrorSent, kDone };

  static Step failed(std::string error, std::string detail) {
    Step step;
    step.outcome = Step::Outcome::kFailure;
    step.error = std::move(error);
    step.detail = std::move(detail);
    return step;
  }

  Step initial(std::string_view message) {
    stage_ = Stage::kDone;
    const auto response = parse_oauthbearer_initial_response(message);
    if (!response) {
      return failed("Authentication failed: invalid OAUTHBEARER client initial response",
                    "malformed client initial response");
    }
    const TokenValidation validation = validate_unsecured_jws(response->token, options_);
    if (!validation.valid) {
      stage_ = Stage::kErrorSent;
      error_challenge_ = oauthbearer_error_challenge(validation);
      error_detail_ = validation.detail;
      Step step;
      step.outcome = Step::Outcome::kContinue;
      step.response = error_challenge_;
      return step;
    }
    // Kafka's OAuthBearerSaslServer: the authorization id, when given, must be the principal.
    if (!response->authzid.empty() && response->authzid != validation.principal) {
      return failed(
          "Authentication failed: Client requested an authorization id (" + response->authzid +
              ") that is different from the token's principal name (" + validation.principal + ")",
          "authzid differs from principal " + validation.principal);
    }
    Step step;
    step.outcome = Step::Outcome::kSuccess;
    step.principal = validation.principal;
    step.expires_ms = validation.expires_ms;
    return step;
  }

  const OAuthBearerOptions& options_;
  Stage stage_ = Stage::kInitial;
  std::string error_challenge_;
  std::string error_detail_;
};

}  // namespace

std::string base64url_encode(std::string_view data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (standard.size() % 4 == 1) return std::nullopt;
  while (standard.size() % 4 != 0) standard += '=';
  return base64_decode(standard);
}

std::optional<OAuthBearerInitialResponse> parse_oauthbearer_initial_response(
    std::string_view message) {
  // gs2 header: only "n" (no channel binding), as Kafka's OAuthBearerClientInitialResponse.
  if (!message.starts_with("n,")) return std::nullopt;
  message.remove_prefix(2);
  OAuthBearerInitialResponse result;
  const auto comma = message.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const std::string_view authzid = message.substr(0, comma);
  if (!authzid.empty()) {
    if (!authzid.starts_with("a=")) return std::nullopt;
    auto name = decode_saslname(authzid.substr(2));
    if (!name) return std::nullopt;
    result.authzid = std::move(*name);
  }
  message.remove_prefix(comma + 1);
  // %x01 kvpair *(%x01 kvpair) %x01 %x01
  if (message.size() < 3 || message.front() != kSeparator || !message.ends_with("\x01\x01")) {
    return std::nullopt;
  }
  std::string_view pairs = message.substr(1, message.size() - 3);
  bool have_auth = false;
  while (true) {
    const auto end = pairs.find(kSeparator);
    const std::string_view pair = pairs.substr(0, end);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view key = pair.substr(0, equals);
    const std::string_view value = pair.substr(equals + 1);
    if (!is_key(key) || value.empty() || !is_value(value)) return std::nullopt;
    if (key == "auth") {
      if (have_auth) return std::nullopt;
      have_auth = true;
      // auth=Bearer <token>; the scheme is case-insensitive, as in Kafka.
      const auto space = value.find(' ');
      if (space == std::string_view::npos) return std::nullopt;
      std::string scheme(value.substr(0, space));
      std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (scheme != "bearer") return std::nullopt;
      std::string_view token = value.substr(space + 1);
      while (token.starts_with(' ')) token.remove_prefix(1);
      if (token.empty() || !std::all_of(token.begin(), token.end(), is_token_char)) {
        return std::nullopt;
      }
      result.token = std::string(token);
    } else {
      result.extensions[std::string(key)] = std::string(value);
    }
    if (end == std::string_view::npos) break;
    pairs.remove_prefix(end + 1);
  }
  if (!have_auth) return std::nullopt;
  return result;
}

TokenValidation validate_unsecured_jws(std::string_view token, const OAuthBearerOptions& options) {
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != token.npos) {
    return invalid(
        "Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values");
  }
  if (second_dot + 1 != token.size()) {
    return invalid("Unsecured JWS must not contain a digital signature");
  }
  const auto header = decode_json_part(token.substr(0, first_dot));
  if (!header) return invalid("the JOSE header is not base64url-encoded JSON object");
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "none") {
    return invalid("the JOSE header's alg is not \"none\" (only unsecured JWS are validated)");
  }
  const auto claims = decode_json_part(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims) return invalid("the claims set is not a base64url-encoded JSON object");

  const auto principal = claims->find(options.principal_claim);
  if (principal == claims->end() || !principal->is_string() ||
      principal->get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("Required claim missing or not a non-blank string: " + options.principal_claim);
  }
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options.now().time_since_epoch())
          .count();
  const int64_t skew_ms = options.allowed_clock_skew.count();
  const auto exp = numeric_date_ms(*claims, "exp");
  if (!exp) return invalid("Required claim missing or not a number: exp");
  if (now_ms - skew_ms >= *exp) {
    return invalid("The indicated time (" + std::to_string(now_ms) +
                   " ms) minus allowable clock skew (" + std::to_string(skew_ms) +
                   " ms) was on or after the Expiration Time value (" + std::to_string(*exp) +
                   " ms)");
  }
  if (claims->contains("iat")) {
    const auto iat = numeric_date_ms(*claims, "iat");
    if (!iat) return invalid("claim is not a number: iat");
    if (*iat > now_ms + skew_ms) {
      return invalid("The Issued At value (" + std::to_string(*iat) +
                     " ms) was after the indicated time (" + std::to_string(now_ms) +
                     " ms) plus allowable clock skew (" + std::to_string(skew_ms) + " ms)");
    }
    if (*exp <= *iat) {
      return invalid("The Expiration Time (" + std::to_string(*exp) +
                     " ms) was not after the Issued At time (" + std::to_string(*iat) + " ms)");
    }
  }
  if (!options.issuer.empty()) {
    const auto iss = claims->find("iss");
    if (iss == claims->end() || !iss->is_string() || iss->get<std::string>() != options.issuer) {
      return invalid("the iss claim is not the expected issuer " + options.issuer);
    }
  }
  if (!options.audience.empty()) {
    std::vector<std::string> audience;
    const auto aud = claims->find("aud");
    if (aud != claims->end() && aud->is_string()) audience.push_back(aud->get<std::string>());
    if (aud != claims->end() && aud->is_array()) {
      for (const Json& item : *aud) {
        if (item.is_string()) audience.push_back(item.get<std::string>());
      }
    }
    const bool matches = std::any_of(audience.begin(), audience.end(), [&](const std::string& a) {
      return std::find(options.audience.begin(), options.audience.end(), a) !=
             options.audience.end();
    });
    if (!matches) return invalid("the aud claim names none of the expected audiences");
  }
  const std::vector<std::string> scope = scope_of(*claims, options.scope_claim);
  for (const std::string& required : options.required_scope) {
    if (std::find(scope.begin(), scope.end(), required) == scope.end()) {
      TokenValidation result;
      result.status = "insufficient_scope";
      result.scope = required;
      result.detail = "the token's scope is missing the required scope " + required;
      return result;
    }
  }
  TokenValidation result;
  result.valid = true;
  result.principal = principal->get<std::string>();
  result.expires_ms = *exp;
  return result;
}

std::string oauthbearer_error_challenge(const TokenValidation& failure) {
  // Written by hand: status first, as Kafka writes it.
  std::string out = "{\"status\":" + Json(failure.status).dump();
  if (!failure.scope.empty()) out += ",\"scope\":" + Json(failure.scope).dump();
  return out + "}";
}

std::string make_unsecured_jws(std::string_view claims_json) {
  return base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims_json) + ".";
}

std::unique_ptr<ServerExchange> make_oauthbearer_exchange(const OAuthBearerOptions& options) {
  return std::make_unique<OAuthBearerExchange>(options);
}

}  // namespace mockforge::sasl
