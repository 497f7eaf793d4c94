#include "brokers/kafka/broker/cluster.h"

#include <algorithm>
#include <set>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {
namespace {

// Kafka's Utils.abs: Math.abs with MIN_VALUE mapped to 0.
int32_t kafka_abs(int32_t value) {
  if (value == INT32_MIN) return 0;
  return value < 0 ? -value : value;
}

bool contains(const std::vector<int32_t>& list, int32_t node) {
  return std::find(list.begin(), list.end(), node) != list.end();
}

std::string list_text(const std::vector<int32_t>& list) {
  std::string text = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    text += (i == 0 ? "" : ",") + std::to_string(list[i]);
  }
  return text + "]";
}

// The version byte of the kafka.cluster snapshot extension.
constexpr int8_t kSavedAssignmentsVersion = 1;

}  // namespace

Cluster::Cluster(int32_t brokers, std::vector<std::string> racks, bool auto_leader_rebalance,
                 std::chrono::milliseconds reassignment_delay)
    : size_(std::max(1, brokers)),
      auto_leader_rebalance_(auto_leader_rebalance),
      reassignment_delay_(reassignment_delay) {
  for (int32_t id = 0; id < size_; ++id) {
    Node node;
    node.id = id;
    if (static_cast<std::size_t>(id) < racks.size()) node.rack = racks[id];
    nodes_.push_back(std::move(node));
  }
}

int32_t Cluster::java_hash(const std::string& text) {
  uint32_t hash = 0;
  for (unsigned char c : text) hash = hash * 31u + c;
  return static_cast<int32_t>(hash);
}

std::vector<Cluster::Node> Cluster::nodes() const {
  std::lock_guard lock(mutex_);
  return nodes_;
}

std::vector<int32_t> Cluster::live_nodes() const {
  std::lock_guard lock(mutex_);
  std::vector<int32_t> out;
  for (const Node& node : nodes_) {
    if (node.live) out.push_back(node.id);
  }
  return out;
}

bool Cluster::live(int32_t node) const {
  if (single()) return node == 0;
  std::lock_guard lock(mutex_);
  return node >= 0 && node < size_ && nodes_[node].live;
}

int32_t Cluster::port(int32_t node, bool tls) const {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_) return -1;
  return tls ? nodes_[node].tls_port : nodes_[node].port;
}

void Cluster::set_ports(int32_t node, int32_t port, int32_t tls_port) {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_) return;
  nodes_[node].port = port;
  nodes_[node].tls_port = tls_port;
}

std::vector<int32_t> Cluster::default_replicas(const std::string& topic, int32_t partition,
                                               int32_t replication_factor) const {
  const int64_t slot = int64_t{kafka_abs(java_hash(topic))} + partition;
  const auto first = static_cast<int32_t>(slot % size_);
  std::vector<int32_t> replicas;
  for (int32_t i = 0; i < std::clamp(replication_factor, 1, size_); ++i) {
    replicas.push_back((first + i) % size_);
  }
  return replicas;
}

int32_t Cluster::pick_leader(const PartitionState& state, int32_t except) const {
  for (int32_t replica : state.replicas) {
    if (replica != except && nodes_[replica].live && contains(state.isr, replica)) return replica;
  }
  return -1;
}

void Cluster::set_leader(PartitionState& state, int32_t leader, int64_t start_offset) {
  if (state.leader == leader) return;
  state.leader = leader;
  state.epochs.emplace_back(state.epoch() + 1, start_offset);
}

void Cluster::init_state(PartitionState& state, std::vector<int32_t> replicas) const {
  state.replicas = std::move(replicas);
  state.isr.clear();
  for (int32_t replica : state.replicas) {
    if (nodes_[replica].live) state.isr.push_back(replica);
  }
  // No live replica: offline, its first replica kept as the last ISR member.
  state.leader = state.isr.empty() ? -1 : state.isr.front();
  if (state.isr.empty()) state.isr.push_back(state.replicas.front());
}

