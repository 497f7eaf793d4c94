// OAUTHBEARER (RFC 7628) with unsecured JWS tokens: the client initial response, Kafka's
// unsecured validator checks, audience/issuer/scope, and the error challenge then %x01.
#include "core/sasl/oauthbearer.h"

#include <gtest/gtest.h>

#include "core/sasl/exchange.h"

namespace mockforge::sasl {
namespace {

constexpr int64_t kNowSeconds = 1'800'000'000;

OAuthBearerOptions fixed_options() {
  OAuthBearerOptions options;
  options.now = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(kNowSeconds));
  };
  return options;
}

std::string initial_response(const std::string& token, const std::string& authzid = "") {
  return "n," + (authzid.empty() ? "" : "a=" + authzid) + ",\x01" + "auth=Bearer " + token +
         "\x01\x01";
}

std::string claims(const std::string& extra = "", int64_t exp = kNowSeconds + 60) {
  return R"({"sub":"alice","exp":)" + std::to_string(exp) + extra + "}";
}

TEST(OAuthBearerTest, ParsesTheClientInitialResponse) {
  const auto parsed = parse_oauthbearer_initial_response(
      "n,a=al=2Cice,\x01host=x\x01"
      "auth=bearer abc.def.\x01\x01");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->authzid, "al,ice");
  EXPECT_EQ(parsed->token, "abc.def.");
  EXPECT_EQ(parsed->extensions.at("host"), "x");
  EXPECT_FALSE(
      parse_oauthbearer_initial_response("y,,\x01"
                                         "auth=Bearer a..\x01\x01"));
  EXPECT_FALSE(
      parse_oauthbearer_initial_response("n,,\x01"
                                         "auth=Bearer a..\x01"));
  EXPECT_FALSE(parse_oauthbearer_initial_response("n,,\x01host=x\x01\x01"));
  EXPECT_FALSE(
      parse_oauthbearer_initial_response("n,,\x01"
                                         "auth=Basic abc\x01\x01"));
  EXPECT_FALSE(
      parse_oauthbearer_initial_response("n,,\x01"
                                         "auth=Bearer a+b\x01\x01"));
}

TEST(OAuthBearerTest, Base64UrlRoundTrips) {
  for (const std::string text : {"", "a", "ab", "abc", "\xff\xfe\xfd?>"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(text)), text);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a+b/"));
}

TEST(OAuthBearerTest, ValidTokenGivesPrincipalAndExpiry) {
  const auto options = fixed_options();
  // librdkafka writes iat and exp with fractions of a second and scope as a list.
  const auto result = validate_unsecured_jws(
      make_unsecured_jws(
          R"({"sub":"alice","iat":1799999999.5,"exp":1800000060.250,"scope":["a","b"]})"),
      options);
  ASSERT_TRUE(result.valid) << result.detail;
  EXPECT_EQ(result.principal, "alice");
  EXPECT_EQ(result.expires_ms, (kNowSeconds + 60) * 1000 + 250);
}

TEST(OAuthBearerTest, RefusesMalformedAndExpiredTokens) {
  auto options = fixed_options();
  const auto refused = [&](const std::string& token) {
    const auto result = validate_unsecured_jws(token, options);
    EXPECT_FALSE(result.valid) << token;
    EXPECT_EQ(result.status, "invalid_token");
    return result.detail;
  };
  refused(make_unsecured_jws(claims()) + "signature");
  refused(base64url_encode(R"({"alg":"HS256"})") + "." + base64url_encode(claims()) + ".");
  refused(make_unsecured_jws(R"({"exp":1800000060})"));
  refused(make_unsecured_jws(R"({"sub":"alice"})"));
  refused(make_unsecured_jws(claims("", kNowSeconds)));
  refused(make_unsecured_jws(claims(R"(,"iat":1800000100)")));
  refused("not-a-jws");
  // The allowed clock skew accepts a token that expired within it.
  options.allowed_clock_skew = std::chrono::seconds(10);
  EXPECT_TRUE(
      validate_unsecured_jws(make_unsecured_jws(claims("", kNowSeconds - 5)), options).valid);
  EXPECT_NE(refused(make_unsecured_jws(claims("", kNowSeconds - 11))).find("Expiration Time"),
            std::string::npos);
}

