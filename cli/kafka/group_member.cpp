#include "cli/kafka/group_member.h"

#include <set>

#include "cli/kafka/consumer_protocol.h"
#include "mockforge/kafka/heartbeat.h"
#include "mockforge/kafka/join_group.h"
#include "mockforge/kafka/leave_group.h"
#include "mockforge/kafka/offset_commit.h"
#include "mockforge/kafka/offset_fetch.h"
#include "mockforge/kafka/sync_group.h"

namespace mockforge::cli::kafka {
namespace {

namespace k = mockforge::kafka;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int16_t kRebalanceInProgress = 27;
constexpr int16_t kIllegalGeneration = 22;
constexpr int16_t kUnknownMemberId = 25;
constexpr int16_t kMemberIdRequired = 79;
constexpr int16_t kInvalidRequest = 42;
constexpr int kLateSyncRetries = 5;
constexpr int32_t kSessionTimeoutMs = 10000;
constexpr int32_t kRebalanceTimeoutMs = 30000;
constexpr milliseconds kHeartbeatInterval{3000};

}  // namespace

GroupMember::GroupMember(Cluster& cluster, std::string group, std::vector<std::string> topics)
    : cluster_(cluster), group_(std::move(group)), topics_(std::move(topics)) {}

TopicPartitions GroupMember::join() {
  int late_syncs = 0;
  while (true) {
    BrokerConnection& coordinator = cluster_.coordinator(group_);
    k::JoinGroupRequest request;
    request.group_id = group_;
    request.session_timeout_ms = kSessionTimeoutMs;
    request.rebalance_timeout_ms = kRebalanceTimeoutMs;
    request.member_id = member_id_;
    request.protocol_type = "consumer";
    request.protocols.push_back({"range", encode_subscription({topics_, std::nullopt})});
    const int16_t version = coordinator.version_for<k::JoinGroupRequest>();
    const auto response = coordinator.call<k::JoinGroupResponse>(
        request, version, cluster_.options().timeout + milliseconds(kRebalanceTimeoutMs));
    if (response.error_code == kMemberIdRequired) {
      member_id_ = response.member_id;
      continue;
    }
    if (response.error_code == kUnknownMemberId) {
      member_id_.clear();
      continue;
    }
    if (response.error_code == kRebalanceInProgress) continue;
    check_error(response.error_code, "JoinGroup '" + group_ + "'");
    member_id_ = response.member_id;
    generation_ = response.generation_id;

    k::SyncGroupRequest sync;
    sync.group_id = group_;
    sync.generation_id = generation_;
    sync.member_id = member_id_;
    sync.protocol_type = "consumer";
    sync.protocol_name = response.protocol_name;
    if (response.leader == member_id_) {
      std::map<std::string, Subscription> members;
      std::set<std::string> topics;
      for (const auto& member : response.members) {
        members[member.member_id] = decode_subscription(member.metadata);
        for (const auto& t : members[member.member_id].topics) topics.insert(t);
      }
      std::map<std::string, int32_t> counts;
      for (const auto& t : topics) {
        try {
          counts[t] = static_cast<int32_t>(cluster_.topic_metadata(t, false).partitions.size());
        } catch (const KafkaError&) {
          // A member subscribed to a topic that does not exist: nothing to assign for it.
        }
      }
      for (const auto& [member, assignment] : range_assign(members, counts)) {
        sync.assignments.push_back({member, encode_assignment(assignment)});
      }
    }
    const int16_t sync_version = coordinator.version_for<k::SyncGroupRequest>();
    const Bytes body = coordinator.call_raw(sync, sync_version);
    k::SyncGroupResponse synced;
    try {
      k::Reader reader(body);
      synced.decode(reader, sync_version);
    } catch (const k::DecodeError&) {
      // librdkafka's mock sends a null assignment with an error; read just the error code
      // (after throttle_time_ms from v1) and let a non-zero one decide below.
      k::Reader reader(body);
      if (sync_version >= 1) reader.read_int32();
      synced.error_code = reader.read_int16();
      if (synced.error_code == 0) throw;
    }
    if (synced.error_code == kRebalanceInProgress || synced.error_code == kIllegalGeneration) {
      continue;
    }
    if (synced.error_code == kUnknownMemberId) {
      member_id_.clear();
      continue;
    }
    // librdkafka's mock cluster ends a sync as soon as the leader's
    // assignments are in, and answers a follower's SyncGroup that comes after
    // with INVALID_REQUEST: join again (a few times; a real broker never
    // answers a SyncGroup of the current generation so).
    if (synced.error_code == kInvalidRequest && ++late_syncs <= kLateSyncRetries) continue;
    check_error(synced.error_code, "SyncGroup '" + group_ + "'");
    last_heartbeat_ = Clock::now();
    TopicPartitions out;
    for (auto& [topic, partitions] : decode_assignment(synced.assignment)) {
      if (!partitions.empty()) out[topic] = std::move(partitions);
    }
    return out;
  }
}

TopicOffsets GroupMember::committed(const TopicPartitions& partitions) {
  TopicOffsets offsets;
  if (partitions.empty()) return offsets;
  BrokerConnection& coordinator = cluster_.coordinator(group_);
  k::OffsetFetchRequest request;
  request.group_id = group_;
  request.topics.emplace();
  for (const auto& [topic, list] : partitions) request.topics->push_back({topic, list});
  // v8+ batches groups; one group needs no more than v7.
  const int16_t version = coordinator.version_for<k::OffsetFetchRequest>(7);
  const auto response = coordinator.call<k::OffsetFetchResponse>(request, version);
  check_error(response.error_code, "OffsetFetch for group '" + group_ + "'");
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      check_error(p.error_code, "OffsetFetch " + t.name + "-" + std::to_string(p.partition_index));
      offsets[t.name][p.partition_index] = p.committed_offset;
    }
  }
  return offsets;
}

