#include "brokers/kafka/broker/group_coordinator.h"

#include <algorithm>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/consumer_protocol.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {

std::string_view group_state_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

struct GroupCoordinator::Group {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::vector<std::pair<std::string, GroupBytes>> protocols;
    std::chrono::milliseconds session_timeout{10000};
    std::chrono::milliseconds rebalance_timeout{10000};
    GroupClock::time_point last_seen;
    GroupBytes assignment;
    JoinCallback pending_join;
    SyncCallback pending_sync;

    const GroupBytes* metadata_for(const std::string& protocol) const {
      for (const auto& [name, metadata] : protocols) {
        if (name == protocol) return &metadata;
      }
      return nullptr;
    }
  };

  std::string group_id;
  GroupState state = GroupState::kEmpty;
  int32_t generation_id = 0;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader;
  std::map<std::string, Member> members;                             // by member id
  std::map<std::string, GroupClock::time_point> pending_member_ids;  // MEMBER_ID_REQUIRED
  std::map<std::string, std::string> static_members;                 // instance id -> member id
  GroupClock::time_point join_deadline;                              // rebalance timeout
  GroupClock::time_point initial_delay_end;                          // first join of an empty group
  GroupOffsets offsets;
};

GroupCoordinator::GroupCoordinator(std::chrono::milliseconds initial_rebalance_delay)
    : initial_rebalance_delay_(initial_rebalance_delay) {}

GroupCoordinator::~GroupCoordinator() = default;

namespace {
void run(std::vector<std::function<void()>>& deferred) {
  for (auto& fn : deferred) fn();
}
}  // namespace

GroupCoordinator::Group& GroupCoordinator::group_locked(const std::string& group_id) {
  auto& slot = groups_[group_id];
  if (!slot) {
    slot = std::make_unique<Group>();
    slot->group_id = group_id;
  }
  return *slot;
}

