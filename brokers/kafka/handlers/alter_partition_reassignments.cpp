// AlterPartitionReassignments (45): moves partitions' replicas in the simulated cluster
// (broker/cluster.h). A reassignment completes at once, or after kafka.reassignment_delay (the
// brokers share one storage, so new replicas need no copying): the partition's replicas and ISR
// become the new set, and a leader outside it gives way to the new first replica at a new
// leader epoch. Refused per partition: UNKNOWN_TOPIC_OR_PARTITION; INVALID_REPLICA_ASSIGNMENT
// for an empty list, a broker listed twice, or a broker that does not exist or is stopped.
// Null replicas cancel an ongoing reassignment, NO_REASSIGNMENT_IN_PROGRESS when none is. Needs
// ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED), as Kafka's controller checks it; any broker
// takes it, as a KRaft broker forwards it to the controller.
#include "mockforge/kafka/alter_partition_reassignments.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using PartitionResponse = AlterPartitionReassignmentsResponse::ReassignablePartitionResponse;

PartitionResponse reassign(BrokerState& broker, const std::string& topic_name, int32_t index,
                           const std::optional<std::vector<int32_t>>& replicas) {
  PartitionResponse result;
  result.partition_index = index;
  auto topic = broker.storage().logs().find(topic_name);
  if (!topic || !topic->partition(index)) {
    result.error_code = error::kUnknownTopicOrPartition;
    result.error_message = "Unable to find partition " + topic_name + ":" + std::to_string(index);
    return result;
  }
  if (!replicas) {
    if (broker.cluster().cancel_reassignment(topic_name, index)) return result;
    result.error_code = error::kNoReassignmentInProgress;
    result.error_message = "Unable to cancel reassignment for partition " + topic_name + ":" +
                           std::to_string(index) + " since there is no reassignment in progress.";
    return result;
  }
  std::string problem = broker.cluster().reassign(topic_name, index, *replicas,
                                                  broker.log_end_offset(topic_name, index));
  if (!problem.empty()) {
    result.error_code = error::kInvalidReplicaAssignment;
    result.error_message = std::move(problem);
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  AlterPartitionReassignmentsRequest parsed;
  parsed.decode(body, request->version());
  AlterPartitionReassignmentsResponse response;
  if (!authorized_on_cluster(*request, acl::kAlter)) {
    response.error_code = error::kClusterAuthorizationFailed;
    response.error_message = "Cluster authorization failed.";
    request->count_error(response.error_code);
    request->reply(response);
    return;
  }
  for (const auto& topic : parsed.topics) {
    AlterPartitionReassignmentsResponse::ReassignableTopicResponse out;
    out.name = topic.name;
    for (const auto& partition : topic.partitions) {
      PartitionResponse result =
          reassign(request->broker, topic.name, partition.partition_index, partition.replicas);
      request->count_error(result.error_code);
      out.partitions.push_back(std::move(result));
    }
    response.responses.push_back(std::move(out));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kAlterPartitionReassignmentsHandler{45, 0, 0, &handle};

}  // namespace mockforge::kafka
