// OffsetDelete, DescribeProducers, DescribeTransactions and ListTransactions through the
// request pipeline: the answers built from the group coordinator, the producers' state and
// the transaction coordinator.
#include <gtest/gtest.h>

#include <algorithm>

#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/codec/consumer_protocol.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/handlers/registry.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "mockforge/kafka/add_partitions_to_txn.h"
#include "mockforge/kafka/describe_producers.h"
#include "mockforge/kafka/describe_transactions.h"
#include "mockforge/kafka/end_txn.h"
#include "mockforge/kafka/init_producer_id.h"
#include "mockforge/kafka/list_transactions.h"
#include "mockforge/kafka/offset_commit.h"
#include "mockforge/kafka/offset_delete.h"
#include "mockforge/kafka/offset_fetch.h"
#include "mockforge/kafka/produce.h"
#include "tests/unit/kafka_broker/pipeline_doubles.h"

namespace mockforge::kafka {
namespace {

class ProducerTxnAdminTest : public ::testing::Test {
 protected:
  static BrokerOptions options(int32_t brokers) {
    BrokerOptions result;
    result.brokers = brokers;
    result.group_initial_rebalance_delay = std::chrono::milliseconds(0);
    return result;
  }
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{options(1), engine, registry};
  testing::RecordingSink sink;
  RequestPipeline pipeline{broker,      sink, std::make_shared<testing::InlineScheduler>(),
                           "127.0.0.1", 9092, "127.0.0.1:5555"};
  int32_t correlation = 0;

  void SetUp() override {
    ASSERT_TRUE(engine.logs().create_topic("t", 2).ok());
    ASSERT_TRUE(engine.logs().create_topic("u", 1).ok());
  }

  template <typename Response, typename Request>
  Response call(int16_t version, const Request& request) {
    RequestHeader header{Request::kApiKey, version, ++correlation, "test"};
    pipeline.on_frame(encode_request_frame(header, request));
    EXPECT_FALSE(sink.closed) << *sink.closed;
    Reader reader(std::span<const uint8_t>(sink.frames.back()).subspan(4));
    ResponseHeader response_header;
    response_header.decode(reader, response_header_version(Request::kApiKey, version));
    Response response;
    response.decode(reader, version);
    EXPECT_TRUE(reader.at_end());
    return response;
  }

  void commit(const std::string& group, const std::string& topic, int32_t partition,
              int64_t offset) {
    OffsetCommitRequest request;
    request.group_id = group;
    request.generation_id_or_member_epoch = -1;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    auto& p = t.partitions.emplace_back();
    p.partition_index = partition;
    p.committed_offset = offset;
    auto response = call<OffsetCommitResponse>(2, request);
    ASSERT_EQ(response.topics.at(0).partitions.at(0).error_code, 0);
  }

  int64_t committed(const std::string& group, const std::string& topic, int32_t partition) {
    OffsetFetchRequest request;
    request.group_id = group;
    request.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{topic, {partition}}};
    return call<OffsetFetchResponse>(1, request).topics.at(0).partitions.at(0).committed_offset;
  }

  OffsetDeleteResponse delete_offsets(const std::string& group,
                                      const std::vector<std::pair<std::string, int32_t>>& parts) {
    OffsetDeleteRequest request;
    request.group_id = group;
    for (const auto& [topic, partition] : parts) {
      auto it = std::find_if(request.topics.begin(), request.topics.end(),
                             [&](const auto& t) { return t.name == topic; });
      if (it == request.topics.end()) {
        request.topics.push_back({topic, {}});
        it = std::prev(request.topics.end());
      }
      it->partitions.push_back({partition});
    }
    return call<OffsetDeleteResponse>(0, request);
  }

  InitProducerIdResponse init(const std::optional<std::string>& id) {
    InitProducerIdRequest request;
    request.transactional_id = id;
    request.transaction_timeout_ms = 60000;
    return call<InitProducerIdResponse>(4, request);
  }

  ProduceResponse::PartitionProduceResponse produce(const std::optional<std::string>& id,
                                                    const InitProducerIdResponse& producer,
                                                    int32_t sequence, int64_t timestamp,
                                                    int records = 1) {
    std::vector<NewRecord> batch;
    for (int i = 0; i < records; ++i) batch.push_back({timestamp, std::nullopt, Bytes{'v'}, {}});
    BatchOptions options;
    options.transactional = id.has_value();
    options.producer_id = producer.producer_id;
    options.producer_epoch = producer.producer_epoch;
    options.base_sequence = sequence;
    ProduceRequest request;
    request.transactional_id = id;
    request.acks = -1;
    request.topic_data = {{"t", {{0, build_record_batch(std::span(batch), options)}}}};
    return call<ProduceResponse>(7, request).responses.at(0).partition_responses.at(0);
  }

