// The classic group coordinator as a state machine: no sockets, explicit time.
#include "brokers/kafka/broker/group_coordinator.h"

#include <gtest/gtest.h>

#include "brokers/kafka/broker/error_codes.h"

namespace mockforge::kafka {
namespace {

using namespace std::chrono_literals;

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinator coordinator{100ms};
  GroupClock::time_point now = GroupClock::time_point{} + 1h;

  JoinParams params(std::string member_id, std::string protocol = "range") {
    JoinParams p;
    p.group_id = "g";
    p.member_id = std::move(member_id);
    p.client_id = "client";
    p.protocol_type = "consumer";
    p.protocols = {{protocol, GroupBytes{1, 2, 3}}};
    p.session_timeout = 10s;
    p.rebalance_timeout = 30s;
    return p;
  }

  std::optional<JoinResult> join(JoinParams p) {
    auto result = std::make_shared<std::optional<JoinResult>>();
    coordinator.join(std::move(p), now, [result](JoinResult r) { *result = std::move(r); });
    pending_.push_back(result);
    return *result;
  }

  std::vector<std::shared_ptr<std::optional<JoinResult>>> pending_;
};

TEST_F(GroupCoordinatorTest, MemberIdRequiredThenJoinAfterInitialDelay) {
  auto first = join([&] {
    auto p = params("");
    p.require_known_member_id = true;
    return p;
  }());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->error_code, error::kMemberIdRequired);
  ASSERT_FALSE(first->member_id.empty());

  EXPECT_FALSE(join(params(first->member_id)));  // waits for the initial delay
  coordinator.tick(now + 50ms);
  EXPECT_FALSE(*pending_.back());
  coordinator.tick(now + 100ms);
  const auto& joined = *pending_.back();
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->error_code, 0);
  EXPECT_EQ(joined->generation_id, 1);
  EXPECT_EQ(joined->leader, first->member_id);
  EXPECT_EQ(joined->protocol_name, "range");
  ASSERT_EQ(joined->members.size(), 1u);
  EXPECT_EQ(joined->members[0].metadata, (GroupBytes{1, 2, 3}));
}

