// Transactions through the request pipeline, without sockets: InitProducerId with a
// transactional id, AddPartitionsToTxn, transactional Produce, EndTxn markers, and what
// read_committed Fetch and ListOffsets see (last stable offset, aborted transactions).
#include <gtest/gtest.h>

#include <thread>

#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "mockforge/kafka/add_offsets_to_txn.h"
#include "mockforge/kafka/add_partitions_to_txn.h"
#include "mockforge/kafka/end_txn.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/find_coordinator.h"
#include "mockforge/kafka/init_producer_id.h"
#include "mockforge/kafka/list_offsets.h"
#include "mockforge/kafka/offset_fetch.h"
#include "mockforge/kafka/produce.h"
#include "mockforge/kafka/txn_offset_commit.h"
#include "tests/unit/kafka_broker/pipeline_doubles.h"

namespace mockforge::kafka {
namespace {

class TransactionsTest : public ::testing::Test {
 protected:
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{BrokerOptions{}, engine, registry};
  testing::RecordingSink sink;
  RequestPipeline pipeline{broker,      sink, std::make_shared<testing::InlineScheduler>(),
                           "127.0.0.1", 9092, "127.0.0.1:5555"};
  int32_t correlation = 0;

  void SetUp() override { ASSERT_TRUE(engine.logs().create_topic("t", 1).ok()); }

  // Sends one request and decodes its answer.
  template <typename Response, typename Request>
  Response call(int16_t key, int16_t version, const Request& request) {
    RequestHeader header{key, version, ++correlation, "test"};
    pipeline.on_frame(encode_request_frame(header, request));
    EXPECT_FALSE(sink.closed) << *sink.closed;
    Reader reader(std::span<const uint8_t>(sink.frames.back()).subspan(4));
    ResponseHeader response_header;
    response_header.decode(reader, response_header_version(key, version));
    Response response;
    response.decode(reader, version);
    return response;
  }

  InitProducerIdResponse init(const std::string& id, int16_t version = 4) {
    InitProducerIdRequest request;
    request.transactional_id = id;
    request.transaction_timeout_ms = 60000;
    return call<InitProducerIdResponse>(22, version, request);
  }

  int16_t add_partition(const std::string& id, const InitProducerIdResponse& producer,
                        int16_t version = 3) {
    AddPartitionsToTxnRequest request;
    request.transactional_id = id;
    request.producer_id = producer.producer_id;
    request.producer_epoch = producer.producer_epoch;
    request.topics.push_back({"t", {0}});
    auto response = call<AddPartitionsToTxnResponse>(24, version, request);
    return response.results.at(0).results.at(0).partition_error_code;
  }

  ProduceResponse::PartitionProduceResponse produce(const std::optional<std::string>& id,
                                                    int64_t producer_id, int16_t epoch,
                                                    int32_t sequence, const std::string& value) {
    NewRecord record{1000, std::nullopt, Bytes(value.begin(), value.end()), {}};
    BatchOptions options;
    options.transactional = id.has_value();
    options.producer_id = producer_id;
    options.producer_epoch = epoch;
    options.base_sequence = sequence;
    ProduceRequest request;
    request.transactional_id = id;
    request.acks = -1;
    request.topic_data = {{"t", {{0, build_record_batch(std::span(&record, 1), options)}}}};
    return call<ProduceResponse>(0, 7, request).responses.at(0).partition_responses.at(0);
  }

  int16_t end(const std::string& id, const InitProducerIdResponse& producer, bool commit,
              int16_t version = 3) {
    EndTxnRequest request;
    request.transactional_id = id;
    request.producer_id = producer.producer_id;
    request.producer_epoch = producer.producer_epoch;
    request.committed = commit;
    return call<EndTxnResponse>(26, version, request).error_code;
  }

  FetchResponse::PartitionData fetch(int8_t isolation, int64_t offset = 0) {
    FetchRequest request;
    request.max_wait_ms = 0;
    request.isolation_level = isolation;
    FetchRequest::FetchTopic topic;
    topic.topic = "t";
    FetchRequest::FetchPartition partition;
    partition.partition = 0;
    partition.fetch_offset = offset;
    partition.partition_max_bytes = 1 << 20;
    topic.partitions.push_back(partition);
    request.topics.push_back(topic);
    return call<FetchResponse>(1, 11, request).responses.at(0).partitions.at(0);
  }

