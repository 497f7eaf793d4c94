#include "brokers/amqp/model/routing.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::amqp {
namespace {

TEST(AmqpRouting, TopicStarMatchesExactlyOneWord) {
  EXPECT_TRUE(topic_matches("a.*.c", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.*.c", "a.c"));
  EXPECT_FALSE(topic_matches("a.*.c", "a.b.b.c"));
  EXPECT_FALSE(topic_matches("*", ""));
}

TEST(AmqpRouting, TopicHashMatchesZeroOrMoreWords) {
  EXPECT_TRUE(topic_matches("#", ""));
  EXPECT_TRUE(topic_matches("#", "a.b"));
  EXPECT_TRUE(topic_matches("a.#", "a"));
  EXPECT_TRUE(topic_matches("a.#", "a.b.c"));
  EXPECT_TRUE(topic_matches("a.#.z", "a.z"));
  EXPECT_TRUE(topic_matches("a.#.z", "a.b.c.z"));
  EXPECT_FALSE(topic_matches("a.#.z", "a.b.c"));
  EXPECT_TRUE(topic_matches("#.b.#", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.b", "a.b.c"));
}

TEST(AmqpRouting, TopicEmptyWordsAndLongKeys) {
  EXPECT_TRUE(topic_matches("a..c", "a..c"));
  EXPECT_TRUE(topic_matches("a.*.c", "a..c"));
  EXPECT_FALSE(topic_matches("", "a"));
  EXPECT_TRUE(topic_matches("", ""));
  // More words than the matcher keeps inline (16 words, 33 positions).
  std::string key = "w";
  for (int i = 1; i < 40; ++i) key += ".w" + std::to_string(i);
  EXPECT_TRUE(topic_matches("w.#.w39", key));
  EXPECT_TRUE(topic_matches("#.w20.#", key));
  EXPECT_FALSE(topic_matches("#.w40", key));
  std::string stars = "*";
  for (int i = 1; i < 40; ++i) stars += ".*";
  EXPECT_TRUE(topic_matches(stars, key));
  EXPECT_FALSE(topic_matches(stars + ".*", key));
}

TEST(AmqpRouting, TopicManyHashesStayPolynomial) {
  // Backtracking over 30 '#' against a 40-word key that cannot match would
  // take astronomically long; the matcher is linear in each.
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "#.";
  pattern += "nomatch";
  std::string key = "a";
  for (int i = 1; i < 40; ++i) key += ".a";
  EXPECT_FALSE(topic_matches(pattern, key));
  EXPECT_TRUE(topic_matches(pattern, key + ".nomatch"));
}

TEST(AmqpRouting, HeadersAllAndAny) {
  FieldTable all;
  all.set("x-match", std::string("all"));
  all.set("k", std::string("v"));
  all.set("n", int32_t{1});
  FieldTable any = all;
  any.set("x-match", std::string("any"));

  FieldTable both;
  both.set("k", std::string("v"));
  both.set("n", int32_t{1});
  FieldTable one;
  one.set("k", std::string("v"));

  EXPECT_TRUE(headers_match(all, &both));
  EXPECT_FALSE(headers_match(all, &one));
  EXPECT_TRUE(headers_match(any, &one));
  EXPECT_FALSE(headers_match(any, nullptr));
  FieldTable presence;
  presence.set("k", Void{});
  EXPECT_TRUE(headers_match(presence, &one));
}

}  // namespace
}  // namespace mockforge::amqp
