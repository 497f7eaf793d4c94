// Server exchanges over a UserStore: PLAIN and SCRAM success and every refusal.
#include "core/sasl/exchange.h"

#include <gtest/gtest.h>

#include "core/sasl/plain.h"

namespace mockforge::sasl {
namespace {

using Outcome = Step::Outcome;
using namespace std::string_literals;

class ExchangeTest : public ::testing::Test {
 protected:
  UserStore users{{"alice:wonder:land", "bob:builder"}, 4096};
};

TEST_F(ExchangeTest, UnknownMechanismHasNoExchange) {
  EXPECT_EQ(make_server_exchange("OAUTHBEARER", users), nullptr);
  EXPECT_EQ(make_server_exchange("GSSAPI", users), nullptr);
  EXPECT_EQ(make_server_exchange("plain", users), nullptr);
}

TEST_F(ExchangeTest, PlainAcceptsThePasswordAfterTheFirstColon) {
  auto exchange = make_server_exchange("PLAIN", users);
  const Step step = exchange->step(format_plain("alice", "wonder:land"));
  EXPECT_EQ(step.outcome, Outcome::kSuccess);
  EXPECT_EQ(step.principal, "alice");
  EXPECT_EQ(step.response, "");
}

TEST_F(ExchangeTest, PlainRefusals) {
  const std::pair<std::string, std::string> cases[] = {
      {format_plain("alice", "wonder"), "Authentication failed: Invalid username or password"},
      {format_plain("carol", "x"), "Authentication failed: Invalid username or password"},
      {"bob\0bob\0builder"s.replace(0, 3, "eve"),
       "Authentication failed: Client requested an authorization id that is different from "
       "username"},
      {"garbage", "Authentication failed: invalid SASL/PLAIN response"},
  };
  for (const auto& [token, message] : cases) {
    auto exchange = make_server_exchange("PLAIN", users);
    const Step step = exchange->step(token);
    EXPECT_EQ(step.outcome, Outcome::kFailure);
    EXPECT_EQ(step.error, message);
    EXPECT_EQ(step.error.find("wonder"), std::string::npos);
    EXPECT_EQ(step.detail.find("wonder"), std::string::npos);
  }
  auto exchange = make_server_exchange("PLAIN", users);
  EXPECT_EQ(exchange->step("bob\0bob\0builder"s).outcome, Outcome::kSuccess);
  EXPECT_EQ(exchange->step("bob\0bob\0builder"s).outcome, Outcome::kFailure);
}

TEST_F(ExchangeTest, ScramBothHashesSucceedAndProveTheServer) {
  for (ScramHash hash : {ScramHash::kSha256, ScramHash::kSha512}) {
    auto exchange = make_server_exchange(scram_mechanism_name(hash), users, "SERVERNONCE");
    ScramClient client(hash, "bob", "builder", "clientnonce");
    const Step first = exchange->step(client.first_message());
    ASSERT_EQ(first.outcome, Outcome::kContinue) << first.detail;
    EXPECT_TRUE(first.response.starts_with("r=clientnonceSERVERNONCE,s="));
    EXPECT_TRUE(first.response.ends_with(",i=4096"));
    const Step last = exchange->step(client.final_message(first.response));
    ASSERT_EQ(last.outcome, Outcome::kSuccess) << last.detail;
    EXPECT_EQ(last.principal, "bob");
    EXPECT_NO_THROW(client.check_server_final(last.response));
    EXPECT_EQ(exchange->step("again").outcome, Outcome::kFailure);
  }
}

TEST_F(ExchangeTest, ScramRefusesWrongPasswordUnknownUserAndTamperedMessages) {
  const std::string refused =
      "Authentication failed during authentication due to invalid credentials with SASL "
      "mechanism SCRAM-SHA-256";
  {
    auto exchange = make_server_exchange("SCRAM-SHA-256", users);
    ScramClient client(ScramHash::kSha256, "bob", "wrong");
    const Step first = exchange->step(client.first_message());
    const Step last = exchange->step(client.final_message(first.response));
    EXPECT_EQ(last.outcome, Outcome::kFailure);
    EXPECT_EQ(last.error, refused);
    EXPECT_EQ(last.detail, "wrong password for user bob");
  }
  {
    auto exchange = make_server_exchange("SCRAM-SHA-256", users);
    ScramClient client(ScramHash::kSha256, "nobody", "x");
    const Step first = exchange->step(client.first_message());
    EXPECT_EQ(first.outcome, Outcome::kFailure);
    EXPECT_EQ(first.error, refused);
  }
  {
    // The client-final message must repeat the combined nonce and the gs2 header.
    auto exchange = make_server_exchange("SCRAM-SHA-256", users, "S");
    ScramClient client(ScramHash::kSha256, "bob", "builder", "c");
    const Step first = exchange->step(client.first_message());
    std::string last = client.final_message(first.response);
    last.replace(last.find("r=cS"), 4, "r=cX");
    EXPECT_EQ(exchange->step(last).detail, "nonce does not match");
  }
  {
    auto exchange = make_server_exchange("SCRAM-SHA-256", users);
    const Step first = exchange->step("n,,n=bob");
    EXPECT_EQ(first.outcome, Outcome::kFailure);
    EXPECT_TRUE(first.detail.starts_with("malformed SCRAM message")) << first.detail;
  }
  {
    auto exchange = make_server_exchange("SCRAM-SHA-512", users);
    const Step first = exchange->step("n,a=alice,n=bob,r=abc");
    EXPECT_EQ(first.outcome, Outcome::kFailure);
    EXPECT_EQ(first.error,
              "Authentication failed: Client requested an authorization id that is different from "
              "username");
  }
}

}  // namespace
}  // namespace mockforge::sasl