  int16_t add_partition(const std::string& id, const InitProducerIdResponse& producer) {
    AddPartitionsToTxnRequest request;
    request.transactional_id = id;
    request.producer_id = producer.producer_id;
    request.producer_epoch = producer.producer_epoch;
    request.topics.push_back({"t", {0}});
    return call<AddPartitionsToTxnResponse>(3, request)
        .results.at(0)
        .results.at(0)
        .partition_error_code;
  }

  int16_t end(const std::string& id, const InitProducerIdResponse& producer, bool commit) {
    EndTxnRequest request;
    request.transactional_id = id;
    request.producer_id = producer.producer_id;
    request.producer_epoch = producer.producer_epoch;
    request.committed = commit;
    return call<EndTxnResponse>(3, request).error_code;
  }

  DescribeProducersResponse::PartitionResponse producers_of(const std::string& topic,
                                                            int32_t partition) {
    DescribeProducersRequest request;
    request.topics.push_back({topic, {partition}});
    return call<DescribeProducersResponse>(0, request).topics.at(0).partitions.at(0);
  }

  DescribeTransactionsResponse::TransactionState describe(const std::string& id) {
    DescribeTransactionsRequest request;
    request.transactional_ids = {id};
    return call<DescribeTransactionsResponse>(0, request).transaction_states.at(0);
  }

  std::vector<std::string> list(std::vector<std::string> states, std::vector<int64_t> ids) {
    ListTransactionsRequest request;
    request.state_filters = std::move(states);
    request.producer_id_filters = std::move(ids);
    auto response = call<ListTransactionsResponse>(0, request);
    EXPECT_EQ(response.error_code, 0);
    std::vector<std::string> result;
    for (const auto& txn : response.transaction_states) {
      result.push_back(txn.transactional_id + ":" + txn.transaction_state);
    }
    return result;
  }
};

TEST_F(ProducerTxnAdminTest, ApiVersionsListsTheNewApis) {
  for (int16_t key : {47, 61, 65, 66}) {
    const ServedApi* api = find_served_api(key);
    ASSERT_NE(api, nullptr) << key;
    EXPECT_EQ(api->min_version, 0);
    EXPECT_EQ(api->max_version, key == 66 ? 1 : 0);  // ListTransactions v1: KIP-994
  }
}

TEST_F(ProducerTxnAdminTest, OffsetDeleteRemovesOnlyTheNamedPartitionsOfAnEmptyGroup) {
  commit("g", "t", 0, 5);
  commit("g", "t", 1, 7);
  auto response = delete_offsets("g", {{"t", 0}, {"t", 9}, {"nope", 0}});
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.topics.size(), 2u);
  EXPECT_EQ(response.topics[0].partitions.at(0).error_code, 0);
  EXPECT_EQ(response.topics[0].partitions.at(1).error_code, 3);  // UNKNOWN_TOPIC_OR_PARTITION
  EXPECT_EQ(response.topics[1].partitions.at(0).error_code, 3);
  EXPECT_EQ(committed("g", "t", 0), -1);
  EXPECT_EQ(committed("g", "t", 1), 7);
}

TEST_F(ProducerTxnAdminTest, OffsetDeleteOfAnUnknownGroupIsGroupIdNotFound) {
  auto response = delete_offsets("ghost", {{"t", 0}});
  EXPECT_EQ(response.error_code, 69);
  EXPECT_TRUE(response.topics.empty());
}

TEST_F(ProducerTxnAdminTest, OffsetDeleteKeepsTheTopicsAConsumerGroupSubscribesTo) {
  commit("g", "t", 0, 5);
  commit("g", "u", 0, 3);
  JoinParams join;
  join.group_id = "g";
  join.protocol_type = "consumer";
  Subscription subscription;
  subscription.topics = {"t"};
  join.protocols = {{"range", encode_subscription(subscription)}};
  std::optional<JoinResult> joined;
  const auto now = GroupClock::now();
  broker.groups().join(join, now, [&](JoinResult r) { joined = std::move(r); });
  broker.groups().tick(now + std::chrono::seconds(1));
  ASSERT_TRUE(joined);
  ASSERT_EQ(joined->error_code, 0);

  auto response = delete_offsets("g", {{"t", 0}, {"u", 0}});
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.topics.at(0).partitions.at(0).error_code, 86);  // GROUP_SUBSCRIBED_TO_TOPIC
  EXPECT_EQ(response.topics.at(1).partitions.at(0).error_code, 0);
  EXPECT_EQ(committed("g", "t", 0), 5);
  EXPECT_EQ(committed("g", "u", 0), -1);
}

