// core/json: payloads parsed as JSON, and the nesting bound that keeps printing and
// validating them from recursing without limit.
#include "core/json/payload.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::json {
namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(PayloadJsonTest, DepthCountsBracketsOutsideStrings) {
  EXPECT_EQ(nesting_depth("1", 10), 0u);
  EXPECT_EQ(nesting_depth(R"({"a": [1, {"b": []}]})", 10), 4u);
  EXPECT_EQ(nesting_depth(R"({"a": "[[[[{{{{", "b": "\"[[["})", 10), 1u);
  EXPECT_EQ(nesting_depth(R"(["\\", ["x"]])", 10), 2u);
  // It stops counting past the limit.
  EXPECT_EQ(nesting_depth(nested(1000), 10), 11u);
  // Unbalanced closers do not go below zero.
  EXPECT_EQ(nesting_depth("]]]][", 10), 1u);
}

TEST(PayloadJsonTest, ParsesUpToTheLimitAndSaysWhyNot) {
  auto parsed = parse_payload(R"({"order": {"id": 7}})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value["order"]["id"], 7);

  parsed = parse_payload("{not json");
  EXPECT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.value.is_discarded());
  EXPECT_EQ(parsed.error, "the payload is not JSON");

  EXPECT_TRUE(parse_payload(nested(kMaxPayloadDepth)).ok());
  parsed = parse_payload(nested(kMaxPayloadDepth + 1));
  EXPECT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.value.is_discarded());
  EXPECT_EQ(parsed.error, "the payload nests arrays and objects deeper than 512 levels");

  // What is accepted can be printed: dump() recurses once per level.
  EXPECT_EQ(parse_payload(nested(kMaxPayloadDepth)).value.dump().size(), 2 * kMaxPayloadDepth);
  EXPECT_FALSE(parse_payload(nested(1 << 20)).ok());
}

}  // namespace
}  // namespace mockforge::json
