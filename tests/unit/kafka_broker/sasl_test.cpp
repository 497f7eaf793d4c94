// SASL on a Kafka connection without sockets: the SaslHandshake/SaslAuthenticate state machine
// in RequestPipeline, Kafka's refusals (closed before the handshake, ILLEGAL_SASL_STATE during
// it, SASL_AUTHENTICATION_FAILED with a message), raw v0 tokens, re-authentication, expiry.
#include <gtest/gtest.h>

#include <thread>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "core/sasl/oauthbearer.h"
#include "core/sasl/plain.h"
#include "core/sasl/scram.h"
#include "core/sasl/users.h"
#include "mockforge/kafka/api_versions.h"
#include "mockforge/kafka/find_coordinator.h"
#include "mockforge/kafka/list_groups.h"
#include "mockforge/kafka/sasl_authenticate.h"
#include "mockforge/kafka/sasl_handshake.h"
#include "tests/unit/kafka_broker/pipeline_doubles.h"

namespace mockforge::kafka {
namespace {

BrokerOptions sasl_options(std::vector<std::string> mechanisms,
                           std::chrono::milliseconds lifetime = std::chrono::milliseconds(0)) {
  BrokerOptions options;
  options.sasl.mechanisms = std::move(mechanisms);
  options.sasl.users = std::make_shared<const sasl::UserStore>(
      std::vector<std::string>{"alice:secret", "bob:pw"}, 4096);
  options.sasl.session_lifetime = lifetime;
  return options;
}

class SaslPipelineTest : public ::testing::Test {
 protected:
  explicit SaslPipelineTest(BrokerOptions options = sasl_options({"PLAIN", "SCRAM-SHA-256"}))
      : broker(std::move(options), engine, registry) {}

  template <typename Request>
  void send(int16_t key, int16_t version, const Request& request) {
    RequestHeader header{key, version, ++correlation, "test"};
    pipeline.on_frame(encode_request_frame(header, request));
  }

  template <typename Response>
  Response last(int16_t key, int16_t version) {
    EXPECT_FALSE(sink.frames.empty());
    Reader reader(std::span<const uint8_t>(sink.frames.back()).subspan(4));
    ResponseHeader header;
    header.decode(reader, response_header_version(key, version));
    Response response;
    response.decode(reader, version);
    return response;
  }

  SaslHandshakeResponse handshake(std::string mechanism, int16_t version = 1) {
    send(SaslHandshakeRequest::kApiKey, version, SaslHandshakeRequest{std::move(mechanism)});
    return last<SaslHandshakeResponse>(SaslHandshakeRequest::kApiKey, version);
  }

  SaslAuthenticateResponse authenticate(const std::string& token, int16_t version = 2) {
    SaslAuthenticateRequest request;
    request.auth_bytes = Bytes(token.begin(), token.end());
    send(SaslAuthenticateRequest::kApiKey, version, request);
    return last<SaslAuthenticateResponse>(SaslAuthenticateRequest::kApiKey, version);
  }

  std::string auth_bytes(const SaslAuthenticateResponse& response) {
    const Bytes bytes = response.auth_bytes;
    return std::string(bytes.begin(), bytes.end());
  }

