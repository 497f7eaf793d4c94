// DescribeLogDirs (35): this broker's one log directory (`/mockforge/kafka-logs-<node id>`;
// the logs live in mockforge's storage engine) with the stored partitions this broker holds a
// replica of in the simulated cluster (broker/cluster.h): its size in bytes, offset lag 0 (the
// storage is shared, so a replica is never behind), never a future log. Null topics: all of them;
// unknown topics and partitions are left out, as Kafka does. Total and usable bytes (v4) are
// unknown (-1). With ACLs: DESCRIBE on the cluster, or no log directory and (v3+)
// CLUSTER_AUTHORIZATION_FAILED.
#include "mockforge/kafka/describe_log_dirs.h"

#include <algorithm>

#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using Topic = DescribeLogDirsResponse::DescribeLogDirsTopic;

void describe(Request& request, const storage::Topic& topic, const std::vector<int32_t>* partitions,
              std::vector<Topic>& out) {
  Topic result;
  result.name = topic.name();
  auto add = [&](int32_t index) {
    auto partition = topic.partition(index);
    if (!partition) return;
    const auto replicas = request.broker.cluster().describe(topic.name(), index).replicas;
    if (std::find(replicas.begin(), replicas.end(), request.node_id) == replicas.end()) return;
    DescribeLogDirsResponse::DescribeLogDirsPartition described;
    described.partition_index = index;
    described.partition_size = static_cast<int64_t>(partition->stats().size_bytes);
    result.partitions.push_back(described);
  };
  if (partitions) {
    for (int32_t index : *partitions) add(index);
  } else {
    for (int32_t index = 0; index < topic.partition_count(); ++index) add(index);
  }
  if (!result.partitions.empty()) out.push_back(std::move(result));
}

void handle(const RequestPtr& request, Reader& body) {
  DescribeLogDirsRequest parsed;
  parsed.decode(body, request->version());
  if (!authorized_on_cluster(*request, acl::kDescribe)) {
    DescribeLogDirsResponse refused;
    refused.error_code = error::kClusterAuthorizationFailed;
    request->count_error(refused.error_code);
    request->reply(refused);
    return;
  }
  auto& logs = request->broker.storage().logs();
  DescribeLogDirsResponse::DescribeLogDirsResult dir;
  dir.log_dir = "/mockforge/kafka-logs-" + std::to_string(request->node_id);
  if (!parsed.topics) {
    for (const auto& topic : logs.list()) describe(*request, *topic, nullptr, dir.topics);
  } else {
    for (const auto& wanted : *parsed.topics) {
      if (auto topic = logs.find(wanted.topic))
        describe(*request, *topic, &wanted.partitions, dir.topics);
    }
  }
  DescribeLogDirsResponse response;
  response.results.push_back(std::move(dir));
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeLogDirsHandler{35, 0, 4, &handle};

}  // namespace mockforge::kafka
