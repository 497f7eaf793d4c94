#pragma once

// Kafka transactions (KIP-98): the transaction coordinator's state per
// transactional id, and the per-partition transaction index that Fetch and
// ListOffsets read (last stable offset, aborted transactions).
//
// No I/O and no timers: callers pass the time, and the service calls expire()
// periodically. Ending a transaction returns a TransactionCompletion (the
// partitions that need a marker and the offsets to commit); the caller writes
// the markers to storage and reports each one with marker_written(), so the
// coordinator never touches storage itself.
//
// Locks: the transactional-id state and the partition index each have their
// own lock, and no method holds one while taking the other or calling out
// (but for `allocate_id`, which must take no lock of ours or the append lock).
// Produce calls check_produce() and transactional_append() while holding the
// producers' append lock; marker writers take that lock after end_transaction()
// or expire() returned, so the order is always append lock, then ours.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brokers/kafka/broker/group_coordinator.h"

namespace mockforge::kafka {

using TxnClock = std::chrono::steady_clock;

// Kafka's states but PrepareCommit/PrepareAbort, which a transaction here passes through
// within one EndTxn (its markers are written before the next request is read).
enum class TxnState { kEmpty, kOngoing, kCompleteCommit, kCompleteAbort };
// Kafka's name of a state ("Empty", "Ongoing", "CompleteCommit", "CompleteAbort").
std::string_view txn_state_name(TxnState state);
// Whether Kafka has a transaction state of that name (also PrepareCommit, PrepareAbort,
// PrepareEpochFence and Dead, which never last here).
bool is_kafka_txn_state_name(std::string_view name);

// A transactional id as DescribeTransactions and ListTransactions report it.
struct TransactionDescription {
  std::string transactional_id;
  TxnState state = TxnState::kEmpty;
  int32_t timeout_ms = 0;
  int64_t start_time_ms = -1;  // wall clock; -1 before the first transaction began
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::set<TopicPartitionKey> partitions;  // of the ongoing transaction
};

// What ending a transaction (EndTxn, a timeout, a re-init) leaves to do.
struct TransactionCompletion {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;  // the epoch the markers carry (bumped on timeout / re-init)
  bool commit = false;
  std::set<TopicPartitionKey> partitions;
  // group id -> offsets, committed to the groups only when `commit`.
  std::map<std::string, std::vector<std::pair<TopicPartitionKey, CommittedOffset>>> offsets;
};

struct InitProducerIdResult {
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // An ongoing transaction of the previous epoch, aborted by this init.
  std::optional<TransactionCompletion> aborted;
};

struct EndTxnResult {
  int16_t error_code = 0;
  std::optional<TransactionCompletion> completion;  // nullopt: nothing to write (retry)
};

// An aborted transaction as Fetch reports it: the producer and the first
// offset it wrote; last_offset is its abort marker.
struct AbortedTransaction {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
};

class TransactionCoordinator {
 public:
  using IdAllocator = std::function<int64_t()>;

  // `allocate_id` hands out producer ids (shared with idempotent producers);
  // `max_timeout` is kafka.transaction_max_timeout (Kafka's
  // transaction.max.timeout.ms).
  TransactionCoordinator(IdAllocator allocate_id, std::chrono::milliseconds max_timeout);

  // InitProducerId with a transactional id. `producer_id`/`epoch` are -1 or
  // the caller's current ones (v3+). Errors: INVALID_REQUEST (empty id),
  // INVALID_TRANSACTION_TIMEOUT, PRODUCER_FENCED (a stale id/epoch pair).
  InitProducerIdResult init_producer_id(const std::string& transactional_id, int32_t timeout_ms,
                                        int64_t producer_id, int16_t epoch);

  // AddPartitionsToTxn: 0 or INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED /
  // INVALID_REQUEST, for every partition alike.
  int16_t add_partitions(const std::string& transactional_id, int64_t producer_id, int16_t epoch,
                         const std::vector<TopicPartitionKey>& partitions,
                         TxnClock::time_point now);
  // AddOffsetsToTxn: the group's offsets will be committed with the transaction.
  int16_t add_offsets(const std::string& transactional_id, int64_t producer_id, int16_t epoch,
                      const std::string& group_id, TxnClock::time_point now);
  // TxnOffsetCommit: holds the offsets until the transaction ends. The group
  // must have been added by AddOffsetsToTxn (else INVALID_TXN_STATE).
  int16_t stage_offsets(const std::string& transactional_id, int64_t producer_id, int16_t epoch,
                        const std::string& group_id,
                        const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets);
  // EndTxn. Errors: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
  // INVALID_TXN_STATE (nothing to end, or the other outcome was chosen).
  EndTxnResult end_transaction(const std::string& transactional_id, int64_t producer_id,
                               int16_t epoch, bool commit);

