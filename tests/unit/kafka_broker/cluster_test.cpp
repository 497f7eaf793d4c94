// The simulated cluster (kafka.brokers): leader placement, coordinators, moves, stops, epochs,
// and the answers of a broker that does not lead a partition or coordinate a group, through
// one RequestPipeline per broker on a shared BrokerState.
#include "brokers/kafka/broker/cluster.h"

#include <gtest/gtest.h>

#include <thread>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "mockforge/kafka/alter_partition_reassignments.h"
#include "mockforge/kafka/create_topics.h"
#include "mockforge/kafka/elect_leaders.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/find_coordinator.h"
#include "mockforge/kafka/heartbeat.h"
#include "mockforge/kafka/list_partition_reassignments.h"
#include "mockforge/kafka/metadata.h"
#include "mockforge/kafka/offset_for_leader_epoch.h"
#include "mockforge/kafka/produce.h"
#include "tests/unit/kafka_broker/pipeline_doubles.h"

namespace mockforge::kafka {
namespace {

TEST(Cluster, OneBrokerIsNodeZeroAtEpochZero) {
  Cluster cluster(1, {});
  EXPECT_TRUE(cluster.single());
  EXPECT_EQ(cluster.leadership("t", 7).leader, 0);
  EXPECT_EQ(cluster.leadership("t", 7).epoch, 0);
  EXPECT_EQ(cluster.group_coordinator("g"), 0);
  EXPECT_FALSE(cluster.stop(0, {}, {}));  // the last live broker
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 0, 42), (std::pair<int32_t, int64_t>{0, 42}));
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 1, 42), (std::pair<int32_t, int64_t>{-1, -1}));
}

TEST(Cluster, LeadersRoundRobinFromTheTopicHash) {
  Cluster cluster(3, {"a", "b"});
  const int32_t hash = Cluster::java_hash("orders");
  const int32_t first = cluster.leadership("orders", 0).leader;
  EXPECT_EQ(first, (hash < 0 ? -hash : hash) % 3);
  for (int32_t p = 1; p < 6; ++p) {
    EXPECT_EQ(cluster.leadership("orders", p).leader, (first + p) % 3);
  }
  auto nodes = cluster.nodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].rack, "a");
  EXPECT_EQ(nodes[1].rack, "b");
  EXPECT_FALSE(nodes[2].rack.has_value());
}

TEST(Cluster, JavaHashMatchesStringHashCode) {
  EXPECT_EQ(Cluster::java_hash(""), 0);
  EXPECT_EQ(Cluster::java_hash("a"), 97);
  EXPECT_EQ(Cluster::java_hash("hello"), 99162322);
  EXPECT_EQ(Cluster::java_hash("Aa"), Cluster::java_hash("BB"));  // Java's classic collision
}

TEST(Cluster, CoordinatorIsTheLeaderOfTheOffsetsPartition) {
  Cluster cluster(3, {});
  const std::string group = "payments";
  int32_t hash = Cluster::java_hash(group);
  int32_t partition = (hash < 0 ? -hash : hash) % Cluster::kInternalPartitions;
  EXPECT_EQ(cluster.group_coordinator(group),
            cluster.leadership(Cluster::kOffsetsTopic, partition).leader);
}

TEST(Cluster, ElectBumpsTheEpochAndRecordsWhereItStarts) {
  Cluster cluster(3, {});
  const int32_t leader = cluster.leadership("t", 0).leader;
  const int32_t other = (leader + 1) % 3;
  EXPECT_TRUE(cluster.elect("t", 0, leader, 10));  // no change, no new epoch
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 0);
  EXPECT_TRUE(cluster.elect("t", 0, other, 10));
  EXPECT_EQ(cluster.leadership("t", 0).leader, other);
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 1);
  EXPECT_TRUE(cluster.elect("t", 0, leader, 25));
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 2);
  // Epoch 0 ended at 10, epoch 1 at 25, epoch 2 (current) at the log end.
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 0, 40), (std::pair<int32_t, int64_t>{0, 10}));
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 1, 40), (std::pair<int32_t, int64_t>{1, 25}));
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 2, 40), (std::pair<int32_t, int64_t>{2, 40}));
  EXPECT_EQ(cluster.epoch_end_offset("t", 0, 3, 40), (std::pair<int32_t, int64_t>{-1, -1}));
}

