#pragma once

// The simulated Kafka cluster (kafka.brokers): N brokers, node ids 0..N-1,
// sharing one storage and one BrokerState. It answers who leads a partition
// and at which leader epoch, which brokers hold its replicas and which of them
// are in sync (the ISR), who coordinates a group or a transactional id (the
// leader of its __consumer_offsets / __transaction_state partition, as Kafka
// places coordinators), and which brokers are up.
//
// Replicas are assigned lazily: partition p of a topic gets min(3, N) replicas
// (Kafka's default.replication.factor of 3 capped at the broker count, or the
// topic's replication factor from CreateTopics) on consecutive brokers from
// (hash(topic) + p) % N; the first is the preferred leader. CreateTopics'
// manual assignments and AlterPartitionReassignments set them explicitly. The
// leader is always in the ISR; a move (admin API, a broker stopped, an
// election, a reassignment) picks an ISR member, bumps the partition's leader
// epoch and records the offset the new epoch starts at, which
// OffsetForLeaderEpoch answers from. A stopped broker leaves every ISR; when
// it led a partition whose ISR has no other live member, the partition goes
// offline (leader -1) and keeps the stopped broker as its last ISR member, as
// Kafka does. A broker that starts again rejoins the ISR of its partitions
// (storage is shared: it is caught up at once) and, with auto leader
// rebalance, takes back the leadership of those it is the preferred leader of.
// With one broker every answer is node 0, epoch 0, without locking.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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
  using PartitionKey = std::pair<std::string, int32_t>;
  // One partition's epochs: (epoch, first offset), oldest first.
  using EpochHistory = std::vector<std::pair<int32_t, int64_t>>;
  struct PartitionState {
    int32_t leader = 0;             // -1: offline (no live ISR member)
    EpochHistory epochs;            // never empty
    std::vector<int32_t> replicas;  // assignment order, the preferred leader first
    std::vector<int32_t> isr;       // in sync, in replica order
    // The replicas were set explicitly (a manual assignment, a reassignment),
    // not computed as the defaults.
    bool assigned = false;
    // An ongoing reassignment (kafka.reassignment_delay): the target replicas
    // (empty: none), the replicas before it, and when it completes.
    std::vector<int32_t> target;
    std::vector<int32_t> original;
    std::chrono::steady_clock::time_point completes_at;
    int32_t epoch() const { return epochs.back().first; }
  };
  // An ongoing reassignment as ListPartitionReassignments lists it.
  struct OngoingReassignment {
    PartitionKey partition;
    std::vector<int32_t> replicas;  // the target, then the replicas being removed
    std::vector<int32_t> adding;
    std::vector<int32_t> removing;
  };
  // Which coordinators an outage (admin API) affects.
  enum class CoordinatorType { kGroup, kTransaction };
  // How they fail: FindCoordinator answers COORDINATOR_NOT_AVAILABLE and the
  // coordinator's requests too (kUnavailable), or FindCoordinator answers and
  // the coordinator's requests get COORDINATOR_LOAD_IN_PROGRESS (kLoading).
  enum class OutageMode { kUnavailable, kLoading };
  struct CoordinatorOutage {
    CoordinatorType type = CoordinatorType::kGroup;
    std::optional<std::string> key;  // one group / transactional id; none: all of them
    OutageMode mode = OutageMode::kUnavailable;
    std::chrono::steady_clock::time_point until;
  };

  // `auto_leader_rebalance`: a broker that starts again becomes the leader of
  // the partitions it is the preferred leader of (Kafka's
  // auto.leader.rebalance.enable, applied at once rather than on its timer).
  // `reassignment_delay`: how long a reassignment stays ongoing (0: completes at once).
  Cluster(int32_t brokers, std::vector<std::string> racks, bool auto_leader_rebalance = false,
          std::chrono::milliseconds reassignment_delay = std::chrono::milliseconds(0));

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
  // The partition's whole state: leader, epochs, replicas and ISR.
  PartitionState describe(const std::string& topic, int32_t partition);
  // How many replicas are in sync (1 with one broker).
  int32_t isr_size(const std::string& topic, int32_t partition);
  // The preferred leader of a partition: its first replica.
  int32_t preferred_leader(const std::string& topic, int32_t partition);
  // Replication factor of partitions first seen: min(3, N), or what
  // `set_topic_replicas` gave the topic.
  int32_t default_replication_factor() const { return size_ < 3 ? size_ : 3; }
  // The replicas a partition gets by default with `replication_factor`:
  // consecutive brokers from (hash(topic) + partition) % N.
  std::vector<int32_t> default_replicas(const std::string& topic, int32_t partition,
                                        int32_t replication_factor) const;
  // A topic (re)created: its partitions get `replication_factor` replicas, or
  // `assignments` (one replica list per partition) when not empty; each
  // partition's ISR becomes its live replicas and its leader the first of
  // them (a change bumps the epoch, starting at offset 0: a new log).
  void create_topic(const std::string& topic, int32_t partitions, int32_t replication_factor,
                    const std::vector<std::vector<int32_t>>& assignments);
  // Partitions `first`, `first` + 1, ... added to a topic (CreatePartitions)
  // with these replica lists, as create_topic sets them up; without
  // assignments they get the default replicas when first used.
  void add_partitions(const std::string& topic, int32_t first,
                      const std::vector<std::vector<int32_t>>& assignments);
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
  // starts at `log_end_offset`. False when the node is not live or not in
  // the partition's ISR (a leader is elected from the ISR).
  bool elect(const std::string& topic, int32_t partition, int32_t node, int64_t log_end_offset);
  // Kafka's unclean election: an offline partition (leader -1) gets its first
  // live replica as leader, with an ISR of that one. 0 when elected,
  // ELECTION_NOT_NEEDED when the partition has a leader,
  // ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live.
  int16_t elect_unclean(const std::string& topic, int32_t partition, int64_t log_end_offset);
  // Sets the partition's ISR (admin API): non-empty, no duplicates, only live
  // replicas of the partition. When the leader leaves it, the first member in
  // replica order leads (a new epoch). An error message when refused.
  std::string set_isr(const std::string& topic, int32_t partition, std::vector<int32_t> isr,
                      int64_t log_end_offset);
  // AlterPartitionReassignments: the partition's replicas become `replicas`
  // (non-empty, no duplicates, live brokers only: otherwise an error
  // message), all in sync; a leader outside the new set gives way to the
  // first new replica in sync (a new epoch). At once, or after the
  // reassignment delay: until then the partition lists the target replicas
  // then those being removed, the ISR is unchanged, and a new reassignment
  // replaces the ongoing one.
  std::string reassign(const std::string& topic, int32_t partition,
                       const std::vector<int32_t>& replicas, int64_t log_end_offset);
  // Cancels an ongoing reassignment (the replicas go back); false when none.
  bool cancel_reassignment(const std::string& topic, int32_t partition);
  // Completes the reassignments whose delay has passed (called on a timer).
  void complete_reassignments(const std::map<PartitionKey, int64_t>& log_end_offsets);
  bool has_ongoing_reassignments() const { return ongoing_reassignments_; }
  std::vector<OngoingReassignment> ongoing_reassignments() const;
  // Takes a live broker out of the cluster: each of `partitions` (and the
  // internal topics' partitions) it leads moves to the next live broker.
  // `log_end_offset` gives each moved partition's end. False when the node is
  // unknown, already down or the last live broker.
  bool stop(int32_t node, const std::vector<PartitionKey>& partitions,
            const std::map<PartitionKey, int64_t>& log_end_offsets);
  // Brings a stopped broker back: it rejoins the ISR of its partitions, leads
  // again the offline ones it was the last ISR member of, and with auto
  // leader rebalance takes back those it is the preferred leader of (each
  // move a new epoch starting at the partition's entry in `log_end_offsets`).
  bool start(int32_t node, const std::map<PartitionKey, int64_t>& log_end_offsets = {});
  bool auto_leader_rebalance() const { return auto_leader_rebalance_; }
  // Every broker up, every partition back on its preferred leader (a moved
  // one at a new epoch; epochs never go back, as clients keep the newest
  // they saw), epoch histories starting at offset 0 (storage was reset).
  void reset();

  // Every assigned partition's state (admin API).
  std::map<PartitionKey, PartitionState> partitions() const;

  // What snapshots carry of the cluster (the kafka.cluster extension): the
  // replication factor CreateTopics gave each topic, and per assigned
  // partition its leader epoch and, when they were set explicitly (manual
  // assignments of CreateTopics and CreatePartitions, reassignments), its
  // replicas. An ongoing reassignment counts as completed: its target
  // replicas are saved.
  struct SavedPartition {
    int32_t epoch = 0;
    std::vector<int32_t> replicas;  // empty: the default replicas
  };
  struct SavedAssignments {
    std::map<std::string, int32_t> replication;
    std::map<PartitionKey, SavedPartition> partitions;
  };
  SavedAssignments save_assignments() const;
  // Gives the saved topics their replication factor and the saved partitions
  // their replicas, after reset() (or on a new cluster): the ISR becomes the
  // live replicas and the leader the first of them, as create_topic does.
  // Leader epochs never go back: a partition continues from the higher of its
  // current and its saved epoch, one more when its leader changes. Node ids
  // this cluster does not have (0 to N-1) are dropped from the lists, a list
  // left empty falls back to the default replicas and a replication factor
  // is capped at N; each such change is returned as a warning.
  std::vector<std::string> restore_assignments(const SavedAssignments& saved);
  // The extension's bytes (a version byte, then the assignments) and back;
  // decode throws DecodeError on a malformed or unknown-version encoding.
  static std::string encode(const SavedAssignments& saved);
  static SavedAssignments decode(std::string_view encoded);

  // Coordinator outages (admin API): until `duration` passes, the group or
  // transaction coordinators (of `key`, or all) fail as `mode` says.
  void add_coordinator_outage(CoordinatorOutage outage);
  void clear_coordinator_outages();
  std::vector<CoordinatorOutage> coordinator_outages();
  // The error a coordinator answers for `key` now: 0, COORDINATOR_NOT_AVAILABLE
  // or COORDINATOR_LOAD_IN_PROGRESS. `find` asks for FindCoordinator's answer
  // (a loading coordinator is found).
  int16_t coordinator_error(CoordinatorType type, const std::string& key, bool find);

  // Java's String.hashCode of the UTF-8 bytes read as Latin-1 (equal for ASCII keys).
  static int32_t java_hash(const std::string& text);

 private:
  PartitionState& state_locked(const std::string& topic, int32_t partition);
  // The first live ISR member in replica order, other than `except`; -1 when none.
  int32_t pick_leader(const PartitionState& state, int32_t except) const;
  // Moves leadership; a change bumps the epoch, which starts at `start_offset`.
  static void set_leader(PartitionState& state, int32_t leader, int64_t start_offset);
  // Initial state for `replicas`: the ISR its live members, the first of them leading.
  void init_state(PartitionState& state, std::vector<int32_t> replicas) const;
  // Makes `replicas` the partition's replicas and ISR (its live members) now.
  void apply_reassignment(PartitionState& state, const std::vector<int32_t>& replicas,
                          int64_t log_end_offset) const;

  const int32_t size_;
  const bool auto_leader_rebalance_;
  const std::chrono::milliseconds reassignment_delay_;
  mutable std::mutex mutex_;
  std::vector<Node> nodes_;
  std::map<PartitionKey, PartitionState> partitions_;
  std::map<std::string, int32_t> topic_replication_;  // set by create_topic
  std::vector<CoordinatorOutage> outages_;
  std::atomic<bool> has_outages_{false};  // read without the lock as a fast path
  std::atomic<bool> ongoing_reassignments_{false};
};

}  // namespace mockforge::kafka