Cluster::PartitionState& Cluster::state_locked(const std::string& topic, int32_t partition) {
  auto [it, inserted] = partitions_.try_emplace(PartitionKey{topic, partition});
  if (inserted) {
    auto rf = topic_replication_.find(topic);
    init_state(it->second,
               default_replicas(
                   topic, partition,
                   rf == topic_replication_.end() ? default_replication_factor() : rf->second));
    it->second.epochs.emplace_back(0, 0);
  }
  return it->second;
}

Cluster::PartitionState Cluster::describe(const std::string& topic, int32_t partition) {
  if (single()) {
    PartitionState state;
    state.epochs = {{0, 0}};
    state.replicas = {0};
    state.isr = {0};
    return state;
  }
  std::lock_guard lock(mutex_);
  return state_locked(topic, partition);
}

int32_t Cluster::isr_size(const std::string& topic, int32_t partition) {
  if (single()) return 1;
  std::lock_guard lock(mutex_);
  return static_cast<int32_t>(state_locked(topic, partition).isr.size());
}

int32_t Cluster::preferred_leader(const std::string& topic, int32_t partition) {
  if (single()) return 0;
  std::lock_guard lock(mutex_);
  return state_locked(topic, partition).replicas.front();
}

void Cluster::create_topic(const std::string& topic, int32_t partitions, int32_t replication_factor,
                           const std::vector<std::vector<int32_t>>& assignments) {
  if (single()) return;
  std::lock_guard lock(mutex_);
  topic_replication_[topic] =
      assignments.empty() ? replication_factor : static_cast<int32_t>(assignments.front().size());
  for (int32_t index = 0; index < partitions; ++index) {
    auto [it, inserted] = partitions_.try_emplace(PartitionKey{topic, index});
    PartitionState& state = it->second;
    const int32_t before = state.leader;
    state.target.clear();  // a reassignment of a deleted topic of that name ends
    state.original.clear();
    state.assigned = static_cast<std::size_t>(index) < assignments.size();
    init_state(state, state.assigned ? assignments[static_cast<std::size_t>(index)]
                                     : default_replicas(topic, index, replication_factor));
    if (inserted) {
      state.epochs.emplace_back(0, 0);
    } else {
      // A topic created again: a new log from offset 0; epochs never go back.
      const int32_t epoch = state.epoch() + (state.leader != before ? 1 : 0);
      state.epochs = {{epoch, 0}};
    }
  }
}

void Cluster::add_partitions(const std::string& topic, int32_t first,
                             const std::vector<std::vector<int32_t>>& assignments) {
  if (single()) return;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const int32_t index = first + static_cast<int32_t>(i);
    auto [it, inserted] = partitions_.try_emplace(PartitionKey{topic, index});
    PartitionState& state = it->second;
    const int32_t before = state.leader;
    state.target.clear();
    state.original.clear();
    state.assigned = true;
    init_state(state, assignments[i]);
    if (inserted) {
      state.epochs.emplace_back(0, 0);
    } else {
      // Left from a deleted topic of that name: a new log from offset 0.
      const int32_t epoch = state.epoch() + (state.leader != before ? 1 : 0);
      state.epochs = {{epoch, 0}};
    }
  }
}

Cluster::Leadership Cluster::leadership(const std::string& topic, int32_t partition) {
  if (single()) return {};
  std::lock_guard lock(mutex_);
  const PartitionState& state = state_locked(topic, partition);
  return {state.leader, state.epoch()};
}

int32_t Cluster::group_coordinator(const std::string& group_id) {
  if (single()) return 0;
  return leadership(kOffsetsTopic, kafka_abs(java_hash(group_id)) % kInternalPartitions).leader;
}

int32_t Cluster::transaction_coordinator(const std::string& transactional_id) {
  if (single()) return 0;
  return leadership(kTransactionStateTopic,
                    kafka_abs(java_hash(transactional_id)) % kInternalPartitions)
      .leader;
}