TEST(Cluster, StoppingABrokerMovesItsPartitionsAndCoordinators) {
  Cluster cluster(3, {});
  std::vector<Cluster::PartitionKey> partitions;
  for (int32_t p = 0; p < 6; ++p) partitions.emplace_back("t", p);
  std::map<Cluster::PartitionKey, int64_t> ends;
  for (const auto& key : partitions) ends[key] = 7;
  std::string group;
  for (int i = 0; group.empty(); ++i) {
    if (cluster.group_coordinator("g" + std::to_string(i)) == 1) group = "g" + std::to_string(i);
  }
  ASSERT_TRUE(cluster.stop(1, partitions, ends));
  EXPECT_FALSE(cluster.live(1));
  EXPECT_FALSE(cluster.stop(1, partitions, ends));
  for (int32_t p = 0; p < 6; ++p) {
    auto leadership = cluster.leadership("t", p);
    EXPECT_NE(leadership.leader, 1);
    EXPECT_EQ(leadership.epoch, cluster.preferred_leader("t", p) == 1 ? 1 : 0);
  }
  EXPECT_NE(cluster.group_coordinator(group), 1);
  // A partition first seen while broker 1 is down is born on a live broker, at epoch 0.
  for (int32_t p = 0; p < 3; ++p) EXPECT_NE(cluster.leadership("new", p).leader, 1);
  ASSERT_TRUE(cluster.stop(2, partitions, ends));
  EXPECT_FALSE(cluster.stop(0, partitions, ends));  // the last one stays
  ASSERT_TRUE(cluster.start(1));
  EXPECT_EQ(cluster.leadership("t", 0).leader, 0);  // leadership stays where it moved
  cluster.reset();
  for (int32_t p = 0; p < 6; ++p) {
    EXPECT_EQ(cluster.leadership("t", p).leader, cluster.preferred_leader("t", p));
  }
  EXPECT_TRUE(cluster.live(2));
}

