#include "brokers/amqp/protocol/delivery_tags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mockforge::amqp {
namespace {

std::vector<uint64_t> tags_of(const DeliveryTagMap<std::string>& map) {
  std::vector<uint64_t> tags;
  for (const auto& [tag, value] : map) tags.push_back(tag);
  return tags;
}

TEST(DeliveryTagMap, AddsFindsAndTakesInAnyOrder) {
  DeliveryTagMap<std::string> map;
  for (uint64_t tag = 1; tag <= 5; ++tag) map.add(tag * 2, "m" + std::to_string(tag));
  EXPECT_EQ(map.size(), 5u);
  ASSERT_NE(map.find(6), nullptr);
  EXPECT_EQ(*map.find(6), "m3");
  EXPECT_EQ(map.find(5), nullptr);
  EXPECT_EQ(map.take(6), std::optional<std::string>("m3"));
  EXPECT_FALSE(map.take(6).has_value());
  EXPECT_FALSE(map.contains(6));
  EXPECT_EQ(tags_of(map), (std::vector<uint64_t>{2, 4, 8, 10}));
  EXPECT_EQ(map.take(2), std::optional<std::string>("m1"));
  EXPECT_EQ(tags_of(map), (std::vector<uint64_t>{4, 8, 10}));
  map.clear();
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.begin(), map.end());
}

TEST(DeliveryTagMap, TagsMustGrow) {
  DeliveryTagMap<std::string> map;
  map.add(3, "a");
  EXPECT_THROW(map.add(3, "b"), std::logic_error);
  EXPECT_THROW(map.add(2, "b"), std::logic_error);
}

TEST(DeliveryTagMap, WrapsAndGrowsKeepingOrder) {
  DeliveryTagMap<std::string> map;
  uint64_t next = 1;
  // Settle oldest-first while adding, so the ring wraps many times.
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 7; ++i, ++next) map.add(next, std::to_string(next));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(map.take(tags_of(map).front()).has_value());
  }
  EXPECT_EQ(map.size(), 200u);
  const auto tags = tags_of(map);
  ASSERT_EQ(tags.size(), 200u);
  for (std::size_t i = 1; i < tags.size(); ++i) EXPECT_LT(tags[i - 1], tags[i]);
  for (uint64_t tag : tags) EXPECT_EQ(*map.find(tag), std::to_string(tag));
}

TEST(DeliveryTagMap, AnOldUnsettledDeliveryDoesNotPinEverySettledOne) {
  DeliveryTagMap<std::string> map;
  map.add(1, "held");
  for (uint64_t tag = 2; tag < 100'000; ++tag) {
    map.add(tag, "x");
    ASSERT_TRUE(map.take(tag).has_value());
  }
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(tags_of(map), (std::vector<uint64_t>{1}));
  EXPECT_EQ(*map.find(1), "held");
}

}  // namespace
}  // namespace mockforge::amqp