std::pair<int32_t, int64_t> Cluster::epoch_end_offset(const std::string& topic, int32_t partition,
                                                      int32_t requested, int64_t log_end_offset) {
  constexpr std::pair<int32_t, int64_t> kUndefined{-1, -1};
  if (requested < 0) return kUndefined;
  EpochHistory epochs;
  if (single()) {
    epochs.emplace_back(0, 0);
  } else {
    std::lock_guard lock(mutex_);
    epochs = state_locked(topic, partition).epochs;
  }
  if (requested == epochs.back().first) return {requested, log_end_offset};
  // The first epoch after the requested one: its start ends the requested one.
  auto higher = std::find_if(epochs.begin(), epochs.end(),
                             [requested](const auto& entry) { return entry.first > requested; });
  if (higher == epochs.end()) return kUndefined;
  if (higher == epochs.begin()) return {requested, higher->second};
  return {std::prev(higher)->first, higher->second};
}

bool Cluster::elect(const std::string& topic, int32_t partition, int32_t node,
                    int64_t log_end_offset) {
  if (single()) return node == 0;
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || !nodes_[node].live) return false;
  PartitionState& state = state_locked(topic, partition);
  if (!contains(state.isr, node)) return false;
  set_leader(state, node, log_end_offset);
  return true;
}

int16_t Cluster::elect_unclean(const std::string& topic, int32_t partition,
                               int64_t log_end_offset) {
  if (single()) return error::kElectionNotNeeded;
  std::lock_guard lock(mutex_);
  PartitionState& state = state_locked(topic, partition);
  if (state.leader >= 0) return error::kElectionNotNeeded;
  for (int32_t replica : state.replicas) {
    if (!nodes_[replica].live) continue;
    state.isr = {replica};
    set_leader(state, replica, log_end_offset);
    return error::kNone;
  }
  return error::kEligibleLeadersNotAvailable;
}

std::string Cluster::set_isr(const std::string& topic, int32_t partition, std::vector<int32_t> isr,
                             int64_t log_end_offset) {
  std::lock_guard lock(mutex_);
  PartitionState& state = state_locked(topic, partition);
  if (isr.empty()) return "the ISR cannot be empty";
  std::set<int32_t> seen;
  for (int32_t node : isr) {
    if (!seen.insert(node).second) return "broker " + std::to_string(node) + " is listed twice";
    if (!contains(state.replicas, node)) {
      return "broker " + std::to_string(node) + " is not a replica of " + topic + "-" +
             std::to_string(partition);
    }
    if (!nodes_[node].live) return "broker " + std::to_string(node) + " is stopped";
  }
  // Kept in replica order, as Kafka lists it.
  state.isr.clear();
  for (int32_t replica : state.replicas) {
    if (seen.count(replica) != 0) state.isr.push_back(replica);
  }
  if (!contains(state.isr, state.leader)) set_leader(state, pick_leader(state, -1), log_end_offset);
  return "";
}

std::string Cluster::reassign(const std::string& topic, int32_t partition,
                              const std::vector<int32_t>& replicas, int64_t log_end_offset) {
  std::lock_guard lock(mutex_);
  if (replicas.empty()) return "The replica list cannot be empty.";
  std::set<int32_t> seen;
  for (int32_t node : replicas) {
    if (!seen.insert(node).second) {
      return "The manual partition assignment includes broker " + std::to_string(node) +
             " more than once.";
    }
    if (node < 0 || node >= size_ || !nodes_[node].live) {
      return "The manual partition assignment includes broker " + std::to_string(node) +
             ", but no such broker is registered.";
    }
  }
  PartitionState& state = state_locked(topic, partition);
  state.assigned = true;
  if (reassignment_delay_.count() <= 0) {
    apply_reassignment(state, replicas, log_end_offset);
    return "";
  }
  // Ongoing until the delay passes: the target first, then the replicas being removed.
  if (state.target.empty()) state.original = state.replicas;
  state.target = replicas;
  state.replicas = replicas;
  for (int32_t replica : state.original) {
    if (!contains(replicas, replica)) state.replicas.push_back(replica);
  }
  std::erase_if(state.isr, [&](int32_t node) { return !contains(state.replicas, node); });
  state.completes_at = std::chrono::steady_clock::now() + reassignment_delay_;
  ongoing_reassignments_ = true;
  return "";
}

