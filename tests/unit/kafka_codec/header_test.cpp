#include "brokers/kafka/codec/header.h"

#include <gtest/gtest.h>

#include "mockforge/kafka/messages.h"
#include "tests/unit/kafka_codec/test_bytes.h"

namespace mockforge::kafka {
namespace {

using testing::from_hex;

TEST(kafka_headers, HeaderVersionRules) {
  EXPECT_EQ(request_header_version(18, 2), 1);
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(request_header_version(18, 9), 2);  // too new, still flexible
  EXPECT_EQ(request_header_version(0, 8), 1);
  EXPECT_EQ(request_header_version(0, 9), 2);
  EXPECT_EQ(request_header_version(1, 12), 2);
  EXPECT_EQ(request_header_version(60, 0), 2);  // DescribeCluster is flexible from v0
  EXPECT_EQ(request_header_version(7, 0), 0);   // ControlledShutdown v0
  EXPECT_EQ(request_header_version(999, 5), 1);
  EXPECT_EQ(response_header_version(18, 0), 0);
  EXPECT_EQ(response_header_version(18, 3), 0);  // ApiVersions: always v0
  EXPECT_EQ(response_header_version(18, 4), 0);
  EXPECT_EQ(response_header_version(3, 8), 0);
  EXPECT_EQ(response_header_version(3, 9), 1);
  EXPECT_EQ(response_header_version(12, 4), 1);
}

TEST(kafka_headers, RequestHeaderV2KeepsInt16ClientId) {
  // ApiVersions v3, correlation 7, client id "ab", empty tag section.
  const Bytes bytes = from_hex("0012 0003 00000007 0002 6162 00");
  Reader reader(bytes);
  const RequestHeader header = read_request_header(reader);
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(header.api_key, 18);
  EXPECT_EQ(header.api_version, 3);
  EXPECT_EQ(header.correlation_id, 7);
  EXPECT_EQ(header.client_id, "ab");
  Writer writer;
  header.encode(writer, 2);
  EXPECT_EQ(writer.bytes(), bytes);
}

TEST(kafka_headers, RequestHeaderV1NullClientIdAndV0) {
  const Bytes v1 = from_hex("0003 0004 00000001 ffff");
  Reader reader(v1);
  const RequestHeader header = read_request_header(reader);
  EXPECT_EQ(header.client_id, std::nullopt);
  Writer v0;
  RequestHeader{7, 0, 5, "ignored"}.encode(v0, 0);
  EXPECT_EQ(v0.bytes(), from_hex("0007 0000 00000005"));
}

TEST(kafka_headers, ResponseHeaders) {
  Writer writer;
  ResponseHeader{9}.encode(writer, 0);
  ResponseHeader{9}.encode(writer, 1);
  EXPECT_EQ(writer.bytes(), from_hex("00000009 00000009 00"));
}

TEST(kafka_headers, ApiVersionsResponseFrameUsesHeaderV0) {
  ApiVersionsResponse response;
  response.error_code = 35;
  response.api_keys.push_back({18, 0, 4});
  const Bytes frame = encode_response_frame(42, 18, 3, response);
  // size | correlation id (no header tags) | error | compact array of 1 | key min max tags |
  // throttle | body tags
  EXPECT_EQ(frame, from_hex("00000013 0000002a 0023 02 0012 0000 0004 00 00000000 00"));
}

TEST(kafka_headers, RequestFrame) {
  HeartbeatRequest request;
  request.group_id = "g";
  request.generation_id = 1;
  request.member_id = "m";
  const Bytes frame = encode_request_frame(RequestHeader{12, 4, 3, "c"}, request);
  EXPECT_EQ(frame, from_hex("00000016 000c 0004 00000003 0001 63 00 | 02 67 00000001 02 6d 00 00"));
}

}  // namespace
}  // namespace mockforge::kafka
