// Every API, every version, request and response: an example with every field set encodes,
// decodes to an equal value and re-encodes to the same bytes; every truncation is a DecodeError.
#include <gtest/gtest.h>

#include <string>

#include "mockforge/kafka/message_examples.h"
#include "mockforge/kafka/messages.h"

namespace mockforge::kafka {
namespace {

template <typename Message>
void check_round_trip(const Message& original, int16_t version, const std::string& label) {
  Writer writer;
  original.encode(writer, version);
  const Bytes encoded = writer.bytes();
  Reader reader(encoded);
  Message decoded;
  decoded.decode(reader, version);
  EXPECT_TRUE(reader.at_end()) << label;
  EXPECT_TRUE(decoded == original) << label;
  Writer again;
  decoded.encode(again, version);
  EXPECT_EQ(again.bytes(), encoded) << label;
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    Reader truncated(std::span<const uint8_t>(encoded).first(cut));
    Message partial;
    EXPECT_THROW(partial.decode(truncated, version), DecodeError) << label << " cut at " << cut;
  }
}

TEST(kafka_messages, ApiTableIsSortedAndConsistent) {
  int16_t previous = -1;
  for (const auto& api : kApiTable) {
    EXPECT_GT(api.key, previous);
    previous = api.key;
    EXPECT_LE(api.min_version, api.max_version);
    bool visited = visit_api(api.key, [&]<typename Request, typename Response>() {
      EXPECT_EQ(Request::kApiKey, api.key);
      EXPECT_EQ(Response::kMaxVersion, api.max_version);
      EXPECT_EQ(Request::kFirstFlexibleVersion, api.first_flexible_version);
      EXPECT_EQ(Request::kApiName, api.name);
    });
    EXPECT_TRUE(visited);
  }
  EXPECT_EQ(kApiTable.size(), 42u);
  EXPECT_FALSE(visit_api(999, []<typename, typename>() {}));
}

TEST(kafka_messages, EveryVersionRoundTrips) {
  for (const auto& api : kApiTable) {
    testing::visit_examples(
        api.key, [&]<typename Request, typename Response>(Request (*make_request)(int16_t),
                                                          Response (*make_response)(int16_t)) {
          for (int16_t version = api.min_version; version <= api.max_version; ++version) {
            const std::string label = std::string(api.name) + " v" + std::to_string(version);
            check_round_trip(make_request(version), version, label + " request");
            check_round_trip(make_response(version), version, label + " response");
            check_round_trip(Request{}, version, label + " default request");
            check_round_trip(Response{}, version, label + " default response");
          }
        });
  }
}

TEST(kafka_messages, UnsupportedVersionsAreRejected) {
  for (const auto& api : kApiTable) {
    visit_api(api.key, [&]<typename Request, typename Response>() {
      Writer writer;
      EXPECT_THROW(Request{}.encode(writer, static_cast<int16_t>(api.max_version + 1)),
                   EncodeError);
      const Bytes bytes(64, 0);
      Reader reader(bytes);
      Request request;
      EXPECT_THROW(request.decode(reader, static_cast<int16_t>(api.min_version - 1)), DecodeError);
    });
  }
}

TEST(kafka_messages, NullInNonNullableVersionIsAnEncodeError) {
  MetadataRequest request;
  request.topics.reset();  // null means "all topics" from v1; v0 has no null
  Writer writer;
  EXPECT_THROW(request.encode(writer, 0), EncodeError);
  Writer v1;
  request.encode(v1, 1);
  EXPECT_EQ(v1.bytes(), Bytes({0xff, 0xff, 0xff, 0xff}));
}

TEST(kafka_messages, UnknownTaggedFieldsAreSkipped) {
  // Heartbeat v4 response: throttle 0, error 0, tags {7: 2 bytes, 9: 0 bytes}.
  const Bytes bytes = {0, 0, 0, 0, 0, 0, 2, 7, 2, 0xaa, 0xbb, 9, 0};
  Reader reader(bytes);
  HeartbeatResponse response;
  response.decode(reader, 4);
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(response.error_code, 0);
}

}  // namespace
}  // namespace mockforge::kafka
