// Metadata (3): the live brokers of the cluster (kafka.brokers; one by default) at the address
// the client connected to, the lowest live node id as controller, and each partition's leader
// and leader epoch (broker/cluster.h), its replicas in assignment order (the preferred leader
// first), its ISR, and its replicas on stopped brokers as offline; LEADER_NOT_AVAILABLE for a
// partition without a live ISR member (leader -1), as Kafka answers.
#include "mockforge/kafka/metadata.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"
#include "brokers/kafka/handlers/topic_ids.h"

namespace mockforge::kafka {
namespace {

MetadataResponse::MetadataResponseTopic describe_topic(const Request& request,
                                                       const storage::Topic& topic,
                                                       const std::vector<Cluster::Node>& nodes) {
  MetadataResponse::MetadataResponseTopic result;
  result.name = topic.name();
  result.topic_id = to_uuid(topic.id());
  Cluster& cluster = request.broker.cluster();
  for (int32_t index = 0; index < topic.partition_count(); ++index) {
    MetadataResponse::MetadataResponsePartition partition;
    partition.partition_index = index;
    Cluster::PartitionState state = cluster.describe(topic.name(), index);
    partition.leader_id = state.leader;
    partition.leader_epoch = state.epoch();
    if (state.leader < 0) partition.error_code = error::kLeaderNotAvailable;
    for (int32_t replica : state.replicas) {
      if (!nodes[static_cast<std::size_t>(replica)].live) {
        partition.offline_replicas.push_back(replica);
      }
    }
    partition.replica_nodes = std::move(state.replicas);
    partition.isr_nodes = std::move(state.isr);
    result.partitions.push_back(std::move(partition));
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  MetadataRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  MetadataResponse response;
  const std::vector<Cluster::Node> nodes = broker.cluster().nodes();
  for (const Cluster::Node& node : nodes) {
    if (!node.live) continue;
    if (response.controller_id < 0) response.controller_id = node.id;
    response.brokers.push_back(
        {node.id, request->local_host, request->advertised_port(node.id), node.rack});
  }
  response.cluster_id = broker.options().cluster_id;

  // v0 has no null array: an empty list means all topics there.
  bool all_topics = !parsed.topics || (request->version() == 0 && parsed.topics->empty());
  if (all_topics) {
    // Topics the principal may not describe are left out, as Kafka does.
    for (const auto& topic : broker.storage().logs().list()) {
      if (!authorized(*request, acl::kDescribe, acl::kTopic, topic->name())) continue;
      response.topics.push_back(describe_topic(*request, *topic, nodes));
    }
  } else {
    // Before v4 there is no flag and Kafka auto-creates.
    bool allow_create = request->version() < 4 || parsed.allow_auto_topic_creation;
    for (const auto& wanted : *parsed.topics) {
      std::shared_ptr<storage::Topic> topic;
      if (wanted.name) {
        if (!authorized(*request, acl::kDescribe, acl::kTopic, *wanted.name)) {
          MetadataResponse::MetadataResponseTopic refused;
          refused.name = wanted.name;
          refused.error_code = error::kTopicAuthorizationFailed;
          request->count_error(refused.error_code);
          response.topics.push_back(std::move(refused));
          continue;
        }
        topic = is_valid_topic_name(*wanted.name)
                    ? broker.find_or_create_topic(
                          *wanted.name, allow_create && may_create_topic(*request, *wanted.name))
                    : nullptr;
      } else if (!wanted.topic_id.is_zero()) {
        topic = broker.storage().logs().find(to_topic_id(wanted.topic_id));
        if (topic && !authorized(*request, acl::kDescribe, acl::kTopic, topic->name())) {
          topic = nullptr;  // Kafka answers UNKNOWN_TOPIC_ID rather than reveal the name
        }
      }
      if (topic) {
        response.topics.push_back(describe_topic(*request, *topic, nodes));
        continue;
      }
      MetadataResponse::MetadataResponseTopic missing;
      missing.name = wanted.name;
      missing.topic_id = wanted.topic_id;
      missing.error_code = !wanted.name                        ? error::kUnknownTopicId
                           : is_valid_topic_name(*wanted.name) ? error::kUnknownTopicOrPartition
                                                               : error::kInvalidTopicException;
      request->count_error(missing.error_code);
      response.topics.push_back(std::move(missing));
    }
  }
  // Asked-for authorized operations (v8+): per described topic, and (v8-10) the cluster's.
  if (parsed.include_topic_authorized_operations) {
    for (auto& topic : response.topics) {
      if (topic.error_code == error::kNone && topic.name)
        topic.topic_authorized_operations =
            authorized_operations(*request, acl::kTopic, *topic.name);
    }
  }
  if (parsed.include_cluster_authorized_operations) {
    response.cluster_authorized_operations =
        authorized_operations(*request, acl::kCluster, acl::kClusterName);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kMetadataHandler{3, 0, 12, &handle};

}  // namespace mockforge::kafka