TEST_F(ProducerTxnAdminTest, OffsetDeleteOfANonEmptyNonConsumerGroupIsRefused) {
  commit("g", "t", 0, 5);
  JoinParams join;
  join.group_id = "g";
  join.protocol_type = "connect";
  join.protocols = {{"default", GroupBytes{1, 2, 3}}};
  const auto now = GroupClock::now();
  broker.groups().join(join, now, [](JoinResult) {});
  broker.groups().tick(now + std::chrono::seconds(1));
  EXPECT_EQ(delete_offsets("g", {{"t", 0}}).error_code, 68);  // NON_EMPTY_GROUP
  EXPECT_EQ(committed("g", "t", 0), 5);
}

TEST_F(ProducerTxnAdminTest, DescribeProducersReportsIdempotentAndTransactionalState) {
  auto idempotent = init(std::nullopt);
  ASSERT_EQ(produce(std::nullopt, idempotent, 0, 1111, 3).error_code, 0);  // sequences 0-2
  auto txn = init(std::string("tx"));
  ASSERT_EQ(add_partition("tx", txn), 0);
  auto appended = produce(std::string("tx"), txn, 0, 2222);
  ASSERT_EQ(appended.error_code, 0);

  auto described = producers_of("t", 0);
  EXPECT_EQ(described.error_code, 0);
  ASSERT_EQ(described.active_producers.size(), 2u);
  const auto& first = described.active_producers[0];
  EXPECT_EQ(first.producer_id, idempotent.producer_id);
  EXPECT_EQ(first.producer_epoch, 0);
  EXPECT_EQ(first.last_sequence, 2);
  EXPECT_EQ(first.last_timestamp, 1111);
  EXPECT_EQ(first.coordinator_epoch, -1);
  EXPECT_EQ(first.current_txn_start_offset, -1);
  const auto& second = described.active_producers[1];
  EXPECT_EQ(second.producer_id, txn.producer_id);
  EXPECT_EQ(second.last_sequence, 0);
  EXPECT_EQ(second.current_txn_start_offset, appended.base_offset);

  ASSERT_EQ(end("tx", txn, true), 0);
  described = producers_of("t", 0);
  ASSERT_EQ(described.active_producers.size(), 2u);
  EXPECT_EQ(described.active_producers[1].current_txn_start_offset, -1);
  EXPECT_EQ(described.active_producers[1].coordinator_epoch, 0);  // from the marker
  EXPECT_GT(described.active_producers[1].last_timestamp, 2222);  // the marker's time

  EXPECT_TRUE(producers_of("t", 1).active_producers.empty());
  EXPECT_EQ(producers_of("t", 5).error_code, 3);
  EXPECT_EQ(producers_of("nope", 0).error_code, 3);
}

TEST_F(ProducerTxnAdminTest, DescribeTransactionsFollowsTheTransactionStates) {
  EXPECT_EQ(describe("tx").error_code, 105);  // TRANSACTIONAL_ID_NOT_FOUND
  auto txn = init(std::string("tx"));
  auto empty = describe("tx");
  EXPECT_EQ(empty.error_code, 0);
  EXPECT_EQ(empty.transaction_state, "Empty");
  EXPECT_EQ(empty.transaction_timeout_ms, 60000);
  EXPECT_EQ(empty.transaction_start_time_ms, -1);
  EXPECT_EQ(empty.producer_id, txn.producer_id);
  EXPECT_EQ(empty.producer_epoch, txn.producer_epoch);

  const int64_t before = now_ms();
  ASSERT_EQ(add_partition("tx", txn), 0);
  auto ongoing = describe("tx");
  EXPECT_EQ(ongoing.transaction_state, "Ongoing");
  EXPECT_GE(ongoing.transaction_start_time_ms, before);
  ASSERT_EQ(ongoing.topic_partitions.size(), 1u);
  EXPECT_EQ(ongoing.topic_partitions[0].name, "t");
  EXPECT_EQ(ongoing.topic_partitions[0].partition_indexes, std::vector<int32_t>{0});

  ASSERT_EQ(end("tx", txn, false), 0);
  auto aborted = describe("tx");
  EXPECT_EQ(aborted.transaction_state, "CompleteAbort");
  EXPECT_TRUE(aborted.topic_partitions.empty());
}

TEST_F(ProducerTxnAdminTest, ListTransactionsFiltersByStateAndProducerId) {
  auto a = init(std::string("a"));
  auto b = init(std::string("b"));
  ASSERT_EQ(add_partition("b", b), 0);
  EXPECT_EQ(list({}, {}), (std::vector<std::string>{"a:Empty", "b:Ongoing"}));
  EXPECT_EQ(list({"Ongoing"}, {}), std::vector<std::string>{"b:Ongoing"});
  EXPECT_EQ(list({"Empty", "Ongoing"}, {a.producer_id}), std::vector<std::string>{"a:Empty"});
  EXPECT_TRUE(list({"PrepareCommit"}, {}).empty());
  EXPECT_TRUE(list({"NoSuchState"}, {}).empty());
  ListTransactionsRequest unknown;
  unknown.state_filters = {"NoSuchState", "Ongoing"};
  auto answered = call<ListTransactionsResponse>(0, unknown);
  EXPECT_EQ(answered.unknown_state_filters, std::vector<std::string>{"NoSuchState"});
  EXPECT_EQ(answered.transaction_states.size(), 1u);
  ASSERT_EQ(end("b", b, true), 0);
  EXPECT_EQ(list({"CompleteCommit"}, {}), std::vector<std::string>{"b:CompleteCommit"});
}