TEST(OAuthBearerTest, PrincipalClaimAudienceIssuerAndScope) {
  auto options = fixed_options();
  options.principal_claim = "client_id";
  EXPECT_FALSE(validate_unsecured_jws(make_unsecured_jws(claims()), options).valid);
  const auto custom =
      validate_unsecured_jws(make_unsecured_jws(claims(R"(,"client_id":"svc-1")")), options);
  EXPECT_TRUE(custom.valid);
  EXPECT_EQ(custom.principal, "svc-1");

  options = fixed_options();
  options.audience = {"kafka", "other"};
  options.issuer = "https://issuer";
  EXPECT_FALSE(
      validate_unsecured_jws(make_unsecured_jws(claims(R"(,"aud":"kafka")")), options).valid);
  EXPECT_TRUE(
      validate_unsecured_jws(
          make_unsecured_jws(claims(R"(,"aud":["x","kafka"],"iss":"https://issuer")")), options)
          .valid);
  EXPECT_FALSE(validate_unsecured_jws(
                   make_unsecured_jws(claims(R"(,"aud":"nope","iss":"https://issuer")")), options)
                   .valid);

  options = fixed_options();
  options.required_scope = {"produce"};
  const auto missing =
      validate_unsecured_jws(make_unsecured_jws(claims(R"(,"scope":"read")")), options);
  EXPECT_FALSE(missing.valid);
  EXPECT_EQ(missing.status, "insufficient_scope");
  EXPECT_EQ(oauthbearer_error_challenge(missing),
            R"({"status":"insufficient_scope","scope":"produce"})");
  EXPECT_TRUE(
      validate_unsecured_jws(make_unsecured_jws(claims(R"(,"scope":["read","produce"])")), options)
          .valid);
}

TEST(OAuthBearerTest, ExchangeSucceedsWithAValidToken) {
  const auto options = fixed_options();
  auto exchange = make_oauthbearer_exchange(options);
  const Step step = exchange->step(initial_response(make_unsecured_jws(claims()), "alice"));
  ASSERT_EQ(step.outcome, Step::Outcome::kSuccess) << step.error;
  EXPECT_EQ(step.principal, "alice");
  EXPECT_EQ(step.expires_ms, (kNowSeconds + 60) * 1000);
  EXPECT_EQ(step.response, "");
}

TEST(OAuthBearerTest, ExchangeSendsTheErrorChallengeThenFails) {
  const auto options = fixed_options();
  auto exchange = make_oauthbearer_exchange(options);
  const Step challenge = exchange->step(initial_response(make_unsecured_jws(claims("", 1))));
  ASSERT_EQ(challenge.outcome, Step::Outcome::kContinue);
  EXPECT_EQ(challenge.response, R"({"status":"invalid_token"})");
  const Step end = exchange->step("\x01");
  EXPECT_EQ(end.outcome, Step::Outcome::kFailure);
  EXPECT_EQ(end.error, R"({"status":"invalid_token"})");
  EXPECT_NE(end.detail.find("Expiration Time"), std::string::npos);
}

TEST(OAuthBearerTest, ExchangeRefusesAnotherAuthorizationId) {
  const auto options = fixed_options();
  auto exchange = make_oauthbearer_exchange(options);
  const Step step = exchange->step(initial_response(make_unsecured_jws(claims()), "bob"));
  EXPECT_EQ(step.outcome, Step::Outcome::kFailure);
  EXPECT_NE(step.error.find("authorization id (bob)"), std::string::npos);
}

}  // namespace
}  // namespace mockforge::sasl