  // (offset, is control) of every batch in the records.
  static std::vector<std::pair<int64_t, bool>> batches_of(
      const FetchResponse::PartitionData& data) {
    std::vector<std::pair<int64_t, bool>> result;
    for (const auto& batch : split_record_batches(*data.records)) {
      result.emplace_back(batch.header.base_offset, batch.header.is_control());
    }
    return result;
  }

  int64_t latest(int8_t isolation) {
    ListOffsetsRequest request;
    request.replica_id = -1;
    request.isolation_level = isolation;
    ListOffsetsRequest::ListOffsetsTopic topic;
    topic.name = "t";
    ListOffsetsRequest::ListOffsetsPartition partition;
    partition.partition_index = 0;
    partition.timestamp = -1;
    topic.partitions.push_back(partition);
    request.topics.push_back(topic);
    return call<ListOffsetsResponse>(2, 5, request).topics.at(0).partitions.at(0).offset;
  }
};

TEST_F(TransactionsTest, FindCoordinatorAnswersTransactionKeys) {
  FindCoordinatorRequest request;
  request.key = "tx";
  request.key_type = 1;
  auto response = call<FindCoordinatorResponse>(10, 2, request);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.port, 9092);
  request.key_type = 2;
  EXPECT_EQ(call<FindCoordinatorResponse>(10, 2, request).error_code, 42);
}

TEST_F(TransactionsTest, ReadCommittedStopsAtTheStableOffsetUntilCommit) {
  auto producer = init("tx");
  ASSERT_EQ(producer.error_code, 0);
  // Producing before AddPartitionsToTxn is refused.
  EXPECT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 0, "early").error_code,
            48);
  ASSERT_EQ(add_partition("tx", producer), 0);
  ASSERT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 0, "a").error_code, 0);
  ASSERT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 1, "b").error_code, 0);

  auto uncommitted = fetch(0);
  EXPECT_EQ(batches_of(uncommitted).size(), 2u);
  EXPECT_FALSE(uncommitted.aborted_transactions);
  auto committed = fetch(1);
  EXPECT_TRUE(committed.records->empty());
  EXPECT_EQ(committed.high_watermark, 2);
  EXPECT_EQ(committed.last_stable_offset, 0);
  EXPECT_EQ(latest(0), 2);
  EXPECT_EQ(latest(1), 0);

  ASSERT_EQ(end("tx", producer, true), 0);
  auto after = fetch(1);
  EXPECT_EQ(after.last_stable_offset, 3);
  ASSERT_TRUE(after.aborted_transactions);
  EXPECT_TRUE(after.aborted_transactions->empty());
  auto batches = batches_of(after);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2], std::make_pair(int64_t{2}, true));  // the commit marker
  auto marker = split_record_batches(*after.records)[2];
  EXPECT_TRUE(marker.header.is_transactional());
  EXPECT_EQ(marker.header.producer_id, producer.producer_id);
  auto records = decode_records(marker);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(*records[0].key, (Bytes{0, 0, 0, 1}));
  EXPECT_EQ(latest(1), 3);
}

TEST_F(TransactionsTest, AbortedTransactionsAreListedForReadCommitted) {
  auto producer = init("tx");
  ASSERT_EQ(add_partition("tx", producer), 0);
  ASSERT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 0, "x").error_code, 0);
  ASSERT_EQ(end("tx", producer, false), 0);
  // A non-transactional record after the abort.
  auto plain = broker.producers().init(-1, -1);
  ASSERT_EQ(produce(std::nullopt, plain.producer_id, plain.epoch, 0, "plain").error_code, 0);

  auto data = fetch(1);
  EXPECT_EQ(data.last_stable_offset, 3);
  ASSERT_TRUE(data.aborted_transactions);
  ASSERT_EQ(data.aborted_transactions->size(), 1u);
  EXPECT_EQ((*data.aborted_transactions)[0].producer_id, producer.producer_id);
  EXPECT_EQ((*data.aborted_transactions)[0].first_offset, 0);
  auto batches = batches_of(data);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_TRUE(batches[1].second);  // the abort marker
  auto marker = decode_records(split_record_batches(*data.records)[1]);
  EXPECT_EQ(*marker[0].key, (Bytes{0, 0, 0, 0}));
  // Fetching after the marker: nothing aborted in range.
  EXPECT_TRUE(fetch(1, 2).aborted_transactions->empty());
}

