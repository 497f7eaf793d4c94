#include "brokers/kafka/broker/broker_state.h"

#include <algorithm>
#include <limits>

#include "brokers/kafka/broker/acl_store.h"
#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/traffic.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/record_batch.h"
#include "core/traffic/hub.h"

namespace mockforge::kafka {

BrokerMetrics::BrokerMetrics(metrics::Registry& registry)
    : requests(
          registry.counter("kafka_requests_total", "Kafka requests received, by API", {"api"})),
      request_errors(registry.counter("kafka_request_errors_total",
                                      "Kafka error codes returned, by API and error",
                                      {"api", "error"})),
      messages_produced(registry.counter("kafka_messages_produced_total",
                                         "Records appended by Produce, by topic", {"topic"})),
      bytes_produced(
          registry.counter("kafka_bytes_produced_total", "Record batch bytes appended by Produce")
              .get()),
      messages_consumed(registry.counter("kafka_messages_consumed_total",
                                         "Records returned by Fetch, by topic", {"topic"})),
      bytes_consumed(
          registry.counter("kafka_bytes_consumed_total", "Record batch bytes returned by Fetch")
              .get()),
      connections(registry.gauge("kafka_connections", "Open Kafka connections").get()) {}

ProducerRegistry::Allocation ProducerRegistry::init(int64_t existing_id, int16_t existing_epoch) {
  std::lock_guard lock(mutex_);
  if (existing_id >= 0) {
    auto it = epochs_.find(existing_id);
    if (it != epochs_.end() && it->second == existing_epoch && existing_epoch < 32767) {
      it->second = static_cast<int16_t>(existing_epoch + 1);
      return {existing_id, it->second};
    }
  }
  int64_t id = next_producer_id_++;
  epochs_[id] = 0;
  return {id, 0};
}

int64_t ProducerRegistry::allocate_id() {
  std::lock_guard lock(mutex_);
  return next_producer_id_++;
}

void ProducerRegistry::set_epoch(int64_t producer_id, int16_t epoch) {
  std::lock_guard lock(mutex_);
  epochs_[producer_id] = epoch;
}

bool ProducerRegistry::known(int64_t producer_id) const {
  std::lock_guard lock(mutex_);
  return epochs_.count(producer_id) != 0;
}

namespace {
int32_t next_sequence(int32_t sequence) {
  return sequence == std::numeric_limits<int32_t>::max() ? 0 : sequence + 1;
}
}  // namespace

SequenceCheck ProducerRegistry::check(int64_t producer_id, int16_t epoch, const std::string& topic,
                                      int32_t partition, int32_t first_sequence,
                                      int32_t last_sequence) {
  std::lock_guard lock(mutex_);
  auto producer = epochs_.find(producer_id);
  if (producer == epochs_.end()) {
    return {SequenceCheck::Kind::kError, error::kUnknownProducerId, -1};
  }
  if (epoch < producer->second) {
    return {SequenceCheck::Kind::kError, error::kInvalidProducerEpoch, -1};
  }
  auto it = partitions_.find(Key{producer_id, topic, partition});
  if (it == partitions_.end() || it->second.epoch != epoch || it->second.recent.empty()) {
    if (first_sequence != 0) {
      return {SequenceCheck::Kind::kError, error::kOutOfOrderSequenceNumber, -1};
    }
    return {};
  }
  for (const auto& batch : it->second.recent) {
    if (batch.first_sequence == first_sequence && batch.last_sequence == last_sequence) {
      return {SequenceCheck::Kind::kDuplicate, 0, batch.base_offset};
    }
  }
  if (first_sequence != next_sequence(it->second.recent.back().last_sequence)) {
    return {SequenceCheck::Kind::kError, error::kOutOfOrderSequenceNumber, -1};
  }
  return {};
}

void ProducerRegistry::record(int64_t producer_id, int16_t epoch, const std::string& topic,
                              int32_t partition, int32_t first_sequence, int32_t last_sequence,
                              int64_t base_offset, int64_t max_timestamp) {
  std::lock_guard lock(mutex_);
  auto& state = partitions_[Key{producer_id, topic, partition}];
  if (state.epoch != epoch) {
    state.epoch = epoch;
    state.recent.clear();
  }
  state.recent.push_back({first_sequence, last_sequence, base_offset});
  if (state.recent.size() > 5) state.recent.pop_front();
  state.last_timestamp = max_timestamp;
}

void ProducerRegistry::record_marker(int64_t producer_id, int16_t epoch, const std::string& topic,
                                     int32_t partition, int32_t coordinator_epoch,
                                     int64_t timestamp) {
  std::lock_guard lock(mutex_);
  auto& state = partitions_[Key{producer_id, topic, partition}];
  if (state.epoch != epoch) {
    // A bumped epoch (abort on timeout or re-init) starts the sequences again.
    state.epoch = epoch;
    state.recent.clear();
  }
  state.last_timestamp = timestamp;
  state.coordinator_epoch = coordinator_epoch;
}

std::vector<ProducerRegistry::ActiveProducer> ProducerRegistry::active_producers(
    const std::string& topic, int32_t partition) const {
  std::lock_guard lock(mutex_);
  std::vector<ActiveProducer> result;
  for (const auto& [key, state] : partitions_) {
    if (std::get<1>(key) != topic || std::get<2>(key) != partition) continue;
    ActiveProducer producer;
    producer.producer_id = std::get<0>(key);
    producer.epoch = state.epoch;
    producer.last_sequence = state.recent.empty() ? -1 : state.recent.back().last_sequence;
    producer.last_timestamp = state.last_timestamp;
    producer.coordinator_epoch = state.coordinator_epoch;
    result.push_back(producer);
  }
  return result;
}

void ProducerRegistry::reset() {
  std::lock_guard lock(mutex_);
  epochs_.clear();
  partitions_.clear();
}

BrokerState::BrokerState(BrokerOptions options, storage::Engine& storage,
                         metrics::Registry& registry)
    : options_(std::move(options)),
      storage_(storage),
      registry_(registry),
      metrics_(registry),
      cluster_(options_.brokers, options_.racks, options_.auto_leader_rebalance,
               options_.reassignment_delay),
      groups_(std::make_unique<GroupCoordinator>(options_.group_initial_rebalance_delay)),
      transactions_(std::make_unique<TransactionCoordinator>(
          [this] { return producers_.allocate_id(); }, options_.transaction_max_timeout)),
      acls_(std::make_unique<AclStore>(options_.authorizer.enabled, options_.authorizer.super_users,
                                       options_.authorizer.acls)) {}

BrokerState::~BrokerState() = default;

std::shared_ptr<storage::Topic> BrokerState::find_or_create_topic(const std::string& name,
                                                                  bool allow_create) {
  if (auto topic = storage_.logs().find(name)) return topic;
  if (!allow_create || !options_.auto_create_topics || !is_valid_topic_name(name)) return nullptr;
  auto created = storage_.logs().create_topic(name, options_.default_partitions);
  if (created.ok()) return created.value();
  return storage_.logs().find(name);  // created concurrently by another connection
}

namespace {

// The coordinator epoch markers carry: the simulated transaction coordinator
// never moves to a new epoch.
constexpr int32_t kCoordinatorEpoch = 0;

// A transaction marker: one control record whose key is (version 0, type:
// 0 abort, 1 commit) and whose value is (version 0, coordinator epoch).
Bytes marker_batch(const TransactionCompletion& completion, int64_t now) {
  NewRecord record;
  record.timestamp_ms = now;
  record.key = Bytes{0, 0, 0, static_cast<uint8_t>(completion.commit ? 1 : 0)};
  const auto epoch = static_cast<uint32_t>(kCoordinatorEpoch);
  record.value = Bytes{0,
                       0,
                       static_cast<uint8_t>(epoch >> 24),
                       static_cast<uint8_t>(epoch >> 16),
                       static_cast<uint8_t>(epoch >> 8),
                       static_cast<uint8_t>(epoch)};
  BatchOptions options;
  options.transactional = true;
  options.control = true;
  options.producer_id = completion.producer_id;
  options.producer_epoch = completion.producer_epoch;
  return build_record_batch(std::span<const NewRecord>(&record, 1), options);
}

}  // namespace

void BrokerState::complete_transaction(const TransactionCompletion& completion,
                                       const std::string& client_id) {
  producers_.set_epoch(completion.producer_id, completion.producer_epoch);
  const int64_t now = now_ms();
  const Bytes marker = marker_batch(completion, now);
  // The committed records each partition holds, for the observers.
  struct Committed {
    const TopicPartitionKey* partition;
    std::vector<storage::BatchRef> batches;
  };
  std::vector<Committed> committed;
  const bool observe = completion.commit && traffic_ != nullptr && traffic_->observed();
  {
    std::lock_guard lock(producers_.lock());
    for (const auto& key : completion.partitions) {
      auto topic = storage_.logs().find(key.first);
      auto partition = topic ? topic->partition(key.second) : nullptr;
      if (!partition) continue;  // deleted meanwhile: nothing to mark
      if (observe) {
        if (auto first = transactions_->open_first_offset(key, completion.producer_id)) {
          Committed entry{&key, {}};
          int64_t offset = *first;
          const int64_t end = partition->high_watermark();
          while (offset < end) {
            auto read = partition->read(offset, std::size_t{1} << 20);
            if (!read.ok() || read.value().batches.empty()) break;
            for (auto& batch : read.value().batches) {
              offset = std::max(offset, batch.next_offset());
              entry.batches.push_back(std::move(batch));
            }
          }
          committed.push_back(std::move(entry));
        }
      }
      auto appended = partition->append(std::span<const uint8_t>(marker.data(), marker.size()), 1,
                                        now, [](std::span<uint8_t> span, int64_t base_offset) {
                                          set_base_offset(span, base_offset);
                                          set_partition_leader_epoch(span, 0);
                                        });
      // A marker that could not be stored (storage full) still closes the
      // transaction in the index, so the last stable offset moves on.
      transactions_->marker_written(key, completion.producer_id, completion.commit,
                                    appended.ok() ? appended.value() : partition->high_watermark());
      if (appended.ok()) {
        producers_.record_marker(completion.producer_id, completion.producer_epoch, key.first,
                                 key.second, kCoordinatorEpoch, now);
      }
    }
  }
  for (const auto& entry : committed) {
    for (const auto& stored : entry.batches) {
      try {
        const auto batch = parse_record_batch(stored.bytes.span());
        if (batch.header.producer_id != completion.producer_id ||
            !batch.header.is_transactional() || batch.header.is_control())
          continue;
        traffic_->accepted(to_accepted_batch(stored.bytes, batch.header.record_count,
                                             entry.partition->first, entry.partition->second,
                                             client_id));
      } catch (const std::exception&) {
        // A stored batch that does not decompress is not observed (as in Produce).
      }
    }
  }
  if (!completion.commit) return;
  for (const auto& [group_id, offsets] : completion.offsets) {
    groups_->store_offsets(group_id, offsets);
  }
}

void BrokerState::expire_transactions() {
  for (const auto& completion : transactions_->expire(TxnClock::now())) {
    complete_transaction(completion);
  }
}

std::map<Cluster::PartitionKey, int64_t> BrokerState::log_end_offsets() const {
  std::map<Cluster::PartitionKey, int64_t> out;
  for (const auto& topic : storage_.logs().list()) {
    for (int32_t index = 0; index < topic->partition_count(); ++index) {
      if (auto partition = topic->partition(index)) {
        out[{topic->name(), index}] = partition->high_watermark();
      }
    }
  }
  return out;
}

int64_t BrokerState::log_end_offset(const std::string& topic, int32_t partition) const {
  auto found = storage_.logs().find(topic);
  auto log = found ? found->partition(partition) : nullptr;
  return log ? log->high_watermark() : 0;
}

void BrokerState::reset() {
  cluster_.reset();
  producers_.reset();
  transactions_->reset();
  groups_->reset();
  acls_->reset();
  std::lock_guard lock(fixture_offsets_mutex_);
  for (const auto& [group_id, offsets] : fixture_offsets_) {
    std::vector<std::pair<TopicPartitionKey, CommittedOffset>> commit;
    for (const auto& offset : offsets) {
      commit.push_back({{offset.topic, offset.partition}, {offset.offset, -1, offset.metadata}});
    }
    (void)groups_->commit_offsets(group_id, "", -1, commit);
  }
}

int16_t BrokerState::commit_fixture_offsets(const std::string& group_id,
                                            const std::vector<FixtureOffset>& offsets) {
  std::vector<std::pair<TopicPartitionKey, CommittedOffset>> commit;
  for (const auto& offset : offsets) {
    commit.push_back({{offset.topic, offset.partition}, {offset.offset, -1, offset.metadata}});
  }
  std::lock_guard lock(fixture_offsets_mutex_);
  if (const int16_t error = groups_->commit_offsets(group_id, "", -1, commit); error != 0) {
    return error;
  }
  auto same = [&](const auto& entry) { return entry.first == group_id; };
  auto it = std::find_if(fixture_offsets_.begin(), fixture_offsets_.end(), same);
  if (it == fixture_offsets_.end()) {
    fixture_offsets_.emplace_back(group_id, offsets);
  } else {
    it->second.insert(it->second.end(), offsets.begin(), offsets.end());
  }
  return 0;
}

bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

traffic::Events* BrokerState::listening_events() const {
  return traffic_ != nullptr && traffic_->events().active() ? &traffic_->events() : nullptr;
}

}  // namespace mockforge::kafka
