#include "core/storage/queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/storage/test_clock.h"

namespace mockforge::storage {
namespace {

using std::chrono::milliseconds;

Message make_message(std::string body, uint8_t priority = 0) {
  Message message;
  message.body = make_bytes(std::move(body));
  message.properties = make_bytes("props");
  message.exchange = "amq.direct";
  message.routing_key = "key";
  message.priority = priority;
  return message;
}

std::string body_of(const Message& message) { return *message.body; }

class StorageQueueTest : public ::testing::Test {
 protected:
  StorageQueueTest() { context_.clock = clock_.function(); }

  std::shared_ptr<Queue> declare(QueueOptions options = {}) {
    return registry_.declare("/", "q", std::move(options)).queue;
  }

  std::string pop_body(Queue& queue) {
    auto popped = queue.pop(clock_.now());
    return popped.delivery ? body_of(popped.delivery->message) : "<empty>";
  }

  testing::ManualClock clock_;
  StorageContext context_;
  QueueRegistry registry_{context_};
};

TEST_F(StorageQueueTest, FifoPopAckAndCounts) {
  auto queue = declare();
  for (const char* body : {"a", "b", "c"}) ASSERT_TRUE(queue->push(make_message(body)).ok());
  EXPECT_EQ(queue->ready_count(), 3u);

  auto first = queue->pop(clock_.now());
  ASSERT_TRUE(first.delivery.has_value());
  EXPECT_EQ(body_of(first.delivery->message), "a");
  EXPECT_EQ(first.delivery->message.delivery_count, 1u);
  EXPECT_FALSE(first.delivery->message.redelivered);
  EXPECT_EQ(pop_body(*queue), "b");

  QueueStats stats = queue->stats();
  EXPECT_EQ(stats.ready_count, 1u);
  EXPECT_EQ(stats.unacked_count, 2u);
  EXPECT_EQ(stats.ready_body_bytes, 1u);
  EXPECT_EQ(stats.stored_bytes, 3 * (1u + 5u + 10u + 3u));
  EXPECT_EQ(context_.budget.used(MemoryCategory::kQueues), stats.stored_bytes);

  EXPECT_TRUE(queue->ack(first.delivery->id));
  EXPECT_FALSE(queue->ack(first.delivery->id));
  EXPECT_EQ(queue->unacked_count(), 1u);
  EXPECT_EQ(pop_body(*queue), "c");
  EXPECT_EQ(pop_body(*queue), "<empty>");
}

TEST_F(StorageQueueTest, PrioritiesHigherFirstFifoWithin) {
  QueueOptions options;
  options.max_priority = 5;
  auto queue = declare(options);
  ASSERT_TRUE(queue->push(make_message("low-1", 1)).ok());
  ASSERT_TRUE(queue->push(make_message("high-1", 4)).ok());
  ASSERT_TRUE(queue->push(make_message("low-2", 1)).ok());
  ASSERT_TRUE(queue->push(make_message("capped", 9)).ok());  // treated as 5
  ASSERT_TRUE(queue->push(make_message("high-2", 4)).ok());
  ASSERT_TRUE(queue->push(make_message("none", 0)).ok());
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(pop_body(*queue));
  EXPECT_EQ(order,
            (std::vector<std::string>{"capped", "high-1", "high-2", "low-1", "low-2", "none"}));
}

TEST_F(StorageQueueTest, PeekShowsReadyMessagesInPopOrderWithoutTakingThem) {
  QueueOptions options;
  options.max_priority = 5;
  auto queue = declare(options);
  ASSERT_TRUE(queue->push(make_message("low", 1)).ok());
  ASSERT_TRUE(queue->push(make_message("high", 4)).ok());
  ASSERT_TRUE(queue->push(make_message("next", 1)).ok());
  EXPECT_EQ(pop_body(*queue), "high");  // unacked: not peeked
  std::vector<std::string> peeked;
  for (const auto& message : queue->peek(10)) peeked.push_back(body_of(message));
  EXPECT_EQ(peeked, (std::vector<std::string>{"low", "next"}));
  EXPECT_EQ(queue->peek(1).size(), 1u);
  EXPECT_EQ(queue->ready_count(), 2u);
  EXPECT_EQ(queue->unacked_count(), 1u);
  EXPECT_EQ(pop_body(*queue), "low");
}

TEST_F(StorageQueueTest, PriorityIgnoredWithoutMaxPriority) {
  auto queue = declare();
  ASSERT_TRUE(queue->push(make_message("a", 0)).ok());
  ASSERT_TRUE(queue->push(make_message("b", 9)).ok());
  EXPECT_EQ(pop_body(*queue), "a");
}

TEST_F(StorageQueueTest, RequeueReturnsToOriginalPosition) {
  auto queue = declare();
  for (const char* body : {"a", "b", "c", "d"}) ASSERT_TRUE(queue->push(make_message(body)).ok());
  auto a = queue->pop(clock_.now()).delivery;
  auto b = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(queue->requeue(b->id));
  EXPECT_TRUE(queue->requeue(a->id));
  EXPECT_FALSE(queue->requeue(a->id));

  auto again = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(body_of(again->message), "a");
  EXPECT_TRUE(again->message.redelivered);
  EXPECT_EQ(again->message.delivery_count, 2u);
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(pop_body(*queue), "b");
  EXPECT_EQ(pop_body(*queue), "c");
  EXPECT_EQ(pop_body(*queue), "d");
}

TEST_F(StorageQueueTest, RequeueToTheBackGoesBehindEveryReadyMessage) {
  auto queue = declare();
  for (const char* body : {"a", "b", "c"}) ASSERT_TRUE(queue->push(make_message(body)).ok());
  auto a = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(a);
  RequeueResult requeued = queue->requeue(a->id, RequeuePlace::kBack, std::nullopt);
  EXPECT_TRUE(requeued.found);
  EXPECT_FALSE(requeued.over_limit);
  EXPECT_FALSE(queue->requeue(a->id, RequeuePlace::kBack, std::nullopt).found);
  ASSERT_TRUE(queue->push(make_message("d")).ok());  // after the requeue: behind it
  EXPECT_EQ(queue->ready_count(), 4u);
  EXPECT_EQ(pop_body(*queue), "b");
  EXPECT_EQ(pop_body(*queue), "c");
  auto again = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(again);
  EXPECT_EQ(body_of(again->message), "a");
  EXPECT_TRUE(again->message.redelivered);
  EXPECT_EQ(again->message.delivery_count, 2u);
  EXPECT_EQ(pop_body(*queue), "d");
}

TEST_F(StorageQueueTest, RequeuePastTheDeliveryLimitRemovesTheMessage) {
  auto queue = declare();
  ASSERT_TRUE(queue->push(make_message("poison")).ok());
  ASSERT_TRUE(queue->push(make_message("next")).ok());
  // A limit of 2 allows three deliveries: returned after the third, it leaves.
  for (int delivery = 1; delivery <= 2; ++delivery) {
    auto popped = queue->pop(clock_.now()).delivery;
    ASSERT_TRUE(popped);
    EXPECT_EQ(body_of(popped->message), "poison");
    RequeueResult requeued = queue->requeue(popped->id, RequeuePlace::kOriginal, 2u);
    EXPECT_TRUE(requeued.found);
    EXPECT_FALSE(requeued.over_limit);
  }
  auto third = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(third);
  EXPECT_EQ(third->message.delivery_count, 3u);
  const uint64_t stored_before = queue->stats().stored_bytes;
  RequeueResult requeued = queue->requeue(third->id, RequeuePlace::kOriginal, 2u);
  EXPECT_TRUE(requeued.found);
  ASSERT_TRUE(requeued.over_limit);
  EXPECT_EQ(body_of(*requeued.over_limit), "poison");
  EXPECT_EQ(queue->unacked_count(), 0u);
  EXPECT_EQ(queue->ready_count(), 1u);
  EXPECT_LT(queue->stats().stored_bytes, stored_before);
  EXPECT_EQ(pop_body(*queue), "next");
}

TEST_F(StorageQueueTest, RemoveReturnsMessageForDeadLettering) {
  auto queue = declare();
  ASSERT_TRUE(queue->push(make_message("poison")).ok());
  auto delivery = queue->pop(clock_.now()).delivery;
  auto removed = queue->remove(delivery->id);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(body_of(*removed), "poison");
  EXPECT_EQ(removed->routing_key, "key");
  EXPECT_FALSE(queue->remove(delivery->id).has_value());
  EXPECT_EQ(queue->stats().stored_bytes, 0u);
  EXPECT_EQ(context_.budget.used(), 0u);
}

TEST_F(StorageQueueTest, PurgeRemovesReadyOnly) {
  auto queue = declare();
  for (const char* body : {"a", "b", "c"}) ASSERT_TRUE(queue->push(make_message(body)).ok());
  auto delivery = queue->pop(clock_.now()).delivery;
  EXPECT_EQ(queue->purge(), 2u);
  EXPECT_EQ(queue->ready_count(), 0u);
  EXPECT_EQ(queue->unacked_count(), 1u);
  EXPECT_TRUE(queue->ack(delivery->id));
  EXPECT_EQ(context_.budget.used(), 0u);
}

TEST_F(StorageQueueTest, PerQueueTtlExpiresFromHead) {
  QueueOptions options;
  options.message_ttl = milliseconds(1000);
  auto queue = declare(options);
  ASSERT_TRUE(queue->push(make_message("first")).ok());
  clock_.advance(milliseconds(500));
  ASSERT_TRUE(queue->push(make_message("second")).ok());
  EXPECT_EQ(queue->next_expiry(), clock_.now() + milliseconds(500));

  clock_.advance(milliseconds(600));  // first expired, second not yet
  auto expired = queue->expire(clock_.now());
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(body_of(expired[0]), "first");
  EXPECT_EQ(queue->ready_count(), 1u);
  EXPECT_EQ(queue->next_expiry(), clock_.now() + milliseconds(400));
}

TEST_F(StorageQueueTest, PerMessageTtlOnlyExpiresAtHead) {
  auto queue = declare();
  Message long_lived = make_message("long");
  long_lived.ttl = milliseconds(10'000);
  Message short_lived = make_message("short");
  short_lived.ttl = milliseconds(10);
  ASSERT_TRUE(queue->push(long_lived).ok());
  ASSERT_TRUE(queue->push(short_lived).ok());
  clock_.advance(milliseconds(100));
  // "short" has expired but is behind a live head: RabbitMQ keeps it.
  EXPECT_TRUE(queue->expire(clock_.now()).empty());
  EXPECT_EQ(queue->ready_count(), 2u);
  // Once the head is taken "short" is the head: it goes with the same pop (as
  // RabbitMQ's fetch), so the remaining count leaves it out.
  auto first = queue->pop(clock_.now());
  EXPECT_EQ(body_of(first.delivery->message), "long");
  ASSERT_EQ(first.expired.size(), 1u);
  EXPECT_EQ(body_of(first.expired[0]), "short");
  EXPECT_EQ(queue->ready_count(), 0u);
  auto second = queue->pop(clock_.now());
  EXPECT_FALSE(second.delivery.has_value());
  EXPECT_TRUE(second.expired.empty());
}

TEST_F(StorageQueueTest, ShorterOfQueueAndMessageTtlWins) {
  QueueOptions options;
  options.message_ttl = milliseconds(50);
  auto queue = declare(options);
  Message message = make_message("m");
  message.ttl = milliseconds(5000);
  ASSERT_TRUE(queue->push(message).ok());
  EXPECT_EQ(queue->next_expiry(), clock_.now() + milliseconds(50));
}

TEST_F(StorageQueueTest, MaxLengthDropHead) {
  QueueOptions options;
  options.max_length = 2;
  auto queue = declare(options);
  ASSERT_EQ(queue->push(make_message("a"))->status, PushStatus::kAccepted);
  ASSERT_EQ(queue->push(make_message("b"))->status, PushStatus::kAccepted);
  auto result = queue->push(make_message("c"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, PushStatus::kDroppedHead);
  ASSERT_EQ(result->dropped.size(), 1u);
  EXPECT_EQ(body_of(result->dropped[0]), "a");
  EXPECT_EQ(queue->ready_count(), 2u);
  EXPECT_EQ(pop_body(*queue), "b");
}

TEST_F(StorageQueueTest, MaxLengthRejectPublish) {
  QueueOptions options;
  options.max_length = 2;
  options.overflow = OverflowMode::kRejectPublish;
  auto queue = declare(options);
  ASSERT_EQ(queue->push(make_message("a"))->status, PushStatus::kAccepted);
  ASSERT_EQ(queue->push(make_message("b"))->status, PushStatus::kAccepted);
  auto result = queue->push(make_message("c"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, PushStatus::kRejected);
  EXPECT_EQ(queue->ready_count(), 2u);
  // Unacked messages do not count towards the limit.
  queue->pop(clock_.now());
  EXPECT_EQ(queue->push(make_message("d"))->status, PushStatus::kAccepted);
}

TEST_F(StorageQueueTest, MaxLengthBytesBothModes) {
  QueueOptions drop;
  drop.max_length_bytes = 10;
  auto dropping = registry_.declare("/", "drop", drop).queue;
  ASSERT_EQ(dropping->push(make_message("12345"))->status, PushStatus::kAccepted);
  ASSERT_EQ(dropping->push(make_message("1234"))->status, PushStatus::kAccepted);
  auto result = dropping->push(make_message("1234567"));
  EXPECT_EQ(result->status, PushStatus::kDroppedHead);
  EXPECT_EQ(result->dropped.size(), 2u);  // 16 bytes: both older messages go
  EXPECT_EQ(dropping->stats().ready_body_bytes, 7u);

  QueueOptions reject = drop;
  reject.overflow = OverflowMode::kRejectPublish;
  auto rejecting = registry_.declare("/", "reject", reject).queue;
  ASSERT_EQ(rejecting->push(make_message("12345678"))->status, PushStatus::kAccepted);
  EXPECT_EQ(rejecting->push(make_message("123"))->status, PushStatus::kRejected);
  EXPECT_EQ(rejecting->push(make_message("12"))->status, PushStatus::kAccepted);
}

TEST_F(StorageQueueTest, MaxLengthZeroDropsThePushedMessage) {
  QueueOptions options;
  options.max_length = 0;
  auto queue = declare(options);
  auto result = queue->push(make_message("gone"));
  EXPECT_EQ(result->status, PushStatus::kDroppedHead);
  ASSERT_EQ(result->dropped.size(), 1u);
  EXPECT_EQ(body_of(result->dropped[0]), "gone");
  EXPECT_EQ(queue->ready_count(), 0u);
}

TEST_F(StorageQueueTest, MemoryCapRefusesPush) {
  context_.budget.set_cap(40);
  auto queue = declare();
  ASSERT_TRUE(queue->push(make_message("0123456789")).ok());  // 10+5+10+3 = 28 bytes
  auto refused = queue->push(make_message("0123456789"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
  EXPECT_EQ(queue->ready_count(), 1u);
}

TEST_F(StorageQueueTest, AvailableListenerFiresOutsideLock) {
  auto queue = declare();
  int notifications = 0;
  uint64_t seen_ready = 0;
  const ListenerToken token = queue->add_available_listener([&] {
    ++notifications;
    seen_ready = queue->ready_count();  // would deadlock if called under the lock
  });
  ASSERT_TRUE(queue->push(make_message("a")).ok());
  EXPECT_EQ(notifications, 1);
  EXPECT_EQ(seen_ready, 1u);
  auto delivery = queue->pop(clock_.now()).delivery;
  EXPECT_TRUE(queue->requeue(delivery->id));
  EXPECT_EQ(notifications, 2);
  EXPECT_TRUE(queue->remove_available_listener(token));
  ASSERT_TRUE(queue->push(make_message("b")).ok());
  EXPECT_EQ(notifications, 2);
}

TEST_F(StorageQueueTest, RegistryDeclareFindRemoveList) {
  auto first = registry_.declare("/", "jobs", {});
  EXPECT_TRUE(first.created);
  QueueOptions other;
  other.max_priority = 3;
  auto again = registry_.declare("/", "jobs", other);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.queue, first.queue);
  EXPECT_EQ(again.queue->options().max_priority, 0);
  registry_.declare("other", "jobs", {});
  registry_.declare("/", "audit", {});

  EXPECT_EQ(registry_.find("/", "jobs"), first.queue);
  EXPECT_EQ(registry_.find("nope", "jobs"), nullptr);
  EXPECT_EQ(registry_.list().size(), 3u);
  const auto root = registry_.list("/");
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0]->name(), "audit");

  ASSERT_TRUE(first.queue->push(make_message("x")).ok());
  EXPECT_EQ(registry_.remove("/", "jobs"), 1u);
  EXPECT_EQ(registry_.remove("/", "jobs"), std::nullopt);
  EXPECT_EQ(first.queue->push(make_message("y")).code(), ErrorCode::kDeleted);
  EXPECT_EQ(context_.budget.used(), 0u);
  EXPECT_EQ(registry_.stats().queue_count, 2u);
}

TEST_F(StorageQueueTest, ConcurrentPublishersAndConsumers) {
  auto queue = declare();
  constexpr int kPublishers = 2;
  constexpr int kPerPublisher = 2000;
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int publisher = 0; publisher < kPublishers; ++publisher) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerPublisher; ++i) ASSERT_TRUE(queue->push(make_message("m")).ok());
    });
  }
  for (int consumer = 0; consumer < 2; ++consumer) {
    threads.emplace_back([&] {
      while (consumed.load() < kPublishers * kPerPublisher) {
        auto popped = queue->pop(clock_.now());
        if (!popped.delivery) {
          std::this_thread::yield();
          continue;
        }
        if (popped.delivery->id % 7 == 0 && !popped.delivery->message.redelivered) {
          ASSERT_TRUE(queue->requeue(popped.delivery->id));
          continue;
        }
        ASSERT_TRUE(queue->ack(popped.delivery->id));
        ++consumed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(consumed.load(), kPublishers * kPerPublisher);
  EXPECT_EQ(queue->ready_count() + queue->unacked_count(), 0u);
  EXPECT_EQ(context_.budget.used(), 0u);
}

}  // namespace
}  // namespace mockforge::storage