void GroupCoordinator::join(JoinParams params, GroupClock::time_point now, JoinCallback done) {
  Deferred deferred;
  {
    std::lock_guard lock(mutex_);
    auto fail = [&](int16_t code, std::string member_id = {}) {
      JoinResult result;
      result.error_code = code;
      result.member_id = std::move(member_id);
      deferred.push_back([done, result] { done(result); });
    };
    if (params.group_id.empty()) {
      fail(error::kInvalidGroupId);
    } else if (params.protocols.empty() || params.protocol_type.empty()) {
      fail(error::kInconsistentGroupProtocol);
    } else if (params.session_timeout < std::chrono::milliseconds(1) ||
               params.session_timeout > std::chrono::minutes(30)) {
      fail(error::kInvalidSessionTimeout);
    } else {
      Group& group = group_locked(params.group_id);
      bool compatible = group.members.empty() || group.protocol_type == params.protocol_type;
      if (compatible && !group.members.empty()) {
        // Every member must share at least one protocol with the newcomer.
        for (const auto& [id, member] : group.members) {
          if (id == params.member_id) continue;
          bool shared = false;
          for (const auto& [name, metadata] : params.protocols) {
            if (member.metadata_for(name)) shared = true;
          }
          if (!shared) compatible = false;
        }
      }
      std::string member_id = params.member_id;
      const std::string previous_leader = group.leader;
      bool static_replacement = false;
      if (!compatible) {
        fail(error::kInconsistentGroupProtocol, member_id);
      } else {
        bool new_member = false;
        if (member_id.empty()) {
          if (params.group_instance_id) {
            auto known = group.static_members.find(*params.group_instance_id);
            if (known != group.static_members.end()) {
              // A restarted static member takes over its old identity's place.
              std::string old_id = known->second;
              member_id = *params.group_instance_id + "-" + std::to_string(next_member_suffix_++);
              auto old = group.members.find(old_id);
              if (old != group.members.end()) {
                auto node = group.members.extract(old);
                if (node.mapped().pending_join) {
                  JoinCallback cb = std::move(node.mapped().pending_join);
                  deferred.push_back([cb] {
                    JoinResult r;
                    r.error_code = error::kFencedInstanceId;
                    cb(r);
                  });
                }
                node.key() = member_id;
                node.mapped().member_id = member_id;
                if (group.leader == old_id) group.leader = member_id;
                group.members.insert(std::move(node));
                static_replacement = true;
              }
              known->second = member_id;
            }
          }
          if (member_id.empty()) {
            member_id = (params.group_instance_id ? *params.group_instance_id : params.client_id) +
                        "-" + std::to_string(next_member_suffix_++);
            if (params.require_known_member_id && !params.group_instance_id) {
              group.pending_member_ids[member_id] = now;
              fail(error::kMemberIdRequired, member_id);
              goto done_locked;
            }
            new_member = true;
          }
        } else if (!group.members.count(member_id)) {
          if (group.pending_member_ids.erase(member_id)) {
            new_member = true;
          } else {
            fail(error::kUnknownMemberId, member_id);
            goto done_locked;
          }
        }
        Group::Member& member = group.members[member_id];
        bool metadata_changed = new_member || member.protocols != params.protocols;
        member.member_id = member_id;
        member.group_instance_id = params.group_instance_id;
        if (params.group_instance_id) group.static_members[*params.group_instance_id] = member_id;
        member.client_id = params.client_id;
        member.client_host = params.client_host;
        member.protocols = params.protocols;
        member.session_timeout = params.session_timeout;
        member.rebalance_timeout = params.rebalance_timeout;
        member.last_seen = now;
        if (member.pending_join) {
          // A duplicate join replaces the earlier one (the client gave up on it).
          JoinCallback old = std::move(member.pending_join);
          deferred.push_back([old] {
            JoinResult r;
            r.error_code = error::kRebalanceInProgress;
            old(r);
          });
        }
        member.pending_join = std::move(done);
        if (group.members.size() == 1 && group.state == GroupState::kEmpty) {
          group.protocol_type = params.protocol_type;
        }
        if (group.state == GroupState::kStable && !metadata_changed &&
            (member_id != group.leader || static_replacement)) {
          // Nothing changed: answer with the current generation at once. A static member
          // that came back (KIP-345) gets its old assignment through SyncGroup without a
          // rebalance; like Kafka, it is told the leader id from before its return, so even a
          // returning leader does not compute a new assignment that a stable group would not
          // hand out.
          JoinResult result;
          result.generation_id = group.generation_id;
          result.protocol_type = group.protocol_type;
          result.protocol_name = group.protocol_name;
          result.leader = static_replacement ? previous_leader : group.leader;
          result.member_id = member_id;
          JoinCallback cb = std::move(member.pending_join);
          member.pending_join = nullptr;
          deferred.push_back([cb, result] { cb(result); });
        } else {
          if (group.state != GroupState::kPreparingRebalance) {
            prepare_rebalance_locked(group, now, deferred);
          }
          maybe_complete_join_locked(group, now, false, deferred);
        }
      }
    }
  done_locked:;
  }
  run(deferred);
}

void GroupCoordinator::prepare_rebalance_locked(Group& group, GroupClock::time_point now,
                                                Deferred& deferred) {
  // Members waiting in SyncGroup learn that a new rebalance started.
  for (auto& [id, member] : group.members) {
    if (member.pending_sync) {
      SyncCallback cb = std::move(member.pending_sync);
      member.pending_sync = nullptr;
      deferred.push_back([cb] {
        SyncResult r;
        r.error_code = error::kRebalanceInProgress;
        cb(r);
      });
    }
  }
  bool was_empty = group.state == GroupState::kEmpty;
  group.state = GroupState::kPreparingRebalance;
  std::chrono::milliseconds timeout{0};
  for (const auto& [id, member] : group.members)
    timeout = std::max(timeout, member.rebalance_timeout);
  group.join_deadline = now + timeout;
  group.initial_delay_end = was_empty ? now + initial_rebalance_delay_ : now;
}

