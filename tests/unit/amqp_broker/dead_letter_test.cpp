#include "brokers/amqp/protocol/dead_letter.h"

#include <gtest/gtest.h>

namespace mockforge::amqp {
namespace {

const FieldTable& death_at(const BasicProperties& properties, std::size_t index) {
  const auto* deaths = properties.headers->find("x-death")->get_if<FieldArray>();
  return *deaths->values.at(index).get_if<FieldTable>();
}

std::vector<std::string> names(const FieldTable& table) {
  std::vector<std::string> result;
  for (const auto& entry : table.entries) result.push_back(entry.name);
  return result;
}

TEST(AmqpDeadLetter, FirstDeathAddsTableAndFirstAndLastHeaders) {
  BasicProperties properties;
  properties.expiration = "5000";
  record_death(properties, DeathReason::kExpired, "q1", "ex", {"rk"}, 1700000000);
  ASSERT_TRUE(properties.headers);
  EXPECT_FALSE(properties.expiration);
  const FieldTable& death = death_at(properties, 0);
  EXPECT_EQ(names(death), (std::vector<std::string>{"count", "reason", "queue", "time", "exchange",
                                                    "routing-keys", "original-expiration"}));
  EXPECT_EQ(*death.find("count")->get_if<int64_t>(), 1);
  EXPECT_EQ(death.find("count")->type_tag(), 'l');
  EXPECT_EQ(*death.find("reason")->get_if<std::string>(), "expired");
  EXPECT_EQ(death.find("time")->get_if<Timestamp>()->seconds, 1700000000u);
  EXPECT_EQ(*death.find("original-expiration")->get_if<std::string>(), "5000");
  const auto* keys = death.find("routing-keys")->get_if<FieldArray>();
  ASSERT_EQ(keys->values.size(), 1u);
  EXPECT_EQ(*keys->values[0].get_if<std::string>(), "rk");
  for (const char* prefix : {"x-first-death-", "x-last-death-"}) {
    EXPECT_EQ(*properties.headers->find(std::string(prefix) + "reason")->get_if<std::string>(),
              "expired");
    EXPECT_EQ(*properties.headers->find(std::string(prefix) + "queue")->get_if<std::string>(),
              "q1");
    EXPECT_EQ(*properties.headers->find(std::string(prefix) + "exchange")->get_if<std::string>(),
              "ex");
  }
}

TEST(AmqpDeadLetter, RepeatedQueueAndReasonCountsAndMovesToFront) {
  BasicProperties properties;
  record_death(properties, DeathReason::kRejected, "a", "ex", {"rk"}, 1);
  record_death(properties, DeathReason::kExpired, "b", "dlx", {"rk"}, 2);
  record_death(properties, DeathReason::kRejected, "a", "dlx", {"rk"}, 3);
  const auto* deaths = properties.headers->find("x-death")->get_if<FieldArray>();
  ASSERT_EQ(deaths->values.size(), 2u);
  const FieldTable& front = death_at(properties, 0);
  EXPECT_EQ(*front.find("queue")->get_if<std::string>(), "a");
  EXPECT_EQ(*front.find("count")->get_if<int64_t>(), 2);
  EXPECT_EQ(*front.find("exchange")->get_if<std::string>(), "ex");  // the first death's
  EXPECT_EQ(*death_at(properties, 1).find("queue")->get_if<std::string>(), "b");
  // First death headers stay; last death headers follow.
  EXPECT_EQ(*properties.headers->find("x-first-death-queue")->get_if<std::string>(), "a");
  EXPECT_EQ(*properties.headers->find("x-last-death-exchange")->get_if<std::string>(), "dlx");
  EXPECT_EQ(*properties.headers->find("x-last-death-reason")->get_if<std::string>(), "rejected");
}

TEST(AmqpDeadLetter, CycleDetectionIgnoresCyclesWithARejection) {
  BasicProperties expired_only;
  record_death(expired_only, DeathReason::kExpired, "a", "", {"a"}, 1);
  record_death(expired_only, DeathReason::kExpired, "b", "", {"a"}, 1);
  EXPECT_TRUE(is_death_cycle(expired_only, "a"));
  EXPECT_TRUE(is_death_cycle(expired_only, "b"));
  EXPECT_FALSE(is_death_cycle(expired_only, "c"));

  BasicProperties with_reject;
  record_death(with_reject, DeathReason::kRejected, "a", "", {"a"}, 1);
  record_death(with_reject, DeathReason::kExpired, "b", "", {"a"}, 1);
  EXPECT_FALSE(is_death_cycle(with_reject, "a"));
  EXPECT_TRUE(is_death_cycle(with_reject, "b"));
}

TEST(AmqpDeadLetter, MangledXDeathIsReplaced) {
  BasicProperties properties;
  properties.headers = FieldTable{};
  properties.headers->set("x-death", std::string("not an array"));
  record_death(properties, DeathReason::kMaxLength, "q", "", {"q"}, 1);
  const FieldTable& death = death_at(properties, 0);
  EXPECT_EQ(*death.find("reason")->get_if<std::string>(), "maxlen");
}

}  // namespace
}  // namespace mockforge::amqp
