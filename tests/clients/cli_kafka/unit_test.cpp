// The parts of the Kafka CLI client that need no broker: bootstrap parsing, error names, the
// consumer protocol encodings and the range assignor.
#include <gtest/gtest.h>

#include "cli/kafka/client.h"
#include "cli/kafka/consumer_protocol.h"

namespace mockforge::cli::kafka {
namespace {

TEST(CliKafkaBootstrap, ParsesListsAndDefaults) {
  const auto endpoints = parse_bootstrap("localhost,127.0.0.1:19092,[::1]:9093");
  ASSERT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(endpoints[0].host, "localhost");
  EXPECT_EQ(endpoints[0].port, 9092);
  EXPECT_EQ(endpoints[1].to_string(), "127.0.0.1:19092");
  EXPECT_EQ(endpoints[2].host, "::1");
  EXPECT_EQ(endpoints[2].to_string(), "[::1]:9093");
}

TEST(CliKafkaBootstrap, RejectsBadEntries) {
  EXPECT_THROW(parse_bootstrap(""), std::invalid_argument);
  EXPECT_THROW(parse_bootstrap("host:0"), std::invalid_argument);
  EXPECT_THROW(parse_bootstrap("host:70000"), std::invalid_argument);
  EXPECT_THROW(parse_bootstrap("host:"), std::invalid_argument);
  EXPECT_THROW(parse_bootstrap("::1:9092"), std::invalid_argument);
  EXPECT_THROW(parse_bootstrap(":9092"), std::invalid_argument);
}

TEST(CliKafkaErrors, NamesCodes) {
  EXPECT_EQ(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(error_name(35), "UNSUPPORTED_VERSION");
  EXPECT_EQ(error_name(79), "MEMBER_ID_REQUIRED");
  EXPECT_EQ(error_name(-1), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_name(999), "UNKNOWN_ERROR_CODE_999");
  try {
    check_error(36, "create");
    FAIL();
  } catch (const KafkaError& e) {
    EXPECT_STREQ(e.what(), "create: TOPIC_ALREADY_EXISTS (36)");
    EXPECT_EQ(e.code(), 36);
  }
  EXPECT_NO_THROW(check_error(0, "x"));
}

TEST(CliKafkaConsumerProtocol, SubscriptionBytes) {
  const auto bytes = encode_subscription({{"ab"}, std::nullopt});
  // version 0, one topic "ab", null user data
  const mockforge::kafka::Bytes expected = {0, 0,   0,   0,    0,    1,    0,
                                            2, 'a', 'b', 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(bytes, expected);
  const auto decoded = decode_subscription(bytes);
  EXPECT_EQ(decoded.topics, std::vector<std::string>{"ab"});
  EXPECT_FALSE(decoded.user_data.has_value());
}

TEST(CliKafkaConsumerProtocol, AssignmentRoundTrip) {
  const Assignment assignment = {{"t", {0, 2}}, {"u", {1}}};
  EXPECT_EQ(decode_assignment(encode_assignment(assignment)), assignment);
  EXPECT_TRUE(decode_assignment({}).empty());
}

TEST(CliKafkaConsumerProtocol, RangeAssignorMatchesJava) {
  // Java's RangeAssignor: members sorted by id, the first partitions%members get one more.
  std::map<std::string, Subscription> members = {
      {"m-b", {{"t", "u"}, std::nullopt}},
      {"m-a", {{"t"}, std::nullopt}},
      {"m-c", {{"t", "u"}, std::nullopt}},
  };
  const auto result = range_assign(members, {{"t", 7}, {"u", 2}});
  EXPECT_EQ(result.at("m-a").at("t"), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(result.at("m-b").at("t"), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(result.at("m-c").at("t"), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(result.at("m-b").at("u"), (std::vector<int32_t>{0}));
  EXPECT_EQ(result.at("m-c").at("u"), (std::vector<int32_t>{1}));
  EXPECT_FALSE(result.at("m-a").count("u"));
}

TEST(CliKafkaConsumerProtocol, MoreMembersThanPartitions) {
  std::map<std::string, Subscription> members = {{"a", {{"t"}, std::nullopt}},
                                                 {"b", {{"t"}, std::nullopt}}};
  const auto result = range_assign(members, {{"t", 1}});
  EXPECT_EQ(result.at("a").at("t"), std::vector<int32_t>{0});
  EXPECT_TRUE(result.at("b").empty() || result.at("b").at("t").empty());
}

}  // namespace
}  // namespace mockforge::cli::kafka