void GroupCoordinator::maybe_complete_join_locked(Group& group, GroupClock::time_point now,
                                                  bool deadline_passed, Deferred& deferred) {
  if (group.state != GroupState::kPreparingRebalance) return;
  bool all_joined = std::all_of(group.members.begin(), group.members.end(),
                                [](const auto& entry) { return bool(entry.second.pending_join); });
  bool delay_over = now >= group.initial_delay_end;
  if (!(deadline_passed || (all_joined && delay_over))) return;

  // Members that did not rejoin in time leave the group.
  for (auto it = group.members.begin(); it != group.members.end();) {
    if (!it->second.pending_join) {
      if (it->second.group_instance_id) group.static_members.erase(*it->second.group_instance_id);
      it = group.members.erase(it);
    } else {
      ++it;
    }
  }
  ++group.generation_id;
  if (group.members.empty()) {
    group.state = GroupState::kEmpty;
    group.leader.clear();
    group.protocol_name.clear();
    return;
  }
  if (!group.members.count(group.leader)) group.leader = group.members.begin()->first;
  // Protocol: the leader's first choice that every member supports (Kafka votes; with one
  // client library in a group the outcome is the same).
  group.protocol_name.clear();
  for (const auto& protocol : group.members.at(group.leader).protocols) {
    const auto& name = protocol.first;  // a named reference: clang 14 cannot capture a binding
    bool everyone = std::all_of(group.members.begin(), group.members.end(),
                                [&](const auto& entry) { return entry.second.metadata_for(name); });
    if (everyone) {
      group.protocol_name = name;
      break;
    }
  }
  group.state = GroupState::kCompletingRebalance;
  for (auto& [id, member] : group.members) {
    JoinResult result;
    result.generation_id = group.generation_id;
    result.protocol_type = group.protocol_type;
    result.protocol_name = group.protocol_name;
    result.leader = group.leader;
    result.member_id = id;
    if (id == group.leader) {
      for (const auto& [other_id, other] : group.members) {
        const GroupBytes* metadata = other.metadata_for(group.protocol_name);
        result.members.push_back(
            {other_id, other.group_instance_id, metadata ? *metadata : GroupBytes{}});
      }
    }
    member.assignment.clear();
    member.last_seen = now;
    JoinCallback cb = std::move(member.pending_join);
    member.pending_join = nullptr;
    deferred.push_back([cb, result = std::move(result)] { cb(result); });
  }
}

void GroupCoordinator::sync(SyncParams params, GroupClock::time_point now, SyncCallback done) {
  Deferred deferred;
  {
    std::lock_guard lock(mutex_);
    auto fail = [&](int16_t code) {
      SyncResult r;
      r.error_code = code;
      deferred.push_back([done, r] { done(r); });
    };
    auto it = groups_.find(params.group_id);
    if (it == groups_.end() || !it->second->members.count(params.member_id)) {
      fail(error::kUnknownMemberId);
    } else {
      Group& group = *it->second;
      Group::Member& member = group.members.at(params.member_id);
      member.last_seen = now;
      if (params.generation_id != group.generation_id) {
        fail(error::kIllegalGeneration);
      } else if ((params.protocol_type && *params.protocol_type != group.protocol_type) ||
                 (params.protocol_name && *params.protocol_name != group.protocol_name)) {
        fail(error::kInconsistentGroupProtocol);
      } else if (group.state == GroupState::kPreparingRebalance) {
        fail(error::kRebalanceInProgress);
      } else if (group.state == GroupState::kStable) {
        SyncResult r{0, group.protocol_type, group.protocol_name, member.assignment};
        deferred.push_back([done, r] { done(r); });
      } else {
        member.pending_sync = std::move(done);
        if (params.member_id == group.leader) {
          for (auto& [id, assignment] : params.assignments) {
            auto target = group.members.find(id);
            if (target != group.members.end()) target->second.assignment = assignment;
          }
          group.state = GroupState::kStable;
          for (auto& [id, m] : group.members) {
            if (!m.pending_sync) continue;
            SyncResult r{0, group.protocol_type, group.protocol_name, m.assignment};
            SyncCallback cb = std::move(m.pending_sync);
            m.pending_sync = nullptr;
            deferred.push_back([cb, r] { cb(r); });
          }
        }
      }
    }
  }
  run(deferred);
}

