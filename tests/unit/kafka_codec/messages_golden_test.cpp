// Golden bytes for every API at its lowest, first flexible and highest supported versions,
// written by hand from the protocol layout (not produced by the encoder). Each case checks that
// the message encodes to exactly these bytes and that the bytes decode and re-encode unchanged.
// Strings used: "g" 67, "m" 6d, "t" 74, "h" 68, "c" 63, "r" 72, "k" 6b, "v" 76, "s" 73.
#include <gtest/gtest.h>

#include <string_view>

#include "mockforge/kafka/messages.h"
#include "tests/unit/kafka_codec/test_bytes.h"

namespace mockforge::kafka {
namespace {

using testing::from_hex;
using testing::to_hex;

template <typename Message>
void expect_golden(const Message& message, int16_t version, std::string_view hex) {
  SCOPED_TRACE(std::string(Message::kApiName) + " v" + std::to_string(version));
  const Bytes expected = from_hex(hex);
  Writer writer;
  message.encode(writer, version);
  EXPECT_EQ(to_hex(writer.bytes()), to_hex(expected));
  Reader reader(expected);
  Message decoded;
  decoded.decode(reader, version);
  EXPECT_TRUE(reader.at_end());
  Writer again;
  decoded.encode(again, version);
  EXPECT_EQ(to_hex(again.bytes()), to_hex(expected));
}

constexpr std::string_view kZeroUuid = "00000000000000000000000000000000";

std::string with_uuid(std::string_view before, std::string_view after) {
  return std::string(before) + std::string(kZeroUuid) + std::string(after);
}

TEST(kafka_golden, ApiVersions) {
  ApiVersionsRequest request;
  request.client_software_name = "c";
  request.client_software_version = "1";
  expect_golden(request, 0, "");
  expect_golden(request, 3, "02 63 | 02 31 | 00");
  expect_golden(request, 4, "02 63 | 02 31 | 00");

  ApiVersionsResponse response;
  response.api_keys.push_back({18, 0, 4});
  expect_golden(response, 0, "0000 | 00000001 | 0012 0000 0004");
  expect_golden(response, 3, "0000 | 02 | 0012 0000 0004 00 | 00000000 | 00");
  response.supported_features.push_back({"f", 1, 2});
  response.finalized_features_epoch = 5;
  // Tags in order: 0 (8 bytes: array of one feature) and 1 (8 bytes: int64).
  expect_golden(response, 4,
                "0000 | 02 | 0012 0000 0004 00 | 00000000 | 02 | 00 08 02 02 66 0001 0002 00 |"
                "01 08 0000000000000005");
}

TEST(kafka_golden, Metadata) {
  MetadataRequest request;
  request.topics.emplace().push_back({});
  request.topics->back().name = "t";
  expect_golden(request, 0, "00000001 | 0001 74");
  expect_golden(request, 9, "02 | 02 74 00 | 01 | 00 | 00 | 00");
  expect_golden(request, 12, with_uuid("02 |", "02 74 00 | 01 | 00 | 00"));

  MetadataResponse response;
  response.brokers.push_back({1, "h", 9092, std::nullopt});
  auto& topic = response.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.leader_id = 1;
  partition.replica_nodes = {1};
  partition.isr_nodes = {1};
  expect_golden(response, 0,
                "00000001 | 00000001 0001 68 00002384 | 00000001 | 0000 0001 74 | 00000001 |"
                "0000 00000000 00000001 | 00000001 00000001 | 00000001 00000001");
  expect_golden(
      response, 9,
      "00000000 | 02 | 00000001 02 68 00002384 00 00 | 00 | ffffffff | 02 |"
      "0000 02 74 00 | 02 | 0000 00000000 00000001 ffffffff 02 00000001 02 00000001 01 00 |"
      "80000000 00 | 80000000 | 00");
  expect_golden(
      response, 12,
      with_uuid("00000000 | 02 | 00000001 02 68 00002384 00 00 | 00 | ffffffff | 02 |"
                "0000 02 74 |",
                "00 | 02 | 0000 00000000 00000001 ffffffff 02 00000001 02 00000001 01 00 |"
                "80000000 00 | 00"));
}

TEST(kafka_golden, Produce) {
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 1000;
  auto& topic = request.topic_data.emplace_back();
  topic.name = "t";
  topic.partition_data.push_back({0, Bytes{1, 2}});
  expect_golden(
      request, 3,
      "ffff | ffff | 000003e8 | 00000001 | 0001 74 | 00000001 | 00000000 | 00000002 0102");
  expect_golden(request, 9,
                "00 | ffff | 000003e8 | 02 | 02 74 | 02 | 00000000 | 03 0102 | 00 | 00 | 00");
  expect_golden(request, 11,
                "00 | ffff | 000003e8 | 02 | 02 74 | 02 | 00000000 | 03 0102 | 00 | 00 | 00");

  ProduceResponse response;
  auto& result = response.responses.emplace_back();
  result.name = "t";
  auto& partition = result.partition_responses.emplace_back();
  partition.base_offset = 5;
  expect_golden(response, 3,
                "00000001 | 0001 74 | 00000001 | 00000000 0000 0000000000000005 ffffffffffffffff |"
                "00000000");
  expect_golden(
      response, 9,
      "02 | 02 74 | 02 | 00000000 0000 0000000000000005 ffffffffffffffff ffffffffffffffff |"
      "01 | 00 | 00 | 00 | 00000000 | 00");
  partition.current_leader = {1, 2};
  response.node_endpoints.push_back({1, "h", 9092, std::nullopt});
  expect_golden(
      response, 11,
      "02 | 02 74 | 02 | 00000000 0000 0000000000000005 ffffffffffffffff ffffffffffffffff |"
      "01 | 00 | 01 00 09 00000001 00000002 00 | 00 | 00000000 |"
      "01 00 0d 02 00000001 02 68 00002384 00 00");
}

TEST(kafka_golden, Fetch) {
  FetchRequest request;
  request.max_wait_ms = 500;
  request.min_bytes = 1;
  auto& topic = request.topics.emplace_back();
  topic.topic = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.partition_max_bytes = 1 << 20;
  expect_golden(request, 4,
                "ffffffff | 000001f4 | 00000001 | 7fffffff | 00 | 00000001 | 0001 74 | 00000001 |"
                "00000000 | 0000000000000000 | 00100000");
  expect_golden(
      request, 12,
      "ffffffff | 000001f4 | 00000001 | 7fffffff | 00 | 00000000 | ffffffff | 02 | 02 74 |"
      "02 | 00000000 ffffffff 0000000000000000 ffffffff ffffffffffffffff 00100000 00 | 00 |"
      "01 | 01 | 00");
  request.cluster_id = "c";
  expect_golden(request, 16,
                with_uuid("000001f4 | 00000001 | 7fffffff | 00 | 00000000 | ffffffff | 02 |",
                          "02 | 00000000 ffffffff 0000000000000000 ffffffff ffffffffffffffff "
                          "00100000 00 | 00 | 01 | 01 | 01 00 02 02 63"));

  FetchResponse response;
  auto& result = response.responses.emplace_back();
  result.topic = "t";
  auto& data = result.partitions.emplace_back();
  data.high_watermark = 10;
  data.last_stable_offset = 10;
  data.log_start_offset = 0;
  data.aborted_transactions.reset();
  data.records = Bytes{1, 2};
  expect_golden(response, 4,
                "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0000 000000000000000a "
                "000000000000000a | ffffffff | 00000002 0102");
  expect_golden(response, 12,
                "00000000 | 0000 | 00000000 | 02 | 02 74 | 02 | 00000000 0000 000000000000000a "
                "000000000000000a 0000000000000000 | 00 | ffffffff | 03 0102 | 00 | 00 | 00");
  data.diverging_epoch = {1, 2};
  expect_golden(
      response, 16,
      with_uuid("00000000 | 0000 | 00000000 | 02 |",
                "02 | 00000000 0000 000000000000000a 000000000000000a 0000000000000000 |"
                "00 | ffffffff | 03 0102 | 01 00 0d 00000001 0000000000000002 00 | 00 | 00"));
}

TEST(kafka_golden, ListOffsets) {
  ListOffsetsRequest request;
  request.replica_id = -1;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.timestamp = -1;
  expect_golden(request, 0,
                "ffffffff | 00000001 | 0001 74 | 00000001 | 00000000 ffffffffffffffff 00000001");
  expect_golden(
      request, 6,
      "ffffffff | 00 | 02 | 02 74 | 02 | 00000000 ffffffff ffffffffffffffff 00 | 00 | 00");
  expect_golden(
      request, 8,
      "ffffffff | 00 | 02 | 02 74 | 02 | 00000000 ffffffff ffffffffffffffff 00 | 00 | 00");

  ListOffsetsResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  auto& answer = result.partitions.emplace_back();
  answer.old_style_offsets = {5};
  answer.offset = 5;
  expect_golden(response, 0,
                "00000001 | 0001 74 | 00000001 | 00000000 0000 00000001 0000000000000005");
  expect_golden(response, 6,
                "00000000 | 02 | 02 74 | 02 | 00000000 0000 ffffffffffffffff 0000000000000005 "
                "ffffffff 00 | 00 | 00");
  expect_golden(response, 8,
                "00000000 | 02 | 02 74 | 02 | 00000000 0000 ffffffffffffffff 0000000000000005 "
                "ffffffff 00 | 00 | 00");
}

TEST(kafka_golden, FindCoordinator) {
  FindCoordinatorRequest request;
  request.key = "g";
  request.coordinator_keys = {"g"};
  expect_golden(request, 0, "0001 67");
  expect_golden(request, 3, "02 67 | 00 | 00");
  expect_golden(request, 5, "00 | 02 02 67 | 00");

  FindCoordinatorResponse response;
  response.error_message.reset();
  response.node_id = 1;
  response.host = "h";
  response.port = 9092;
  response.coordinators.push_back({"g", 1, "h", 9092, 0, std::nullopt});
  expect_golden(response, 0, "0000 | 00000001 | 0001 68 | 00002384");
  expect_golden(response, 3, "00000000 | 0000 | 00 | 00000001 | 02 68 | 00002384 | 00");
  expect_golden(response, 5, "00000000 | 02 | 02 67 00000001 02 68 00002384 0000 00 00 | 00");
}

TEST(kafka_golden, JoinGroup) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.session_timeout_ms = 30000;
  request.rebalance_timeout_ms = 30000;
  request.protocol_type = "c";
  request.protocols.push_back({"r", Bytes{1, 2}});
  expect_golden(request, 0,
                "0001 67 | 00007530 | 0000 | 0001 63 | 00000001 | 0001 72 | 00000002 0102");
  expect_golden(request, 6,
                "02 67 | 00007530 | 00007530 | 01 | 00 | 02 63 | 02 | 02 72 03 0102 00 | 00");
  request.reason = "x";
  expect_golden(
      request, 9,
      "02 67 | 00007530 | 00007530 | 01 | 00 | 02 63 | 02 | 02 72 03 0102 00 | 02 78 | 00");

