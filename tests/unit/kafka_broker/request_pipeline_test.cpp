// The per-connection pipeline without sockets: framing checks, dispatch, version errors,
// response order with a long-polling Fetch, produce/fetch through storage.
#include "brokers/kafka/protocol/request_pipeline.h"

#include <gtest/gtest.h>

#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "mockforge/kafka/api_table.h"
#include "mockforge/kafka/api_versions.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/produce.h"
#include "tests/unit/kafka_broker/pipeline_doubles.h"

namespace mockforge::kafka {
namespace {

class ManualScheduler : public ConnectionScheduler {
 public:
  void post(std::function<void()> fn) override { posted.push_back(std::move(fn)); }
  std::function<void()> run_after(std::chrono::milliseconds, std::function<void()> fn) override {
    auto slot = std::make_shared<std::function<void()>>(std::move(fn));
    timers.push_back(slot);
    return [slot] { *slot = nullptr; };
  }
  void run_posted() {
    while (!posted.empty()) {
      auto fn = std::move(posted.front());
      posted.erase(posted.begin());
      fn();
    }
  }
  void fire_timers() {
    for (auto& timer : timers) {
      if (*timer) {
        auto fn = std::move(*timer);
        *timer = nullptr;
        fn();
      }
    }
  }
  std::vector<std::function<void()>> posted;
  std::vector<std::shared_ptr<std::function<void()>>> timers;
};

class RequestPipelineTest : public ::testing::Test {
 protected:
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{BrokerOptions{}, engine, registry};
  testing::RecordingSink sink;
  std::shared_ptr<ManualScheduler> scheduler = std::make_shared<ManualScheduler>();
  RequestPipeline pipeline{broker, sink, scheduler, "127.0.0.1", 9092, "127.0.0.1:5555"};

  template <typename Request>
  void send(int16_t key, int16_t version, int32_t correlation_id, const Request& request) {
    RequestHeader header{key, version, correlation_id, "test"};
    pipeline.on_frame(encode_request_frame(header, request));
  }

  int32_t correlation_of(const Bytes& frame) {
    Reader reader(std::span<const uint8_t>(frame).subspan(4));
    return reader.read_int32();
  }