int16_t GroupCoordinator::heartbeat(const std::string& group_id, const std::string& member_id,
                                    int32_t generation_id, GroupClock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return error::kUnknownMemberId;
  Group& group = *it->second;
  auto member = group.members.find(member_id);
  if (member == group.members.end()) return error::kUnknownMemberId;
  member->second.last_seen = now;
  if (generation_id != group.generation_id) return error::kIllegalGeneration;
  if (group.state == GroupState::kPreparingRebalance) return error::kRebalanceInProgress;
  return error::kNone;
}

void GroupCoordinator::remove_member_locked(Group& group, const std::string& member_id,
                                            GroupClock::time_point now, Deferred& deferred) {
  auto it = group.members.find(member_id);
  if (it == group.members.end()) return;
  if (it->second.group_instance_id) group.static_members.erase(*it->second.group_instance_id);
  if (it->second.pending_join) {
    JoinCallback cb = std::move(it->second.pending_join);
    deferred.push_back([cb] {
      JoinResult r;
      r.error_code = error::kUnknownMemberId;
      cb(r);
    });
  }
  if (it->second.pending_sync) {
    SyncCallback cb = std::move(it->second.pending_sync);
    deferred.push_back([cb] {
      SyncResult r;
      r.error_code = error::kUnknownMemberId;
      cb(r);
    });
  }
  group.members.erase(it);
  if (group.members.empty()) {
    ++group.generation_id;
    group.state = GroupState::kEmpty;
    group.leader.clear();
    group.protocol_name.clear();
    return;
  }
  if (group.state != GroupState::kPreparingRebalance) {
    prepare_rebalance_locked(group, now, deferred);
  }
  maybe_complete_join_locked(group, now, false, deferred);
}

int16_t GroupCoordinator::leave(const std::string& group_id, const std::string& member_id,
                                const std::optional<std::string>& group_instance_id,
                                GroupClock::time_point now) {
  Deferred deferred;
  int16_t code = error::kNone;
  {
    std::lock_guard lock(mutex_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) {
      code = error::kUnknownMemberId;
    } else {
      Group& group = *it->second;
      std::string id = member_id;
      if (group_instance_id) {
        auto known = group.static_members.find(*group_instance_id);
        if (known == group.static_members.end()) {
          code = error::kUnknownMemberId;
        } else if (!id.empty() && known->second != id) {
          code = error::kFencedInstanceId;
        } else {
          id = known->second;
        }
      }
      if (code == error::kNone) {
        if (!group.members.count(id)) {
          code = error::kUnknownMemberId;
        } else {
          remove_member_locked(group, id, now, deferred);
        }
      }
    }
  }
  run(deferred);
  return code;
}

int16_t GroupCoordinator::commit_offsets(
    const std::string& group_id, const std::string& member_id, int32_t generation_id,
    const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets) {
  std::lock_guard lock(mutex_);
  if (group_id.empty()) return error::kInvalidGroupId;
  Group& group = group_locked(group_id);
  if (generation_id >= 0 || !member_id.empty()) {
    auto member = group.members.find(member_id);
    if (member == group.members.end()) return error::kUnknownMemberId;
    if (generation_id != group.generation_id) return error::kIllegalGeneration;
    if (group.state == GroupState::kPreparingRebalance) return error::kRebalanceInProgress;
  } else if (!group.members.empty()) {
    // A standalone commit into a group with live members: Kafka refuses it.
    return error::kUnknownMemberId;
  }
  for (const auto& [key, offset] : offsets) group.offsets[key] = offset;
  return error::kNone;
}