  JoinGroupResponse response;
  response.generation_id = 1;
  response.protocol_type = "c";
  response.protocol_name = "r";
  response.leader = "m";
  response.member_id = "m";
  response.members.push_back({"m", std::nullopt, Bytes{1}});
  expect_golden(response, 0,
                "0000 | 00000001 | 0001 72 | 0001 6d | 0001 6d | 00000001 | 0001 6d | 00000001 01");
  expect_golden(response, 6,
                "00000000 | 0000 | 00000001 | 02 72 | 02 6d | 02 6d | 02 | 02 6d 00 02 01 00 | 00");
  expect_golden(response, 9,
                "00000000 | 0000 | 00000001 | 02 63 | 02 72 | 02 6d | 00 | 02 6d | 02 |"
                "02 6d 00 02 01 00 | 00");
}

TEST(kafka_golden, SyncGroup) {
  SyncGroupRequest request;
  request.group_id = "g";
  request.generation_id = 1;
  request.member_id = "m";
  request.assignments.push_back({"m", Bytes{1}});
  expect_golden(request, 0, "0001 67 | 00000001 | 0001 6d | 00000001 | 0001 6d 00000001 01");
  expect_golden(request, 4, "02 67 | 00000001 | 02 6d | 00 | 02 | 02 6d 02 01 00 | 00");
  request.protocol_type = "c";
  request.protocol_name = "r";
  expect_golden(request, 5,
                "02 67 | 00000001 | 02 6d | 00 | 02 63 | 02 72 | 02 | 02 6d 02 01 00 | 00");

  SyncGroupResponse response;
  response.assignment = Bytes{1};
  expect_golden(response, 0, "0000 | 00000001 01");
  expect_golden(response, 4, "00000000 | 0000 | 02 01 | 00");
  expect_golden(response, 5, "00000000 | 0000 | 00 | 00 | 02 01 | 00");
}

TEST(kafka_golden, Heartbeat) {
  HeartbeatRequest request;
  request.group_id = "g";
  request.generation_id = 1;
  request.member_id = "m";
  expect_golden(request, 0, "0001 67 | 00000001 | 0001 6d");
  expect_golden(request, 4, "02 67 | 00000001 | 02 6d | 00 | 00");

  HeartbeatResponse response;
  response.error_code = 27;
  expect_golden(response, 0, "001b");
  expect_golden(response, 4, "00000000 | 001b | 00");
}

TEST(kafka_golden, SaslHandshake) {
  SaslHandshakeRequest request;
  request.mechanism = "PLAIN";
  expect_golden(request, 0, "0005 504c41494e");
  expect_golden(request, 1, "0005 504c41494e");

  SaslHandshakeResponse response;
  response.error_code = 33;
  response.mechanisms = {"PLAIN"};
  expect_golden(response, 0, "0021 | 00000001 | 0005 504c41494e");
  expect_golden(response, 1, "0021 | 00000001 | 0005 504c41494e");
}

TEST(kafka_golden, SaslAuthenticate) {
  SaslAuthenticateRequest request;
  request.auth_bytes = Bytes{'a', 'b'};
  expect_golden(request, 0, "00000002 6162");
  expect_golden(request, 1, "00000002 6162");
  expect_golden(request, 2, "03 6162 | 00");

  SaslAuthenticateResponse response;
  response.error_code = 58;
  response.error_message = "m";
  response.session_lifetime_ms = 5;
  expect_golden(response, 0, "003a | 0001 6d | 00000000");
  expect_golden(response, 1, "003a | 0001 6d | 00000000 | 0000000000000005");
  expect_golden(response, 2, "003a | 02 6d | 01 | 0000000000000005 | 00");
  SaslAuthenticateResponse success;
  success.auth_bytes = Bytes{'v'};
  expect_golden(success, 0, "0000 | ffff | 00000001 76");
  expect_golden(success, 2, "0000 | 00 | 02 76 | 0000000000000000 | 00");
}

TEST(kafka_golden, LeaveGroup) {
  LeaveGroupRequest request;
  request.group_id = "g";
  request.member_id = "m";
  request.members.push_back({"m", std::nullopt, std::nullopt});
  expect_golden(request, 0, "0001 67 | 0001 6d");
  expect_golden(request, 4, "02 67 | 02 | 02 6d 00 00 | 00");
  expect_golden(request, 5, "02 67 | 02 | 02 6d 00 00 00 | 00");

  LeaveGroupResponse response;
  response.members.push_back({"m", std::nullopt, 0});
  expect_golden(response, 0, "0000");
  expect_golden(response, 4, "00000000 | 0000 | 02 | 02 6d 00 0000 00 | 00");
  expect_golden(response, 5, "00000000 | 0000 | 02 | 02 6d 00 0000 00 | 00");
}

TEST(kafka_golden, OffsetCommit) {
  OffsetCommitRequest request;
  request.group_id = "g";
  request.generation_id_or_member_epoch = 1;
  request.member_id = "m";
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.committed_offset = 5;
  expect_golden(request, 0,
                "0001 67 | 00000001 | 0001 74 | 00000001 | 00000000 0000000000000005 0000");
  expect_golden(request, 8,
                "02 67 | 00000001 | 02 6d | 00 | 02 | 02 74 | 02 | 00000000 0000000000000005 "
                "ffffffff 01 00 | 00 | 00");
  expect_golden(request, 9,
                "02 67 | 00000001 | 02 6d | 00 | 02 | 02 74 | 02 | 00000000 0000000000000005 "
                "ffffffff 01 00 | 00 | 00");

  OffsetCommitResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  result.partitions.push_back({0, 0});
  expect_golden(response, 0, "00000001 | 0001 74 | 00000001 | 00000000 0000");
  expect_golden(response, 8, "00000000 | 02 | 02 74 | 02 | 00000000 0000 00 | 00 | 00");
  expect_golden(response, 9, "00000000 | 02 | 02 74 | 02 | 00000000 0000 00 | 00 | 00");
}

TEST(kafka_golden, OffsetFetch) {
  OffsetFetchRequest request;
  request.group_id = "g";
  request.topics.emplace().push_back({"t", {0}});
  auto& group = request.groups.emplace_back();
  group.group_id = "g";
  group.topics.reset();
  expect_golden(request, 0, "0001 67 | 00000001 | 0001 74 | 00000001 00000000");
  expect_golden(request, 6, "02 67 | 02 | 02 74 02 00000000 00 | 00");
  expect_golden(request, 9, "02 | 02 67 00 ffffffff 00 00 | 00 | 00");

  OffsetFetchResponse response;
  auto& topic = response.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.committed_offset = 5;
  partition.metadata = "";
  auto& group_result = response.groups.emplace_back();
  group_result.group_id = "g";
  auto& group_topic = group_result.topics.emplace_back();
  group_topic.name = "t";
  auto& group_partition = group_topic.partitions.emplace_back();
  group_partition.committed_offset = 5;
  group_partition.metadata = "";
  expect_golden(response, 0, "00000001 | 0001 74 | 00000001 | 00000000 0000000000000005 0000 0000");
  expect_golden(response, 6,
                "00000000 | 02 | 02 74 | 02 | 00000000 0000000000000005 ffffffff 01 0000 00 | 00 |"
                "0000 | 00");
  expect_golden(response, 9,
                "00000000 | 02 | 02 67 | 02 | 02 74 | 02 | 00000000 0000000000000005 ffffffff 01 "
                "0000 00 | 00 | 0000 | 00 | 00");
}

TEST(kafka_golden, DescribeGroups) {
  DescribeGroupsRequest request;
  request.groups = {"g"};
  expect_golden(request, 0, "00000001 0001 67");
  expect_golden(request, 5, "02 02 67 | 00 | 00");

  DescribeGroupsResponse response;
  auto& group = response.groups.emplace_back();
  group.group_id = "g";
  group.group_state = "s";
  group.protocol_type = "c";
  group.protocol_data = "r";
  auto& member = group.members.emplace_back();
  member.member_id = "m";
  member.client_id = "c";
  member.client_host = "h";
  member.member_metadata = Bytes{1};
  member.member_assignment = Bytes{2};
  expect_golden(response, 0,
                "00000001 | 0000 0001 67 0001 73 0001 63 0001 72 | 00000001 |"
                "0001 6d 0001 63 0001 68 00000001 01 00000001 02");
  expect_golden(
      response, 5,
      "00000000 | 02 | 0000 02 67 02 73 02 63 02 72 | 02 | 02 6d 00 02 63 02 68 02 01 02 02 00 |"
      "80000000 00 | 00");
}

TEST(kafka_golden, ListGroups) {
  ListGroupsRequest request;
  expect_golden(request, 0, "");
  expect_golden(request, 3, "00");
  request.states_filter = {"s"};
  expect_golden(request, 4, "02 02 73 | 00");

  ListGroupsResponse response;
  response.groups.push_back({"g", "c", "s"});
  expect_golden(response, 0, "0000 | 00000001 | 0001 67 0001 63");
  expect_golden(response, 3, "00000000 | 0000 | 02 | 02 67 02 63 00 | 00");
  expect_golden(response, 4, "00000000 | 0000 | 02 | 02 67 02 63 02 73 00 | 00");
}

TEST(kafka_golden, DeleteGroups) {
  DeleteGroupsRequest request;
  request.groups_names = {"g"};
  expect_golden(request, 0, "00000001 0001 67");
  expect_golden(request, 2, "02 02 67 00");

  DeleteGroupsResponse response;
  response.results.push_back({"g", 0});
  expect_golden(response, 0, "00000000 00000001 0001 67 0000");
  expect_golden(response, 2, "00000000 02 02 67 0000 00 00");
}

TEST(kafka_golden, CreateTopics) {
  CreateTopicsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  topic.num_partitions = 1;
  topic.replication_factor = 1;
  topic.configs.push_back({"k", "v"});
  expect_golden(
      request, 0,
      "00000001 | 0001 74 00000001 0001 | 00000000 | 00000001 0001 6b 0001 76 | 0000ea60");
  expect_golden(request, 5,
                "02 | 02 74 00000001 0001 | 01 | 02 02 6b 02 76 00 | 00 | 0000ea60 | 00 | 00");
  expect_golden(request, 7,
                "02 | 02 74 00000001 0001 | 01 | 02 02 6b 02 76 00 | 00 | 0000ea60 | 00 | 00");

  CreateTopicsResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  result.error_message.reset();
  result.num_partitions = 1;
  result.replication_factor = 1;
  expect_golden(response, 0, "00000001 | 0001 74 0000");
  expect_golden(response, 5, "00000000 | 02 | 02 74 0000 00 00000001 0001 01 00 | 00");
  result.topic_config_error_code = 3;
  expect_golden(
      response, 7,
      with_uuid("00000000 | 02 | 02 74", "0000 00 00000001 0001 01 | 01 00 02 0003 | 00"));
}

TEST(kafka_golden, DeleteTopics) {
  DeleteTopicsRequest request;
  request.topics.push_back({"t", Uuid{}});
  request.topic_names = {"t"};
  request.timeout_ms = 1000;
  expect_golden(request, 0, "00000001 0001 74 | 000003e8");
  expect_golden(request, 4, "02 02 74 | 000003e8 | 00");
  expect_golden(request, 6, with_uuid("02 | 02 74", "00 | 000003e8 | 00"));

  DeleteTopicsResponse response;
  auto& result = response.responses.emplace_back();
  result.name = "t";
  expect_golden(response, 0, "00000001 0001 74 0000");
  expect_golden(response, 4, "00000000 | 02 | 02 74 0000 00 | 00");
  expect_golden(response, 6, with_uuid("00000000 | 02 | 02 74", "0000 00 00 | 00"));
}

TEST(kafka_golden, CreatePartitions) {
  CreatePartitionsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  topic.count = 3;
  topic.assignments.reset();
  request.timeout_ms = 1000;
  expect_golden(request, 0, "00000001 | 0001 74 00000003 ffffffff | 000003e8 | 00");
  expect_golden(request, 2, "02 | 02 74 00000003 00 00 | 000003e8 | 00 | 00");
  expect_golden(request, 3, "02 | 02 74 00000003 00 00 | 000003e8 | 00 | 00");

  CreatePartitionsResponse response;
  response.results.push_back({"t", 0, std::nullopt});
  expect_golden(response, 0, "00000000 | 00000001 | 0001 74 0000 ffff");
  expect_golden(response, 2, "00000000 | 02 | 02 74 0000 00 00 | 00");
  expect_golden(response, 3, "00000000 | 02 | 02 74 0000 00 00 | 00");
}

TEST(kafka_golden, DeleteRecords) {
  DeleteRecordsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({0, 5});
  request.timeout_ms = 1000;
  expect_golden(request, 0, "00000001 | 0001 74 | 00000001 | 00000000 0000000000000005 | 000003e8");
  expect_golden(request, 2, "02 | 02 74 | 02 | 00000000 0000000000000005 00 | 00 | 000003e8 | 00");

  DeleteRecordsResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  result.partitions.push_back({0, 5, 0});
  expect_golden(response, 0,
                "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0000000000000005 0000");
  expect_golden(response, 2,
                "00000000 | 02 | 02 74 | 02 | 00000000 0000000000000005 0000 00 | 00 | 00");
}

TEST(kafka_golden, DescribeConfigs) {
  DescribeConfigsRequest request;
  request.resources.push_back({2, "t", std::nullopt});
  expect_golden(request, 0, "00000001 | 02 0001 74 ffffffff");
  expect_golden(request, 4, "02 | 02 02 74 00 00 | 00 | 00 | 00");

  DescribeConfigsResponse response;
  auto& result = response.results.emplace_back();
  result.error_message.reset();
  result.resource_type = 2;
  result.resource_name = "t";
  auto& config = result.configs.emplace_back();
  config.name = "k";
  config.value = "v";
  config.documentation.reset();
  expect_golden(response, 0,
                "00000000 | 00000001 | 0000 ffff 02 0001 74 | 00000001 | 0001 6b 0001 76 00 00 00");
  expect_golden(
      response, 4,
      "00000000 | 02 | 0000 00 02 02 74 | 02 | 02 6b 02 76 00 ff 00 01 00 00 00 | 00 | 00");
}

TEST(kafka_golden, AlterConfigs) {
  AlterConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = 2;
  resource.resource_name = "t";
  resource.configs.push_back({"k", "v"});
  expect_golden(request, 0, "00000001 | 02 0001 74 | 00000001 | 0001 6b 0001 76 | 00");
  expect_golden(request, 2, "02 | 02 02 74 | 02 | 02 6b 02 76 00 | 00 | 00 | 00");

  AlterConfigsResponse response;
  response.responses.push_back({0, std::nullopt, 2, "t"});
  expect_golden(response, 0, "00000000 | 00000001 | 0000 ffff 02 0001 74");
  expect_golden(response, 2, "00000000 | 02 | 0000 00 02 02 74 00 | 00");
}

TEST(kafka_golden, IncrementalAlterConfigs) {
  IncrementalAlterConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = 2;
  resource.resource_name = "t";
  resource.configs.push_back({"k", 0, "v"});
  expect_golden(request, 0, "00000001 | 02 0001 74 | 00000001 | 0001 6b 00 0001 76 | 00");
  expect_golden(request, 1, "02 | 02 02 74 | 02 | 02 6b 00 02 76 00 | 00 | 00 | 00");

  IncrementalAlterConfigsResponse response;
  response.responses.push_back({0, std::nullopt, 2, "t"});
  expect_golden(response, 0, "00000000 | 00000001 | 0000 ffff 02 0001 74");
  expect_golden(response, 1, "00000000 | 02 | 0000 00 02 02 74 00 | 00");
}

TEST(kafka_golden, DescribeCluster) {
  DescribeClusterRequest request;
  expect_golden(request, 0, "00 | 00");
  expect_golden(request, 1, "00 | 01 | 00");

  DescribeClusterResponse response;
  response.cluster_id = "c";
  response.controller_id = 1;
  response.brokers.push_back({1, "h", 9092, std::nullopt});
  expect_golden(response, 0,
                "00000000 | 0000 | 00 | 02 63 | 00000001 | 02 | 00000001 02 68 00002384 00 00 |"
                "80000000 | 00");
  expect_golden(
      response, 1,
      "00000000 | 0000 | 00 | 01 | 02 63 | 00000001 | 02 | 00000001 02 68 00002384 00 00 |"
      "80000000 | 00");
}

TEST(kafka_golden, OffsetForLeaderEpoch) {
  OffsetForLeaderEpochRequest request;
  auto& topic = request.topics.emplace_back();
  topic.topic = "t";
  topic.partitions.push_back({0, -1, 3});
  expect_golden(request, 0, "00000001 | 0001 74 | 00000001 | 00000000 00000003");
  expect_golden(request, 4, "fffffffe | 02 | 02 74 | 02 | 00000000 ffffffff 00000003 00 | 00 | 00");

  OffsetForLeaderEpochResponse response;
  auto& result = response.topics.emplace_back();
  result.topic = "t";
  result.partitions.push_back({0, 0, 3, 5});
  expect_golden(response, 0, "00000001 | 0001 74 | 00000001 | 0000 00000000 0000000000000005");
  expect_golden(
      response, 4,
      "00000000 | 02 | 02 74 | 02 | 0000 00000000 00000003 0000000000000005 00 | 00 | 00");
}

TEST(kafka_golden, InitProducerId) {
  InitProducerIdRequest request;
  request.transactional_id.reset();
  request.transaction_timeout_ms = 60000;
  expect_golden(request, 0, "ffff | 0000ea60");
  expect_golden(request, 2, "00 | 0000ea60 | 00");
  expect_golden(request, 4, "00 | 0000ea60 | ffffffffffffffff | ffff | 00");

  InitProducerIdResponse response;
  response.producer_id = 7;
  expect_golden(response, 0, "00000000 0000 0000000000000007 0000");
  expect_golden(response, 2, "00000000 0000 0000000000000007 0000 00");
  expect_golden(response, 4, "00000000 0000 0000000000000007 0000 00");
}

TEST(kafka_golden, AddPartitionsToTxn) {
  AddPartitionsToTxnRequest request;
  request.transactional_id = "s";
  request.producer_id = 7;
  request.producer_epoch = 1;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  topic.partitions = {0};
  expect_golden(request, 0,
                "0001 73 | 0000000000000007 | 0001 | 00000001 | 0001 74 | 00000001 00000000");
  expect_golden(request, 3, "02 73 | 0000000000000007 | 0001 | 02 | 02 74 | 02 00000000 | 00 | 00");

  AddPartitionsToTxnResponse response;
  auto& result = response.results.emplace_back();
  result.name = "t";
  auto& partition = result.results.emplace_back();
  partition.partition_index = 0;
  partition.partition_error_code = 55;
  expect_golden(response, 0, "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0037");
  expect_golden(response, 3, "00000000 | 02 | 02 74 | 02 | 00000000 0037 00 | 00 | 00");
}

TEST(kafka_golden, AddOffsetsToTxn) {
  AddOffsetsToTxnRequest request;
  request.transactional_id = "s";
  request.producer_id = 7;
  request.producer_epoch = 1;
  request.group_id = "g";
  expect_golden(request, 0, "0001 73 | 0000000000000007 | 0001 | 0001 67");
  expect_golden(request, 3, "02 73 | 0000000000000007 | 0001 | 02 67 | 00");

  AddOffsetsToTxnResponse response;
  response.error_code = 51;
  expect_golden(response, 0, "00000000 0033");
  expect_golden(response, 3, "00000000 0033 00");
}

TEST(kafka_golden, EndTxn) {
  EndTxnRequest request;
  request.transactional_id = "s";
  request.producer_id = 7;
  request.producer_epoch = 1;
  request.committed = true;
  expect_golden(request, 0, "0001 73 | 0000000000000007 | 0001 | 01");
  expect_golden(request, 3, "02 73 | 0000000000000007 | 0001 | 01 | 00");

  EndTxnResponse response;
  response.error_code = 48;
  expect_golden(response, 0, "00000000 0030");
  expect_golden(response, 3, "00000000 0030 00");
}

TEST(kafka_golden, TxnOffsetCommit) {
  TxnOffsetCommitRequest request;
  request.transactional_id = "s";
  request.group_id = "g";
  request.producer_id = 7;
  request.producer_epoch = 1;
  request.generation_id = 2;
  request.member_id = "m";
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.partition_index = 0;
  partition.committed_offset = 5;
  partition.committed_metadata = "h";
  expect_golden(request, 0,
                "0001 73 | 0001 67 | 0000000000000007 | 0001 | 00000001 | 0001 74 | 00000001 |"
                "00000000 0000000000000005 0001 68");
  expect_golden(request, 2,
                "0001 73 | 0001 67 | 0000000000000007 | 0001 | 00000001 | 0001 74 | 00000001 |"
                "00000000 0000000000000005 ffffffff 0001 68");
  expect_golden(request, 3,
                "02 73 | 02 67 | 0000000000000007 | 0001 | 00000002 | 02 6d | 00 | 02 | 02 74 |"
                "02 | 00000000 0000000000000005 ffffffff 02 68 00 | 00 | 00");

  TxnOffsetCommitResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  auto& partition_result = result.partitions.emplace_back();
  partition_result.partition_index = 0;
  partition_result.error_code = 27;
  expect_golden(response, 0, "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 001b");
  expect_golden(response, 3, "00000000 | 02 | 02 74 | 02 | 00000000 001b 00 | 00 | 00");
}

TEST(kafka_golden, DescribeLogDirs) {
  DescribeLogDirsRequest request;
  request.topics.emplace();
  request.topics->push_back({"t", {0}});
  expect_golden(request, 0, "00000001 | 0001 74 | 00000001 00000000");
  expect_golden(request, 2, "02 | 02 74 | 02 00000000 | 00 | 00");
  expect_golden(request, 4, "02 | 02 74 | 02 00000000 | 00 | 00");

  DescribeLogDirsResponse response;
  auto& dir = response.results.emplace_back();
  dir.log_dir = "d";
  auto& topic = dir.topics.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({0, 5, 0, false});
  expect_golden(response, 0,
                "00000000 | 00000001 | 0000 0001 64 | 00000001 | 0001 74 | 00000001 |"
                "00000000 0000000000000005 0000000000000000 00");
  expect_golden(response, 2,
                "00000000 | 02 | 0000 02 64 | 02 | 02 74 | 02 |"
                "00000000 0000000000000005 0000000000000000 00 00 | 00 | 00 | 00");
  expect_golden(response, 4,
                "00000000 | 0000 | 02 | 0000 02 64 | 02 | 02 74 | 02 |"
                "00000000 0000000000000005 0000000000000000 00 00 | 00 |"
                "ffffffffffffffff ffffffffffffffff | 00 | 00");
}

TEST(kafka_golden, ElectLeaders) {
  ElectLeadersRequest request;
  request.topic_partitions.emplace();
  request.topic_partitions->push_back({"t", {0}});
  expect_golden(request, 0, "00000001 | 0001 74 | 00000001 00000000 | 0000ea60");
  expect_golden(request, 1, "00 | 00000001 | 0001 74 | 00000001 00000000 | 0000ea60");
  expect_golden(request, 2, "00 | 02 | 02 74 | 02 00000000 | 00 | 0000ea60 | 00");

  ElectLeadersResponse response;
  auto& result = response.replica_election_results.emplace_back();
  result.topic = "t";
  result.partition_result.push_back({0, 84, std::nullopt});
  expect_golden(response, 0, "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0054 ffff");
  expect_golden(response, 1,
                "00000000 | 0000 | 00000001 | 0001 74 | 00000001 | 00000000 0054 ffff");
  expect_golden(response, 2, "00000000 | 0000 | 02 | 02 74 | 02 | 00000000 0054 00 00 | 00 | 00");
}

TEST(kafka_golden, DescribeAcls) {
  DescribeAclsRequest request;
  request.resource_type_filter = 2;
  request.resource_name_filter = "t";
  request.pattern_type_filter = 4;
  request.principal_filter.reset();
  request.host_filter = "*";
  request.operation = 3;
  request.permission_type = 3;
  expect_golden(request, 0, "02 | 0001 74 | ffff | 0001 2a | 03 03");
  expect_golden(request, 1, "02 | 0001 74 | 04 | ffff | 0001 2a | 03 03");
  expect_golden(request, 2, "02 | 02 74 | 04 | 00 | 02 2a | 03 03 | 00");

  DescribeAclsResponse response;
  response.error_message.reset();
  auto& resource = response.resources.emplace_back();
  resource.resource_type = 2;
  resource.resource_name = "t";
  resource.pattern_type = 3;
  resource.acls.push_back({"User:a", "*", 4, 3});
  expect_golden(response, 0,
                "00000000 0000 ffff | 00000001 02 0001 74 | 00000001 0006 557365723a61 0001 2a "
                "04 03");
  expect_golden(response, 1,
                "00000000 0000 ffff | 00000001 02 0001 74 03 | 00000001 0006 557365723a61 "
                "0001 2a 04 03");
  expect_golden(response, 3,
                "00000000 0000 00 | 02 02 02 74 03 | 02 07 557365723a61 02 2a 04 03 00 | 00 | 00");
}

TEST(kafka_golden, CreateAcls) {
  CreateAclsRequest request;
  request.creations.push_back({2, "t", 4, "User:a", "*", 4, 3});
  expect_golden(request, 0, "00000001 | 02 0001 74 | 0006 557365723a61 0001 2a 04 03");
  expect_golden(request, 1, "00000001 | 02 0001 74 04 | 0006 557365723a61 0001 2a 04 03");
  expect_golden(request, 2, "02 | 02 02 74 04 | 07 557365723a61 02 2a 04 03 00 | 00");

  CreateAclsResponse response;
  response.results.push_back({31, "no"});
  expect_golden(response, 0, "00000000 | 00000001 001f 0002 6e6f");
  expect_golden(response, 3, "00000000 | 02 001f 03 6e6f 00 | 00");
}

TEST(kafka_golden, DeleteAcls) {
  DeleteAclsRequest request;
  request.filters.push_back({1, std::nullopt, 1, "User:a", std::nullopt, 1, 1});
  expect_golden(request, 0, "00000001 | 01 ffff | 0006 557365723a61 ffff 01 01");
  expect_golden(request, 1, "00000001 | 01 ffff 01 | 0006 557365723a61 ffff 01 01");
  expect_golden(request, 2, "02 | 01 00 01 | 07 557365723a61 00 01 01 00 | 00");

  DeleteAclsResponse response;
  auto& result = response.filter_results.emplace_back();
  result.error_message.reset();
  auto& matching = result.matching_acls.emplace_back();
  matching.error_message.reset();
  matching.resource_type = 2;
  matching.resource_name = "t";
  matching.pattern_type = 3;
  matching.principal = "User:a";
  matching.host = "*";
  matching.operation = 4;
  matching.permission_type = 3;
  expect_golden(response, 0,
                "00000000 | 00000001 0000 ffff | 00000001 0000 ffff 02 0001 74 0006 "
                "557365723a61 0001 2a 04 03");
  expect_golden(response, 1,
                "00000000 | 00000001 0000 ffff | 00000001 0000 ffff 02 0001 74 03 0006 "
                "557365723a61 0001 2a 04 03");
  expect_golden(response, 2,
                "00000000 | 02 0000 00 | 02 0000 00 02 02 74 03 07 557365723a61 02 2a 04 03 00 "
                "| 00 | 00");
}

TEST(kafka_golden, OffsetDelete) {
  OffsetDeleteRequest request;
  request.group_id = "g";
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({0});
  expect_golden(request, 0, "0001 67 | 00000001 | 0001 74 | 00000001 | 00000000");

  OffsetDeleteResponse response;
  auto& result = response.topics.emplace_back();
  result.name = "t";
  result.partitions.push_back({0, 86});
  expect_golden(response, 0, "0000 | 00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0056");
}

TEST(kafka_golden, DescribeProducers) {
  DescribeProducersRequest request;
  request.topics.push_back({"t", {0}});
  expect_golden(request, 0, "02 | 02 74 | 02 00000000 | 00 | 00");

  DescribeProducersResponse response;
  auto& topic = response.topics.emplace_back();
  topic.name = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.error_message.reset();
  auto& producer = partition.active_producers.emplace_back();
  producer.producer_id = 7;
  producer.producer_epoch = 1;
  producer.last_sequence = 4;
  producer.last_timestamp = 1000;
  producer.coordinator_epoch = 0;
  producer.current_txn_start_offset = -1;
  expect_golden(response, 0,
                "00000000 | 02 | 02 74 | 02 | 00000000 0000 00 | 02 | 0000000000000007 00000001 "
                "00000004 00000000000003e8 00000000 ffffffffffffffff 00 | 00 | 00 | 00");
}

TEST(kafka_golden, DescribeTransactions) {
  DescribeTransactionsRequest request;
  request.transactional_ids = {"s"};
  expect_golden(request, 0, "02 02 73 | 00");

  DescribeTransactionsResponse response;
  auto& state = response.transaction_states.emplace_back();
  state.transactional_id = "s";
  state.transaction_state = "Ongoing";
  state.transaction_timeout_ms = 60000;
  state.transaction_start_time_ms = 1000;
  state.producer_id = 7;
  state.producer_epoch = 1;
  state.topic_partitions.push_back({"t", {0}});
  expect_golden(response, 0,
                "00000000 | 02 | 0000 02 73 08 4f6e676f696e67 0000ea60 00000000000003e8 "
                "0000000000000007 0001 | 02 02 74 02 00000000 00 | 00 | 00");
}

TEST(kafka_golden, ListTransactions) {
  ListTransactionsRequest request;
  request.state_filters = {"Ongoing"};
  request.producer_id_filters = {7};
  expect_golden(request, 0, "02 08 4f6e676f696e67 | 02 0000000000000007 | 00");
  request.duration_filter = 60000;  // v1 (KIP-994)
  expect_golden(request, 1, "02 08 4f6e676f696e67 | 02 0000000000000007 | 000000000000ea60 | 00");

  ListTransactionsResponse response;
  response.unknown_state_filters = {"k"};
  response.transaction_states.push_back({"s", 7, "Ongoing"});
  expect_golden(response, 0,
                "00000000 0000 | 02 02 6b | 02 | 02 73 0000000000000007 08 4f6e676f696e67 00 | 00");
  // v1's response is v0's.
  expect_golden(response, 1,
                "00000000 0000 | 02 02 6b | 02 | 02 73 0000000000000007 08 4f6e676f696e67 00 | 00");
}

TEST(kafka_golden, AlterPartitionReassignments) {
  AlterPartitionReassignmentsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  auto& moved = topic.partitions.emplace_back();
  moved.partition_index = 0;
  moved.replicas = std::vector<int32_t>{1, 2};
  auto& cancelled = topic.partitions.emplace_back();
  cancelled.partition_index = 1;
  cancelled.replicas.reset();
  expect_golden(request, 0,
                "0000ea60 | 02 | 02 74 | 03 | 00000000 03 00000001 00000002 00 |"
                "00000001 00 00 | 00 | 00");

  AlterPartitionReassignmentsResponse response;
  response.error_message.reset();
  auto& answered = response.responses.emplace_back();
  answered.name = "t";
  auto& partition = answered.partitions.emplace_back();
  partition.partition_index = 0;
  partition.error_code = 39;
  partition.error_message = "m";
  expect_golden(response, 0,
                "00000000 | 0000 | 00 | 02 | 02 74 | 02 | 00000000 0027 02 6d 00 | 00 | 00");
}

TEST(kafka_golden, ListPartitionReassignments) {
  ListPartitionReassignmentsRequest all;
  expect_golden(all, 0, "0000ea60 | 00 | 00");
  ListPartitionReassignmentsRequest request;
  request.topics.emplace();
  auto& topic = request.topics->emplace_back();
  topic.name = "t";
  topic.partition_indexes = {0};
  expect_golden(request, 0, "0000ea60 | 02 | 02 74 | 02 00000000 | 00 | 00");

  ListPartitionReassignmentsResponse response;
  response.error_message.reset();
  auto& ongoing = response.topics.emplace_back();
  ongoing.name = "t";
  auto& partition = ongoing.partitions.emplace_back();
  partition.partition_index = 0;
  partition.replicas = {1};
  partition.adding_replicas = {2};
  expect_golden(response, 0,
                "00000000 | 0000 | 00 | 02 | 02 74 | 02 | 00000000 02 00000001 02 00000002 01 "
                "00 | 00 | 00");
}

TEST(kafka_golden, EveryApiHasAGoldenTest) {
  // Keep this list in step with the TESTs above when adding an API to the schema.
  const std::vector<int16_t> covered = {0,  1,  2,  3,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                                        18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32,
                                        33, 35, 36, 37, 42, 43, 44, 45, 46, 47, 60, 61, 65, 66};
  std::vector<int16_t> keys;
  for (const auto& api : kApiTable) keys.push_back(api.key);
  EXPECT_EQ(keys, covered);
}

}  // namespace
}  // namespace mockforge::kafka