TEST_F(GroupCoordinatorTest, UnknownMemberIdIsRefused) {
  auto result = join(params("ghost"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error_code, error::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, SecondMemberTriggersRebalanceAndSyncDistributesAssignments) {
  join(params(""));
  coordinator.tick(now + 100ms);
  ASSERT_TRUE(*pending_[0]);
  std::string leader = (*pending_[0])->member_id;
  now += 100ms;

  std::optional<SyncResult> leader_sync;
  coordinator.sync({"g", leader, 1, {}, {}, {{leader, {9}}}}, now,
                   [&](SyncResult r) { leader_sync = r; });
  ASSERT_TRUE(leader_sync);
  EXPECT_EQ(leader_sync->assignment, GroupBytes{9});
  EXPECT_EQ(coordinator.heartbeat("g", leader, 1, now), 0);

  // A new member joins: the leader learns it from its heartbeat and rejoins.
  EXPECT_FALSE(join(params("")));
  EXPECT_EQ(coordinator.heartbeat("g", leader, 1, now), error::kRebalanceInProgress);
  join(params(leader));
  ASSERT_TRUE(*pending_[1]);
  ASSERT_TRUE(*pending_[2]);
  const JoinResult& newcomer = **pending_[1];
  const JoinResult& leader_join = **pending_[2];
  EXPECT_EQ(newcomer.generation_id, 2);
  EXPECT_EQ(leader_join.leader, leader);
  EXPECT_EQ(leader_join.members.size(), 2u);
  EXPECT_TRUE(newcomer.members.empty());

  std::optional<SyncResult> follower_sync;
  coordinator.sync({"g", newcomer.member_id, 2, {}, {}, {}}, now,
                   [&](SyncResult r) { follower_sync = r; });
  EXPECT_FALSE(follower_sync);  // waits for the leader's assignment
  coordinator.sync({"g", leader, 2, {}, {}, {{leader, {1}}, {newcomer.member_id, {2}}}}, now,
                   [&](SyncResult r) { leader_sync = r; });
  ASSERT_TRUE(follower_sync);
  EXPECT_EQ(follower_sync->assignment, GroupBytes{2});
  EXPECT_EQ(leader_sync->assignment, GroupBytes{1});
  EXPECT_EQ(coordinator.describe("g").state, GroupState::kStable);
  EXPECT_EQ(coordinator.heartbeat("g", leader, 1, now), error::kIllegalGeneration);
}

TEST_F(GroupCoordinatorTest, SessionExpiryRemovesMemberAndLeaveEmptiesGroup) {
  join(params(""));
  coordinator.tick(now + 100ms);
  std::string member = (*pending_[0])->member_id;
  coordinator.sync({"g", member, 1, {}, {}, {}}, now, [](SyncResult) {});
  coordinator.tick(now + 11s);
  EXPECT_EQ(coordinator.describe("g").state, GroupState::kEmpty);
  EXPECT_EQ(coordinator.heartbeat("g", member, 1, now), error::kUnknownMemberId);

  join(params(""));
  coordinator.tick(now + 100ms);
  std::string second = (*pending_[1])->member_id;
  EXPECT_EQ(coordinator.leave("g", second, std::nullopt, now), 0);
  EXPECT_EQ(coordinator.describe("g").state, GroupState::kEmpty);
  EXPECT_EQ(coordinator.leave("g", second, std::nullopt, now), error::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, InconsistentProtocolIsRefused) {
  join(params("", "range"));
  auto other = join(params("", "roundrobin"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->error_code, error::kInconsistentGroupProtocol);
}

TEST_F(GroupCoordinatorTest, OffsetsAreValidatedStoredAndDroppedByReset) {
  EXPECT_EQ(coordinator.commit_offsets("solo", "", -1, {{{"t", 0}, {42, -1, "meta"}}}), 0);
  auto offsets = coordinator.fetch_offsets("solo");
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets.at({"t", 0}).offset, 42);
  EXPECT_EQ(offsets.at({"t", 0}).metadata, "meta");
  EXPECT_EQ(coordinator.commit_offsets("solo", "nobody", 3, {}), error::kUnknownMemberId);
  coordinator.reset();
  EXPECT_TRUE(coordinator.fetch_offsets("solo").empty());
  EXPECT_TRUE(coordinator.list().empty());
}

TEST_F(GroupCoordinatorTest, StaticMemberRejoiningKeepsItsPlace) {
  auto p = params("");
  p.group_instance_id = "instance-1";
  join(p);
  coordinator.tick(now + 100ms);
  std::string first_id = (*pending_[0])->member_id;
  join(p);  // restarted with the same instance id
  coordinator.tick(now + 200ms);
  ASSERT_TRUE(*pending_[1]);
  auto description = coordinator.describe("g");
  ASSERT_EQ(description.members.size(), 1u);
  EXPECT_EQ(description.members[0].group_instance_id, "instance-1");
  EXPECT_NE(description.members[0].member_id, first_id);
}

TEST_F(GroupCoordinatorTest, MemberThatDoesNotRejoinWithinRebalanceTimeoutIsDropped) {
  join(params(""));
  coordinator.tick(now + 100ms);
  std::string stale = (*pending_[0])->member_id;
  coordinator.sync({"g", stale, 1, {}, {}, {{stale, {1}}}}, now + 100ms, [](SyncResult) {});

  // A newcomer starts a rebalance; the old member keeps heartbeating but never rejoins.
  EXPECT_FALSE(join(params("")));
  for (auto t = 1s; t <= 29s; t += 2s) {
    EXPECT_EQ(coordinator.heartbeat("g", stale, 1, now + t), error::kRebalanceInProgress);
    coordinator.tick(now + t);
  }
  EXPECT_FALSE(*pending_[1]);  // the join waits up to the rebalance timeout (30 s)
  coordinator.tick(now + 31s);
  ASSERT_TRUE(*pending_[1]);
  const JoinResult& joined = **pending_[1];
  EXPECT_EQ(joined.error_code, 0);
  EXPECT_EQ(joined.generation_id, 2);
  EXPECT_EQ(joined.leader, joined.member_id);  // the only member left leads
  auto description = coordinator.describe("g");
  ASSERT_EQ(description.members.size(), 1u);
  EXPECT_EQ(description.members[0].member_id, joined.member_id);
  EXPECT_EQ(coordinator.heartbeat("g", stale, 2, now + 31s), error::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, SilentMemberExpiresDuringRebalanceAtItsSessionTimeout) {
  join(params(""));
  coordinator.tick(now + 100ms);
  std::string silent = (*pending_[0])->member_id;
  coordinator.sync({"g", silent, 1, {}, {}, {{silent, {1}}}}, now + 100ms, [](SyncResult) {});
  EXPECT_FALSE(join(params("")));  // rebalance; the first member never heartbeats again
  coordinator.tick(now + 10s);
  EXPECT_FALSE(*pending_[1]);
  coordinator.tick(now + 10s + 200ms);  // its 10 s session is over: dropped, the join completes
  ASSERT_TRUE(*pending_[1]);
  EXPECT_EQ((*pending_[1])->generation_id, 2);
  EXPECT_EQ(coordinator.describe("g").members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, ReturningStaticLeaderGetsItsAssignmentWithoutRebalance) {
  auto one = params("");
  one.group_instance_id = "one";
  auto two = params("");
  two.group_instance_id = "two";
  join(one);
  join(two);
  coordinator.tick(now + 100ms);
  ASSERT_TRUE(*pending_[0]);
  ASSERT_TRUE(*pending_[1]);
  std::string leader = (*pending_[0])->leader;
  std::string follower =
      (*pending_[0])->member_id == leader ? (*pending_[1])->member_id : (*pending_[0])->member_id;
  coordinator.sync({"g", follower, 1, {}, {}, {}}, now, [](SyncResult) {});
  coordinator.sync({"g", leader, 1, {}, {}, {{leader, {1}}, {follower, {2}}}}, now,
                   [](SyncResult) {});
  ASSERT_EQ(coordinator.describe("g").state, GroupState::kStable);

  // The leader restarts with the same instance id and no member id.
  auto again = (*pending_[0])->member_id == leader ? one : two;
  auto rejoined = join(again);
  ASSERT_TRUE(rejoined);  // answered at once: no rebalance
  EXPECT_EQ(rejoined->error_code, 0);
  EXPECT_EQ(rejoined->generation_id, 1);
  EXPECT_NE(rejoined->member_id, leader);
  EXPECT_EQ(rejoined->leader, leader);  // the old id, so it does not act as leader
  EXPECT_TRUE(rejoined->members.empty());
  EXPECT_EQ(coordinator.describe("g").state, GroupState::kStable);
  EXPECT_EQ(coordinator.heartbeat("g", follower, 1, now), 0);

  std::optional<SyncResult> synced;
  coordinator.sync({"g", rejoined->member_id, 1, {}, {}, {}}, now,
                   [&](SyncResult r) { synced = r; });
  ASSERT_TRUE(synced);
  EXPECT_EQ(synced->error_code, 0);
  EXPECT_EQ(synced->assignment, GroupBytes{1});
}

}  // namespace
}  // namespace mockforge::kafka