void GroupCoordinator::store_offsets(
    const std::string& group_id,
    const std::vector<std::pair<TopicPartitionKey, CommittedOffset>>& offsets) {
  std::lock_guard lock(mutex_);
  if (group_id.empty()) return;
  Group& group = group_locked(group_id);
  for (const auto& [key, offset] : offsets) group.offsets[key] = offset;
}

int16_t GroupCoordinator::check_member(const std::string& group_id, const std::string& member_id,
                                       int32_t generation_id) const {
  if (generation_id < 0 && member_id.empty()) return error::kNone;
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return error::kUnknownMemberId;
  const Group& group = *it->second;
  if (group.members.find(member_id) == group.members.end()) return error::kUnknownMemberId;
  if (generation_id != group.generation_id) return error::kIllegalGeneration;
  return error::kNone;
}

GroupOffsets GroupCoordinator::fetch_offsets(const std::string& group_id) const {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  return it == groups_.end() ? GroupOffsets{} : it->second->offsets;
}

std::map<std::string, GroupOffsets> GroupCoordinator::all_offsets() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, GroupOffsets> result;
  for (const auto& [id, group] : groups_) {
    if (!group->offsets.empty()) result[id] = group->offsets;
  }
  return result;
}

std::string GroupCoordinator::encode_offsets() const {
  Writer writer;
  const auto groups = all_offsets();
  writer.write_int32(static_cast<int32_t>(groups.size()));
  for (const auto& [group_id, offsets] : groups) {
    writer.write_string(group_id, false);
    writer.write_int32(static_cast<int32_t>(offsets.size()));
    for (const auto& [key, committed] : offsets) {
      writer.write_string(key.first, false);
      writer.write_int32(key.second);
      writer.write_int64(committed.offset);
      writer.write_int32(committed.leader_epoch);
      writer.write_nullable_string(committed.metadata, false);
    }
  }
  const Bytes bytes = writer.take();
  return std::string(bytes.begin(), bytes.end());
}

void GroupCoordinator::restore_offsets(std::string_view encoded) {
  Reader reader(std::span(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()));
  const int32_t groups = reader.read_int32();
  for (int32_t g = 0; g < groups; ++g) {
    const std::string group_id = reader.read_string(false);
    const int32_t count = reader.read_int32();
    std::vector<std::pair<TopicPartitionKey, CommittedOffset>> offsets;
    for (int32_t i = 0; i < count; ++i) {
      TopicPartitionKey key;
      key.first = reader.read_string(false);
      key.second = reader.read_int32();
      CommittedOffset committed;
      committed.offset = reader.read_int64();
      committed.leader_epoch = reader.read_int32();
      committed.metadata = reader.read_nullable_string(false);
      offsets.emplace_back(std::move(key), std::move(committed));
    }
    commit_offsets(group_id, "", -1, offsets);
  }
  if (!reader.at_end()) throw DecodeError("trailing bytes after the consumer-group offsets");
}

GroupDescription GroupCoordinator::describe(const std::string& group_id) const {
  std::lock_guard lock(mutex_);
  GroupDescription description;
  description.group_id = group_id;
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return description;  // Dead, as Kafka describes unknown groups
  const Group& group = *it->second;
  description.state = group.state;
  description.protocol_type = group.protocol_type;
  description.protocol_name = group.protocol_name;
  for (const auto& [id, member] : group.members) {
    const GroupBytes* metadata = member.metadata_for(group.protocol_name);
    description.members.push_back({id, member.group_instance_id, member.client_id,
                                   member.client_host, metadata ? *metadata : GroupBytes{},
                                   member.assignment});
  }
  return description;
}