void Cluster::apply_reassignment(PartitionState& state, const std::vector<int32_t>& replicas,
                                 int64_t log_end_offset) const {
  state.replicas = replicas;
  state.target.clear();
  state.original.clear();
  // Shared storage: every live new replica is caught up at once.
  std::vector<int32_t> isr;
  for (int32_t replica : replicas) {
    if (nodes_[replica].live) isr.push_back(replica);
  }
  if (isr.empty()) {
    isr.push_back(replicas.front());
    state.isr = std::move(isr);
    set_leader(state, -1, log_end_offset);
    return;
  }
  state.isr = std::move(isr);
  if (!contains(state.isr, state.leader)) set_leader(state, state.isr.front(), log_end_offset);
}

bool Cluster::cancel_reassignment(const std::string& topic, int32_t partition) {
  std::lock_guard lock(mutex_);
  PartitionState& state = state_locked(topic, partition);
  if (state.target.empty()) return false;
  state.replicas = state.original;
  state.target.clear();
  state.original.clear();
  std::erase_if(state.isr, [&](int32_t node) { return !contains(state.replicas, node); });
  return true;
}

void Cluster::complete_reassignments(const std::map<PartitionKey, int64_t>& log_end_offsets) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  bool ongoing = false;
  for (auto& [key, state] : partitions_) {
    if (state.target.empty()) continue;
    if (state.completes_at > now) {
      ongoing = true;
      continue;
    }
    auto end = log_end_offsets.find(key);
    const std::vector<int32_t> target = state.target;
    apply_reassignment(state, target, end == log_end_offsets.end() ? 0 : end->second);
  }
  ongoing_reassignments_ = ongoing;
}

std::vector<Cluster::OngoingReassignment> Cluster::ongoing_reassignments() const {
  std::lock_guard lock(mutex_);
  std::vector<OngoingReassignment> out;
  for (const auto& [key, state] : partitions_) {
    if (state.target.empty()) continue;
    OngoingReassignment ongoing;
    ongoing.partition = key;
    ongoing.replicas = state.replicas;
    for (int32_t replica : state.target) {
      if (!contains(state.original, replica)) ongoing.adding.push_back(replica);
    }
    for (int32_t replica : state.original) {
      if (!contains(state.target, replica)) ongoing.removing.push_back(replica);
    }
    out.push_back(std::move(ongoing));
  }
  return out;
}

bool Cluster::stop(int32_t node, const std::vector<PartitionKey>& partitions,
                   const std::map<PartitionKey, int64_t>& log_end_offsets) {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || !nodes_[node].live) return false;
  int32_t live = 0;
  for (const Node& each : nodes_) live += each.live ? 1 : 0;
  if (live <= 1) return false;
  // Every partition gets its replicas assigned before the node goes down, so
  // the ones it would lead move (with a new epoch) rather than being born elsewhere.
  for (const auto& [topic, partition] : partitions) state_locked(topic, partition);
  for (const char* internal : {kOffsetsTopic, kTransactionStateTopic}) {
    for (int32_t partition = 0; partition < kInternalPartitions; ++partition) {
      state_locked(internal, partition);
    }
  }
  nodes_[node].live = false;
  for (auto& [key, state] : partitions_) {
    if (!contains(state.isr, node)) continue;
    auto end = log_end_offsets.find(key);
    const int64_t offset = end == log_end_offsets.end() ? 0 : end->second;
    if (state.leader == node) {
      const int32_t next = pick_leader(state, node);
      // No other ISR member: offline, the stopped broker stays the last ISR member.
      if (next >= 0) std::erase(state.isr, node);
      set_leader(state, next, offset);
    } else if (state.isr.size() > 1) {
      std::erase(state.isr, node);
    }
  }
  return true;
}

bool Cluster::start(int32_t node, const std::map<PartitionKey, int64_t>& log_end_offsets) {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || nodes_[node].live) return false;
  nodes_[node].live = true;
  for (auto& [key, state] : partitions_) {
    if (!contains(state.replicas, node)) continue;
    auto end = log_end_offsets.find(key);
    const int64_t offset = end == log_end_offsets.end() ? 0 : end->second;
    if (state.leader < 0) {
      // Offline: only its last ISR member may lead again (no unclean election).
      if (contains(state.isr, node)) set_leader(state, node, offset);
      continue;
    }
    if (!contains(state.isr, node)) {
      // Storage is shared, so the follower is caught up: it rejoins at once.
      std::vector<int32_t> isr;
      for (int32_t replica : state.replicas) {
        if (replica == node || contains(state.isr, replica)) isr.push_back(replica);
      }
      state.isr = std::move(isr);
    }
    if (auto_leader_rebalance_ && state.replicas.front() == node) {
      set_leader(state, node, offset);
    }
  }
  return true;
}

