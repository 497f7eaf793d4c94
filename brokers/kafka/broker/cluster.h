#pragma once

// The simulated Kafka cluster (kafka.brokers): N brokers, node ids 0..N-1,
// sharing one storage and one BrokerState. It answers who leads a partition
// and at which leader epoch, who coordinates a group or a transactional id
// (the leader of its __consumer_offsets / __transaction_state partition, as
// Kafka places coordinators), and which brokers are up. Leadership is
// assigned lazily: partition p of a topic first goes to broker
// (hash(topic) + p) % N, or the next live broker after it. A move (admin
// API, a broker stopped) bumps the partition's leader epoch and records the
// offset the new epoch starts at, which OffsetForLeaderEpoch answers from.
// With one broker every answer is node 0, epoch 0, without locking.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mockforge::kafka {

class Cluster {
 public:
  // Kafka's offsets.topic.num.partitions and transaction.state.log.num.partitions.
  static constexpr int32_t kInternalPartitions = 50;
  static constexpr const char* kOffsetsTopic = "__consumer_offsets";
  static constexpr const char* kTransactionStateTopic = "__transaction_state";

  struct Node {
    int32_t id = 0;
    std::optional<std::string> rack;
    bool live = true;
    int32_t port = -1;      // plain listener, once bound
    int32_t tls_port = -1;  // SSL listener, once bound (-1: none)
  };
  struct Leadership {
    int32_t leader = 0;
    int32_t epoch = 0;
  };
  // One partition's epochs: (epoch, first offset), oldest first.
  using EpochHistory = std::vector<std::pair<int32_t, int64_t>>;
  struct PartitionState {
    int32_t leader = 0;
    EpochHistory epochs;  // never empty
    int32_t epoch() const { return epochs.back().first; }
  };
  using PartitionKey = std::pair<std::string, int32_t>;

  Cluster(int32_t brokers, std::vector<std::string> racks);

  int32_t size() const { return size_; }
  bool single() const { return size_ == 1; }

  std::vector<Node> nodes() const;
  std::vector<int32_t> live_nodes() const;
  bool live(int32_t node) const;
  // The listener port of `node` (its SSL listener's when `tls`); -1 when unknown.
  int32_t port(int32_t node, bool tls) const;
  void set_ports(int32_t node, int32_t port, int32_t tls_port);

  // The partition's leader and leader epoch (assigned on first use).
  Leadership leadership(const std::string& topic, int32_t partition);
  // The preferred (initial) leader of a partition: (hash(topic) + partition) % N.
  int32_t preferred_leader(const std::string& topic, int32_t partition) const;
  // The coordinator of a group / a transactional id: the leader of partition
  // abs(java_hash(key)) % 50 of __consumer_offsets / __transaction_state.
  int32_t group_coordinator(const std::string& group_id);
  int32_t transaction_coordinator(const std::string& transactional_id);

  // Kafka's OffsetForLeaderEpoch answer for `requested`: the largest epoch
  // not above it and the offset where the next epoch starts (the log end
  // offset for the current epoch); (-1, -1) when undefined.
  std::pair<int32_t, int64_t> epoch_end_offset(const std::string& topic, int32_t partition,
                                               int32_t requested, int64_t log_end_offset);

  // Makes `node` the partition's leader; a change bumps the epoch, which
  // starts at `log_end_offset`. False when the node is not live.
  bool elect(const std::string& topic, int32_t partition, int32_t node, int64_t log_end_offset);
  // Takes a live broker out of the cluster: each of `partitions` (and the
  // internal topics' partitions) it leads moves to the next live broker.
  // `log_end_offset` gives each moved partition's end. False when the node is
  // unknown, already down or the last live broker.
  bool stop(int32_t node, const std::vector<PartitionKey>& partitions,
            const std::map<PartitionKey, int64_t>& log_end_offsets);
  // Brings a stopped broker back (its partitions stay where they moved).
  bool start(int32_t node);
  // Every broker up, every partition back on its preferred leader (a moved
  // one at a new epoch; epochs never go back, as clients keep the newest
  // they saw), epoch histories starting at offset 0 (storage was reset).
  void reset();

  // Every assigned partition's state (admin API).
  std::map<PartitionKey, PartitionState> partitions() const;

  // Java's String.hashCode of the UTF-8 bytes read as Latin-1 (equal for ASCII keys).
  static int32_t java_hash(const std::string& text);

 private:
  PartitionState& state_locked(const std::string& topic, int32_t partition);
  int32_t first_live_from(int32_t node) const;

  const int32_t size_;
  mutable std::mutex mutex_;
  std::vector<Node> nodes_;
  std::map<PartitionKey, PartitionState> partitions_;
};

}  // namespace mockforge::kafka