bool GroupMember::commit(const TopicOffsets& positions) {
  k::OffsetCommitRequest request;
  request.group_id = group_;
  request.generation_id_or_member_epoch = generation_;
  request.member_id = member_id_;
  for (const auto& [topic, partitions] : positions) {
    if (partitions.empty()) continue;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    for (const auto& [p, offset] : partitions) {
      k::OffsetCommitRequest::OffsetCommitRequestPartition partition;
      partition.partition_index = p;
      partition.committed_offset = offset;
      partition.committed_metadata = "";
      t.partitions.push_back(partition);
    }
  }
  if (request.topics.empty()) return true;
  BrokerConnection& coordinator = cluster_.coordinator(group_);
  // v2+ commits to Kafka (not ZooKeeper) with generation and member; v9 is for KIP-848.
  const int16_t version = coordinator.version_for<k::OffsetCommitRequest>(8);
  if (version < 2) throw KafkaError("broker does not support OffsetCommit v2 or later");
  const auto response = coordinator.call<k::OffsetCommitResponse>(request, version);
  bool committed = true;
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      if (p.error_code == kRebalanceInProgress || p.error_code == kIllegalGeneration) {
        committed = false;
        continue;
      }
      if (p.error_code == kUnknownMemberId) {
        member_id_.clear();
        committed = false;
        continue;
      }
      check_error(p.error_code, "OffsetCommit " + t.name + "-" + std::to_string(p.partition_index));
    }
  }
  return committed;
}

bool GroupMember::heartbeat_if_due() {
  if (Clock::now() - last_heartbeat_ < kHeartbeatInterval) return true;
  BrokerConnection& coordinator = cluster_.coordinator(group_);
  k::HeartbeatRequest request;
  request.group_id = group_;
  request.generation_id = generation_;
  request.member_id = member_id_;
  const auto response = coordinator.call<k::HeartbeatResponse>(
      request, coordinator.version_for<k::HeartbeatRequest>());
  last_heartbeat_ = Clock::now();
  if (response.error_code == kRebalanceInProgress || response.error_code == kIllegalGeneration) {
    return false;
  }
  if (response.error_code == kUnknownMemberId) {
    member_id_.clear();
    return false;
  }
  check_error(response.error_code, "Heartbeat for group '" + group_ + "'");
  return true;
}

void GroupMember::leave() {
  if (member_id_.empty()) return;
  BrokerConnection& coordinator = cluster_.coordinator(group_);
  k::LeaveGroupRequest request;
  request.group_id = group_;
  request.member_id = member_id_;
  request.members.push_back({member_id_, std::nullopt, std::nullopt});
  const auto response = coordinator.call<k::LeaveGroupResponse>(
      request, coordinator.version_for<k::LeaveGroupRequest>());
  check_error(response.error_code, "LeaveGroup '" + group_ + "'");
  member_id_.clear();
}

}  // namespace mockforge::cli::kafka
