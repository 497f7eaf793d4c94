// OffsetForLeaderEpoch (23): the end offset of a leader epoch, from the partition's epoch history
// (broker/cluster.h): the current epoch ends at the log end offset, an earlier one where the next
// starts; an epoch above the current one is undefined (-1/-1), as Kafka answers. A
// current_leader_epoch (-1: no check) older or newer than the partition's is fenced or unknown,
// and a broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER to consumers.
// With ACLs, as Kafka since KIP-320: CLUSTER_ACTION on the cluster (a follower) allows every
// topic, otherwise DESCRIBE on each topic (a consumer), TOPIC_AUTHORIZATION_FAILED if not.
#include "mockforge/kafka/offset_for_leader_epoch.h"

#include <tuple>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  OffsetForLeaderEpochRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  OffsetForLeaderEpochResponse response;
  const bool cluster_action = authorized_on_cluster(*request, acl::kClusterAction);
  for (const auto& wanted : parsed.topics) {
    OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult topic_result;
    topic_result.topic = wanted.topic;
    const bool may_describe =
        cluster_action || authorized(*request, acl::kDescribe, acl::kTopic, wanted.topic);
    auto topic = may_describe ? logs.find(wanted.topic) : nullptr;
    for (const auto& partition_request : wanted.partitions) {
      OffsetForLeaderEpochResponse::EpochEndOffset result;
      result.partition = partition_request.partition;
      auto partition = topic ? topic->partition(partition_request.partition) : nullptr;
      if (!may_describe) {
        result.error_code = error::kTopicAuthorizationFailed;
      } else if (!partition) {
        result.error_code = error::kUnknownTopicOrPartition;
      } else if (int16_t code = request->check_leader(wanted.topic, result.partition,
                                                      partition_request.current_leader_epoch);
                 code != error::kNone) {
        result.error_code = code;
      } else {
        std::tie(result.leader_epoch, result.end_offset) =
            request->broker.cluster().epoch_end_offset(wanted.topic, result.partition,
                                                       partition_request.leader_epoch,
                                                       partition->high_watermark());
      }
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
