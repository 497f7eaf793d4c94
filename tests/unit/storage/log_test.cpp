#include "core/storage/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/storage/test_clock.h"

namespace mockforge::storage {
namespace {

using std::chrono::milliseconds;

class StorageLogTest : public ::testing::Test {
 protected:
  StorageLogTest() { context_.clock = clock_.function(); }

  std::shared_ptr<Partition> make_partition(ConfigMap configs = {}, int32_t partitions = 1) {
    auto topic = store_.create_topic("orders", partitions, std::move(configs));
    EXPECT_TRUE(topic.ok()) << topic.error().message;
    return (*topic)->partition(0);
  }

  testing::ManualClock clock_;
  StorageContext context_;
  LogStore store_{context_};
};

TEST_F(StorageLogTest, AppendAssignsConsecutiveBaseOffsets) {
  auto partition = make_partition();
  EXPECT_EQ(*partition->append("aaaa", 3, 10), 0);
  EXPECT_EQ(*partition->append("bb", 2, 11), 3);
  EXPECT_EQ(*partition->append("c", 1, 12), 5);
  EXPECT_EQ(partition->high_watermark(), 6);
  EXPECT_EQ(partition->log_start_offset(), 0);
  EXPECT_EQ(partition->stats().size_bytes, 7u);
}

TEST_F(StorageLogTest, AppendRejectsNonPositiveRecordCount) {
  auto partition = make_partition();
  auto result = partition->append("x", 0, 1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), ErrorCode::kInvalidArgument);
}

TEST_F(StorageLogTest, MutatorSeesAssignedOffsetUnderLock) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("first", 4, 1).ok());
  auto result = partition->append("offset=?", 1, 2, [](std::span<uint8_t> bytes, int64_t base) {
    // The mutator rewrites the stored copy in place (Kafka's base offset field).
    ASSERT_EQ(bytes.size(), 8u);
    bytes[7] = static_cast<uint8_t>('0' + base);
  });
  ASSERT_TRUE(result.ok());
  auto read = partition->read(4, 1024);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->batches.size(), 1u);
  EXPECT_EQ(read->batches[0].bytes.view(), "offset=4");
}

TEST_F(StorageLogTest, ReadFromMiddleOfBatchReturnsContainingBatch) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("batch0", 5, 1).ok());  // offsets 0..4
  ASSERT_TRUE(partition->append("batch1", 5, 2).ok());  // offsets 5..9
  auto read = partition->read(7, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->batches.size(), 1u);
  EXPECT_EQ(read->batches[0].base_offset, 5);
  EXPECT_EQ(read->batches[0].record_count, 5);
  EXPECT_EQ(read->batches[0].bytes.view(), "batch1");
  EXPECT_EQ(read->high_watermark, 10);

  read = partition->read(3, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->batches.size(), 2u);
  EXPECT_EQ(read->batches[0].base_offset, 0);
}

TEST_F(StorageLogTest, ReadHonoursMaxBytesButReturnsAtLeastOneBatch) {
  auto partition = make_partition();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(partition->append(std::string(100, 'x'), 1, i).ok());
  auto read = partition->read(0, 250);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->batches.size(), 2u);
  read = partition->read(0, 10);  // smaller than one batch
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->batches.size(), 1u);
  read = partition->read(0, 0);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->batches.size(), 1u);
}

TEST_F(StorageLogTest, ReadAtHighWatermarkIsEmptyAndBeyondIsOutOfRange) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("a", 2, 1).ok());
  auto at_end = partition->read(2, 100);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->batches.empty());
  auto beyond = partition->read(3, 100);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.code(), ErrorCode::kOffsetOutOfRange);
  EXPECT_NE(beyond.error().message.find("orders-0"), std::string::npos);
  EXPECT_EQ(partition->read(-1, 100).code(), ErrorCode::kOffsetOutOfRange);
}

TEST_F(StorageLogTest, DeleteRecordsAdvancesLogStart) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("b0", 3, 1).ok());  // 0..2
  ASSERT_TRUE(partition->append("b1", 3, 2).ok());  // 3..5
  auto start = partition->delete_records(4);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, 4);
  EXPECT_EQ(partition->stats().batch_count, 1u);  // batch 0..2 dropped, 3..5 straddles
  EXPECT_EQ(partition->read(3, 100).code(), ErrorCode::kOffsetOutOfRange);
  auto read = partition->read(4, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->log_start_offset, 4);
  EXPECT_EQ(read->batches[0].base_offset, 3);

  EXPECT_EQ(*partition->delete_records(1), 4);  // below start: no-op
  EXPECT_EQ(partition->delete_records(7).code(), ErrorCode::kOffsetOutOfRange);
  EXPECT_EQ(*partition->delete_records(Partition::kDeleteToHighWatermark), 6);
  EXPECT_EQ(partition->stats().batch_count, 0u);
  EXPECT_EQ(context_.budget.used(), 0u);
  EXPECT_EQ(*partition->append("b2", 1, 3), 6);
}

