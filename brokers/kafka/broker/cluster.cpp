#include "brokers/kafka/broker/cluster.h"

#include <algorithm>

namespace mockforge::kafka {
namespace {

// Kafka's Utils.abs: Math.abs with MIN_VALUE mapped to 0.
int32_t kafka_abs(int32_t value) {
  if (value == INT32_MIN) return 0;
  return value < 0 ? -value : value;
}

}  // namespace

Cluster::Cluster(int32_t brokers, std::vector<std::string> racks) : size_(std::max(1, brokers)) {
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

int32_t Cluster::preferred_leader(const std::string& topic, int32_t partition) const {
  if (single()) return 0;
  const int64_t slot = int64_t{kafka_abs(java_hash(topic))} + partition;
  return static_cast<int32_t>(slot % size_);
}

int32_t Cluster::first_live_from(int32_t node) const {
  for (int32_t step = 0; step < size_; ++step) {
    const int32_t candidate = (node + step) % size_;
    if (nodes_[candidate].live) return candidate;
  }
  return node;  // not reached: one broker always stays up
}

Cluster::PartitionState& Cluster::state_locked(const std::string& topic, int32_t partition) {
  auto [it, inserted] = partitions_.try_emplace(PartitionKey{topic, partition});
  if (inserted) {
    it->second.leader = first_live_from(preferred_leader(topic, partition));
    it->second.epochs.emplace_back(0, 0);
  }
  return it->second;
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
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || !nodes_[node].live) return false;
  PartitionState& state = state_locked(topic, partition);
  if (state.leader != node) {
    state.leader = node;
    state.epochs.emplace_back(state.epoch() + 1, log_end_offset);
  }
  return true;
}

bool Cluster::stop(int32_t node, const std::vector<PartitionKey>& partitions,
                   const std::map<PartitionKey, int64_t>& log_end_offsets) {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || !nodes_[node].live) return false;
  int32_t live = 0;
  for (const Node& each : nodes_) live += each.live ? 1 : 0;
  if (live <= 1) return false;
  // Every partition gets its leader assigned before the node goes down, so
  // the ones it would lead move (with a new epoch) rather than being born elsewhere.
  for (const auto& [topic, partition] : partitions) state_locked(topic, partition);
  for (const char* internal : {kOffsetsTopic, kTransactionStateTopic}) {
    for (int32_t partition = 0; partition < kInternalPartitions; ++partition) {
      state_locked(internal, partition);
    }
  }
  nodes_[node].live = false;
  for (auto& [key, state] : partitions_) {
    if (state.leader != node) continue;
    state.leader = first_live_from((node + 1) % size_);
    auto end = log_end_offsets.find(key);
    state.epochs.emplace_back(state.epoch() + 1, end == log_end_offsets.end() ? 0 : end->second);
  }
  return true;
}

bool Cluster::start(int32_t node) {
  std::lock_guard lock(mutex_);
  if (node < 0 || node >= size_ || nodes_[node].live) return false;
  nodes_[node].live = true;
  return true;
}

void Cluster::reset() {
  std::lock_guard lock(mutex_);
  for (Node& node : nodes_) node.live = true;
  for (auto& [key, state] : partitions_) {
    int32_t epoch = state.epoch();
    const int32_t preferred = preferred_leader(key.first, key.second);
    if (state.leader != preferred) ++epoch;
    state.leader = preferred;
    state.epochs = {{epoch, 0}};
  }
}

std::map<Cluster::PartitionKey, Cluster::PartitionState> Cluster::partitions() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

}  // namespace mockforge::kafka
