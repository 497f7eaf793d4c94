// Frames recorded from librdkafka and kafka-python (tests/golden/kafka): each decodes completely
// and re-encodes byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "mockforge/kafka/messages.h"
#include "tests/unit/kafka_codec/test_bytes.h"

namespace mockforge::kafka {
namespace {

struct GoldenFrame {
  std::string name;
  int16_t api_key;
  int16_t api_version;
  bool is_request;
  Bytes bytes;
};

std::vector<GoldenFrame> load_frames() {
  static const std::regex kName(R"(.*-(\d\d)-[a-z_]+-v(\d+)-(request|response)\.bin)");
  std::vector<GoldenFrame> frames;
  for (const auto& entry : std::filesystem::directory_iterator(testing::golden_dir())) {
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(name, match, kName)) continue;
    frames.push_back({name, static_cast<int16_t>(std::stoi(match[1])),
                      static_cast<int16_t>(std::stoi(match[2])), match[3] == "request",
                      testing::read_file(entry.path())});
  }
  std::sort(frames.begin(), frames.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return frames;
}

// The librdkafka mock answers ApiVersions v3 (which it does not support) with error 35 in a
// body that is not a valid v3 or v0 response; clients only read the error code from it.
bool is_unsupported_version_answer(const GoldenFrame& frame) {
  return frame.name == "librdkafka-18-api_versions-v3-response.bin";
}

// The librdkafka mock answers an all-topics OffsetFetch v3 with a null topics array, which the
// protocol does not allow (a Kafka broker sends an empty one).
constexpr const char* kMockNullTopicsAnswer = "kafka-python-09-offset_fetch-v3-response.bin";

TEST(kafka_real_clients, GoldenFramesArePresent) {
  const auto frames = load_frames();
  EXPECT_GE(frames.size(), 80u);
}

TEST(kafka_real_clients, RequestsDecodeAndReencodeByteForByte) {
  for (const auto& frame : load_frames()) {
    if (!frame.is_request) continue;
    SCOPED_TRACE(frame.name);
    Reader reader(frame.bytes);
    const RequestHeader header = read_request_header(reader);
    EXPECT_EQ(header.api_key, frame.api_key);
    EXPECT_EQ(header.api_version, frame.api_version);
    EXPECT_TRUE(header.client_id.has_value());
    const bool known = visit_api(header.api_key, [&]<typename Request, typename Response>() {
      Request request;
      request.decode(reader, header.api_version);
      EXPECT_TRUE(reader.at_end());
      Writer writer;
      header.encode(writer, request_header_version(header.api_key, header.api_version));
      request.encode(writer, header.api_version);
      EXPECT_EQ(testing::to_hex(writer.bytes()), testing::to_hex(frame.bytes));
    });
    EXPECT_TRUE(known);
  }
}

TEST(kafka_real_clients, ResponsesDecodeAndReencodeByteForByte) {
  for (const auto& frame : load_frames()) {
    if (frame.is_request || is_unsupported_version_answer(frame)) continue;
    if (frame.name == kMockNullTopicsAnswer) continue;
    SCOPED_TRACE(frame.name);
    Reader reader(frame.bytes);
    const int16_t header_version = response_header_version(frame.api_key, frame.api_version);
    ResponseHeader header;
    header.decode(reader, header_version);
    visit_api(frame.api_key, [&]<typename Request, typename Response>() {
      Response response;
      response.decode(reader, frame.api_version);
      EXPECT_TRUE(reader.at_end());
      Writer writer;
      header.encode(writer, header_version);
      response.encode(writer, frame.api_version);
      EXPECT_EQ(testing::to_hex(writer.bytes()), testing::to_hex(frame.bytes));
    });
  }
}

TEST(kafka_real_clients, UnsupportedApiVersionsAnswerStillYieldsTheErrorCode) {
  const Bytes bytes =
      testing::read_file(testing::golden_dir() / "librdkafka-18-api_versions-v3-response.bin");
  Reader reader(bytes);
  ResponseHeader header;
  header.decode(reader, response_header_version(18, 3));
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(reader.read_int16(), 35);  // UNSUPPORTED_VERSION
}

TEST(kafka_real_clients, NullNonNullableArrayFromTheMockIsADecodeError) {
  const Bytes bytes = testing::read_file(testing::golden_dir() / kMockNullTopicsAnswer);
  Reader reader(bytes);
  ResponseHeader header;
  header.decode(reader, 0);
  OffsetFetchResponse response;
  EXPECT_THROW(response.decode(reader, 3), DecodeError);
}

TEST(kafka_real_clients, LibrdkafkaApiVersionsV3Request) {
  const Bytes bytes =
      testing::read_file(testing::golden_dir() / "librdkafka-18-api_versions-v3-request.bin");
  Reader reader(bytes);
  const RequestHeader header = read_request_header(reader);
  EXPECT_EQ(header.client_id, "rdkafka");
  ApiVersionsRequest request;
  request.decode(reader, 3);
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");
}

Bytes produce_records(const std::string& file_name) {
  const Bytes bytes = testing::read_file(testing::golden_dir() / file_name);
  Reader reader(bytes);
  const RequestHeader header = read_request_header(reader);
  ProduceRequest request;
  request.decode(reader, header.api_version);
  EXPECT_EQ(request.topic_data.size(), 1u);
  EXPECT_EQ(request.topic_data.at(0).name, "golden");
  return request.topic_data.at(0).partition_data.at(0).records.value().to_bytes();
}

TEST(kafka_real_clients, LibrdkafkaProducedBatchesParseForEveryCodec) {
  for (auto codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                     Compression::kLz4, Compression::kZstd}) {
    const std::string codec_name(compression_name(codec));
    SCOPED_TRACE(codec_name);
    const Bytes records =
        produce_records("librdkafka-" + codec_name + "-00-produce-v7-request.bin");
    const auto batches = split_record_batches(records);
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_EQ(batches[0].header.compression(), codec);
    const auto decoded = decode_records(batches[0]);
    ASSERT_EQ(decoded.size(), 2u);
    EXPECT_EQ(decoded[0].key, Bytes({'k', '1'}));
    const std::string value(decoded[1].value->begin(), decoded[1].value->end());
    EXPECT_EQ(value, "world " + codec_name + " " + std::string(300, 'a'));
    ASSERT_EQ(decoded[0].headers.size(), 1u);
    EXPECT_EQ(decoded[0].headers[0].key, "h1");
    EXPECT_EQ(decoded[1].offset_delta, 1);
  }
}

TEST(kafka_real_clients, KafkaPythonProducedBatchParses) {
  const Bytes records = produce_records("kafka-python-00-produce-v7-request.bin");
  const auto batches = split_record_batches(records);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].header.compression(), Compression::kGzip);
  const auto decoded = decode_records(batches[0]);
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(std::string(decoded[0].value->begin(), decoded[0].value->end()),
            "from kafka-python " + std::string(400, 'b'));
}

TEST(kafka_real_clients, FetchResponseRecordsParse) {
  const Bytes bytes =
      testing::read_file(testing::golden_dir() / "librdkafka-01-fetch-v11-response.bin");
  Reader reader(bytes);
  ResponseHeader header;
  header.decode(reader, 0);
  FetchResponse response;
  response.decode(reader, 11);
  const auto& partition = response.responses.at(0).partitions.at(0);
  ASSERT_TRUE(partition.records.has_value());
  const auto batches = split_record_batches(*partition.records, /*allow_truncated_tail=*/true);
  ASSERT_FALSE(batches.empty());
  size_t records = 0;
  for (const auto& batch : batches) records += decode_records(batch).size();
  EXPECT_GE(records, 2u);
}

}  // namespace
}  // namespace mockforge::kafka