  // A request only an authenticated connection is served: ListGroups.
  bool list_groups_answered() {
    const std::size_t before = sink.frames.size();
    send(ListGroupsRequest::kApiKey, 4, ListGroupsRequest{});
    return sink.frames.size() == before + 1 && !sink.closed;
  }

  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker;
  testing::RecordingSink sink;
  RequestPipeline pipeline{broker,      sink, std::make_shared<testing::InlineScheduler>(),
                           "127.0.0.1", 9092, "127.0.0.1:5555"};
  int32_t correlation = 0;
};

TEST_F(SaslPipelineTest, RequestBeforeHandshakeClosesWithoutAnswer) {
  send(ListGroupsRequest::kApiKey, 4, ListGroupsRequest{});
  EXPECT_TRUE(sink.frames.empty());
  ASSERT_TRUE(sink.closed);
  EXPECT_EQ(*sink.closed, "unexpected ListGroups request during SASL handshake");
}

TEST_F(SaslPipelineTest, ApiVersionsIsServedBeforeAuthenticationAndListsTheSaslApis) {
  send(ApiVersionsRequest::kApiKey, 3, ApiVersionsRequest{"test", "1"});
  const auto response = last<ApiVersionsResponse>(ApiVersionsRequest::kApiKey, 3);
  std::map<int16_t, std::pair<int16_t, int16_t>> ranges;
  for (const auto& api : response.api_keys)
    ranges[api.api_key] = {api.min_version, api.max_version};
  EXPECT_EQ(ranges[17], std::make_pair(int16_t{0}, int16_t{1}));
  EXPECT_EQ(ranges[36], std::make_pair(int16_t{0}, int16_t{2}));
  EXPECT_FALSE(sink.closed);
}

TEST_F(SaslPipelineTest, UnknownMechanismListsTheEnabledOnesAndCloses) {
  const auto response = handshake("OAUTHBEARER");
  EXPECT_EQ(response.error_code, error::kUnsupportedSaslMechanism);
  EXPECT_EQ(response.mechanisms, (std::vector<std::string>{"PLAIN", "SCRAM-SHA-256"}));
  EXPECT_TRUE(sink.closed);
  // Enabled in code but not in kafka.sasl_mechanisms: refused the same way.
  EXPECT_EQ(sink.frames.size(), 1u);
}

TEST_F(SaslPipelineTest, PlainAuthenticatesThenRequestsAreServed) {
  EXPECT_EQ(handshake("PLAIN").error_code, error::kNone);
  const auto response = authenticate(sasl::format_plain("alice", "secret"));
  EXPECT_EQ(response.error_code, error::kNone);
  EXPECT_EQ(response.error_message, std::nullopt);
  EXPECT_EQ(response.session_lifetime_ms, 0);
  EXPECT_TRUE(list_groups_answered());
  // A second SaslAuthenticate: ILLEGAL_SASL_STATE, and the connection stays open.
  EXPECT_EQ(authenticate(sasl::format_plain("alice", "secret")).error_code,
            error::kIllegalSaslState);
  EXPECT_FALSE(sink.closed);
}

TEST_F(SaslPipelineTest, WrongPasswordFailsWithAMessageAndCloses) {
  handshake("PLAIN");
  const auto response = authenticate(sasl::format_plain("alice", "guess"));
  EXPECT_EQ(response.error_code, error::kSaslAuthenticationFailed);
  EXPECT_EQ(response.error_message, "Authentication failed: Invalid username or password");
  ASSERT_TRUE(sink.closed);
  EXPECT_EQ(sink.closed->find("guess"), std::string::npos);
}

TEST_F(SaslPipelineTest, OtherRequestDuringAuthenticationGetsIllegalSaslStateThenCloses) {
  handshake("PLAIN");
  FindCoordinatorRequest request;
  request.key = "g";
  send(FindCoordinatorRequest::kApiKey, 2, request);
  EXPECT_EQ(last<FindCoordinatorResponse>(FindCoordinatorRequest::kApiKey, 2).error_code,
            error::kIllegalSaslState);
  EXPECT_TRUE(sink.closed);
}

TEST_F(SaslPipelineTest, OutOfOrderSaslRequestsGetIllegalSaslState) {
  EXPECT_EQ(authenticate(sasl::format_plain("alice", "secret")).error_code,
            error::kIllegalSaslState);
  EXPECT_TRUE(sink.closed);
}

TEST_F(SaslPipelineTest, SecondHandshakeBeforeAuthenticatingIsIllegal) {
  handshake("PLAIN");
  EXPECT_EQ(handshake("PLAIN").error_code, error::kIllegalSaslState);
  EXPECT_TRUE(sink.closed);
}

TEST_F(SaslPipelineTest, ScramOverSaslAuthenticate) {
  EXPECT_EQ(handshake("SCRAM-SHA-256").error_code, error::kNone);
  sasl::ScramClient client(sasl::ScramHash::kSha256, "bob", "pw");
  const auto first = authenticate(client.first_message());
  ASSERT_EQ(first.error_code, error::kNone);
  const auto final_response = authenticate(client.final_message(auth_bytes(first)));
  ASSERT_EQ(final_response.error_code, error::kNone);
  EXPECT_NO_THROW(client.check_server_final(auth_bytes(final_response)));
  EXPECT_TRUE(list_groups_answered());
}

TEST_F(SaslPipelineTest, ScramWithWrongPasswordNamesTheMechanism) {
  handshake("SCRAM-SHA-256");
  sasl::ScramClient client(sasl::ScramHash::kSha256, "bob", "nope");
  const auto first = authenticate(client.first_message(), 1);
  const auto response = authenticate(client.final_message(auth_bytes(first)), 1);
  EXPECT_EQ(response.error_code, error::kSaslAuthenticationFailed);
  EXPECT_EQ(response.error_message,
            "Authentication failed during authentication due to invalid credentials with SASL "
            "mechanism SCRAM-SHA-256");
  EXPECT_TRUE(sink.closed);
}

Bytes raw_frame(std::string_view token) {
  Bytes frame(4 + token.size());
  frame[3] = static_cast<uint8_t>(token.size());
  std::copy(token.begin(), token.end(), frame.begin() + 4);
  return frame;
}

std::string raw_token(const Bytes& frame) { return std::string(frame.begin() + 4, frame.end()); }

TEST_F(SaslPipelineTest, HandshakeV0IsFollowedByRawTokens) {
  EXPECT_EQ(handshake("SCRAM-SHA-256", 0).error_code, error::kNone);
  EXPECT_TRUE(pipeline.expects_raw_sasl_token());
  sasl::ScramClient client(sasl::ScramHash::kSha256, "bob", "pw");
  pipeline.on_frame(raw_frame(client.first_message()));
  const std::string server_first = raw_token(sink.frames.back());
  pipeline.on_frame(raw_frame(client.final_message(server_first)));
  EXPECT_NO_THROW(client.check_server_final(raw_token(sink.frames.back())));
  EXPECT_FALSE(pipeline.expects_raw_sasl_token());
  EXPECT_TRUE(list_groups_answered());
}

TEST_F(SaslPipelineTest, RawPlainTokenGetsAnEmptyAnswerOrAClose) {
  handshake("PLAIN", 0);
  // "\0a\0b" is shorter than any request header: the frame check allows it here only.
  const uint8_t short_token[] = {0, 0, 0, 4, 0, 'a', 0, 'b'};
  EXPECT_EQ(check_frame(short_token, 1024, true).kind, FrameCheck::Kind::kComplete);
  EXPECT_EQ(check_frame(short_token, 1024, false).kind, FrameCheck::Kind::kInvalid);
  pipeline.on_frame(raw_frame(sasl::format_plain("alice", "secret")));
  EXPECT_EQ(sink.frames.back(), (Bytes{0, 0, 0, 0}));
  EXPECT_FALSE(sink.closed);

  testing::RecordingSink other_sink;
  RequestPipeline other{broker,      other_sink, std::make_shared<testing::InlineScheduler>(),
                        "127.0.0.1", 9092,       "127.0.0.1:5556"};
  RequestHeader header{SaslHandshakeRequest::kApiKey, 0, 1, "test"};
  other.on_frame(encode_request_frame(header, SaslHandshakeRequest{"PLAIN"}));
  other.on_frame(raw_frame(sasl::format_plain("alice", "wrong")));
  EXPECT_EQ(other_sink.frames.size(), 1u);  // the handshake answer only
  EXPECT_TRUE(other_sink.closed);
}

TEST_F(SaslPipelineTest, ReauthenticationKeepsThePrincipal) {
  handshake("PLAIN");
  authenticate(sasl::format_plain("alice", "secret"));
  EXPECT_EQ(handshake("PLAIN").error_code, error::kNone);
  EXPECT_EQ(authenticate(sasl::format_plain("alice", "secret")).error_code, error::kNone);
  EXPECT_TRUE(list_groups_answered());
  EXPECT_EQ(handshake("PLAIN").error_code, error::kNone);
  const auto response = authenticate(sasl::format_plain("bob", "pw"));
  EXPECT_EQ(response.error_code, error::kSaslAuthenticationFailed);
  EXPECT_EQ(response.error_message,
            "Cannot change principals during re-authentication from User:alice to User:bob");
  EXPECT_TRUE(sink.closed);
}

class SaslOffPipelineTest : public SaslPipelineTest {
 protected:
  SaslOffPipelineTest() : SaslPipelineTest(BrokerOptions{}) {}
};

TEST_F(SaslOffPipelineTest, SaslRequestsGetIllegalSaslStateAndTheConnectionStays) {
  EXPECT_TRUE(list_groups_answered());
  EXPECT_EQ(handshake("PLAIN").error_code, error::kIllegalSaslState);
  EXPECT_EQ(authenticate("x").error_code, error::kIllegalSaslState);
  EXPECT_TRUE(list_groups_answered());
}

class SaslLifetimePipelineTest : public SaslPipelineTest {
 protected:
  SaslLifetimePipelineTest()
      : SaslPipelineTest(sasl_options({"PLAIN"}, std::chrono::milliseconds(20))) {}
};

TEST_F(SaslLifetimePipelineTest, ExpiredSessionIsClosedOnItsNextRequest) {
  handshake("PLAIN");
  const auto response = authenticate(sasl::format_plain("alice", "secret"), 1);
  EXPECT_EQ(response.session_lifetime_ms, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_FALSE(list_groups_answered());
  ASSERT_TRUE(sink.closed);
  EXPECT_NE(sink.closed->find("expired"), std::string::npos);
}

TEST_F(SaslLifetimePipelineTest, ReauthenticationAfterExpiryIsAllowed) {
  handshake("PLAIN");
  authenticate(sasl::format_plain("alice", "secret"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_EQ(handshake("PLAIN").error_code, error::kNone);
  EXPECT_EQ(authenticate(sasl::format_plain("alice", "secret"), 1).error_code, error::kNone);
  EXPECT_TRUE(list_groups_answered());
}

BrokerOptions oauthbearer_options(std::chrono::milliseconds lifetime) {
  BrokerOptions options = sasl_options({"OAUTHBEARER", "PLAIN"}, lifetime);
  auto oauthbearer = std::make_shared<sasl::OAuthBearerOptions>();
  oauthbearer->audience = {"kafka"};
  options.sasl.oauthbearer = std::move(oauthbearer);
  return options;
}

std::string bearer(const std::string& claims) {
  return "n,,\x01"
         "auth=Bearer " +
         sasl::make_unsecured_jws(claims) + "\x01\x01";
}

std::string claims_expiring_in(std::chrono::seconds seconds, const std::string& aud = "kafka") {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch() + seconds)
                       .count();
  return R"({"sub":"carol","aud":")" + aud + R"(","exp":)" + std::to_string(exp) + "}";
}

class OAuthBearerPipelineTest : public SaslPipelineTest {
 protected:
  OAuthBearerPipelineTest()
      : SaslPipelineTest(oauthbearer_options(std::chrono::milliseconds(3600 * 1000))) {}
};

TEST_F(OAuthBearerPipelineTest, ValidTokenAuthenticatesWithTheTokensLifetime) {
  EXPECT_EQ(handshake("OAUTHBEARER").error_code, error::kNone);
  const auto response = authenticate(bearer(claims_expiring_in(std::chrono::seconds(30))));
  ASSERT_EQ(response.error_code, error::kNone);
  EXPECT_EQ(auth_bytes(response), "");
  // min(token exp, kafka.sasl_session_lifetime)
  EXPECT_GT(response.session_lifetime_ms, 28000);
  EXPECT_LE(response.session_lifetime_ms, 30000);
  EXPECT_TRUE(list_groups_answered());
}

TEST_F(OAuthBearerPipelineTest, LongLivedTokenGetsTheConfiguredLifetime) {
  handshake("OAUTHBEARER");
  const auto response = authenticate(bearer(claims_expiring_in(std::chrono::hours(5))));
  ASSERT_EQ(response.error_code, error::kNone);
  EXPECT_EQ(response.session_lifetime_ms, 3600 * 1000);
}

TEST_F(OAuthBearerPipelineTest, BadTokenGetsTheErrorChallengeThenFails) {
  handshake("OAUTHBEARER");
  const auto challenge =
      authenticate(bearer(claims_expiring_in(std::chrono::seconds(30), "elsewhere")));
  EXPECT_EQ(challenge.error_code, error::kNone);
  EXPECT_EQ(auth_bytes(challenge), R"({"status":"invalid_token"})");
  EXPECT_FALSE(sink.closed);
  const auto failure = authenticate("\x01");
  EXPECT_EQ(failure.error_code, error::kSaslAuthenticationFailed);
  EXPECT_EQ(failure.error_message, R"({"status":"invalid_token"})");
  EXPECT_TRUE(sink.closed);
}

TEST_F(OAuthBearerPipelineTest, ExpiredTokenIsRefused) {
  handshake("OAUTHBEARER");
  const auto challenge = authenticate(bearer(claims_expiring_in(std::chrono::seconds(-5))));
  EXPECT_EQ(auth_bytes(challenge), R"({"status":"invalid_token"})");
  EXPECT_EQ(authenticate("\x01").error_code, error::kSaslAuthenticationFailed);
}

}  // namespace
}  // namespace mockforge::kafka