  // Produce of a transactional batch: 0 when (producer, epoch) has an ongoing
  // transaction holding the partition; INVALID_PRODUCER_EPOCH for an old
  // epoch, INVALID_TXN_STATE otherwise.
  int16_t check_produce(int64_t producer_id, int16_t epoch,
                        const TopicPartitionKey& partition) const;

  // Aborts, with a bumped epoch, every ongoing transaction older than its
  // timeout (Kafka's transaction timeout). The completions are for the caller
  // to write.
  std::vector<TransactionCompletion> expire(TxnClock::time_point now);

  // --- The partition index (what Fetch and ListOffsets read) ---
  // A transactional batch of `producer_id` was appended at `base_offset`.
  void transactional_append(const TopicPartitionKey& partition, int64_t producer_id,
                            int64_t base_offset);
  // The marker of `producer_id` was appended at `marker_offset`.
  void marker_written(const TopicPartitionKey& partition, int64_t producer_id, bool commit,
                      int64_t marker_offset);
  // The first offset `producer_id` wrote in its open transaction on the
  // partition; nullopt when it has none there.
  std::optional<int64_t> open_first_offset(const TopicPartitionKey& partition,
                                           int64_t producer_id) const;
  // The first offset of the oldest open transaction, or `high_watermark`.
  int64_t last_stable_offset(const TopicPartitionKey& partition, int64_t high_watermark) const;
  // Aborted transactions overlapping [from, to): marker at or after `from`,
  // first offset before `to`, by first offset.
  std::vector<AbortedTransaction> aborted_transactions(const TopicPartitionKey& partition,
                                                       int64_t from, int64_t to) const;
  // A deleted topic's index entries.
  void forget_topic(const std::string& topic);

  // DescribeTransactions: nullopt for an unknown transactional id.
  std::optional<TransactionDescription> describe(const std::string& transactional_id) const;
  // ListTransactions: every transactional id, by id.
  std::vector<TransactionDescription> list() const;
  // DescribeProducers: the first offset of `producer_id`'s open transaction on the
  // partition, or -1.
  int64_t open_transaction_start(const TopicPartitionKey& partition, int64_t producer_id) const;

  // Transactional ids known, and how many have a transaction open.
  std::size_t transactional_id_count() const;
  std::size_t open_transaction_count() const;
  std::chrono::milliseconds max_timeout() const { return max_timeout_; }

  // Drops every transaction and the index (storage was reset): open
  // transactions are gone with the data they wrote.
  void reset();

 private:
  struct Transaction {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    // The epoch before a timeout bumped it (Kafka's lastProducerEpoch): its
    // producer may still re-init with it (KIP-360). -1: none.
    int16_t last_epoch = -1;
    int32_t timeout_ms = 60000;
    TxnState state = TxnState::kEmpty;
    TxnClock::time_point started{};
    int64_t started_ms = -1;  // `started` on the wall clock, for DescribeTransactions
    std::set<TopicPartitionKey> partitions;
    std::set<std::string> groups;
    std::map<std::string, std::map<TopicPartitionKey, CommittedOffset>> offsets;
  };
  struct PartitionIndex {
    std::map<int64_t, int64_t> open;  // producer id -> first offset in the open transaction
    std::vector<AbortedTransaction> aborted;
  };

  // 0, or the error for a request naming (producer_id, epoch).
  static int16_t validate(const Transaction* txn, int64_t producer_id, int16_t epoch);
  Transaction* find_locked(const std::string& transactional_id);
  // Closes an ongoing transaction: state, and the completion to write.
  static TransactionCompletion complete_locked(const std::string& transactional_id,
                                               Transaction& txn, bool commit);
  void begin_locked(Transaction& txn, TxnClock::time_point now);
  static TransactionDescription describe_locked(const std::string& transactional_id,
                                                const Transaction& txn);

  IdAllocator allocate_id_;
  const std::chrono::milliseconds max_timeout_;
  mutable std::mutex mutex_;
  std::map<std::string, Transaction> transactions_;
  std::map<int64_t, std::string> by_producer_;  // producer id -> transactional id
  mutable std::mutex index_mutex_;
  std::map<TopicPartitionKey, PartitionIndex> index_;
};

}  // namespace mockforge::kafka
