// DeleteRecords (21): advances a partition's log start offset (-1: to the high watermark) and
// drops the batches below it; answers the new low watermark. Compact-only topics refuse it.
// With ACLs: DELETE on each topic (TOPIC_AUTHORIZATION_FAILED).
#include "mockforge/kafka/delete_records.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using PartitionResult = DeleteRecordsResponse::DeleteRecordsPartitionResult;

void handle(const RequestPtr& request, Reader& body) {
  DeleteRecordsRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  DeleteRecordsResponse response;
  for (const auto& wanted : parsed.topics) {
    DeleteRecordsResponse::DeleteRecordsTopicResult topic_result;
    topic_result.name = wanted.name;
    const bool may_delete = authorized(*request, acl::kDelete, acl::kTopic, wanted.name);
    auto topic = may_delete ? logs.find(wanted.name) : nullptr;
    bool deletable = topic && cleanup_policy_deletes(topic->configs());
    for (const auto& partition_request : wanted.partitions) {
      PartitionResult result;
      result.partition_index = partition_request.partition_index;
      result.low_watermark = -1;
      auto partition = topic ? topic->partition(partition_request.partition_index) : nullptr;
      if (!may_delete) {
        result.error_code = error::kTopicAuthorizationFailed;
      } else if (!partition) {
        result.error_code = error::kUnknownTopicOrPartition;
      } else if (int16_t code = request->check_leader(wanted.name, result.partition_index);
                 code != error::kNone) {
        result.error_code = code;  // NOT_LEADER_OR_FOLLOWER (kafka.brokers)
      } else if (!deletable) {
        result.error_code = error::kPolicyViolation;
      } else if (partition_request.offset < 0 &&
                 partition_request.offset != storage::Partition::kDeleteToHighWatermark) {
        result.error_code = error::kOffsetOutOfRange;
      } else {
        auto deleted = partition->delete_records(partition_request.offset);
        if (deleted.ok()) {
          result.low_watermark = deleted.value();
        } else if (deleted.code() == storage::ErrorCode::kOffsetOutOfRange) {
          result.error_code = error::kOffsetOutOfRange;
        } else {
          result.error_code = error::kUnknownTopicOrPartition;
        }
      }
      request->count_error(result.error_code);
      topic_result.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDeleteRecordsHandler{21, 0, 2, &handle};

}  // namespace mockforge::kafka
