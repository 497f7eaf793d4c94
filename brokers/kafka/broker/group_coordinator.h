#pragma once

// Classic consumer-group coordinator (JoinGroup/SyncGroup/Heartbeat/LeaveGroup
// and committed offsets), one state machine per group. No I/O and no timers:
// callers pass the current time, and the service calls tick() periodically to
// run the initial-rebalance delay, rebalance timeouts and session expiry.
// Completion callbacks are invoked after the coordinator's lock is released,
// on the thread that completed them; callers post them to their own strand.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mockforge::kafka {

using GroupClock = std::chrono::steady_clock;
using GroupBytes = std::vector<uint8_t>;

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
std::string_view group_state_name(GroupState state);

struct JoinParams {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string protocol_type;
  std::vector<std::pair<std::string, GroupBytes>> protocols;  // name, metadata
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{10000};
  bool require_known_member_id = false;  // JoinGroup v4+
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  GroupBytes metadata;
};

struct JoinResult {
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinedMember> members;  // only for the leader
};

struct SyncParams {
  std::string group_id;
  std::string member_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, GroupBytes>> assignments;  // member id, assignment
};

struct SyncResult {
  int16_t error_code = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  GroupBytes assignment;
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  GroupBytes metadata;
  GroupBytes assignment;
};

struct GroupDescription {
  int16_t error_code = 0;
  std::string group_id;
  GroupState state = GroupState::kDead;
  std::string protocol_type;
  std::string protocol_name;
  std::vector<DescribedMember> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  GroupState state;
};

// (topic, partition) -> committed offset.
using TopicPartitionKey = std::pair<std::string, int32_t>;
using GroupOffsets = std::map<TopicPartitionKey, CommittedOffset>;

// OffsetDelete: the group's error (NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) and, when
// NONE, each requested partition's (NONE, or GROUP_SUBSCRIBED_TO_TOPIC).
struct OffsetDeleteResult {
  int16_t error_code = 0;
  std::map<TopicPartitionKey, int16_t> partitions;
};

class GroupCoordinator {
 public:
  using JoinCallback = std::function<void(JoinResult)>;
  using SyncCallback = std::function<void(SyncResult)>;

  explicit GroupCoordinator(std::chrono::milliseconds initial_rebalance_delay);
  ~GroupCoordinator();

  void join(JoinParams params, GroupClock::time_point now, JoinCallback done);
  void sync(SyncParams params, GroupClock::time_point now, SyncCallback done);
  int16_t heartbeat(const std::string& group_id, const std::string& member_id,
                    int32_t generation_id, GroupClock::time_point now);
  // member_id may be empty when group_instance_id identifies the member.
  int16_t leave(const std::string& group_id, const std::string& member_id,
                const std::optional<std::string>& group_instance_id, GroupClock::time_point now);

  // Validates membership (generation -1 and empty member: a standalone commit) and stores.
  int16_t commit_offsets(const std::string& group_id, const std::string& member_id,
                         int32_t generation_id,
                         const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets);
  // Stores without a membership check: a committed transaction's offsets
  // (TxnOffsetCommit was checked when it arrived).
  void store_offsets(const std::string& group_id,
                     const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets);
  // TxnOffsetCommit v3+: 0 when generation -1 and no member id (no check), or
  // when the member is in the group at that generation.
  int16_t check_member(const std::string& group_id, const std::string& member_id,
                       int32_t generation_id) const;
  // nullopt when the group has no offsets at all.
  GroupOffsets fetch_offsets(const std::string& group_id) const;
  std::map<std::string, GroupOffsets> all_offsets() const;
  // Every group's committed offsets as bytes for storage snapshots, and back:
  // restore_offsets() commits them into (memberless) groups. It throws
  // DecodeError for bytes encode_offsets() did not write.
  std::string encode_offsets() const;
  void restore_offsets(std::string_view encoded);

  // Deletes committed offsets as Kafka's OffsetDelete does: every listed partition of an
  // empty group; of a non-empty "consumer" group only those of topics no member subscribes
  // to (the others get GROUP_SUBSCRIBED_TO_TOPIC); NON_EMPTY_GROUP for any other non-empty
  // group; GROUP_ID_NOT_FOUND for an unknown group.
  OffsetDeleteResult delete_offsets(const std::string& group_id,
                                    const std::vector<TopicPartitionKey>& partitions);

  GroupDescription describe(const std::string& group_id) const;
  std::vector<GroupListing> list() const;
  int16_t delete_group(const std::string& group_id);
  std::size_t group_count() const;

  // Completes due rebalances and expires members whose session ran out.
  void tick(GroupClock::time_point now);
  // Drops every group and committed offset; pending joins/syncs get
  // COORDINATOR_NOT_AVAILABLE so their clients retry.
  void reset();

 private:
  struct Group;
  using Deferred = std::vector<std::function<void()>>;

  Group& group_locked(const std::string& group_id);
  void prepare_rebalance_locked(Group& group, GroupClock::time_point now, Deferred& deferred);
  void maybe_complete_join_locked(Group& group, GroupClock::time_point now, bool deadline_passed,
                                  Deferred& deferred);
  void remove_member_locked(Group& group, const std::string& member_id, GroupClock::time_point now,
                            Deferred& deferred);

  const std::chrono::milliseconds initial_rebalance_delay_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  uint64_t next_member_suffix_ = 1;
};

}  // namespace mockforge::kafka
