// core/regex: ECMAScript semantics where users meet them, and subjects that made
// libstdc++'s std::regex overflow the stack or backtrack for minutes.
#include "core/regex/pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::regex {
namespace {

using Result = Pattern::Result;

TEST(PatternTest, EcmaScriptAnchorsAndDotAsWithoutFlags) {
  EXPECT_EQ(Pattern("^b").search("a\nb"), Result::kNoMatch);
  EXPECT_EQ(Pattern("a$").search("a\nb"), Result::kNoMatch);
  EXPECT_EQ(Pattern("a.b").search("a\nb"), Result::kNoMatch);
  EXPECT_EQ(Pattern("a.b").search("a-b"), Result::kMatch);
  EXPECT_EQ(Pattern("^o-\\d+$").search("o-42"), Result::kMatch);
  EXPECT_EQ(Pattern("\\d+").match("42x"), Result::kNoMatch);
  EXPECT_EQ(Pattern("\\d+").search("42x"), Result::kMatch);
  EXPECT_EQ(Pattern("(?=.*[A-Z])^\\w+$").search("abC"), Result::kMatch);
  EXPECT_EQ(Pattern("(a)\\1").search("xaay"), Result::kMatch);
  EXPECT_EQ(Pattern("").search("anything"), Result::kMatch);
}

TEST(PatternTest, ABadPatternSaysWhy) {
  EXPECT_THROW(Pattern("("), PatternError);
  EXPECT_THROW(Pattern("a{2,1}"), PatternError);
  try {
    Pattern("[z-a]");
    FAIL();
  } catch (const PatternError& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

TEST(PatternTest, LongSubjectsNeitherOverflowTheStackNorRunAway) {
  // std::regex overflowed an 8 MiB stack at 40,000 characters for each of these.
  const std::string as(1 << 20, 'a');
  EXPECT_EQ(Pattern(".*").match(as), Result::kMatch);
  EXPECT_EQ(Pattern("^a+$").search(as), Result::kMatch);
  EXPECT_EQ(Pattern("^([0-9]+)-(0[1-9]|1[012])$").match(std::string(1 << 20, '1')),
            Result::kNoMatch);
  // Quadratic or exponential for a backtracking matcher: bounded, whatever the answer.
  EXPECT_NE(Pattern("a.*b").search(as), Result::kMatch);
  EXPECT_NE(Pattern("(a*)*b").search(std::string(64, 'a')), Result::kMatch);
  EXPECT_NE(Pattern("(a|b)*c").match(as), Result::kMatch);
}

TEST(PatternTest, CopiesShareTheCompiledPattern) {
  const Pattern original("^x-");
  const Pattern copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.text(), "^x-");
  EXPECT_EQ(copy.search("x-trace"), Result::kMatch);
}

}  // namespace
}  // namespace mockforge::regex