std::vector<GroupListing> GroupCoordinator::list() const {
  std::lock_guard lock(mutex_);
  std::vector<GroupListing> result;
  for (const auto& [id, group] : groups_) {
    result.push_back({id, group->protocol_type, group->state});
  }
  return result;
}

OffsetDeleteResult GroupCoordinator::delete_offsets(
    const std::string& group_id, const std::vector<TopicPartitionKey>& partitions) {
  OffsetDeleteResult result;
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end() || it->second->state == GroupState::kDead) {
    result.error_code = error::kGroupIdNotFound;
    return result;
  }
  Group& group = *it->second;
  std::set<std::string> subscribed;
  if (!group.members.empty()) {
    // Kafka knows a consumer group's subscriptions once a protocol is chosen: the union of
    // the members' Subscription metadata for it.
    bool known = group.protocol_type == "consumer" && !group.protocol_name.empty();
    for (const auto& [member_id, member] : group.members) {
      if (!known) break;
      const GroupBytes* metadata = member.metadata_for(group.protocol_name);
      if (metadata == nullptr) {
        known = false;
        break;
      }
      try {
        for (auto& topic : decode_subscription(*metadata).topics) subscribed.insert(topic);
      } catch (const DecodeError&) {
        known = false;
      }
    }
    if (!known) {
      result.error_code = error::kNonEmptyGroup;
      return result;
    }
  }
  for (const auto& key : partitions) {
    if (subscribed.count(key.first) != 0) {
      result.partitions[key] = error::kGroupSubscribedToTopic;
      continue;
    }
    group.offsets.erase(key);
    result.partitions[key] = error::kNone;
  }
  return result;
}

int16_t GroupCoordinator::delete_group(const std::string& group_id) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return error::kGroupIdNotFound;
  if (!it->second->members.empty()) return error::kNonEmptyGroup;
  groups_.erase(it);
  return error::kNone;
}

std::size_t GroupCoordinator::group_count() const {
  std::lock_guard lock(mutex_);
  return groups_.size();
}

void GroupCoordinator::tick(GroupClock::time_point now) {
  Deferred deferred;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, group_ptr] : groups_) {
      Group& group = *group_ptr;
      for (auto it = group.pending_member_ids.begin(); it != group.pending_member_ids.end();) {
        it = now - it->second > std::chrono::minutes(5) ? group.pending_member_ids.erase(it)
                                                        : std::next(it);
      }
      // Sessions expire in every state, as in Kafka: during a rebalance too, a member that
      // neither rejoined nor heartbeated within its session timeout is dropped, so the join
      // completes then rather than at the (usually much longer) rebalance timeout. Members
      // parked in JoinGroup or SyncGroup are kept alive by their pending request.
      std::vector<std::string> expired;
      for (const auto& [member_id, member] : group.members) {
        if (!member.pending_join && !member.pending_sync &&
            now - member.last_seen > member.session_timeout) {
          expired.push_back(member_id);
        }
      }
      for (const auto& member_id : expired) remove_member_locked(group, member_id, now, deferred);
      if (group.state == GroupState::kPreparingRebalance) {
        maybe_complete_join_locked(group, now, now >= group.join_deadline, deferred);
      }
    }
  }
  run(deferred);
}

void GroupCoordinator::reset() {
  Deferred deferred;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, group] : groups_) {
      for (auto& [member_id, member] : group->members) {
        if (member.pending_join) {
          JoinCallback cb = std::move(member.pending_join);
          deferred.push_back([cb] {
            JoinResult r;
            r.error_code = error::kCoordinatorNotAvailable;
            cb(r);
          });
        }
        if (member.pending_sync) {
          SyncCallback cb = std::move(member.pending_sync);
          deferred.push_back([cb] {
            SyncResult r;
            r.error_code = error::kCoordinatorNotAvailable;
            cb(r);
          });
        }
      }
    }
    groups_.clear();
  }
  run(deferred);
}

}  // namespace mockforge::kafka