TEST_F(StorageLogTest, RetentionByBytesDropsOldestBatches) {
  auto partition = make_partition({{"retention.bytes", "250"}});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(partition->append(std::string(100, 'x'), 2, i).ok());
  const PartitionStats stats = partition->stats();
  EXPECT_EQ(stats.size_bytes, 200u);
  EXPECT_EQ(stats.log_start_offset, 6);
  EXPECT_EQ(stats.high_watermark, 10);
  EXPECT_EQ(context_.budget.used(MemoryCategory::kLogs), 200u);
}

TEST_F(StorageLogTest, RetentionByTimeOnAppendAndExplicitEnforce) {
  auto partition = make_partition({{"retention.ms", "1000"}});
  const int64_t now = clock_.now_millis();
  ASSERT_TRUE(partition->append("old", 1, now - 5000).ok());
  // Applied on append: the old batch is already gone.
  ASSERT_TRUE(partition->append("new", 1, now).ok());
  EXPECT_EQ(partition->log_start_offset(), 1);
  // Explicit enforcement with a later clock removes everything.
  EXPECT_EQ(store_.enforce_retention(now + 1001), 3u);
  EXPECT_EQ(partition->log_start_offset(), 2);
  EXPECT_EQ(partition->stats().batch_count, 0u);
  EXPECT_TRUE(partition->read(2, 10)->batches.empty());
}

TEST_F(StorageLogTest, EngineDefaultRetentionAppliesUnlessTheTopicSetsItsOwn) {
  context_.default_retention_bytes = 250;
  auto defaulted = make_partition();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(defaulted->append(std::string(100, 'x'), 1, i).ok());
  EXPECT_EQ(defaulted->stats().size_bytes, 200u);
  EXPECT_EQ(defaulted->log_start_offset(), 3);

  // A topic's own retention.bytes wins, and -1 means unlimited as in Kafka.
  auto own = store_.create_topic("unlimited", 1, {{"retention.bytes", "-1"}});
  ASSERT_TRUE(own.ok());
  auto partition = (*own)->partition(0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(partition->append(std::string(100, 'x'), 1, i).ok());
  EXPECT_EQ(partition->stats().size_bytes, 500u);
  EXPECT_EQ(partition->log_start_offset(), 0);
}

TEST_F(StorageLogTest, CompactOnlyCleanupPolicyKeepsEverything) {
  context_.default_retention_bytes = 50;
  auto compacted = store_.create_topic("compacted", 1,
                                       {{"cleanup.policy", "compact"}, {"retention.bytes", "50"}});
  ASSERT_TRUE(compacted.ok());
  auto partition = (*compacted)->partition(0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(partition->append(std::string(100, 'x'), 1, i).ok());
  EXPECT_EQ(partition->log_start_offset(), 0);
  // With "delete" in the policy, retention applies again.
  ASSERT_TRUE((*compacted)->alter_configs({{"cleanup.policy", "compact,delete"}}).ok());
  partition->enforce_retention(clock_.now_millis());
  EXPECT_EQ(partition->log_start_offset(), 2);  // the newest batch is always kept
}

TEST_F(StorageLogTest, AlterConfigsChangesRetention) {
  auto partition = make_partition();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(partition->append(std::string(10, 'x'), 1, i).ok());
  auto topic = store_.find("orders");
  ASSERT_TRUE(topic->alter_configs({{"retention.bytes", "10"}}).ok());
  EXPECT_EQ(topic->config("retention.bytes"), "10");
  partition->enforce_retention(clock_.now_millis());
  EXPECT_EQ(partition->log_start_offset(), 2);
  EXPECT_EQ(topic->alter_configs({{"retention.ms", "soon"}}).code(), ErrorCode::kInvalidConfig);
}

TEST_F(StorageLogTest, TimestampLookupFindsFirstBatchAtOrAfter) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("a", 2, 100).ok());  // 0..1
  ASSERT_TRUE(partition->append("b", 2, 200).ok());  // 2..3
  ASSERT_TRUE(partition->append("c", 2, 300).ok());  // 4..5
  auto match = partition->find_by_timestamp(150);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->offset, 2);
  EXPECT_EQ(match->batch.bytes.view(), "b");
  EXPECT_EQ(partition->find_by_timestamp(0)->offset, 0);
  EXPECT_EQ(partition->find_by_timestamp(300)->offset, 4);
  EXPECT_FALSE(partition->find_by_timestamp(301).has_value());
  ASSERT_TRUE(partition->delete_records(1).ok());
  EXPECT_EQ(partition->find_by_timestamp(0)->offset, 1);
}

