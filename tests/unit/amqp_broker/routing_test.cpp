#include "brokers/amqp/model/routing.h"

#include <gtest/gtest.h>

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
