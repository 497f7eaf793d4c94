// The simulated cluster (kafka.brokers): leader placement, coordinators, moves, stops, epochs,
// and the answers of a broker that does not lead a partition or coordinate a group, through
// one RequestPipeline per broker on a shared BrokerState.
#include "brokers/kafka/broker/cluster.h"

#include <gtest/gtest.h>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/heartbeat.h"
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

}  // namespace
}  // namespace mockforge::kafka