  template <typename Response>
  Response decode(const Bytes& frame, int16_t key, int16_t version) {
    Reader reader(std::span<const uint8_t>(frame).subspan(4));
    ResponseHeader header;
    header.decode(reader, response_header_version(key, version));
    Response response;
    response.decode(reader, version);
    return response;
  }
};

TEST(CheckFrame, RejectsBadSizesBeforeTheBody) {
  const uint8_t negative[] = {0xff, 0xff, 0xff, 0xfb};
  EXPECT_EQ(check_frame(negative, 1024).kind, FrameCheck::Kind::kInvalid);
  const uint8_t tiny[] = {0, 0, 0, 4};
  EXPECT_EQ(check_frame(tiny, 1024).kind, FrameCheck::Kind::kInvalid);
  const uint8_t huge[] = {0, 0, 8, 0};
  EXPECT_EQ(check_frame(huge, 1024).kind, FrameCheck::Kind::kInvalid);
  const uint8_t partial[] = {0, 0, 0, 10, 1, 2};
  auto need = check_frame(partial, 1024);
  EXPECT_EQ(need.kind, FrameCheck::Kind::kNeedMore);
  EXPECT_EQ(need.length, 14u);
}

TEST_F(RequestPipelineTest, ApiVersionsAdvertisesServedApisWithinCodecRanges) {
  send(18, 3, 1, ApiVersionsRequest{"test", "1"});
  ASSERT_EQ(sink.frames.size(), 1u);
  auto response = decode<ApiVersionsResponse>(sink.frames[0], 18, 3);
  EXPECT_EQ(response.error_code, 0);
  bool has_produce = false;
  for (const auto& api : response.api_keys) {
    const ApiInfo* codec = find_api(api.api_key);
    ASSERT_NE(codec, nullptr);
    EXPECT_GE(api.min_version, codec->min_version);
    EXPECT_LE(api.max_version, codec->max_version);
    if (api.api_key == 0) has_produce = true;
  }
  EXPECT_TRUE(has_produce);
}

TEST_F(RequestPipelineTest, UnknownKeyClosesTheConnection) {
  Writer writer;
  writer.write_int32(10);
  writer.write_int16(999);
  writer.write_int16(0);
  writer.write_int32(5);
  writer.write_int16(-1);
  pipeline.on_frame(writer.bytes());
  EXPECT_TRUE(sink.closed);
  EXPECT_TRUE(sink.frames.empty());
}

TEST_F(RequestPipelineTest, ProduceThenLongPollFetchKeepsResponsesInOrder) {
  NewRecord record{1000, Bytes{'k'}, Bytes{'v'}, {}};
  ProduceRequest produce;
  produce.acks = 1;
  produce.timeout_ms = 1000;
  produce.topic_data = {{"t", {{0, build_record_batch(std::span(&record, 1))}}}};
  send(0, 7, 1, produce);
  ASSERT_EQ(sink.frames.size(), 1u);
  auto produced = decode<ProduceResponse>(sink.frames[0], 0, 7);
  EXPECT_EQ(produced.responses[0].partition_responses[0].error_code, 0);
  EXPECT_EQ(produced.responses[0].partition_responses[0].base_offset, 0);

  // A Fetch at the end of the log waits; an ApiVersions behind it must wait too.
  FetchRequest fetch;
  fetch.max_wait_ms = 500;
  fetch.min_bytes = 1;
  FetchRequest::FetchTopic topic;
  topic.topic = "t";
  FetchRequest::FetchPartition partition;
  partition.fetch_offset = 1;
  partition.partition_max_bytes = 1 << 20;
  topic.partitions = {partition};
  fetch.topics = {topic};
  send(1, 11, 2, fetch);
  send(18, 0, 3, ApiVersionsRequest{});
  EXPECT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(pipeline.pending_responses(), 2u);
  EXPECT_EQ(sink.still_pending, std::vector<std::size_t>{0});

  // New data wakes the fetch (through the scheduler), then both answers go out in order.
  send(0, 7, 4, produce);
  scheduler->run_posted();
  ASSERT_EQ(sink.frames.size(), 4u);
  EXPECT_EQ(correlation_of(sink.frames[1]), 2);
  EXPECT_EQ(correlation_of(sink.frames[2]), 3);
  EXPECT_EQ(correlation_of(sink.frames[3]), 4);
  // The session learns how many are still unanswered whenever answers go out
  // (it stops reading at kafka.max_inflight_requests): none after the
  // first Produce, none once the Fetch and what waited behind it went out.
  EXPECT_EQ(sink.still_pending, (std::vector<std::size_t>{0, 0}));
  auto fetched = decode<FetchResponse>(sink.frames[1], 1, 11);
  const auto& data = fetched.responses[0].partitions[0];
  EXPECT_EQ(data.error_code, 0);
  EXPECT_EQ(data.high_watermark, 2);
  auto batches = split_record_batches(*data.records);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].header.base_offset, 1);
}

TEST_F(RequestPipelineTest, FetchTimesOutWithEmptyNonNullRecords) {
  ASSERT_TRUE(engine.logs().create_topic("empty", 1).ok());
  FetchRequest fetch;
  fetch.max_wait_ms = 100;
  fetch.min_bytes = 1;
  FetchRequest::FetchTopic topic;
  topic.topic = "empty";
  FetchRequest::FetchPartition partition;
  partition.partition_max_bytes = 1024;
  topic.partitions = {partition};
  fetch.topics = {topic};
  send(1, 4, 9, fetch);
  EXPECT_TRUE(sink.frames.empty());
  scheduler->fire_timers();
  ASSERT_EQ(sink.frames.size(), 1u);
  auto fetched = decode<FetchResponse>(sink.frames[0], 1, 4);
  ASSERT_TRUE(fetched.responses[0].partitions[0].records);
  EXPECT_TRUE(fetched.responses[0].partitions[0].records->empty());
}

