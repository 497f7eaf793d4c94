// Topic configs and the admin APIs through the request pipeline, without sockets:
// CreateTopics config validation, Describe/Alter/IncrementalAlterConfigs, CreatePartitions,
// DeleteRecords, DescribeCluster, OffsetForLeaderEpoch, ListOffsets v8, Produce limits.
#include <gtest/gtest.h>

#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "mockforge/kafka/alter_configs.h"
#include "mockforge/kafka/create_partitions.h"
#include "mockforge/kafka/create_topics.h"
#include "mockforge/kafka/delete_records.h"
#include "mockforge/kafka/describe_cluster.h"
#include "mockforge/kafka/describe_configs.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/incremental_alter_configs.h"
#include "mockforge/kafka/list_offsets.h"
#include "mockforge/kafka/offset_for_leader_epoch.h"
#include "mockforge/kafka/produce.h"

namespace mockforge::kafka {
namespace {

class NoScheduler : public ConnectionScheduler {
 public:
  void post(std::function<void()> fn) override { fn(); }
  std::function<void()> run_after(std::chrono::milliseconds, std::function<void()>) override {
    return [] {};
  }
};

class Sink : public RequestPipeline::Sink {
 public:
  void send(Bytes frame) override { frames.push_back(std::move(frame)); }
  void close(std::string reason) override { closed = reason; }
  std::vector<Bytes> frames;
  std::optional<std::string> closed;
};

class KafkaAdminHandlersTest : public ::testing::Test {
 protected:
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{BrokerOptions{}, engine, registry};
  Sink sink;
  RequestPipeline pipeline{broker,      sink, std::make_shared<NoScheduler>(),
                           "127.0.0.1", 9092, "127.0.0.1:5555"};
  int32_t correlation = 0;

  template <typename Response, typename Request>
  Response call(int16_t version, const Request& request) {
    RequestHeader header{Request::kApiKey, version, ++correlation, "test"};
    pipeline.on_frame(encode_request_frame(header, request));
    EXPECT_FALSE(sink.closed) << *sink.closed;
    EXPECT_EQ(sink.frames.size(), 1u);
    Bytes frame = sink.frames.back();
    sink.frames.clear();
    Reader reader(std::span<const uint8_t>(frame).subspan(4));
    ResponseHeader response_header;
    response_header.decode(reader, response_header_version(Request::kApiKey, version));
    Response response;
    response.decode(reader, version);
    return response;
  }

  int16_t create(const std::string& name, int32_t partitions,
                 std::vector<std::pair<std::string, std::optional<std::string>>> configs = {}) {
    CreateTopicsRequest request;
    CreateTopicsRequest::CreatableTopic topic;
    topic.name = name;
    topic.num_partitions = partitions;
    topic.replication_factor = 1;
    for (auto& [key, value] : configs) topic.configs.push_back({key, value});
    request.topics.push_back(topic);
    auto response = call<CreateTopicsResponse>(7, request);
    return response.topics.at(0).error_code;
  }

  ProduceResponse::PartitionProduceResponse produce(const std::string& topic, int32_t partition,
                                                    std::size_t value_size, int64_t timestamp) {
    NewRecord record{timestamp, Bytes{'k'}, Bytes(value_size, 'v'), {}};
    ProduceRequest request;
    request.acks = 1;
    request.timeout_ms = 1000;
    request.topic_data = {{topic, {{partition, build_record_batch(std::span(&record, 1))}}}};
    return call<ProduceResponse>(8, request).responses.at(0).partition_responses.at(0);
  }

