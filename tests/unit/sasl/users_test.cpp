// The user store: users added at run time (Kafka fixture files), limited to some mechanisms,
// replacing a configured one, as PLAIN and SCRAM exchanges see them.
#include "core/sasl/users.h"

#include <gtest/gtest.h>

#include "core/sasl/exchange.h"
#include "core/sasl/plain.h"

namespace mockforge::sasl {
namespace {

TEST(UserStoreTest, AddedUsersAreLimitedToTheirMechanisms) {
  UserStore users({"alice:a"}, 4096);
  users.add("legacy", "pw", {"PLAIN"});
  users.add("billing", "b1", {"SCRAM-SHA-512"});
  EXPECT_TRUE(users.check_password("alice", "a"));
  EXPECT_TRUE(users.check_password("legacy", "pw"));
  EXPECT_FALSE(users.check_password("billing", "b1"));
  EXPECT_FALSE(users.scram_credential(ScramHash::kSha256, "legacy"));
  EXPECT_FALSE(users.scram_credential(ScramHash::kSha256, "billing"));
  EXPECT_TRUE(users.scram_credential(ScramHash::kSha512, "billing"));
  EXPECT_TRUE(users.scram_credential(ScramHash::kSha256, "alice"));
}

TEST(UserStoreTest, AddReplacesAUser) {
  UserStore users({"alice:a"}, 4096);
  users.add("alice", "new", {});
  EXPECT_FALSE(users.check_password("alice", "a"));
  EXPECT_TRUE(users.check_password("alice", "new"));
}

TEST(UserStoreTest, ExchangesSeeAddedUsers) {
  UserStore users;
  EXPECT_TRUE(users.empty());
  users.add("svc", "s3cret", {});
  auto plain = make_server_exchange("PLAIN", users);
  EXPECT_EQ(plain->step(format_plain("svc", "s3cret")).outcome, Step::Outcome::kSuccess);

  users.add("scram-only", "pw", {"SCRAM-SHA-256"});
  plain = make_server_exchange("PLAIN", users);
  EXPECT_EQ(plain->step(format_plain("scram-only", "pw")).outcome, Step::Outcome::kFailure);
  ScramClient client(ScramHash::kSha256, "scram-only", "pw");
  auto scram = make_server_exchange("SCRAM-SHA-256", users);
  const Step first = scram->step(client.first_message());
  ASSERT_EQ(first.outcome, Step::Outcome::kContinue);
  EXPECT_EQ(scram->step(client.final_message(first.response)).outcome, Step::Outcome::kSuccess);
}

}  // namespace
}  // namespace mockforge::sasl
