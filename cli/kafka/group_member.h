#pragma once

// A member of a Kafka consumer group (the classic protocol: JoinGroup,
// SyncGroup with the range assignor when it leads, Heartbeat, OffsetFetch,
// OffsetCommit with its generation, LeaveGroup), over cli/kafka/client.h.
// Used by `mockforge kafka consume --group` and by `mockforge scenario run
// --kafka-group`. Blocking; one thread at a time.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/kafka/client.h"

namespace mockforge::cli::kafka {

// topic -> partition -> offset (or -> partitions, for an assignment).
using TopicOffsets = std::map<std::string, std::map<int32_t, int64_t>>;
using TopicPartitions = std::map<std::string, std::vector<int32_t>>;

class GroupMember {
 public:
  GroupMember(Cluster& cluster, std::string group, std::vector<std::string> topics);

  const std::string& group() const { return group_; }
  const std::string& member_id() const { return member_id_; }
  int32_t generation() const { return generation_; }

  // JoinGroup + SyncGroup until a generation is stable (retrying on
  // REBALANCE_IN_PROGRESS, a new member id, a lost generation); returns this
  // member's partitions of each subscribed topic (a topic without any is absent).
  TopicPartitions join();

  // Committed offsets of `partitions` (-1 when none).
  TopicOffsets committed(const TopicPartitions& partitions);

  // Commits `positions` with this member's generation. Returns false when the
  // group is rebalancing (or this member's generation is gone): the caller
  // rejoins and commits again once it has its partitions.
  bool commit(const TopicOffsets& positions);

  // Sends a Heartbeat when one is due. Returns false when the group is rebalancing.
  bool heartbeat_if_due();

  // LeaveGroup (nothing when it never joined).
  void leave();

 private:
  Cluster& cluster_;
  std::string group_;
  std::vector<std::string> topics_;
  std::string member_id_;
  int32_t generation_ = -1;
  std::chrono::steady_clock::time_point last_heartbeat_ = std::chrono::steady_clock::now();
};

}  // namespace mockforge::cli::kafka
