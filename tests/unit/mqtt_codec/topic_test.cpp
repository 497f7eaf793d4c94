#include "brokers/mqtt/codec/topic.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::mqtt {
namespace {

struct MatchCase {
  const char* filter;
  const char* name;
  bool matches;
};

TEST(MqttTopicMatches, SpecExamplesAndCorners) {
  const MatchCase cases[] = {
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"a/#", "a", true},
      {"a/#", "a/", true},
      {"a/#", "ab", false},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"+", "a", true},
      {"a/+/c", "a/b/c", true},
      {"a/+/c", "a//c", true},
      {"a/+/c", "a/b/d", false},
      {"+/+/#", "a/b", true},
      {"a/b", "a/b", true},
      {"a/b", "a/b/", false},
      {"a/b/", "a/b", false},
      {"A/b", "a/b", false},
      {"#", "$SYS/broker", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"a/#", "a/$x", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.name), c.matches) << c.filter << " vs " << c.name;
  }
}

TEST(MqttTopicName, Validation) {
  EXPECT_TRUE(is_valid_topic_name("a/b"));
  EXPECT_TRUE(is_valid_topic_name("/"));
  EXPECT_TRUE(is_valid_topic_name("$SYS/x"));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("a/+"));
  EXPECT_FALSE(is_valid_topic_name("a/#"));
  EXPECT_FALSE(is_valid_topic_name("a+b"));
  EXPECT_FALSE(is_valid_topic_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_topic_name("\xc0\xaf"));
  EXPECT_TRUE(is_valid_topic_name(std::string(65535, 'a')));
  EXPECT_FALSE(is_valid_topic_name(std::string(65536, 'a')));
}

TEST(MqttTopicFilter, Validation) {
  for (const char* valid :
       {"#", "+", "a/#", "+/+", "/+", "a/+/b", "sport/tennis/#", "+/#", "a//b"}) {
    EXPECT_TRUE(is_valid_topic_filter(valid)) << valid;
  }
  for (const char* invalid : {"", "a#", "a/#/b", "#/a", "a+", "a/b+", "+a/b", "a/##", "++"}) {
    EXPECT_FALSE(is_valid_topic_filter(invalid)) << invalid;
  }
}

TEST(MqttTopicFilter, SharedSubscriptions) {
  const auto shared = parse_topic_filter("$share/group/a/+/c");
  ASSERT_TRUE(shared.has_value());
  EXPECT_TRUE(shared->is_shared());
  EXPECT_EQ(shared->share_name, "group");
  EXPECT_EQ(shared->filter, "a/+/c");

  const auto hash = parse_topic_filter("$share/g/#");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->filter, "#");

  const auto plain = parse_topic_filter("a/b");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->is_shared());
  EXPECT_EQ(plain->filter, "a/b");

  const auto not_a_share = parse_topic_filter("$shared/g/a");
  ASSERT_TRUE(not_a_share.has_value());
  EXPECT_FALSE(not_a_share->is_shared());

  for (const char* invalid :
       {"$share/g", "$share/g/", "$share//a", "$share/+/a", "$share/g#/a", "$share/g/a/#/b"}) {
    EXPECT_FALSE(parse_topic_filter(invalid).has_value()) << invalid;
  }
}

}  // namespace
}  // namespace mockforge::mqtt
