#include "core/storage/mqtt_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/storage/test_clock.h"

namespace mockforge::storage {
namespace {

using std::chrono::seconds;

RetainedMessage retained(std::string payload, TimePoint now, uint8_t qos = 1) {
  RetainedMessage message;
  message.payload = make_bytes(std::move(payload));
  message.qos = qos;
  message.stored_at = now;
  return message;
}

OfflineMessage offline(std::string payload) {
  OfflineMessage message;
  message.topic = "t";
  message.payload = make_bytes(std::move(payload));
  message.qos = 1;
  return message;
}

class StorageMqttStateTest : public ::testing::Test {
 protected:
  StorageMqttStateTest() { context_.clock = clock_.function(); }

  testing::ManualClock clock_;
  StorageContext context_;
  RetainedStore retained_{context_};
  SessionStore sessions_{context_, 3};
};

TEST(CompactStringTest, KeepsShortAndLongTextsWhole) {
  for (const std::string& text :
       {std::string(), std::string("c"), std::string(22, 'a'), std::string(23, 'b'),
        std::string(24, 'c'), std::string(200, 'd'), std::string("with\0nul", 8)}) {
    const CompactString compact(text);
    EXPECT_EQ(compact.view(), text) << text.size();
  }
}

TEST_F(StorageMqttStateTest, SessionKeepsItsClientIdOfAnyLength) {
  for (const std::string& id : {std::string(23, 'x'), std::string(24, 'y'), std::string()}) {
    auto opened = sessions_.open(id);
    EXPECT_EQ(opened.session->client_id(), id);
    EXPECT_EQ(sessions_.find(id), opened.session);
  }
  EXPECT_EQ(sessions_.client_ids(),
            (std::vector<std::string>{"", std::string(23, 'x'), std::string(24, 'y')}));
}

TEST_F(StorageMqttStateTest, RetainedSetReplaceGetAndClearWithEmptyPayload) {
  const TimePoint now = clock_.now();
  ASSERT_TRUE(retained_.set("sensors/1", retained("20C", now)).ok());
  ASSERT_TRUE(retained_.set("sensors/1", retained("21C", now, 0)).ok());
  auto message = retained_.get("sensors/1", now);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(*message->payload, "21C");
  EXPECT_EQ(message->qos, 0);
  EXPECT_EQ(retained_.size(), 1u);
  EXPECT_EQ(context_.budget.used(MemoryCategory::kRetained), 3u);

  ASSERT_TRUE(retained_.set("sensors/1", retained("", now)).ok());
  EXPECT_FALSE(retained_.get("sensors/1", now).has_value());
  EXPECT_EQ(retained_.size(), 0u);
  EXPECT_EQ(context_.budget.used(), 0u);
  EXPECT_FALSE(retained_.clear("sensors/1"));
}

TEST_F(StorageMqttStateTest, RetainedCollectWithPredicateAndExpiry) {
  const TimePoint now = clock_.now();
  ASSERT_TRUE(retained_.set("a/x", retained("1", now)).ok());
  ASSERT_TRUE(retained_.set("b/x", retained("2", now)).ok());
  RetainedMessage short_lived = retained("3", now);
  short_lived.expires_at = now + seconds(10);
  ASSERT_TRUE(retained_.set("a/y", short_lived).ok());

  auto starts_with_a = [](std::string_view topic) { return topic.starts_with("a/"); };
  auto matched = retained_.collect(starts_with_a, now);
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0].topic, "a/x");
  EXPECT_EQ(matched[1].topic, "a/y");

  const TimePoint later = now + seconds(11);
  EXPECT_EQ(retained_.collect(starts_with_a, later).size(), 1u);
  EXPECT_FALSE(retained_.get("a/y", later).has_value());
  EXPECT_EQ(retained_.remove_expired(later), 1u);
  EXPECT_EQ(retained_.size(), 2u);
}

TEST_F(StorageMqttStateTest, RetainedRespectsMemoryCap) {
  context_.budget.set_cap(5);
  const TimePoint now = clock_.now();
  ASSERT_TRUE(retained_.set("t", retained("1234", now)).ok());
  auto refused = retained_.set("u", retained("12", now));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
  EXPECT_TRUE(retained_.set("t", retained("12345", now)).ok());  // replacing counts the delta
}