void Cluster::reset() {
  std::lock_guard lock(mutex_);
  for (Node& node : nodes_) node.live = true;
  topic_replication_.clear();
  outages_.clear();
  has_outages_ = false;
  ongoing_reassignments_ = false;
  for (auto& [key, state] : partitions_) {
    state.target.clear();
    state.original.clear();
    int32_t epoch = state.epoch();
    const int32_t before = state.leader;
    state.assigned = false;
    init_state(state, default_replicas(key.first, key.second, default_replication_factor()));
    if (state.leader != before) ++epoch;
    state.epochs = {{epoch, 0}};
  }
}

std::map<Cluster::PartitionKey, Cluster::PartitionState> Cluster::partitions() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

Cluster::SavedAssignments Cluster::save_assignments() const {
  SavedAssignments saved;
  if (single()) return saved;
  std::lock_guard lock(mutex_);
  saved.replication = topic_replication_;
  for (const auto& [key, state] : partitions_) {
    SavedPartition partition;
    partition.epoch = state.epoch();
    // An ongoing reassignment is saved as completed.
    if (state.assigned) partition.replicas = state.target.empty() ? state.replicas : state.target;
    saved.partitions.emplace(key, std::move(partition));
  }
  return saved;
}

std::vector<std::string> Cluster::restore_assignments(const SavedAssignments& saved) {
  std::vector<std::string> warnings;
  const std::string brokers = "kafka.brokers: " + std::to_string(size_);
  std::map<std::string, int32_t> replication;
  for (const auto& [topic, factor] : saved.replication) {
    if (factor > size_) {
      warnings.push_back("topic " + topic + ": replication factor " + std::to_string(factor) +
                         " capped at " + std::to_string(size_) + " (" + brokers + ")");
    }
    replication[topic] = std::clamp(factor, 1, size_);
  }
  std::map<PartitionKey, std::pair<int32_t, std::vector<int32_t>>> wanted;  // epoch, replicas
  for (const auto& [key, partition] : saved.partitions) {
    if (key.second < 0) {  // no such partition: a damaged or hand-made snapshot
      warnings.push_back(key.first + "-" + std::to_string(key.second) +
                         ": not a partition index, skipped");
      continue;
    }
    std::vector<int32_t> replicas;
    std::vector<int32_t> dropped;
    for (int32_t node : partition.replicas) {
      if (node < 0 || node >= size_ || contains(replicas, node)) {
        dropped.push_back(node);
      } else {
        replicas.push_back(node);
      }
    }
    if (!dropped.empty()) {
      warnings.push_back(key.first + "-" + std::to_string(key.second) + ": replicas " +
                         list_text(partition.replicas) + " name brokers this cluster (" + brokers +
                         ") does not have: " + list_text(dropped) + " dropped" +
                         (replicas.empty() ? ", the default replicas instead" : ""));
    }
    wanted[key] = {partition.epoch, std::move(replicas)};
  }
  if (single()) return warnings;  // every answer is node 0, epoch 0
  std::lock_guard lock(mutex_);
  for (const auto& [topic, factor] : replication) topic_replication_[topic] = factor;
  // The saved partitions, and those of the saved topics assigned already.
  std::vector<PartitionKey> keys;
  for (const auto& [key, state] : partitions_) {
    if (replication.count(key.first) != 0 && wanted.count(key) == 0) keys.push_back(key);
  }
  for (const auto& [key, partition] : wanted) keys.push_back(key);
  for (const PartitionKey& key : keys) {
    auto [it, inserted] = partitions_.try_emplace(key);
    PartitionState& state = it->second;
    const int32_t before = state.leader;
    int32_t epoch = inserted ? 0 : state.epoch();
    std::vector<int32_t> replicas;
    if (auto found = wanted.find(key); found != wanted.end()) {
      epoch = std::max(epoch, found->second.first);
      replicas = found->second.second;
    }
    state.target.clear();
    state.original.clear();
    state.assigned = !replicas.empty();
    if (replicas.empty()) {
      auto rf = topic_replication_.find(key.first);
      replicas = default_replicas(
          key.first, key.second,
          rf == topic_replication_.end() ? default_replication_factor() : rf->second);
    }
    init_state(state, std::move(replicas));
    // As reset(): a new log from offset 0, the epoch never going back.
    if (!inserted && state.leader != before) ++epoch;
    state.epochs = {{epoch, 0}};
  }
  return warnings;
}