// Found by kafka_session_fuzzer: a Fetch waiting for data when a bad request closes
// the connection used to answer after the close when its wait ended.
TEST_F(RequestPipelineTest, NothingIsSentAfterCloseEvenByAWaitingFetch) {
  ASSERT_TRUE(engine.logs().create_topic("empty", 1).ok());
  FetchRequest fetch;
  fetch.max_wait_ms = 100;
  fetch.min_bytes = 1;
  FetchRequest::FetchTopic topic;
  topic.topic = "empty";
  FetchRequest::FetchPartition partition;
  partition.partition_max_bytes = 1024;
  topic.partitions = {partition};
  fetch.topics = {topic};
  send(1, 4, 9, fetch);
  Writer writer;  // an unknown API key closes the connection
  writer.write_int32(10);
  writer.write_int16(999);
  writer.write_int16(0);
  writer.write_int32(10);
  writer.write_int16(-1);
  pipeline.on_frame(writer.bytes());
  ASSERT_TRUE(sink.closed);
  scheduler->fire_timers();
  scheduler->run_posted();
  EXPECT_TRUE(sink.frames.empty());
}

TEST_F(RequestPipelineTest, OffsetOutOfRangeAndCorruptBatch) {
  ASSERT_TRUE(engine.logs().create_topic("t2", 1).ok());
  FetchRequest fetch;
  FetchRequest::FetchTopic topic;
  topic.topic = "t2";
  FetchRequest::FetchPartition partition;
  partition.fetch_offset = 5;
  partition.partition_max_bytes = 1024;
  topic.partitions = {partition};
  fetch.topics = {topic};
  send(1, 4, 1, fetch);
  ASSERT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(decode<FetchResponse>(sink.frames[0], 1, 4).responses[0].partitions[0].error_code, 1);

  NewRecord record{1000, std::nullopt, Bytes{'v'}, {}};
  Bytes batch = build_record_batch(std::span(&record, 1));
  batch.back() ^= 0xff;  // breaks the CRC
  ProduceRequest produce;
  produce.acks = -1;
  produce.topic_data = {{"t2", {{0, batch}}}};
  send(0, 3, 2, produce);
  ASSERT_EQ(sink.frames.size(), 2u);
  EXPECT_EQ(
      decode<ProduceResponse>(sink.frames[1], 0, 3).responses[0].partition_responses[0].error_code,
      2);
}

TEST_F(RequestPipelineTest, IdempotentDuplicateGetsOriginalOffsetAndGapIsOutOfOrder) {
  auto allocation = broker.producers().init(-1, -1);
  auto batch_with = [&](int32_t sequence) {
    NewRecord record{1000, std::nullopt, Bytes{'v'}, {}};
    BatchOptions options;
    options.producer_id = allocation.producer_id;
    options.producer_epoch = allocation.epoch;
    options.base_sequence = sequence;
    return build_record_batch(std::span(&record, 1), options);
  };
  auto produce_offset = [&](int32_t sequence, int32_t correlation) {
    ProduceRequest produce;
    produce.acks = -1;
    produce.topic_data = {{"idem", {{0, batch_with(sequence)}}}};
    send(0, 7, correlation, produce);
    return decode<ProduceResponse>(sink.frames.back(), 0, 7).responses[0].partition_responses[0];
  };
  EXPECT_EQ(produce_offset(0, 1).base_offset, 0);
  EXPECT_EQ(produce_offset(1, 2).base_offset, 1);
  auto duplicate = produce_offset(0, 3);
  EXPECT_EQ(duplicate.error_code, 0);
  EXPECT_EQ(duplicate.base_offset, 0);
  EXPECT_EQ(produce_offset(5, 4).error_code, 45);
  EXPECT_EQ(engine.logs().find("idem")->partition(0)->high_watermark(), 2);
}

}  // namespace
}  // namespace mockforge::kafka