TEST_F(StorageMqttStateTest, SessionSubscriptions) {
  auto opened = sessions_.open("client-1");
  EXPECT_TRUE(opened.created);
  EXPECT_FALSE(sessions_.open("client-1").created);
  auto& session = *opened.session;
  SubscriptionOptions options{1, true, false, 2, 42};
  EXPECT_TRUE(session.subscribe("a/+", options));
  options.qos = 2;
  EXPECT_FALSE(session.subscribe("a/+", options));
  EXPECT_TRUE(session.subscribe("b/#", {}));
  const SubscriptionMap subscriptions = session.subscriptions();
  ASSERT_EQ(subscriptions.size(), 2u);
  EXPECT_EQ(subscriptions.at("a/+").qos, 2);
  EXPECT_EQ(subscriptions.at("a/+").subscription_identifier, 42u);
  EXPECT_TRUE(session.unsubscribe("b/#"));
  EXPECT_FALSE(session.unsubscribe("b/#"));
}

TEST_F(StorageMqttStateTest, OfflineQueueCapDropsNewestAndCounts) {
  auto session = sessions_.open("c").session;  // cap 3, drop newest
  for (int i = 0; i < 5; ++i) {
    auto queued = session->enqueue_offline(offline(std::to_string(i)));
    ASSERT_TRUE(queued.ok());
    EXPECT_EQ(*queued, i < 3);
  }
  EXPECT_EQ(session->offline_count(), 3u);
  EXPECT_EQ(session->dropped_count(), 2u);
  const auto messages = session->take_offline();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(*messages[0].payload, "0");
  EXPECT_EQ(session->offline_count(), 0u);
  EXPECT_EQ(context_.budget.used(), 0u);
}

TEST_F(StorageMqttStateTest, OfflineQueueDropOldest) {
  SessionStore store(context_, 2, OfflineOverflow::kDropOldest);
  auto session = store.open("c").session;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(*session->enqueue_offline(offline(std::to_string(i))));
  EXPECT_EQ(session->dropped_count(), 2u);
  const auto messages = session->take_offline();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(*messages[0].payload, "2");
  EXPECT_EQ(*messages[1].payload, "3");
  session->set_offline_cap(0);
  EXPECT_FALSE(*session->enqueue_offline(offline("x")));
  EXPECT_EQ(store.stats().dropped_messages, 3u);
}

TEST_F(StorageMqttStateTest, OfflineQueueRespectsMemoryCap) {
  context_.budget.set_cap(10);
  auto session = sessions_.open("c").session;
  ASSERT_TRUE(session->enqueue_offline(offline("12345678")).ok());  // 1 + 8 bytes
  auto refused = session->enqueue_offline(offline("12"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
}

TEST_F(StorageMqttStateTest, SessionExpiryAndHook) {
  std::vector<std::string> hooked;
  sessions_.set_expiry_hook([&](const std::string& client_id) {
    hooked.push_back(client_id);
    EXPECT_EQ(sessions_.find(client_id), nullptr);  // called outside the lock
  });
  auto short_session = sessions_.open("short").session;
  short_session->set_expiry_interval(60);
  short_session->mark_disconnected(clock_.now());
  auto forever = sessions_.open("forever").session;
  forever->set_expiry_interval(kSessionNeverExpires);
  forever->mark_disconnected(clock_.now());
  auto connected = sessions_.open("connected").session;
  connected->set_expiry_interval(1);

  EXPECT_TRUE(sessions_.remove_expired(clock_.now() + seconds(59)).empty());
  const auto expired = sessions_.remove_expired(clock_.now() + seconds(60));
  EXPECT_EQ(expired, std::vector<std::string>{"short"});
  EXPECT_EQ(hooked, std::vector<std::string>{"short"});
  EXPECT_TRUE(short_session->deleted());
  EXPECT_EQ(short_session->enqueue_offline(offline("x")).code(), ErrorCode::kDeleted);
  EXPECT_EQ(sessions_.client_ids(), (std::vector<std::string>{"connected", "forever"}));
}

TEST_F(StorageMqttStateTest, BrokerStateAndRemove) {
  auto session = sessions_.open("c").session;
  session->set_broker_state(make_bytes("inflight:1,2"));
  EXPECT_EQ(*sessions_.find("c")->broker_state(), "inflight:1,2");
  ASSERT_TRUE(session->enqueue_offline(offline("x")).ok());
  EXPECT_TRUE(sessions_.remove("c"));
  EXPECT_FALSE(sessions_.remove("c"));
  EXPECT_EQ(context_.budget.used(), 0u);
  EXPECT_EQ(sessions_.size(), 0u);
}

}  // namespace
}  // namespace mockforge::storage