TEST_F(TransactionsTest, ASecondProducerFencesTheFirstAndAbortsItsTransaction) {
  auto zombie = init("tx");
  ASSERT_EQ(add_partition("tx", zombie), 0);
  ASSERT_EQ(produce("tx", zombie.producer_id, zombie.producer_epoch, 0, "z").error_code, 0);
  auto fresh = init("tx");
  EXPECT_EQ(fresh.producer_id, zombie.producer_id);
  EXPECT_EQ(fresh.producer_epoch, zombie.producer_epoch + 1);
  // The zombie's open transaction was aborted: its data is dropped, the LSO moves on.
  auto data = fetch(1);
  EXPECT_EQ(data.last_stable_offset, 2);
  ASSERT_EQ(data.aborted_transactions->size(), 1u);
  // The zombie is fenced everywhere, with the error of each version.
  EXPECT_EQ(produce("tx", zombie.producer_id, zombie.producer_epoch, 1, "z2").error_code, 47);
  EXPECT_EQ(add_partition("tx", zombie, 3), 90);
  EXPECT_EQ(add_partition("tx", zombie, 1), 47);
  EXPECT_EQ(end("tx", zombie, true, 3), 90);
  EXPECT_EQ(end("tx", zombie, true, 0), 47);
  InitProducerIdRequest stale;
  stale.transactional_id = "tx";
  stale.transaction_timeout_ms = 60000;
  stale.producer_id = zombie.producer_id;
  stale.producer_epoch = zombie.producer_epoch;
  EXPECT_EQ(call<InitProducerIdResponse>(22, 4, stale).error_code, 90);
  EXPECT_EQ(call<InitProducerIdResponse>(22, 3, stale).error_code, 47);
}

TEST_F(TransactionsTest, TxnOffsetCommitIsVisibleOnlyAfterCommit) {
  auto producer = init("tx");
  AddOffsetsToTxnRequest add;
  add.transactional_id = "tx";
  add.producer_id = producer.producer_id;
  add.producer_epoch = producer.producer_epoch;
  add.group_id = "g";
  ASSERT_EQ(call<AddOffsetsToTxnResponse>(25, 3, add).error_code, 0);
  TxnOffsetCommitRequest commit;
  commit.transactional_id = "tx";
  commit.group_id = "g";
  commit.producer_id = producer.producer_id;
  commit.producer_epoch = producer.producer_epoch;
  TxnOffsetCommitRequest::TxnOffsetCommitRequestTopic topic;
  topic.name = "t";
  TxnOffsetCommitRequest::TxnOffsetCommitRequestPartition partition;
  partition.partition_index = 0;
  partition.committed_offset = 42;
  topic.partitions.push_back(partition);
  commit.topics.push_back(topic);
  auto response = call<TxnOffsetCommitResponse>(28, 3, commit);
  ASSERT_EQ(response.topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_TRUE(broker.groups().fetch_offsets("g").empty());
  ASSERT_EQ(end("tx", producer, true), 0);
  auto offsets = broker.groups().fetch_offsets("g");
  ASSERT_EQ(offsets.count({"t", 0}), 1u);
  EXPECT_EQ(offsets.at({"t", 0}).offset, 42);
}

TEST_F(TransactionsTest, ResetClearsOpenTransactions) {
  auto producer = init("tx");
  ASSERT_EQ(add_partition("tx", producer), 0);
  ASSERT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 0, "x").error_code, 0);
  engine.reset();
  broker.reset();
  EXPECT_EQ(broker.transactions().open_transaction_count(), 0u);
  EXPECT_EQ(end("tx", producer, true), 49);  // INVALID_PRODUCER_ID_MAPPING
}

TEST_F(TransactionsTest, TimedOutTransactionsAreAbortedByTheTick) {
  InitProducerIdRequest request;
  request.transactional_id = "tx";
  request.transaction_timeout_ms = 1;
  auto producer = call<InitProducerIdResponse>(22, 4, request);
  ASSERT_EQ(producer.error_code, 0);
  ASSERT_EQ(add_partition("tx", producer), 0);
  ASSERT_EQ(produce("tx", producer.producer_id, producer.producer_epoch, 0, "x").error_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  broker.expire_transactions();
  auto data = fetch(1);
  EXPECT_EQ(data.last_stable_offset, 2);
  ASSERT_EQ(data.aborted_transactions->size(), 1u);
  EXPECT_EQ(end("tx", producer, true), 90);
  request.transaction_timeout_ms = 900001;
  EXPECT_EQ(call<InitProducerIdResponse>(22, 4, request).error_code, 50);
}

}  // namespace
}  // namespace mockforge::kafka
