// The transaction coordinator without sockets or storage: ids and epochs per transactional id,
// fencing, the transaction states, timeouts, and the partition index (LSO, aborted list).
#include "brokers/kafka/broker/transaction_coordinator.h"

#include <gtest/gtest.h>

#include "brokers/kafka/broker/error_codes.h"

namespace mockforge::kafka {
namespace {

using namespace std::chrono_literals;

class TransactionCoordinatorTest : public ::testing::Test {
 protected:
  int64_t next_id = 1000;
  TransactionCoordinator txns{[this] { return next_id++; }, 900000ms};
  TxnClock::time_point t0 = TxnClock::now();
};

TEST_F(TransactionCoordinatorTest, InitAllocatesOnceThenBumpsTheEpoch) {
  auto first = txns.init_producer_id("tx", 60000, -1, -1);
  EXPECT_EQ(first.error_code, 0);
  EXPECT_EQ(first.producer_id, 1000);
  EXPECT_EQ(first.producer_epoch, 0);
  auto second = txns.init_producer_id("tx", 60000, -1, -1);
  EXPECT_EQ(second.producer_id, 1000);
  EXPECT_EQ(second.producer_epoch, 1);
  // Another transactional id gets its own producer id.
  EXPECT_EQ(txns.init_producer_id("other", 60000, -1, -1).producer_id, 1001);
  // A re-init naming the current id and epoch (KIP-360) bumps; a stale pair is fenced.
  auto resumed = txns.init_producer_id("tx", 60000, 1000, 1);
  EXPECT_EQ(resumed.producer_epoch, 2);
  EXPECT_EQ(txns.init_producer_id("tx", 60000, 1000, 1).error_code, error::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, InitChecksTheIdAndTheTimeout) {
  EXPECT_EQ(txns.init_producer_id("", 60000, -1, -1).error_code, error::kInvalidRequest);
  EXPECT_EQ(txns.init_producer_id("tx", 0, -1, -1).error_code, error::kInvalidTransactionTimeout);
  EXPECT_EQ(txns.init_producer_id("tx", 900001, -1, -1).error_code,
            error::kInvalidTransactionTimeout);
  EXPECT_EQ(txns.init_producer_id("tx", 900000, -1, -1).error_code, 0);
}

TEST_F(TransactionCoordinatorTest, CommitCarriesPartitionsAndStagedOffsets) {
  auto init = txns.init_producer_id("tx", 60000, -1, -1);
  const int64_t pid = init.producer_id;
  EXPECT_EQ(txns.end_transaction("tx", pid, 0, true).error_code, error::kInvalidTxnState);
  EXPECT_EQ(txns.check_produce(pid, 0, {"t", 0}), error::kInvalidTxnState);
  ASSERT_EQ(txns.add_partitions("tx", pid, 0, {{"t", 0}, {"t", 1}}, t0), 0);
  EXPECT_EQ(txns.check_produce(pid, 0, {"t", 0}), 0);
  EXPECT_EQ(txns.check_produce(pid, 0, {"t", 2}), error::kInvalidTxnState);
  // TxnOffsetCommit needs AddOffsetsToTxn first.
  EXPECT_EQ(txns.stage_offsets("tx", pid, 0, "g", {{{"in", 0}, {5, -1, std::nullopt}}}),
            error::kInvalidTxnState);
  ASSERT_EQ(txns.add_offsets("tx", pid, 0, "g", t0), 0);
  ASSERT_EQ(txns.stage_offsets("tx", pid, 0, "g", {{{"in", 0}, {5, -1, std::nullopt}}}), 0);
  auto end = txns.end_transaction("tx", pid, 0, true);
  ASSERT_EQ(end.error_code, 0);
  ASSERT_TRUE(end.completion);
  EXPECT_TRUE(end.completion->commit);
  EXPECT_EQ(end.completion->producer_id, pid);
  EXPECT_EQ(end.completion->producer_epoch, 0);
  EXPECT_EQ(end.completion->partitions.size(), 2u);
  ASSERT_EQ(end.completion->offsets.at("g").size(), 1u);
  EXPECT_EQ(end.completion->offsets.at("g")[0].second.offset, 5);
  // A retried commit succeeds with nothing to write; an abort now is refused.
  auto retry = txns.end_transaction("tx", pid, 0, true);
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_FALSE(retry.completion);
  EXPECT_EQ(txns.end_transaction("tx", pid, 0, false).error_code, error::kInvalidTxnState);
  EXPECT_EQ(txns.check_produce(pid, 0, {"t", 0}), error::kInvalidTxnState);
}

TEST_F(TransactionCoordinatorTest, ANewProducerFencesTheOldOneAndAbortsItsTransaction) {
  auto old_producer = txns.init_producer_id("tx", 60000, -1, -1);
  const int64_t pid = old_producer.producer_id;
  ASSERT_EQ(txns.add_partitions("tx", pid, 0, {{"t", 0}}, t0), 0);
  auto zombie_killer = txns.init_producer_id("tx", 60000, -1, -1);
  EXPECT_EQ(zombie_killer.producer_id, pid);
  EXPECT_EQ(zombie_killer.producer_epoch, 1);
  ASSERT_TRUE(zombie_killer.aborted);
  EXPECT_FALSE(zombie_killer.aborted->commit);
  EXPECT_EQ(zombie_killer.aborted->producer_epoch, 1);
  EXPECT_EQ(zombie_killer.aborted->partitions.size(), 1u);
  // Everything the old epoch tries is fenced.
  EXPECT_EQ(txns.add_partitions("tx", pid, 0, {{"t", 0}}, t0), error::kProducerFenced);
  EXPECT_EQ(txns.add_offsets("tx", pid, 0, "g", t0), error::kProducerFenced);
  EXPECT_EQ(txns.end_transaction("tx", pid, 0, true).error_code, error::kProducerFenced);
  EXPECT_EQ(txns.stage_offsets("tx", pid, 0, "g", {}), error::kInvalidProducerEpoch);
  EXPECT_EQ(txns.check_produce(pid, 0, {"t", 0}), error::kInvalidProducerEpoch);
  // Unknown ids and producer ids are INVALID_PRODUCER_ID_MAPPING.
  EXPECT_EQ(txns.add_partitions("nope", pid, 1, {{"t", 0}}, t0), error::kInvalidProducerIdMapping);
  EXPECT_EQ(txns.end_transaction("tx", pid + 7, 1, true).error_code,
            error::kInvalidProducerIdMapping);
}

TEST_F(TransactionCoordinatorTest, ExpiredTransactionsAreAbortedWithABumpedEpoch) {
  auto init = txns.init_producer_id("tx", 1000, -1, -1);
  ASSERT_EQ(txns.add_partitions("tx", init.producer_id, 0, {{"t", 0}}, t0), 0);
  EXPECT_TRUE(txns.expire(t0 + 999ms).empty());
  EXPECT_EQ(txns.open_transaction_count(), 1u);
  auto expired = txns.expire(t0 + 1001ms);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_FALSE(expired[0].commit);
  EXPECT_EQ(expired[0].producer_epoch, 1);
  EXPECT_EQ(txns.open_transaction_count(), 0u);
  EXPECT_EQ(txns.end_transaction("tx", init.producer_id, 0, true).error_code,
            error::kProducerFenced);
  EXPECT_TRUE(txns.expire(t0 + 5000ms).empty());
  // The timed-out producer may re-init naming its old epoch (KIP-360), once.
  auto recovered = txns.init_producer_id("tx", 1000, init.producer_id, 0);
  EXPECT_EQ(recovered.error_code, 0);
  EXPECT_EQ(recovered.producer_epoch, 2);
  EXPECT_EQ(txns.init_producer_id("tx", 1000, init.producer_id, 0).error_code,
            error::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, IndexGivesTheStableOffsetAndAbortedRanges) {
  const TopicPartitionKey key{"t", 0};
  EXPECT_EQ(txns.last_stable_offset(key, 10), 10);
  txns.transactional_append(key, 7, 10);
  txns.transactional_append(key, 7, 12);  // the first offset stays 10
  txns.transactional_append(key, 8, 11);
  EXPECT_EQ(txns.last_stable_offset(key, 13), 10);
  txns.marker_written(key, 7, false, 13);
  EXPECT_EQ(txns.last_stable_offset(key, 14), 11);
  txns.marker_written(key, 8, true, 14);
  EXPECT_EQ(txns.last_stable_offset(key, 15), 15);
  auto aborted = txns.aborted_transactions(key, 0, 15);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].producer_id, 7);
  EXPECT_EQ(aborted[0].first_offset, 10);
  EXPECT_EQ(aborted[0].last_offset, 13);
  EXPECT_TRUE(txns.aborted_transactions(key, 14, 15).empty());  // after its marker
  EXPECT_TRUE(txns.aborted_transactions(key, 0, 10).empty());   // before its first offset
  txns.forget_topic("t");
  EXPECT_TRUE(txns.aborted_transactions(key, 0, 15).empty());
}

TEST_F(TransactionCoordinatorTest, ResetDropsEverything) {
  auto init = txns.init_producer_id("tx", 60000, -1, -1);
  ASSERT_EQ(txns.add_partitions("tx", init.producer_id, 0, {{"t", 0}}, t0), 0);
  txns.transactional_append({"t", 0}, init.producer_id, 0);
  txns.reset();
  EXPECT_EQ(txns.transactional_id_count(), 0u);
  EXPECT_EQ(txns.last_stable_offset({"t", 0}, 3), 3);
  EXPECT_EQ(txns.end_transaction("tx", init.producer_id, 0, true).error_code,
            error::kInvalidProducerIdMapping);
}

}  // namespace
}  // namespace mockforge::kafka
