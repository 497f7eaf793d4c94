#include "core/sasl/plain.h"

#include <gtest/gtest.h>

namespace mockforge::sasl {
namespace {

using namespace std::string_literals;

TEST(Plain, ParsesAuthzidUserAndPassword) {
  const auto parsed = parse_plain("admin\0alice\0s3cret"s);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->authzid, "admin");
  EXPECT_EQ(parsed->username, "alice");
  EXPECT_EQ(parsed->password, "s3cret");
  EXPECT_EQ(parse_plain(format_plain("bob", "pw"))->username, "bob");
}

TEST(Plain, RefusesMalformedMessages) {
  for (const std::string& bad :
       {""s, "alice"s, "\0alice"s, "\0alice\0"s, "\0\0pw"s, "\0alice\0pw\0"s}) {
    EXPECT_FALSE(parse_plain(bad));
  }
}

}  // namespace
}  // namespace mockforge::sasl
