// OffsetForLeaderEpoch (23): the end offset of a leader epoch. Every partition has had one
// leader, epoch 0, since offset 0: epoch 0 ends at the log end offset; a later epoch is unknown
// (-1/-1, as Kafka answers). A current_leader_epoch other than 0 (or -1: no check) is fenced or
// unknown.
#include "mockforge/kafka/offset_for_leader_epoch.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

constexpr int32_t kLeaderEpoch = 0;

void handle(const RequestPtr& request, Reader& body) {
  OffsetForLeaderEpochRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  OffsetForLeaderEpochResponse response;
  for (const auto& wanted : parsed.topics) {
    OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult topic_result;
    topic_result.topic = wanted.topic;
    auto topic = logs.find(wanted.topic);
    for (const auto& partition_request : wanted.partitions) {
      OffsetForLeaderEpochResponse::EpochEndOffset result;
      result.partition = partition_request.partition;
      auto partition = topic ? topic->partition(partition_request.partition) : nullptr;
      if (!partition) {
        result.error_code = error::kUnknownTopicOrPartition;
      } else if (partition_request.current_leader_epoch > kLeaderEpoch) {
        result.error_code = error::kUnknownLeaderEpoch;
      } else if (partition_request.current_leader_epoch >= 0 &&
                 partition_request.current_leader_epoch < kLeaderEpoch) {
        result.error_code = error::kFencedLeaderEpoch;
      } else if (partition_request.leader_epoch == kLeaderEpoch) {
        result.leader_epoch = kLeaderEpoch;
        result.end_offset = partition->high_watermark();
      }  // otherwise: undefined epoch and offset (-1, -1)
      request->count_error(result.error_code);
      topic_result.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kOffsetForLeaderEpochHandler{23, 0, 4, &handle};

}  // namespace mockforge::kafka
