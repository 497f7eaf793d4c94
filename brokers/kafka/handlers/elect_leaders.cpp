// ElectLeaders (43): moves partitions back to their preferred leader, their first replica
// (election type 0, and v0), in the simulated cluster (broker/cluster.h): ELECTION_NOT_NEEDED
// when it leads already, PREFERRED_LEADER_NOT_AVAILABLE when it is stopped or out of the ISR.
// An unclean election (type 1) gives an offline partition (no live ISR member) its first live
// replica as leader: ELECTION_NOT_NEEDED when the partition has a leader,
// ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live. Null partitions: every partition,
// answering only those whose leader changed or could not (as Kafka does). Any broker takes it,
// as a KRaft broker forwards it to the controller. With ACLs: ALTER on the cluster, or every
// partition asked (and the response, v1+) answers CLUSTER_AUTHORIZATION_FAILED.
#include "mockforge/kafka/elect_leaders.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

constexpr int8_t kPreferred = 0;
constexpr int8_t kUnclean = 1;

using PartitionResult = ElectLeadersResponse::PartitionResult;

PartitionResult elect(BrokerState& broker, const std::string& topic_name, int32_t index,
                      int8_t election_type) {
  PartitionResult result;
  result.partition_id = index;
  auto topic = broker.storage().logs().find(topic_name);
  if (!topic || !topic->partition(index)) {
    result.error_code = error::kUnknownTopicOrPartition;
    result.error_message = "The partition does not exist.";
    return result;
  }
  Cluster& cluster = broker.cluster();
  const int32_t leader = cluster.leadership(topic_name, index).leader;
  if (election_type == kUnclean) {
    result.error_code =
        cluster.elect_unclean(topic_name, index, broker.log_end_offset(topic_name, index));
    if (result.error_code == error::kElectionNotNeeded) {
      result.error_message = "Leader election not needed for topic partition.";
    } else if (result.error_code == error::kEligibleLeadersNotAvailable) {
      result.error_message = "Failed to elect leader for partition " + topic_name + "-" +
                             std::to_string(index) +
                             " under strategy UncleanPartitionLeaderElectionStrategy";
    }
    return result;
  }
  const int32_t preferred = cluster.preferred_leader(topic_name, index);
  if (leader == preferred) {
    result.error_code = error::kElectionNotNeeded;
    result.error_message = "Leader election not needed for topic partition.";
  } else if (!cluster.elect(topic_name, index, preferred,
                            broker.log_end_offset(topic_name, index))) {
    result.error_code = error::kPreferredLeaderNotAvailable;
    result.error_message = "Failed to elect leader for partition " + topic_name + "-" +
                           std::to_string(index) +
                           " under strategy PreferredReplicaPartitionLeaderElectionStrategy";
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  ElectLeadersRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  ElectLeadersResponse response;
  const int8_t type = request->version() == 0 ? kPreferred : parsed.election_type;
  if (type != kPreferred && type != kUnclean) {
    response.error_code = error::kInvalidRequest;
    request->count_error(response.error_code);
    request->reply(response);
    return;
  }
  if (!authorized_on_cluster(*request, acl::kAlter)) {
    response.error_code = error::kClusterAuthorizationFailed;
    request->count_error(response.error_code);
    // Null partitions (every partition): nothing is listed, as Kafka answers.
    if (parsed.topic_partitions) {
      for (const auto& wanted : *parsed.topic_partitions) {
        ElectLeadersResponse::ReplicaElectionResult out;
        out.topic = wanted.topic;
        for (int32_t index : wanted.partition_id) {
          PartitionResult result;
          result.partition_id = index;
          result.error_code = error::kClusterAuthorizationFailed;
          out.partition_result.push_back(std::move(result));
        }
        response.replica_election_results.push_back(std::move(out));
      }
    }
    request->reply(response);
    return;
  }
  if (!parsed.topic_partitions) {
    for (const auto& topic : broker.storage().logs().list()) {
      ElectLeadersResponse::ReplicaElectionResult out;
      out.topic = topic->name();
      for (int32_t index = 0; index < topic->partition_count(); ++index) {
        PartitionResult result = elect(broker, topic->name(), index, type);
        if (result.error_code == error::kElectionNotNeeded) continue;
        request->count_error(result.error_code);
        out.partition_result.push_back(std::move(result));
      }
      if (!out.partition_result.empty())
        response.replica_election_results.push_back(std::move(out));
    }
  } else {
    for (const auto& wanted : *parsed.topic_partitions) {
      ElectLeadersResponse::ReplicaElectionResult out;
      out.topic = wanted.topic;
      for (int32_t index : wanted.partition_id) {
        PartitionResult result = elect(broker, wanted.topic, index, type);
        request->count_error(result.error_code);
        out.partition_result.push_back(std::move(result));
      }
      response.replica_election_results.push_back(std::move(out));
    }
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kElectLeadersHandler{43, 0, 2, &handle};

}  // namespace mockforge::kafka
