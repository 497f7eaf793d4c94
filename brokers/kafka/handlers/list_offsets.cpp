// ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3), earliest local (-4, the same
// as earliest without tiered storage), or the first record whose
// timestamp is at or after a given time (found inside its batch). With read_committed
// (isolation level 1), latest is the last stable offset.
#include "mockforge/kafka/list_offsets.h"

#include <limits>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;   // v7+ (KIP-734)
constexpr int64_t kEarliestLocal = -4;  // v8+ (KIP-405): no tiered storage, so = earliest

using PartitionResponse = ListOffsetsResponse::ListOffsetsPartitionResponse;

// (offset, timestamp) of the first record in `batch` at or after `timestamp`, at or after
// `min_offset`; nullopt if none.
std::optional<std::pair<int64_t, int64_t>> find_in_batch(const storage::BatchRef& batch,
                                                         int64_t timestamp, int64_t min_offset) {
  RecordBatchView view = parse_record_batch(batch.bytes.span());
  bool append_time = view.header.timestamp_type() == TimestampType::kLogAppendTime;
  for (const Record& record : decode_records(view)) {
    int64_t offset = view.header.base_offset + record.offset_delta;
    int64_t record_time = append_time ? view.header.max_timestamp
                                      : view.header.base_timestamp + record.timestamp_delta;
    if (offset >= min_offset && record_time >= timestamp) return std::pair{offset, record_time};
  }
  return std::nullopt;
}

PartitionResponse list_partition(storage::Partition& partition, int64_t timestamp,
                                 const TransactionCoordinator* read_committed) {
  PartitionResponse result;
  result.partition_index = partition.index();
  result.leader_epoch = 0;
  int64_t start = partition.log_start_offset();
  int64_t end = partition.high_watermark();
  if (timestamp == kLatest) {
    result.offset =
        read_committed == nullptr
            ? end
            : read_committed->last_stable_offset({partition.topic_name(), partition.index()}, end);
  } else if (timestamp == kEarliest || timestamp == kEarliestLocal) {
    result.offset = start;
  } else if (timestamp == kMaxTimestamp) {
    auto read = partition.read(start, std::numeric_limits<std::size_t>::max());
    if (read.ok()) {
      for (const auto& batch : read->batches) {
        if (batch.max_timestamp >= result.timestamp) {
          auto found = find_in_batch(batch, batch.max_timestamp, start);
          if (found) {
            result.offset = found->first;
            result.timestamp = found->second;
          }
        }
      }
    }
  } else if (timestamp < 0) {
    result.error_code = error::kInvalidRequest;  // -5 (latest tiered, v9) is not served
  } else {
    // No record at or after the time: offset -1, as Kafka answers.
    if (auto match = partition.find_by_timestamp(timestamp)) {
      if (auto found = find_in_batch(match->batch, timestamp, match->offset)) {
        result.offset = found->first;
        result.timestamp = found->second;
      }
    }
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  ListOffsetsRequest parsed;
  parsed.decode(body, request->version());
  ListOffsetsResponse response;
  auto& logs = request->broker.storage().logs();
  for (const auto& wanted : parsed.topics) {
    ListOffsetsResponse::ListOffsetsTopicResponse topic_result;
    topic_result.name = wanted.name;
    const bool may_describe = authorized(*request, acl::kDescribe, acl::kTopic, wanted.name);
    auto topic = may_describe ? logs.find(wanted.name) : nullptr;
    for (const auto& partition_request : wanted.partitions) {
      PartitionResponse result;
      auto partition = topic ? topic->partition(partition_request.partition_index) : nullptr;
      // Kafka's debugging replica id (-2) may ask a follower; others only the leader.
      const int16_t leader_error =
          !partition ? error::kNone
                     : request->check_leader(
                           wanted.name, partition_request.partition_index,
                           parsed.replica_id == -2 ? -1 : partition_request.current_leader_epoch);
      if (!may_describe) {
        result.partition_index = partition_request.partition_index;
        result.error_code = error::kTopicAuthorizationFailed;
      } else if (!partition) {
        result.partition_index = partition_request.partition_index;
        result.error_code = error::kUnknownTopicOrPartition;
      } else if (leader_error != error::kNone &&
                 (parsed.replica_id != -2 || leader_error != error::kNotLeaderOrFollower)) {
        result.partition_index = partition_request.partition_index;
        result.error_code = leader_error;
      } else {
        try {
          result = list_partition(
              *partition, partition_request.timestamp,
              parsed.isolation_level == 1 ? &request->broker.transactions() : nullptr);
          result.leader_epoch =
              request->broker.cluster().leadership(wanted.name, result.partition_index).epoch;
        } catch (const DecodeError&) {
          result.partition_index = partition_request.partition_index;
          result.error_code = error::kCorruptMessage;
        }
      }
      if (request->version() == 0 && result.error_code == 0) {
        result.old_style_offsets = {result.offset};
      }
      request->count_error(result.error_code);
      topic_result.partitions.push_back(std::move(result));
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kListOffsetsHandler{2, 0, 8, &handle};

}  // namespace mockforge::kafka