  std::map<std::string, DescribeConfigsResponse::DescribeConfigsResourceResult> describe(
      const std::string& topic, int16_t version = 4) {
    DescribeConfigsRequest request;
    request.resources.push_back({kResourceTopic, topic, std::nullopt});
    request.include_synonyms = true;
    request.include_documentation = true;
    auto response = call<DescribeConfigsResponse>(version, request);
    EXPECT_EQ(response.results.at(0).error_code, 0);
    std::map<std::string, DescribeConfigsResponse::DescribeConfigsResourceResult> by_name;
    for (const auto& config : response.results.at(0).configs) by_name[config.name] = config;
    return by_name;
  }
};

TEST_F(KafkaAdminHandlersTest, CreateTopicsValidatesConfigs) {
  EXPECT_EQ(create("bad-name", 1, {{"no.such.config", "1"}}), 40);
  EXPECT_EQ(create("bad-ms", 1, {{"retention.ms", "soon"}}), 40);
  EXPECT_EQ(create("bad-ms2", 1, {{"retention.ms", "-2"}}), 40);
  EXPECT_EQ(create("bad-type", 1, {{"message.timestamp.type", "Now"}}), 40);
  EXPECT_EQ(create("bad-policy", 1, {{"cleanup.policy", "delete,shred"}}), 40);
  EXPECT_EQ(create("bad-null", 1, {{"retention.ms", std::nullopt}}), 40);
  EXPECT_EQ(engine.logs().list().size(), 0u);
  EXPECT_EQ(create("good", 1, {{"cleanup.policy", "compact,delete"}, {"retention.ms", "-1"}}), 0);
}

TEST_F(KafkaAdminHandlersTest, CreateTopicsReturnsEveryConfigWithItsSource) {
  CreateTopicsRequest request;
  request.topics.push_back({"listed", 2, 1, {}, {{"retention.bytes", "1000"}}});
  auto response = call<CreateTopicsResponse>(5, request);
  ASSERT_EQ(response.topics.at(0).error_code, 0);
  const auto& configs = response.topics.at(0).configs;
  ASSERT_TRUE(configs.has_value());
  std::map<std::string, std::pair<std::optional<std::string>, int8_t>> by_name;
  for (const auto& config : *configs) by_name[config.name] = {config.value, config.config_source};
  EXPECT_EQ(by_name["retention.bytes"], std::pair(std::optional<std::string>("1000"), int8_t{1}));
  EXPECT_EQ(by_name["cleanup.policy"], std::pair(std::optional<std::string>("delete"), int8_t{5}));
  EXPECT_EQ(by_name["max.message.bytes"],
            std::pair(std::optional<std::string>("1048588"), int8_t{5}));
}

TEST_F(KafkaAdminHandlersTest, DescribeConfigsSourcesSynonymsAndDocumentation) {
  ASSERT_EQ(create("d", 1, {{"retention.ms", "60000"}}), 0);
  auto configs = describe("d");
  ASSERT_EQ(configs.size(), 31u);  // Kafka 3.7's topic configs
  // Kept only: Kafka's default and its broker synonym; no synonym where Kafka has none.
  EXPECT_EQ(configs["segment.bytes"].value, "1073741824");
  EXPECT_EQ(configs["segment.bytes"].config_type, config_type::kInt);
  ASSERT_EQ(configs["segment.bytes"].synonyms.size(), 1u);
  EXPECT_EQ(configs["segment.bytes"].synonyms[0].name, "log.segment.bytes");
  EXPECT_EQ(configs["min.cleanable.dirty.ratio"].config_type, config_type::kDouble);
  EXPECT_TRUE(configs["remote.storage.enable"].synonyms.empty());
  EXPECT_EQ(configs["retention.ms"].value, "60000");
  EXPECT_EQ(configs["retention.ms"].config_source, config_source::kDynamicTopic);
  ASSERT_EQ(configs["retention.ms"].synonyms.size(), 2u);
  EXPECT_EQ(configs["retention.ms"].synonyms[1].name, "log.retention.ms");
  EXPECT_EQ(configs["retention.ms"].config_type, config_type::kLong);
  EXPECT_TRUE(configs["retention.ms"].documentation.has_value());
  EXPECT_EQ(configs["message.timestamp.type"].value, "CreateTime");
  EXPECT_EQ(configs["message.timestamp.type"].config_source, config_source::kDefault);
  EXPECT_EQ(configs["cleanup.policy"].config_type, config_type::kList);

  // v0: is_default instead of a source; no synonyms before v1, no documentation before v3.
  auto v0 = describe("d", 0);
  EXPECT_FALSE(v0["retention.ms"].is_default);
  EXPECT_TRUE(v0["retention.bytes"].is_default);
  auto v2 = describe("d", 2);
  EXPECT_EQ(v2["retention.ms"].documentation.value_or(""), "");  // not on the wire before v3

  // Filtered keys, unknown topics, the broker and other brokers.
  DescribeConfigsRequest request;
  request.resources.push_back({kResourceTopic, "d", std::vector<std::string>{"retention.ms"}});
  request.resources.push_back({kResourceTopic, "missing", std::nullopt});
  request.resources.push_back({kResourceBroker, "0", std::nullopt});
  request.resources.push_back({kResourceBroker, "7", std::nullopt});
  request.resources.push_back({kResourceTopic, "d", std::vector<std::string>{}});
  auto response = call<DescribeConfigsResponse>(1, request);
  ASSERT_EQ(response.results.size(), 5u);
  EXPECT_EQ(response.results[4].configs.size(), 31u);
  ASSERT_EQ(response.results[0].configs.size(), 1u);
  EXPECT_EQ(response.results[1].error_code, 3);
  EXPECT_EQ(response.results[2].error_code, 0);
  bool found = false;
  for (const auto& config : response.results[2].configs) {
    EXPECT_TRUE(config.read_only);
    if (config.name == "message.max.bytes") found = config.value == "1048588";
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(response.results[3].error_code, 42);
}

TEST_F(KafkaAdminHandlersTest, AlterConfigsReplacesTheWholeSetAndHonoursValidateOnly) {
  ASSERT_EQ(create("a", 1, {{"retention.ms", "60000"}, {"retention.bytes", "100"}}), 0);
  AlterConfigsRequest request;
  request.resources.push_back({kResourceTopic, "a", {{"max.message.bytes", "2000"}}});
  request.validate_only = true;
  EXPECT_EQ(call<AlterConfigsResponse>(1, request).responses.at(0).error_code, 0);
  EXPECT_EQ(describe("a")["retention.ms"].value, "60000");
  request.validate_only = false;
  EXPECT_EQ(call<AlterConfigsResponse>(2, request).responses.at(0).error_code, 0);
  auto configs = describe("a");
  EXPECT_EQ(configs["max.message.bytes"].value, "2000");
  EXPECT_EQ(configs["retention.ms"].config_source, config_source::kDefault);
  EXPECT_EQ(engine.logs().find("a")->configs().size(), 1u);

  request.resources[0].configs = {{"max.message.bytes", "-5"}};
  auto refused = call<AlterConfigsResponse>(0, request);
  EXPECT_EQ(refused.responses.at(0).error_code, 40);
  EXPECT_EQ(describe("a")["max.message.bytes"].value, "2000");

  request.resources[0] = {kResourceBroker, "0", {{"message.max.bytes", "5"}}};
  EXPECT_EQ(call<AlterConfigsResponse>(0, request).responses.at(0).error_code, 42);
}

TEST_F(KafkaAdminHandlersTest, IncrementalAlterConfigsOperations) {
  ASSERT_EQ(create("i", 1, {{"retention.ms", "60000"}}), 0);
  auto alter = [&](std::vector<IncrementalAlterConfigsRequest::AlterableConfig> configs,
                   bool validate_only = false) {
    IncrementalAlterConfigsRequest request;
    request.resources.push_back({kResourceTopic, "i", std::move(configs)});
    request.validate_only = validate_only;
    return call<IncrementalAlterConfigsResponse>(1, request).responses.at(0).error_code;
  };
  EXPECT_EQ(alter({{"retention.bytes", 0, "500"}, {"retention.ms", 1, std::nullopt}}), 0);
  auto configs = describe("i");
  EXPECT_EQ(configs["retention.bytes"].value, "500");
  EXPECT_EQ(configs["retention.ms"].config_source, config_source::kDefault);
  // APPEND starts from the default (delete); SUBTRACT removes.
  EXPECT_EQ(alter({{"cleanup.policy", 2, "compact"}}), 0);
  EXPECT_EQ(describe("i")["cleanup.policy"].value, "delete,compact");
  EXPECT_EQ(alter({{"cleanup.policy", 3, "delete"}}), 0);
  EXPECT_EQ(describe("i")["cleanup.policy"].value, "compact");
  // APPEND on a non-list config, unknown names, bad operations, duplicates.
  EXPECT_EQ(alter({{"retention.ms", 2, "5"}}), 40);
  EXPECT_EQ(alter({{"nope", 0, "5"}}), 40);
  EXPECT_EQ(alter({{"retention.ms", 9, "5"}}), 42);
  EXPECT_EQ(alter({{"retention.ms", 0, "5"}, {"retention.ms", 0, "6"}}), 42);
  EXPECT_EQ(alter({{"retention.ms", 0, "123"}}, true), 0);
  EXPECT_FALSE(describe("i")["retention.ms"].value == "123");
}

TEST_F(KafkaAdminHandlersTest, RetentionBytesFromConfigsDropsOldBatches) {
  ASSERT_EQ(create("r", 1), 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(produce("r", 0, 100, 1000 + i).error_code, 0);
  auto partition = engine.logs().find("r")->partition(0);
  EXPECT_EQ(partition->log_start_offset(), 0);
  IncrementalAlterConfigsRequest request;
  request.resources.push_back({kResourceTopic, "r", {{"retention.bytes", 0, "300"}}});
  ASSERT_EQ(call<IncrementalAlterConfigsResponse>(0, request).responses.at(0).error_code, 0);
  ASSERT_EQ(produce("r", 0, 100, 2000).error_code, 0);
  EXPECT_GT(partition->log_start_offset(), 0);
  EXPECT_LE(partition->stats().size_bytes, 300u);

  // compact only: retention no longer applies.
  request.resources[0].configs = {{"cleanup.policy", 0, "compact"}};
  ASSERT_EQ(call<IncrementalAlterConfigsResponse>(0, request).responses.at(0).error_code, 0);
  int64_t start = partition->log_start_offset();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(produce("r", 0, 100, 3000 + i).error_code, 0);
  EXPECT_EQ(partition->log_start_offset(), start);
}

TEST_F(KafkaAdminHandlersTest, MaxMessageBytesAndLogAppendTime) {
  ASSERT_EQ(
      create("m", 1, {{"max.message.bytes", "200"}, {"message.timestamp.type", "LogAppendTime"}}),
      0);
  EXPECT_EQ(produce("m", 0, 500, 1000).error_code, 10);
  auto accepted = produce("m", 0, 10, 1000);
  EXPECT_EQ(accepted.error_code, 0);
  EXPECT_GT(accepted.log_append_time_ms, 1000);
  auto read = engine.logs().find("m")->partition(0)->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  auto view = parse_record_batch(read->batches.at(0).bytes.span());
  EXPECT_EQ(view.header.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(view.header.max_timestamp, accepted.log_append_time_ms);
}

TEST_F(KafkaAdminHandlersTest, CreatePartitionsGrowsOnly) {
  ASSERT_EQ(create("p", 2), 0);
  auto grow = [&](const std::string& name, int32_t count, bool validate_only = false,
                  std::optional<std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>>
                      assignments = std::nullopt) {
    CreatePartitionsRequest request;
    request.topics.push_back({name, count, assignments});
    request.validate_only = validate_only;
    return call<CreatePartitionsResponse>(3, request).results.at(0).error_code;
  };
  EXPECT_EQ(grow("p", 4, true), 0);
  EXPECT_EQ(engine.logs().find("p")->partition_count(), 2);
  EXPECT_EQ(grow("p", 4), 0);
  EXPECT_EQ(engine.logs().find("p")->partition_count(), 4);
  EXPECT_EQ(grow("p", 4), 37);
  EXPECT_EQ(grow("p", 3), 37);
  EXPECT_EQ(grow("missing", 3), 3);
  EXPECT_EQ(
      grow("p", 6, false, std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{{0}}}),
      39);
  EXPECT_EQ(
      grow("p", 5, false, std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{{0}}}),
      0);
  // One broker: its node id is the only replica there is.
  using Assignments = std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>;
  EXPECT_EQ(grow("p", 6, false, Assignments{{{1}}}), 39);     // no such broker
  EXPECT_EQ(grow("p", 6, false, Assignments{{{0, 0}}}), 39);  // twice, and two replicas
  EXPECT_EQ(grow("p", 6, false, Assignments{{{}}}), 39);      // empty
  EXPECT_EQ(engine.logs().find("p")->partition_count(), 5);
}

TEST_F(KafkaAdminHandlersTest, DeleteRecordsMovesTheLogStart) {
  ASSERT_EQ(create("x", 1), 0);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(produce("x", 0, 10, 1000 + i).error_code, 0);
  auto delete_to = [&](const std::string& topic, int64_t offset) {
    DeleteRecordsRequest request;
    request.topics.push_back({topic, {{0, offset}}});
    return call<DeleteRecordsResponse>(2, request).topics.at(0).partitions.at(0);
  };
  auto result = delete_to("x", 2);
  EXPECT_EQ(result.error_code, 0);
  EXPECT_EQ(result.low_watermark, 2);
  EXPECT_EQ(delete_to("x", 9).error_code, 1);
  EXPECT_EQ(delete_to("nope", 1).error_code, 3);

  ListOffsetsRequest list;
  list.replica_id = -1;
  list.topics.push_back({"x", {{0, -1, -2, 1}, {0, -1, -4, 1}}});
  auto offsets = call<ListOffsetsResponse>(8, list);
  EXPECT_EQ(offsets.topics.at(0).partitions.at(0).offset, 2);
  EXPECT_EQ(offsets.topics.at(0).partitions.at(1).offset, 2);

  FetchRequest fetch;
  fetch.max_wait_ms = 0;
  fetch.max_bytes = 1 << 20;
  fetch.topics.push_back({"x", {}, {{0, -1, 1, -1, 0, 1 << 20}}});
  auto fetched = call<FetchResponse>(11, fetch);
  EXPECT_EQ(fetched.responses.at(0).partitions.at(0).error_code, 1);
  EXPECT_EQ(fetched.responses.at(0).partitions.at(0).log_start_offset, 2);

  result = delete_to("x", -1);
  EXPECT_EQ(result.low_watermark, 4);

  ASSERT_EQ(create("compacted", 1, {{"cleanup.policy", "compact"}}), 0);
  EXPECT_EQ(delete_to("compacted", 0).error_code, 44);
}

TEST_F(KafkaAdminHandlersTest, DescribeClusterAndOffsetForLeaderEpoch) {
  DescribeClusterRequest cluster;
  cluster.include_cluster_authorized_operations = true;
  auto described = call<DescribeClusterResponse>(1, cluster);
  EXPECT_EQ(described.error_code, 0);
  EXPECT_EQ(described.cluster_id, "mockforge-kafka");
  EXPECT_EQ(described.controller_id, 0);
  ASSERT_EQ(described.brokers.size(), 1u);
  EXPECT_EQ(described.brokers[0].port, 9092);
  EXPECT_NE(described.cluster_authorized_operations, std::numeric_limits<int32_t>::min());
  cluster.endpoint_type = 2;
  EXPECT_EQ(call<DescribeClusterResponse>(1, cluster).error_code, 114);

  ASSERT_EQ(create("e", 1), 0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(produce("e", 0, 10, 1000).error_code, 0);
  OffsetForLeaderEpochRequest request;
  request.replica_id = -1;
  request.topics.push_back({"e", {{0, -1, 0}, {0, 0, 5}, {0, 3, 0}, {1, -1, 0}}});
  auto response = call<OffsetForLeaderEpochResponse>(4, request);
  const auto& partitions = response.topics.at(0).partitions;
  ASSERT_EQ(partitions.size(), 4u);
  EXPECT_EQ(partitions[0].error_code, 0);
  EXPECT_EQ(partitions[0].end_offset, 3);
  EXPECT_EQ(partitions[0].leader_epoch, 0);
  EXPECT_EQ(partitions[1].end_offset, -1);
  EXPECT_EQ(partitions[1].leader_epoch, -1);
  EXPECT_EQ(partitions[2].error_code, 75);
  EXPECT_EQ(partitions[3].error_code, 3);
}

}  // namespace
}  // namespace mockforge::kafka