TEST_F(StorageLogTest, WaiterFiresWhenHighWatermarkPassesOffset) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("a", 2, 1).ok());
  std::vector<WaitOutcome> outcomes;
  const WaitToken token =
      partition->wait_for_data(2, [&](WaitOutcome outcome) { outcomes.push_back(outcome); });
  EXPECT_NE(token, kWaitFiredImmediately);
  EXPECT_EQ(partition->waiter_count(), 1u);
  EXPECT_TRUE(outcomes.empty());
  ASSERT_TRUE(partition->append("b", 1, 2).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0], WaitOutcome::kDataArrived);
  EXPECT_FALSE(partition->cancel_wait(token));  // already fired
  ASSERT_TRUE(partition->append("c", 1, 3).ok());
  EXPECT_EQ(outcomes.size(), 1u);  // one-shot
}

TEST_F(StorageLogTest, WaiterFiresImmediatelyWhenDataIsThere) {
  auto partition = make_partition();
  ASSERT_TRUE(partition->append("a", 2, 1).ok());
  int calls = 0;
  EXPECT_EQ(partition->wait_for_data(1, [&](WaitOutcome) { ++calls; }), kWaitFiredImmediately);
  EXPECT_EQ(calls, 1);
}

TEST_F(StorageLogTest, CancelledWaiterNeverFires) {
  auto partition = make_partition();
  int calls = 0;
  const WaitToken token = partition->wait_for_data(0, [&](WaitOutcome) { ++calls; });
  EXPECT_TRUE(partition->cancel_wait(token));
  EXPECT_FALSE(partition->cancel_wait(token));
  ASSERT_TRUE(partition->append("a", 1, 1).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(partition->waiter_count(), 0u);
}

TEST_F(StorageLogTest, WaiterCallbackMayCallBackIntoPartition) {
  auto partition = make_partition();
  std::size_t batches_seen = 0;
  partition->wait_for_data(0, [&](WaitOutcome) {
    batches_seen = partition->read(0, 1024)->batches.size();  // would deadlock under the lock
  });
  ASSERT_TRUE(partition->append("a", 1, 1).ok());
  EXPECT_EQ(batches_seen, 1u);
}

TEST_F(StorageLogTest, DeletingTopicWakesWaitersAndFailsWrites) {
  auto partition = make_partition();
  std::optional<WaitOutcome> outcome;
  partition->wait_for_data(0, [&](WaitOutcome value) { outcome = value; });
  ASSERT_TRUE(store_.delete_topic("orders").ok());
  EXPECT_EQ(outcome, WaitOutcome::kPartitionDeleted);
  EXPECT_EQ(partition->append("a", 1, 1).code(), ErrorCode::kDeleted);
  EXPECT_EQ(store_.find("orders"), nullptr);
  EXPECT_EQ(store_.delete_topic("orders").code(), ErrorCode::kUnknownTopic);
}

TEST_F(StorageLogTest, TopicManagement) {
  auto created = store_.create_topic("b-topic", 2, {{"cleanup.policy", "delete"}});
  ASSERT_TRUE(created.ok());
  const TopicId id = (*created)->id();
  EXPECT_FALSE(id.is_zero());
  EXPECT_EQ(id.to_hex().size(), 32u);
  ASSERT_TRUE(store_.create_topic("a-topic", 1).ok());

  EXPECT_EQ(store_.create_topic("b-topic", 1).code(), ErrorCode::kTopicAlreadyExists);
  EXPECT_EQ(store_.create_topic("bad name", 1).code(), ErrorCode::kInvalidName);
  EXPECT_EQ(store_.create_topic("zero", 0).code(), ErrorCode::kInvalidPartitions);
  // Found by kafka_session_fuzzer: CreateTopics for 0x7f7f7f7f partitions.
  EXPECT_EQ(store_.create_topic("huge", 0x7f7f7f7f).code(), ErrorCode::kInvalidPartitions);
  EXPECT_EQ(store_.create_topic("huge", kMaxPartitionsPerTopic + 1).code(),
            ErrorCode::kInvalidPartitions);
  EXPECT_EQ(store_.create_topic("cfg", 1, {{"retention.ms", "x"}}).code(),
            ErrorCode::kInvalidConfig);

  EXPECT_EQ(store_.find(id), *created);
  EXPECT_EQ(store_.find("b-topic"), *created);
  EXPECT_EQ(store_.find(TopicId{}), nullptr);
  const auto topics = store_.list();
  ASSERT_EQ(topics.size(), 2u);
  EXPECT_EQ(topics[0]->name(), "a-topic");
  EXPECT_EQ((*created)->config("cleanup.policy"), "delete");

  ASSERT_TRUE(store_.add_partitions("b-topic", 5).ok());
  EXPECT_EQ((*created)->partition_count(), 5);
  EXPECT_NE((*created)->partition(4), nullptr);
  EXPECT_EQ((*created)->partition(5), nullptr);
  EXPECT_EQ(store_.add_partitions("b-topic", 3).code(), ErrorCode::kInvalidPartitions);
  EXPECT_EQ(store_.add_partitions("b-topic", 0x7f7f7f7f).code(), ErrorCode::kInvalidPartitions);
  EXPECT_EQ(store_.add_partitions("nope", 3).code(), ErrorCode::kUnknownTopic);

  TopicId fixed;
  fixed.bytes[15] = 7;
  auto with_id = store_.create_topic("fixed", 1, {}, fixed);
  ASSERT_TRUE(with_id.ok());
  EXPECT_EQ((*with_id)->id(), fixed);
  EXPECT_EQ(store_.create_topic("fixed2", 1, {}, fixed).code(), ErrorCode::kTopicAlreadyExists);

  const LogStats stats = store_.stats();
  EXPECT_EQ(stats.topic_count, 3u);
  EXPECT_EQ(stats.partition_count, 7u);
}

TEST_F(StorageLogTest, MemoryCapRefusesAppend) {
  context_.budget.set_cap(100);
  auto partition = make_partition();
  ASSERT_TRUE(partition->append(std::string(60, 'x'), 1, 1).ok());
  EXPECT_FALSE(context_.budget.near_cap());
  ASSERT_TRUE(partition->append(std::string(35, 'x'), 1, 1).ok());
  EXPECT_TRUE(context_.budget.near_cap());
  auto refused = partition->append(std::string(10, 'x'), 1, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
  EXPECT_EQ(partition->high_watermark(), 2);  // no offset consumed
  ASSERT_TRUE(partition->delete_records(1).ok());
  EXPECT_TRUE(partition->append(std::string(10, 'x'), 1, 1).ok());
}

// Producers append on several threads while readers poll and long-poll
// waiters wake up; offsets must be dense and every record seen once.
TEST_F(StorageLogTest, ConcurrentAppendReadAndWait) {
  auto topic = *store_.create_topic("concurrent", 2);
  constexpr int kProducers = 3;
  constexpr int kBatchesPerProducer = 400;
  constexpr int64_t kTotalRecords = 2LL * kProducers * kBatchesPerProducer;

  std::vector<std::thread> threads;
  for (int producer = 0; producer < kProducers; ++producer) {
    threads.emplace_back([&, producer] {
      for (int i = 0; i < kBatchesPerProducer; ++i) {
        auto partition = topic->partition(i % 2);
        auto offset = partition->append(
            std::string(32, ' '), 2, i, [producer](std::span<uint8_t> bytes, int64_t base) {
              const auto text = std::to_string(producer) + ":" + std::to_string(base);
              std::memcpy(bytes.data(), text.data(), text.size());
            });
        ASSERT_TRUE(offset.ok());
      }
    });
  }
  std::atomic<int64_t> records_read{0};
  for (int reader = 0; reader < 2; ++reader) {
    threads.emplace_back([&, reader] {
      auto partition = topic->partition(reader);
      int64_t next = 0;
      while (next < kTotalRecords / 2) {
        auto read = partition->read(next, 4096);
        ASSERT_TRUE(read.ok());
        if (read->batches.empty()) {
          std::atomic<bool> woke{false};
          const WaitToken token = partition->wait_for_data(next, [&](WaitOutcome outcome) {
            EXPECT_EQ(outcome, WaitOutcome::kDataArrived);
            woke = true;
          });
          while (!woke) {
            if (token != kWaitFiredImmediately && partition->high_watermark() > next &&
                partition->cancel_wait(token)) {
              break;
            }
            std::this_thread::yield();
          }
          continue;
        }
        for (const BatchRef& batch : read->batches) {
          EXPECT_EQ(batch.base_offset, next);
          std::string bytes(batch.bytes.view());
          bytes.erase(bytes.find(' '));
          EXPECT_EQ(bytes.substr(bytes.find(':') + 1), std::to_string(batch.base_offset));
          next = batch.next_offset();
          records_read += batch.record_count;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(records_read.load(), kTotalRecords);
  EXPECT_EQ(topic->partition(0)->high_watermark() + topic->partition(1)->high_watermark(),
            kTotalRecords);
}

}  // namespace
}  // namespace mockforge::storage
