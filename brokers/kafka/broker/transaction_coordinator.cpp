#include "brokers/kafka/broker/transaction_coordinator.h"

#include <algorithm>
#include <limits>

#include "brokers/kafka/broker/error_codes.h"

namespace mockforge::kafka {

namespace {
// Kafka bumps to a new producer id when the epoch would reach Short.MAX_VALUE.
constexpr int16_t kLastEpoch = std::numeric_limits<int16_t>::max() - 1;
}  // namespace

std::string_view txn_state_name(TxnState state) {
  switch (state) {
    case TxnState::kEmpty:
      return "Empty";
    case TxnState::kOngoing:
      return "Ongoing";
    case TxnState::kCompleteCommit:
      return "CompleteCommit";
    case TxnState::kCompleteAbort:
      return "CompleteAbort";
  }
  return "Empty";
}

bool is_kafka_txn_state_name(std::string_view name) {
  for (std::string_view known : {"Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
                                 "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"}) {
    if (name == known) return true;
  }
  return false;
}

TransactionCoordinator::TransactionCoordinator(IdAllocator allocate_id,
                                               std::chrono::milliseconds max_timeout)
    : allocate_id_(std::move(allocate_id)), max_timeout_(max_timeout) {}

int16_t TransactionCoordinator::validate(const Transaction* txn, int64_t producer_id,
                                         int16_t epoch) {
  if (txn == nullptr || txn->producer_id != producer_id) return error::kInvalidProducerIdMapping;
  if (epoch != txn->epoch) return error::kProducerFenced;
  return error::kNone;
}

TransactionCoordinator::Transaction* TransactionCoordinator::find_locked(
    const std::string& transactional_id) {
  auto it = transactions_.find(transactional_id);
  return it == transactions_.end() ? nullptr : &it->second;
}

TransactionCompletion TransactionCoordinator::complete_locked(const std::string& transactional_id,
                                                              Transaction& txn, bool commit) {
  TransactionCompletion completion;
  completion.transactional_id = transactional_id;
  completion.producer_id = txn.producer_id;
  completion.producer_epoch = txn.epoch;
  completion.commit = commit;
  completion.partitions = std::move(txn.partitions);
  for (auto& [group, offsets] : txn.offsets) {
    auto& out = completion.offsets[group];
    for (auto& [key, offset] : offsets) out.emplace_back(key, std::move(offset));
  }
  txn.partitions.clear();
  txn.groups.clear();
  txn.offsets.clear();
  txn.state = commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  return completion;
}

void TransactionCoordinator::begin_locked(Transaction& txn, TxnClock::time_point now) {
  if (txn.state == TxnState::kOngoing) return;
  txn.state = TxnState::kOngoing;
  txn.started = now;
  txn.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  txn.partitions.clear();
  txn.groups.clear();
  txn.offsets.clear();
}

InitProducerIdResult TransactionCoordinator::init_producer_id(const std::string& transactional_id,
                                                              int32_t timeout_ms,
                                                              int64_t producer_id, int16_t epoch) {
  InitProducerIdResult result;
  if (transactional_id.empty()) {
    result.error_code = error::kInvalidRequest;
    return result;
  }
  if (timeout_ms <= 0 || timeout_ms > max_timeout_.count()) {
    result.error_code = error::kInvalidTransactionTimeout;
    return result;
  }
  std::lock_guard lock(mutex_);
  Transaction* txn = find_locked(transactional_id);
  if (txn == nullptr) {
    Transaction created;
    created.producer_id = allocate_id_();
    created.epoch = 0;
    created.timeout_ms = timeout_ms;
    by_producer_[created.producer_id] = transactional_id;
    auto& stored = transactions_[transactional_id] = std::move(created);
    result.producer_id = stored.producer_id;
    result.producer_epoch = stored.epoch;
    return result;
  }
  // A producer that names its current id and epoch (v3+, KIP-360) must hold
  // them, or the epoch a timeout took from it.
  if (producer_id >= 0 &&
      (producer_id != txn->producer_id || (epoch != txn->epoch && epoch != txn->last_epoch))) {
    result.error_code = error::kProducerFenced;
    return result;
  }
  txn->last_epoch = -1;
  // Any other init takes the id over: the epoch goes up, fencing the previous
  // producer, and its open transaction is aborted under the new epoch.
  if (txn->epoch >= kLastEpoch) {
    by_producer_.erase(txn->producer_id);
    txn->producer_id = allocate_id_();
    txn->epoch = 0;
    by_producer_[txn->producer_id] = transactional_id;
  } else {
    ++txn->epoch;
  }
  txn->timeout_ms = timeout_ms;
  if (txn->state == TxnState::kOngoing) {
    result.aborted = complete_locked(transactional_id, *txn, false);
  }
  txn->state = TxnState::kEmpty;
  result.producer_id = txn->producer_id;
  result.producer_epoch = txn->epoch;
  return result;
}

int16_t TransactionCoordinator::add_partitions(const std::string& transactional_id,
                                               int64_t producer_id, int16_t epoch,
                                               const std::vector<TopicPartitionKey>& partitions,
                                               TxnClock::time_point now) {
  if (transactional_id.empty()) return error::kInvalidRequest;
  std::lock_guard lock(mutex_);
  Transaction* txn = find_locked(transactional_id);
  if (int16_t code = validate(txn, producer_id, epoch); code != 0) return code;
  begin_locked(*txn, now);
  txn->partitions.insert(partitions.begin(), partitions.end());
  return error::kNone;
}

int16_t TransactionCoordinator::add_offsets(const std::string& transactional_id,
                                            int64_t producer_id, int16_t epoch,
                                            const std::string& group_id, TxnClock::time_point now) {
  if (transactional_id.empty()) return error::kInvalidRequest;
  if (group_id.empty()) return error::kInvalidGroupId;
  std::lock_guard lock(mutex_);
  Transaction* txn = find_locked(transactional_id);
  if (int16_t code = validate(txn, producer_id, epoch); code != 0) return code;
  begin_locked(*txn, now);
  txn->groups.insert(group_id);
  return error::kNone;
}

int16_t TransactionCoordinator::stage_offsets(
    const std::string& transactional_id, int64_t producer_id, int16_t epoch,
    const std::string& group_id,
    const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets) {
  if (group_id.empty()) return error::kInvalidGroupId;
  std::lock_guard lock(mutex_);
  Transaction* txn = find_locked(transactional_id);
  if (int16_t code = validate(txn, producer_id, epoch); code != 0) {
    // The group coordinator answers a stale epoch with INVALID_PRODUCER_EPOCH.
    return code == error::kProducerFenced ? error::kInvalidProducerEpoch : code;
  }
  if (txn->state != TxnState::kOngoing || txn->groups.count(group_id) == 0) {
    return error::kInvalidTxnState;
  }
  auto& staged = txn->offsets[group_id];
  for (const auto& [key, offset] : offsets) staged[key] = offset;
  return error::kNone;
}

EndTxnResult TransactionCoordinator::end_transaction(const std::string& transactional_id,
                                                     int64_t producer_id, int16_t epoch,
                                                     bool commit) {
  EndTxnResult result;
  if (transactional_id.empty()) {
    result.error_code = error::kInvalidRequest;
    return result;
  }
  std::lock_guard lock(mutex_);
  Transaction* txn = find_locked(transactional_id);
  if (int16_t code = validate(txn, producer_id, epoch); code != 0) {
    result.error_code = code;
    return result;
  }
  switch (txn->state) {
    case TxnState::kOngoing:
      result.completion = complete_locked(transactional_id, *txn, commit);
      break;
    case TxnState::kCompleteCommit:  // a retry of the same outcome succeeds
      if (!commit) result.error_code = error::kInvalidTxnState;
      break;
    case TxnState::kCompleteAbort:
      if (commit) result.error_code = error::kInvalidTxnState;
      break;
    case TxnState::kEmpty:
      result.error_code = error::kInvalidTxnState;
      break;
  }
  return result;
}

int16_t TransactionCoordinator::check_produce(int64_t producer_id, int16_t epoch,
                                              const TopicPartitionKey& partition) const {
  std::lock_guard lock(mutex_);
  auto id = by_producer_.find(producer_id);
  if (id == by_producer_.end()) return error::kInvalidTxnState;
  const Transaction& txn = transactions_.at(id->second);
  if (epoch != txn.epoch) return error::kInvalidProducerEpoch;
  if (txn.state != TxnState::kOngoing || txn.partitions.count(partition) == 0) {
    return error::kInvalidTxnState;
  }
  return error::kNone;
}

std::vector<TransactionCompletion> TransactionCoordinator::expire(TxnClock::time_point now) {
  std::vector<TransactionCompletion> expired;
  std::lock_guard lock(mutex_);
  for (auto& [id, txn] : transactions_) {
    if (txn.state != TxnState::kOngoing) continue;
    if (now - txn.started <= std::chrono::milliseconds(txn.timeout_ms)) continue;
    // Kafka aborts a timed-out transaction with a bumped epoch, which fences
    // the producer that let it time out.
    if (txn.epoch < kLastEpoch) {
      txn.last_epoch = txn.epoch;
      ++txn.epoch;
    }
    expired.push_back(complete_locked(id, txn, false));
  }
  return expired;
}

void TransactionCoordinator::transactional_append(const TopicPartitionKey& partition,
                                                  int64_t producer_id, int64_t base_offset) {
  std::lock_guard lock(index_mutex_);
  index_[partition].open.emplace(producer_id, base_offset);
}

void TransactionCoordinator::marker_written(const TopicPartitionKey& partition, int64_t producer_id,
                                            bool commit, int64_t marker_offset) {
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(partition);
  if (it == index_.end()) return;
  auto open = it->second.open.find(producer_id);
  if (open == it->second.open.end()) return;
  if (!commit) it->second.aborted.push_back({producer_id, open->second, marker_offset});
  it->second.open.erase(open);
}

std::optional<int64_t> TransactionCoordinator::open_first_offset(const TopicPartitionKey& partition,
                                                                 int64_t producer_id) const {
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(partition);
  if (it == index_.end()) return std::nullopt;
  auto open = it->second.open.find(producer_id);
  if (open == it->second.open.end()) return std::nullopt;
  return open->second;
}

int64_t TransactionCoordinator::last_stable_offset(const TopicPartitionKey& partition,
                                                   int64_t high_watermark) const {
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(partition);
  int64_t lso = high_watermark;
  if (it == index_.end()) return lso;
  for (const auto& [producer, first] : it->second.open) lso = std::min(lso, first);
  return lso;
}

std::vector<AbortedTransaction> TransactionCoordinator::aborted_transactions(
    const TopicPartitionKey& partition, int64_t from, int64_t to) const {
  std::vector<AbortedTransaction> result;
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(partition);
  if (it == index_.end()) return result;
  for (const auto& aborted : it->second.aborted) {
    if (aborted.last_offset >= from && aborted.first_offset < to) result.push_back(aborted);
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
  return result;
}

void TransactionCoordinator::forget_topic(const std::string& topic) {
  std::lock_guard lock(index_mutex_);
  std::erase_if(index_, [&](const auto& entry) { return entry.first.first == topic; });
}

TransactionDescription TransactionCoordinator::describe_locked(const std::string& transactional_id,
                                                               const Transaction& txn) {
  TransactionDescription described;
  described.transactional_id = transactional_id;
  described.state = txn.state;
  described.timeout_ms = txn.timeout_ms;
  // Kafka reports no start time for a producer between transactions.
  described.start_time_ms = txn.state == TxnState::kEmpty ? -1 : txn.started_ms;
  described.producer_id = txn.producer_id;
  described.producer_epoch = txn.epoch;
  described.partitions = txn.partitions;
  return described;
}

std::optional<TransactionDescription> TransactionCoordinator::describe(
    const std::string& transactional_id) const {
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  if (it == transactions_.end()) return std::nullopt;
  return describe_locked(it->first, it->second);
}

std::vector<TransactionDescription> TransactionCoordinator::list() const {
  std::lock_guard lock(mutex_);
  std::vector<TransactionDescription> result;
  result.reserve(transactions_.size());
  for (const auto& [id, txn] : transactions_) result.push_back(describe_locked(id, txn));
  return result;
}

int64_t TransactionCoordinator::open_transaction_start(const TopicPartitionKey& partition,
                                                       int64_t producer_id) const {
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(partition);
  if (it == index_.end()) return -1;
  auto open = it->second.open.find(producer_id);
  return open == it->second.open.end() ? -1 : open->second;
}

std::size_t TransactionCoordinator::transactional_id_count() const {
  std::lock_guard lock(mutex_);
  return transactions_.size();
}

std::size_t TransactionCoordinator::open_transaction_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(transactions_.begin(), transactions_.end(),
                    [](const auto& entry) { return entry.second.state == TxnState::kOngoing; }));
}

void TransactionCoordinator::reset() {
  {
    std::lock_guard lock(mutex_);
    transactions_.clear();
    by_producer_.clear();
  }
  std::lock_guard lock(index_mutex_);
  index_.clear();
}

}  // namespace mockforge::kafka
