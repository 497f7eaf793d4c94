// ListPartitionReassignments (46): the ongoing reassignments of the simulated cluster
// (AlterPartitionReassignments with kafka.reassignment_delay; without it they complete at once
// and none is listed): each partition's replicas (the target, then those being removed), the
// replicas being added and removed. Null topics: all; named ones: those partitions, unknown
// ones left out. Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED), as Kafka's
// controller checks it.
#include "mockforge/kafka/list_partition_reassignments.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  ListPartitionReassignmentsRequest parsed;
  parsed.decode(body, request->version());
  ListPartitionReassignmentsResponse response;
  if (!authorized_on_cluster(*request, acl::kDescribe)) {
    response.error_code = error::kClusterAuthorizationFailed;
    response.error_message = "Cluster authorization failed.";
    request->count_error(response.error_code);
    request->reply(response);
    return;
  }
  auto wanted = [&](const Cluster::PartitionKey& key) {
    if (!parsed.topics) return true;
    for (const auto& topic : *parsed.topics) {
      if (topic.name != key.first) continue;
      for (int32_t index : topic.partition_indexes) {
        if (index == key.second) return true;
      }
    }
    return false;
  };
  for (auto& ongoing : request->broker.cluster().ongoing_reassignments()) {
    if (!wanted(ongoing.partition)) continue;
    if (response.topics.empty() || response.topics.back().name != ongoing.partition.first) {
      response.topics.emplace_back().name = ongoing.partition.first;
    }
    auto& partition = response.topics.back().partitions.emplace_back();
    partition.partition_index = ongoing.partition.second;
    partition.replicas = std::move(ongoing.replicas);
    partition.adding_replicas = std::move(ongoing.adding);
    partition.removing_replicas = std::move(ongoing.removing);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kListPartitionReassignmentsHandler{46, 0, 0, &handle};

}  // namespace mockforge::kafka