TEST_F(ProducerTxnAdminTest, ListTransactionsV1FiltersByDuration) {
  ASSERT_EQ(init(std::string("idle")).error_code, 0);
  auto running = init(std::string("running"));
  ASSERT_EQ(add_partition("running", running), 0);
  auto listed = [&](int16_t version, int64_t duration_ms) {
    ListTransactionsRequest request;
    request.duration_filter = duration_ms;
    auto response = call<ListTransactionsResponse>(version, request);
    EXPECT_EQ(response.error_code, 0);
    std::vector<std::string> result;
    for (const auto& txn : response.transaction_states) {
      result.push_back(txn.transactional_id + ":" + txn.transaction_state);
    }
    return result;
  };
  const std::vector<std::string> both{"idle:Empty", "running:Ongoing"};
  EXPECT_EQ(listed(1, -1), both);  // negative: no filter
  // The transaction began just now, so it has not run for an hour; an id with no
  // transaction started has start time -1, which Kafka's subtraction lets through.
  EXPECT_EQ(listed(1, 3600 * 1000), std::vector<std::string>{"idle:Empty"});
  // Version 0 has no duration filter: the field is not sent.
  EXPECT_EQ(listed(0, 3600 * 1000), both);
}

// Two brokers: each answers only for what it coordinates or leads.
class ProducerTxnAdminClusterTest : public ProducerTxnAdminTest {
 protected:
  BrokerState cluster_broker{options(2), engine, registry};
  testing::RecordingSink sinks[2];
  std::shared_ptr<testing::InlineScheduler> scheduler =
      std::make_shared<testing::InlineScheduler>();
  RequestPipeline node0{cluster_broker, sinks[0], scheduler, "127.0.0.1", 9092, "c", 0};
  RequestPipeline node1{cluster_broker, sinks[1], scheduler, "127.0.0.1", 9093, "c", 1};

  template <typename Response, typename Request>
  Response call_node(int node, const Request& request) {
    RequestHeader header{Request::kApiKey, 0, 1, "test"};
    (node == 0 ? node0 : node1).on_frame(encode_request_frame(header, request));
    Reader reader(std::span<const uint8_t>(sinks[node].frames.back()).subspan(4));
    ResponseHeader response_header;
    response_header.decode(reader, response_header_version(Request::kApiKey, 0));
    Response response;
    response.decode(reader, 0);
    return response;
  }
};

TEST_F(ProducerTxnAdminClusterTest, OnlyTheCoordinatorOrLeaderAnswers) {
  const int32_t group_node = cluster_broker.cluster().group_coordinator("g");
  OffsetDeleteRequest offset_delete;
  offset_delete.group_id = "g";
  offset_delete.topics.push_back({"t", {{0}}});
  EXPECT_EQ(call_node<OffsetDeleteResponse>(1 - group_node, offset_delete).error_code,
            16);  // NOT_COORDINATOR
  EXPECT_EQ(call_node<OffsetDeleteResponse>(group_node, offset_delete).error_code, 69);

  const int32_t leader = cluster_broker.cluster().leadership("t", 0).leader;
  DescribeProducersRequest producers;
  producers.topics.push_back({"t", {0}});
  EXPECT_EQ(call_node<DescribeProducersResponse>(1 - leader, producers)
                .topics.at(0)
                .partitions.at(0)
                .error_code,
            6);  // NOT_LEADER_OR_FOLLOWER
  EXPECT_EQ(call_node<DescribeProducersResponse>(leader, producers)
                .topics.at(0)
                .partitions.at(0)
                .error_code,
            0);

  const int32_t txn_node = cluster_broker.cluster().transaction_coordinator("tx");
  DescribeTransactionsRequest describe_request;
  describe_request.transactional_ids = {"tx"};
  EXPECT_EQ(call_node<DescribeTransactionsResponse>(1 - txn_node, describe_request)
                .transaction_states.at(0)
                .error_code,
            16);
  EXPECT_EQ(call_node<DescribeTransactionsResponse>(txn_node, describe_request)
                .transaction_states.at(0)
                .error_code,
            105);
}

}  // namespace
}  // namespace mockforge::kafka