TEST(Cluster, ReplicasAreMinOfThreeAndTheBrokerCountFromThePreferredLeader) {
  Cluster five(5, {});
  for (int32_t p = 0; p < 5; ++p) {
    auto state = five.describe("t", p);
    ASSERT_EQ(state.replicas.size(), 3u);
    EXPECT_EQ(state.replicas[0], state.leader);
    EXPECT_EQ(state.replicas[1], (state.replicas[0] + 1) % 5);
    EXPECT_EQ(state.isr, state.replicas);
  }
  Cluster two(2, {});
  EXPECT_EQ(two.describe("t", 0).replicas.size(), 2u);
  EXPECT_EQ(two.default_replication_factor(), 2);
  // A topic's replication factor and manual assignments.
  five.create_topic("one", 2, 1, {});
  EXPECT_EQ(five.describe("one", 0).replicas.size(), 1u);
  EXPECT_EQ(five.describe("one", 7).replicas.size(), 1u);  // added later: the topic's factor
  five.create_topic("manual", 2, -1, {{4, 2}, {1, 3}});
  EXPECT_EQ(five.describe("manual", 0).replicas, (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(five.describe("manual", 0).leader, 4);
  EXPECT_EQ(five.describe("manual", 1).leader, 1);
  EXPECT_EQ(five.preferred_leader("manual", 1), 1);
}

TEST(Cluster, StoppedBrokersLeaveTheIsrAndLeadersComeFromIt) {
  Cluster cluster(5, {}, true);
  cluster.create_topic("t", 1, -1, {{1, 2, 3}});
  std::map<Cluster::PartitionKey, int64_t> ends{{{"t", 0}, 40}};
  ASSERT_TRUE(cluster.stop(2, {{"t", 0}}, ends));
  EXPECT_EQ(cluster.describe("t", 0).isr, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 0);  // a follower left: same leader, same epoch
  // Not in the ISR: no leadership.
  EXPECT_FALSE(cluster.elect("t", 0, 2, 40));
  EXPECT_FALSE(cluster.elect("t", 0, 0, 40));  // not a replica
  ASSERT_TRUE(cluster.stop(1, {{"t", 0}}, ends));
  EXPECT_EQ(cluster.leadership("t", 0).leader, 3);  // the next ISR member in replica order
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 1);
  EXPECT_EQ(cluster.isr_size("t", 0), 1);
  // The last ISR member stops: offline, it stays the ISR.
  ASSERT_TRUE(cluster.stop(3, {{"t", 0}}, ends));
  EXPECT_EQ(cluster.leadership("t", 0).leader, -1);
  EXPECT_EQ(cluster.describe("t", 0).isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 2);
  // Broker 1 (not in the ISR) starting does not bring the partition back; an unclean
  // election does.
  ASSERT_TRUE(cluster.start(1, ends));
  EXPECT_EQ(cluster.leadership("t", 0).leader, -1);
  EXPECT_EQ(cluster.elect_unclean("t", 0, 40), error::kNone);
  EXPECT_EQ(cluster.leadership("t", 0).leader, 1);
  EXPECT_EQ(cluster.describe("t", 0).isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(cluster.elect_unclean("t", 0, 40), error::kElectionNotNeeded);
  // Brokers 2 and 3 come back into the ISR; broker 1 is preferred and leads already.
  ASSERT_TRUE(cluster.start(2, ends));
  ASSERT_TRUE(cluster.start(3, ends));
  EXPECT_EQ(cluster.describe("t", 0).isr, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(cluster.leadership("t", 0).leader, 1);
}

TEST(Cluster, AutoLeaderRebalanceGivesLeadershipBackOnStart) {
  std::map<Cluster::PartitionKey, int64_t> ends{{{"t", 0}, 12}};
  for (bool rebalance : {true, false}) {
    Cluster cluster(3, {}, rebalance);
    const int32_t preferred = cluster.preferred_leader("t", 0);
    ASSERT_TRUE(cluster.stop(preferred, {{"t", 0}}, ends));
    EXPECT_NE(cluster.leadership("t", 0).leader, preferred);
    ASSERT_TRUE(cluster.start(preferred, ends));
    EXPECT_EQ(cluster.describe("t", 0).isr.size(), 3u);
    EXPECT_EQ(cluster.leadership("t", 0).leader == preferred, rebalance);
    EXPECT_EQ(cluster.leadership("t", 0).epoch, rebalance ? 2 : 1);
    if (rebalance) {
      EXPECT_EQ(cluster.epoch_end_offset("t", 0, 1, 20), (std::pair<int32_t, int64_t>{1, 12}));
    }
  }
}

TEST(Cluster, SetIsrAndReassign) {
  Cluster cluster(4, {});
  cluster.create_topic("t", 1, -1, {{0, 1, 2}});
  EXPECT_NE(cluster.set_isr("t", 0, {}, 0), "");
  EXPECT_NE(cluster.set_isr("t", 0, {3}, 0), "");  // not a replica
  EXPECT_NE(cluster.set_isr("t", 0, {1, 1}, 0), "");
  EXPECT_EQ(cluster.set_isr("t", 0, {2, 1}, 5), "");
  auto state = cluster.describe("t", 0);
  EXPECT_EQ(state.isr, (std::vector<int32_t>{1, 2}));  // replica order
  EXPECT_EQ(state.leader, 1);                          // the leader left the ISR
  EXPECT_EQ(state.epoch(), 1);
  // Reassignment: the leader is kept while in the new set, else the new first replica.
  EXPECT_EQ(cluster.reassign("t", 0, {3, 1}, 9), "");
  EXPECT_EQ(cluster.describe("t", 0).replicas, (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(cluster.leadership("t", 0).leader, 1);
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 1);
  EXPECT_EQ(cluster.reassign("t", 0, {2, 3}, 9), "");
  EXPECT_EQ(cluster.leadership("t", 0).leader, 2);
  EXPECT_EQ(cluster.leadership("t", 0).epoch, 2);
  EXPECT_EQ(cluster.describe("t", 0).isr, (std::vector<int32_t>{2, 3}));
  EXPECT_NE(cluster.reassign("t", 0, {2, 2}, 9), "");
  EXPECT_NE(cluster.reassign("t", 0, {7}, 9), "");
  ASSERT_TRUE(cluster.stop(0, {}, {}));
  EXPECT_NE(cluster.reassign("t", 0, {0}, 9), "");  // stopped
}

TEST(Cluster, DelayedReassignmentsAreOngoingUntilTheirTime) {
  Cluster cluster(4, {}, false, std::chrono::milliseconds(100));
  cluster.create_topic("t", 1, -1, {{0, 1}});
  EXPECT_EQ(cluster.reassign("t", 0, {2, 1}, 5), "");
  EXPECT_TRUE(cluster.has_ongoing_reassignments());
  auto state = cluster.describe("t", 0);
  EXPECT_EQ(state.replicas, (std::vector<int32_t>{2, 1, 0}));  // target, then removing
  EXPECT_EQ(state.isr, (std::vector<int32_t>{0, 1}));          // unchanged meanwhile
  EXPECT_EQ(state.leader, 0);
  auto ongoing = cluster.ongoing_reassignments();
  ASSERT_EQ(ongoing.size(), 1u);
  EXPECT_EQ(ongoing[0].adding, (std::vector<int32_t>{2}));
  EXPECT_EQ(ongoing[0].removing, (std::vector<int32_t>{0}));
  // Not due yet: nothing changes.
  cluster.complete_reassignments({{{"t", 0}, 9}});
  EXPECT_EQ(cluster.ongoing_reassignments().size(), 1u);
  // A cancel puts the replicas back.
  EXPECT_TRUE(cluster.cancel_reassignment("t", 0));
  EXPECT_FALSE(cluster.cancel_reassignment("t", 0));
  EXPECT_EQ(cluster.describe("t", 0).replicas, (std::vector<int32_t>{0, 1}));
  // Again, completed after the delay: the leader moves at a new epoch.
  EXPECT_EQ(cluster.reassign("t", 0, {3, 2}, 5), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  cluster.complete_reassignments({{{"t", 0}, 9}});
  EXPECT_FALSE(cluster.has_ongoing_reassignments());
  EXPECT_TRUE(cluster.ongoing_reassignments().empty());
  state = cluster.describe("t", 0);
  EXPECT_EQ(state.replicas, (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(state.isr, (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(state.leader, 3);
  EXPECT_EQ(state.epochs.back(), (std::pair<int32_t, int64_t>{1, 9}));
}

TEST(Cluster, SnapshotsCarryAssignmentsAndEpochsNeverGoBack) {
  Cluster cluster(4, {}, false, std::chrono::milliseconds(60000));
  cluster.create_topic("manual", 2, -1, {{2, 0}, {3, 1}});
  cluster.add_partitions("manual", 2, {{1, 3}});
  cluster.create_topic("factor", 2, 2, {});
  const auto factor_default = cluster.describe("factor", 1).replicas;
  ASSERT_EQ(factor_default.size(), 2u);
  EXPECT_EQ(cluster.reassign("manual", 1, {0, 2}, 4), "");  // ongoing: saved as its target
  ASSERT_TRUE(cluster.elect("manual", 0, 0, 7));            // epoch 1
  cluster.leadership("lazy", 0);                            // default replicas: none saved

  const auto saved = Cluster::decode(Cluster::encode(cluster.save_assignments()));
  EXPECT_EQ(saved.replication, (std::map<std::string, int32_t>{{"factor", 2}, {"manual", 2}}));
  EXPECT_EQ(saved.partitions.at({"manual", 0}).replicas, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(saved.partitions.at({"manual", 0}).epoch, 1);
  EXPECT_EQ(saved.partitions.at({"manual", 1}).replicas, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(saved.partitions.at({"manual", 2}).replicas, (std::vector<int32_t>{1, 3}));
  EXPECT_TRUE(saved.partitions.at({"factor", 1}).replicas.empty());
  EXPECT_TRUE(saved.partitions.at({"lazy", 0}).replicas.empty());

  // After a reset the defaults are back; the restore puts the lists back, the
  // first replica leading, every live replica in sync, no reassignment ongoing.
  cluster.reset();
  const int32_t reset_epoch = cluster.leadership("manual", 0).epoch;
  EXPECT_TRUE(cluster.restore_assignments(saved).empty());
  auto state = cluster.describe("manual", 0);
  EXPECT_EQ(state.replicas, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(state.isr, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(state.leader, 2);
  EXPECT_GE(state.epoch(), reset_epoch);
  EXPECT_GE(state.epoch(), 1);
  EXPECT_EQ(cluster.describe("manual", 1).replicas, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(cluster.describe("manual", 2).replicas, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(cluster.describe("manual", 2).leader, 1);
  EXPECT_EQ(cluster.describe("factor", 1).replicas, factor_default);
  EXPECT_FALSE(cluster.has_ongoing_reassignments());
  EXPECT_TRUE(cluster.ongoing_reassignments().empty());

  // A new cluster (a restart): the saved epochs carry on.
  Cluster fresh(4, {});
  EXPECT_TRUE(fresh.restore_assignments(saved).empty());
  EXPECT_EQ(fresh.describe("manual", 0).replicas, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(fresh.leadership("manual", 0).leader, 2);
  EXPECT_EQ(fresh.leadership("manual", 0).epoch, 1);
  EXPECT_EQ(fresh.describe("factor", 0).replicas.size(), 2u);
  // Stopped brokers stay out of the ISR; the first live replica leads.
  ASSERT_TRUE(fresh.stop(1, {}, {}));
  EXPECT_TRUE(fresh.restore_assignments(saved).empty());
  state = fresh.describe("manual", 2);
  EXPECT_EQ(state.replicas, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(state.isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(state.leader, 3);
}

TEST(Cluster, RestoringIntoFewerBrokersDropsTheMissingOnes) {
  Cluster big(4, {});
  big.create_topic("t", 3, -1, {{3, 1}, {2, 3}, {1, 0}});
  const auto saved = big.save_assignments();

  Cluster small(2, {});
  const auto warnings = small.restore_assignments(saved);
  ASSERT_EQ(warnings.size(), 2u);  // partitions 0 and 1 (a factor of 2 fits)
  EXPECT_EQ(small.describe("t", 0).replicas, (std::vector<int32_t>{1}));
  EXPECT_EQ(small.describe("t", 0).leader, 1);
  // Nothing left: the default replicas for the topic's replication factor.
  EXPECT_EQ(small.describe("t", 1).replicas, small.default_replicas("t", 1, 2));
  EXPECT_EQ(small.describe("t", 2).replicas, (std::vector<int32_t>{1, 0}));

  Cluster one(1, {});
  EXPECT_FALSE(one.restore_assignments(saved).empty());
  EXPECT_EQ(one.describe("t", 0).replicas, (std::vector<int32_t>{0}));

  EXPECT_THROW(Cluster::decode(""), DecodeError);
  EXPECT_THROW(Cluster::decode(std::string("\x07", 1)), DecodeError);  // unknown version
  std::string trailing = Cluster::encode(saved) + "x";
  EXPECT_THROW(Cluster::decode(trailing), DecodeError);
}

TEST(Cluster, CoordinatorOutagesExpire) {
  Cluster cluster(3, {});
  using Type = Cluster::CoordinatorType;
  EXPECT_EQ(cluster.coordinator_error(Type::kGroup, "g", true), error::kNone);
  Cluster::CoordinatorOutage outage;
  outage.type = Type::kGroup;
  outage.key = "g";
  outage.mode = Cluster::OutageMode::kLoading;
  outage.until = std::chrono::steady_clock::now() + std::chrono::milliseconds(150);
  cluster.add_coordinator_outage(outage);
  EXPECT_EQ(cluster.coordinator_error(Type::kGroup, "g", true), error::kNone);  // found
  EXPECT_EQ(cluster.coordinator_error(Type::kGroup, "g", false), error::kCoordinatorLoadInProgress);
  EXPECT_EQ(cluster.coordinator_error(Type::kGroup, "other", false), error::kNone);
  EXPECT_EQ(cluster.coordinator_error(Type::kTransaction, "g", false), error::kNone);
  outage.key.reset();
  outage.type = Type::kTransaction;
  outage.mode = Cluster::OutageMode::kUnavailable;
  cluster.add_coordinator_outage(outage);
  EXPECT_EQ(cluster.coordinator_error(Type::kTransaction, "any", true),
            error::kCoordinatorNotAvailable);
  EXPECT_EQ(cluster.coordinator_outages().size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(cluster.coordinator_error(Type::kGroup, "g", false), error::kNone);
  EXPECT_EQ(cluster.coordinator_error(Type::kTransaction, "any", true), error::kNone);
  EXPECT_TRUE(cluster.coordinator_outages().empty());
}

// Two brokers of one cluster, one pipeline each.
class ClusterPipelineTest : public ::testing::Test {
 protected:
  static BrokerOptions two_brokers() {
    BrokerOptions options;
    options.brokers = 2;
    return options;
  }
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{two_brokers(), engine, registry};
  testing::RecordingSink sinks[2];
  std::shared_ptr<testing::InlineScheduler> scheduler =
      std::make_shared<testing::InlineScheduler>();
  RequestPipeline node0{broker, sinks[0], scheduler, "127.0.0.1", 9092, "c", 0};
  RequestPipeline node1{broker, sinks[1], scheduler, "127.0.0.1", 9093, "c", 1};

  template <typename Request, typename Response>
  Response call(int node, int16_t key, int16_t version, const Request& request) {
    RequestHeader header{key, version, 1, "test"};
    (node == 0 ? node0 : node1).on_frame(encode_request_frame(header, request));
    auto& frames = sinks[node].frames;
    EXPECT_FALSE(frames.empty());
    Reader reader(std::span<const uint8_t>(frames.back()).subspan(4));
    ResponseHeader response_header;
    response_header.decode(reader, response_header_version(key, version));
    Response response;
    response.decode(reader, version);
    return response;
  }

  int16_t produce(int node, const std::string& topic, int32_t partition) {
    NewRecord record{1000, Bytes{'k'}, Bytes{'v'}, {}};
    ProduceRequest request;
    request.acks = 1;
    request.timeout_ms = 1000;
    request.topic_data = {{topic, {{partition, build_record_batch(std::span(&record, 1))}}}};
    auto response = call<ProduceRequest, ProduceResponse>(node, 0, 7, request);
    return response.responses[0].partition_responses[0].error_code;
  }

  int16_t fetch(int node, const std::string& topic, int32_t partition, int32_t epoch) {
    FetchRequest request;
    request.max_wait_ms = 0;
    FetchRequest::FetchTopic wanted;
    wanted.topic = topic;
    FetchRequest::FetchPartition fetch_partition;
    fetch_partition.partition = partition;
    fetch_partition.current_leader_epoch = epoch;
    fetch_partition.partition_max_bytes = 1 << 20;
    wanted.partitions = {fetch_partition};
    request.topics = {wanted};
    auto response = call<FetchRequest, FetchResponse>(node, 1, 11, request);
    return response.responses[0].partitions[0].error_code;
  }
};

TEST_F(ClusterPipelineTest, OnlyTheLeaderAcceptsPartitionRequests) {
  ASSERT_TRUE(engine.logs().create_topic("t", 2).ok());
  const int32_t leader = broker.cluster().leadership("t", 0).leader;
  const int32_t follower = 1 - leader;
  EXPECT_EQ(produce(follower, "t", 0), error::kNotLeaderOrFollower);
  EXPECT_EQ(produce(leader, "t", 0), error::kNone);
  EXPECT_EQ(fetch(follower, "t", 0, -1), error::kNotLeaderOrFollower);
  EXPECT_EQ(fetch(leader, "t", 0, 0), error::kNone);
  // KIP-951 (Produce v10+): the answer names the leader and its endpoint.
  {
    NewRecord record{1000, Bytes{'k'}, Bytes{'v'}, {}};
    ProduceRequest request;
    request.acks = 1;
    request.timeout_ms = 1000;
    request.topic_data = {{"t", {{0, build_record_batch(std::span(&record, 1))}}}};
    broker.cluster().set_ports(leader, 9100 + leader, -1);
    auto response = call<ProduceRequest, ProduceResponse>(follower, 0, 10, request);
    const auto& result = response.responses[0].partition_responses[0];
    EXPECT_EQ(result.error_code, error::kNotLeaderOrFollower);
    EXPECT_EQ(result.current_leader.leader_id, leader);
    EXPECT_EQ(result.current_leader.leader_epoch, 0);
    ASSERT_EQ(response.node_endpoints.size(), 1u);
    EXPECT_EQ(response.node_endpoints[0].node_id, leader);
    EXPECT_EQ(response.node_endpoints[0].port, 9100 + leader);
  }
  // Partition 1 is led by the other broker (round robin).
  EXPECT_EQ(broker.cluster().leadership("t", 1).leader, follower);
  EXPECT_EQ(produce(follower, "t", 1), error::kNone);

  // The leader moves: epoch 1; the old epoch is fenced, a newer one unknown.
  ASSERT_TRUE(broker.cluster().elect("t", 0, follower, broker.log_end_offset("t", 0)));
  EXPECT_EQ(fetch(follower, "t", 0, 0), error::kFencedLeaderEpoch);
  EXPECT_EQ(fetch(follower, "t", 0, 2), error::kUnknownLeaderEpoch);
  EXPECT_EQ(fetch(follower, "t", 0, 1), error::kNone);
  EXPECT_EQ(fetch(leader, "t", 0, 1), error::kNotLeaderOrFollower);
  EXPECT_EQ(produce(follower, "t", 0), error::kNone);

  // OffsetForLeaderEpoch: epoch 0 ended where epoch 1 began (offset 1).
  OffsetForLeaderEpochRequest request;
  OffsetForLeaderEpochRequest::OffsetForLeaderTopic topic;
  topic.topic = "t";
  OffsetForLeaderEpochRequest::OffsetForLeaderPartition partition;
  partition.partition = 0;
  partition.current_leader_epoch = 1;
  partition.leader_epoch = 0;
  topic.partitions = {partition};
  request.topics = {topic};
  auto answer =
      call<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(follower, 23, 3, request);
  EXPECT_EQ(answer.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(answer.topics[0].partitions[0].leader_epoch, 0);
  EXPECT_EQ(answer.topics[0].partitions[0].end_offset, 1);

  // The batch written in epoch 1 carries it.
  auto read = engine.logs().find("t")->partition(0)->read(1, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_FALSE(read->batches.empty());
  auto batches = split_record_batches(
      std::span<const uint8_t>(read->batches[0].bytes.data(), read->batches[0].bytes.size()));
  EXPECT_EQ(batches[0].header.partition_leader_epoch, 1);
}

TEST_F(ClusterPipelineTest, MetadataListsBothBrokersWithTheirPorts) {
  ASSERT_TRUE(engine.logs().create_topic("m", 2).ok());
  broker.cluster().set_ports(0, 9092, -1);
  broker.cluster().set_ports(1, 9093, -1);
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{};
  request.topics->push_back({});
  request.topics->back().name = "m";
  auto response = call<MetadataRequest, MetadataResponse>(1, 3, 9, request);
  ASSERT_EQ(response.brokers.size(), 2u);
  EXPECT_EQ(response.brokers[0].port, 9092);
  EXPECT_EQ(response.brokers[1].port, 9093);
  EXPECT_EQ(response.controller_id, 0);
  ASSERT_EQ(response.topics[0].partitions.size(), 2u);
  for (const auto& partition : response.topics[0].partitions) {
    EXPECT_EQ(partition.replica_nodes.size(), 2u);
    EXPECT_EQ(partition.replica_nodes[0], partition.leader_id);
    EXPECT_EQ(partition.isr_nodes.size(), 2u);
  }
  EXPECT_NE(response.topics[0].partitions[0].leader_id, response.topics[0].partitions[1].leader_id);
}

TEST_F(ClusterPipelineTest, GroupRequestsToAnotherBrokerGetNotCoordinator) {
  const int32_t coordinator = broker.cluster().group_coordinator("g");
  HeartbeatRequest heartbeat;
  heartbeat.group_id = "g";
  heartbeat.generation_id = 1;
  heartbeat.member_id = "m";
  EXPECT_EQ(
      (call<HeartbeatRequest, HeartbeatResponse>(1 - coordinator, 12, 4, heartbeat).error_code),
      error::kNotCoordinator);
  EXPECT_EQ((call<HeartbeatRequest, HeartbeatResponse>(coordinator, 12, 4, heartbeat).error_code),
            error::kUnknownMemberId);
}

TEST_F(ClusterPipelineTest, NotEnoughReplicasForAcksAllBelowMinInsync) {
  ASSERT_TRUE(engine.logs().create_topic("isr", 1, {{"min.insync.replicas", "2"}}).ok());
  const int32_t leader = broker.cluster().leadership("isr", 0).leader;
  auto produce_acks = [&](int16_t acks) {
    NewRecord record{1000, Bytes{'k'}, Bytes{'v'}, {}};
    ProduceRequest request;
    request.acks = acks;
    request.timeout_ms = 1000;
    request.topic_data = {{"isr", {{0, build_record_batch(std::span(&record, 1))}}}};
    auto response = call<ProduceRequest, ProduceResponse>(leader, 0, 7, request);
    return response.responses[0].partition_responses[0].error_code;
  };
  EXPECT_EQ(produce_acks(-1), error::kNone);
  ASSERT_EQ(broker.cluster().set_isr("isr", 0, {leader}, broker.log_end_offset("isr", 0)), "");
  EXPECT_EQ(produce_acks(-1), error::kNotEnoughReplicas);
  EXPECT_EQ(produce_acks(1), error::kNone);  // acks=1 does not wait for the ISR
  EXPECT_EQ(broker.log_end_offset("isr", 0), 2);
  // Metadata shows the shrunk ISR.
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{}};
  request.topics->back().name = "isr";
  auto metadata = call<MetadataRequest, MetadataResponse>(0, 3, 9, request);
  EXPECT_EQ(metadata.topics[0].partitions[0].isr_nodes, (std::vector<int32_t>{leader}));
  EXPECT_EQ(metadata.topics[0].partitions[0].replica_nodes.size(), 2u);
}

TEST_F(ClusterPipelineTest, ReassignmentsThroughTheApi) {
  ASSERT_TRUE(engine.logs().create_topic("r", 1).ok());
  const int32_t leader = broker.cluster().leadership("r", 0).leader;
  const int32_t other = 1 - leader;
  AlterPartitionReassignmentsRequest request;
  request.topics.push_back({"r", {{0, std::vector<int32_t>{other}}, {5, std::vector<int32_t>{0}}}});
  request.topics.push_back({"missing", {{0, std::vector<int32_t>{0}}}});
  auto response = call<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(
      0, 45, 0, request);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.responses.size(), 2u);
  EXPECT_EQ(response.responses[0].partitions[0].error_code, 0);
  EXPECT_EQ(response.responses[0].partitions[1].error_code, error::kUnknownTopicOrPartition);
  EXPECT_EQ(response.responses[1].partitions[0].error_code, error::kUnknownTopicOrPartition);
  EXPECT_EQ(broker.cluster().leadership("r", 0).leader, other);
  EXPECT_EQ(broker.cluster().leadership("r", 0).epoch, 1);
  EXPECT_EQ(broker.cluster().describe("r", 0).replicas, (std::vector<int32_t>{other}));
  // Cancelling: nothing is in progress. Bad assignments are refused.
  request.topics = {
      {"r", {{0, std::nullopt}, {0, std::vector<int32_t>{4}}, {0, std::vector<int32_t>{}}}}};
  response = call<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(1, 45, 0,
                                                                                           request);
  EXPECT_EQ(response.responses[0].partitions[0].error_code, error::kNoReassignmentInProgress);
  EXPECT_EQ(response.responses[0].partitions[1].error_code, error::kInvalidReplicaAssignment);
  EXPECT_EQ(response.responses[0].partitions[2].error_code, error::kInvalidReplicaAssignment);
  ListPartitionReassignmentsRequest list;
  auto listed =
      call<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(0, 46, 0, list);
  EXPECT_EQ(listed.error_code, 0);
  EXPECT_TRUE(listed.topics.empty());
  // The broker left out no longer lists the partition in DescribeLogDirs... and ElectLeaders
  // PREFERRED finds the new first replica leading already.
  ElectLeadersRequest elect;
  elect.election_type = 0;
  elect.topic_partitions = std::vector<ElectLeadersRequest::TopicPartitions>{{"r", {0}}};
  auto elected = call<ElectLeadersRequest, ElectLeadersResponse>(0, 43, 2, elect);
  EXPECT_EQ(elected.replica_election_results[0].partition_result[0].error_code,
            error::kElectionNotNeeded);
}

TEST_F(ClusterPipelineTest, FindCoordinatorDuringAnOutage) {
  const int32_t coordinator = broker.cluster().group_coordinator("g");
  auto find = [&] {
    FindCoordinatorRequest request;
    request.key = "g";
    return call<FindCoordinatorRequest, FindCoordinatorResponse>(0, 10, 3, request);
  };
  auto heartbeat = [&] {
    HeartbeatRequest request;
    request.group_id = "g";
    request.generation_id = 1;
    request.member_id = "m";
    return call<HeartbeatRequest, HeartbeatResponse>(coordinator, 12, 4, request).error_code;
  };
  EXPECT_EQ(find().node_id, coordinator);
  Cluster::CoordinatorOutage outage;
  outage.until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  broker.cluster().add_coordinator_outage(outage);
  EXPECT_EQ(find().error_code, error::kCoordinatorNotAvailable);
  EXPECT_EQ(find().node_id, -1);
  EXPECT_EQ(heartbeat(), error::kCoordinatorNotAvailable);
  broker.cluster().clear_coordinator_outages();
  outage.mode = Cluster::OutageMode::kLoading;
  broker.cluster().add_coordinator_outage(outage);
  EXPECT_EQ(find().error_code, error::kNone);
  EXPECT_EQ(heartbeat(), error::kNone);  // answered blindly while loading, as Kafka does
  broker.cluster().clear_coordinator_outages();
  EXPECT_EQ(heartbeat(), error::kUnknownMemberId);
}

}  // namespace
}  // namespace mockforge::kafka