std::string Cluster::encode(const SavedAssignments& saved) {
  Writer writer;
  writer.write_int8(kSavedAssignmentsVersion);
  writer.write_int32(static_cast<int32_t>(saved.replication.size()));
  for (const auto& [topic, factor] : saved.replication) {
    writer.write_string(topic, false);
    writer.write_int32(factor);
  }
  writer.write_int32(static_cast<int32_t>(saved.partitions.size()));
  for (const auto& [key, partition] : saved.partitions) {
    writer.write_string(key.first, false);
    writer.write_int32(key.second);
    writer.write_int32(partition.epoch);
    writer.write_int32(static_cast<int32_t>(partition.replicas.size()));
    for (int32_t node : partition.replicas) writer.write_int32(node);
  }
  const Bytes bytes = writer.take();
  return std::string(bytes.begin(), bytes.end());
}

Cluster::SavedAssignments Cluster::decode(std::string_view encoded) {
  Reader reader(std::span(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()));
  const int8_t version = reader.read_int8();
  if (version != kSavedAssignmentsVersion) {
    throw DecodeError("unknown cluster assignments version " + std::to_string(version));
  }
  auto count = [&reader](const char* what) {
    const int32_t n = reader.read_int32();
    if (n < 0) throw DecodeError(std::string("negative ") + what + " count");
    return n;
  };
  SavedAssignments saved;
  const int32_t topics = count("topic");
  for (int32_t t = 0; t < topics; ++t) {
    std::string topic = reader.read_string(false);
    saved.replication[std::move(topic)] = reader.read_int32();
  }
  const int32_t partitions = count("partition");
  for (int32_t p = 0; p < partitions; ++p) {
    PartitionKey key;
    key.first = reader.read_string(false);
    key.second = reader.read_int32();
    SavedPartition partition;
    partition.epoch = reader.read_int32();
    const int32_t replicas = count("replica");
    for (int32_t r = 0; r < replicas; ++r) partition.replicas.push_back(reader.read_int32());
    saved.partitions[std::move(key)] = std::move(partition);
  }
  if (!reader.at_end()) throw DecodeError("trailing bytes after the cluster assignments");
  return saved;
}

void Cluster::add_coordinator_outage(CoordinatorOutage outage) {
  std::lock_guard lock(mutex_);
  outages_.push_back(std::move(outage));
  has_outages_ = true;
}

void Cluster::clear_coordinator_outages() {
  std::lock_guard lock(mutex_);
  outages_.clear();
  has_outages_ = false;
}

std::vector<Cluster::CoordinatorOutage> Cluster::coordinator_outages() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(outages_, [now](const CoordinatorOutage& outage) { return outage.until <= now; });
  has_outages_ = !outages_.empty();
  return outages_;
}

int16_t Cluster::coordinator_error(CoordinatorType type, const std::string& key, bool find) {
  if (!has_outages_) return error::kNone;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(outages_, [now](const CoordinatorOutage& outage) { return outage.until <= now; });
  has_outages_ = !outages_.empty();
  for (const CoordinatorOutage& outage : outages_) {
    if (outage.type != type || (outage.key && *outage.key != key)) continue;
    if (outage.mode == OutageMode::kUnavailable) return error::kCoordinatorNotAvailable;
    if (!find) return error::kCoordinatorLoadInProgress;
  }
  return error::kNone;
}

}  // namespace mockforge::kafka
