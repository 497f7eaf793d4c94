// CreatePartitions (37): grows a topic to `count` partitions (never shrinks), with optional
// manual assignments: one replica list per new partition, of the topic's replication factor,
// distinct brokers of the (simulated) cluster with at least one of them running, as Kafka's
// controller checks them (INVALID_REPLICA_ASSIGNMENT with its messages); validate_only changes
// nothing. With ACLs: ALTER on each topic (TOPIC_AUTHORIZATION_FAILED).
#include "mockforge/kafka/create_partitions.h"

#include <optional>
#include <set>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

// What is wrong with the manual assignments of the partitions added to a topic of
// `replication_factor` replicas from `first` on, in Kafka's words; nothing when they are good.
std::optional<std::string> assignment_problem(
    const Cluster& cluster, int32_t replication_factor, int32_t first,
    const std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>& assignments) {
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const auto& replicas = assignments[i].broker_ids;
    if (replicas.empty()) return "The manual partition assignment includes an empty replica list.";
    for (int32_t node : replicas) {
      if (node < 0 || node >= cluster.size()) {
        return "The manual partition assignment includes broker " + std::to_string(node) +
               ", but no such broker is registered.";
      }
    }
    if (std::set<int32_t>(replicas.begin(), replicas.end()).size() != replicas.size()) {
      return std::string(
          "The manual partition assignment includes the same broker more than once.");
    }
    if (static_cast<int32_t>(replicas.size()) != replication_factor) {
      return "The manual partition assignment includes a partition with " +
             std::to_string(replicas.size()) +
             " replica(s), but this is not consistent with previous partitions, which have " +
             std::to_string(replication_factor) + " replica(s).";
    }
    bool any_live = false;
    for (int32_t node : replicas) any_live = any_live || cluster.live(node);
    if (!any_live) {
      return "All brokers specified in the manual partition assignment for partition " +
             std::to_string(first + static_cast<int32_t>(i)) +
             " are fenced or in controlled shutdown.";
    }
  }
  return std::nullopt;
}

using Result = CreatePartitionsResponse::CreatePartitionsTopicResult;

void handle(const RequestPtr& request, Reader& body) {
  CreatePartitionsRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  CreatePartitionsResponse response;
  std::set<std::string> seen;
  std::set<std::string> duplicated;
  for (const auto& wanted : parsed.topics) {
    if (!seen.insert(wanted.name).second) duplicated.insert(wanted.name);
  }
  for (const auto& wanted : parsed.topics) {
    Result result;
    result.name = wanted.name;
    result.error_message = std::nullopt;
    auto fail = [&](int16_t code, std::string message) {
      result.error_code = code;
      result.error_message = std::move(message);
    };
    auto topic = broker.storage().logs().find(wanted.name);
    int32_t current = topic ? topic->partition_count() : 0;
    if (duplicated.contains(wanted.name)) {
      fail(error::kInvalidRequest, "Duplicate topic in request.");
    } else if (!authorized(*request, acl::kAlter, acl::kTopic, wanted.name)) {
      fail(error::kTopicAuthorizationFailed, "The topic authorization is failed.");
    } else if (!topic) {
      fail(error::kUnknownTopicOrPartition, "The topic '" + wanted.name + "' does not exist.");
    } else if (wanted.count < current) {
      fail(error::kInvalidPartitions, "Topic currently has " + std::to_string(current) +
                                          " partitions, which is higher than the requested " +
                                          std::to_string(wanted.count) + ".");
    } else if (wanted.count == current) {
      fail(error::kInvalidPartitions,
           "Topic already has " + std::to_string(current) + " partitions.");
    } else if (wanted.count > storage::kMaxPartitionsPerTopic) {
      fail(error::kInvalidPartitions, "Number of partitions must be at most " +
                                          std::to_string(storage::kMaxPartitionsPerTopic) + ".");
    } else {
      bool assignments_ok = true;
      if (wanted.assignments) {
        if (static_cast<int64_t>(wanted.assignments->size()) != int64_t{wanted.count} - current) {
          assignments_ok = false;
          fail(error::kInvalidReplicaAssignment,
               "Increasing the number of partitions by " + std::to_string(wanted.count - current) +
                   " but " + std::to_string(wanted.assignments->size()) + " assignments provided.");
        } else {
          const auto replication_factor =
              static_cast<int32_t>(broker.cluster().describe(wanted.name, 0).replicas.size());
          if (auto problem = assignment_problem(broker.cluster(), replication_factor, current,
                                                *wanted.assignments)) {
            assignments_ok = false;
            fail(error::kInvalidReplicaAssignment, std::move(*problem));
          }
        }
      }
      if (assignments_ok && !parsed.validate_only) {
        auto status = topic->add_partitions(wanted.count);
        if (!status.ok()) {
          fail(error::kInvalidPartitions, status.error().message);
        } else if (wanted.assignments) {
          std::vector<std::vector<int32_t>> replicas;
          for (const auto& assignment : *wanted.assignments) {
            replicas.push_back(assignment.broker_ids);
          }
          broker.cluster().add_partitions(wanted.name, current, replicas);
        }
      }
    }
    request->count_error(result.error_code);
    response.results.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kCreatePartitionsHandler{37, 0, 3, &handle};

}  // namespace mockforge::kafka
