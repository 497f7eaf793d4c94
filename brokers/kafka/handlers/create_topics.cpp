// CreateTopics (19): partitions, configs (validated: unknown names and bad values are
// INVALID_CONFIG), validate_only, and the replicas in the simulated cluster (kafka.brokers,
// broker/cluster.h): a replication factor from 1 to the broker count (-1: min(3, brokers), as
// Kafka's default.replication.factor 3 would be capped), or manual assignments (num_partitions
// and replication_factor -1, partitions 0..n-1, the same number of distinct brokers each, at
// least one of them running; otherwise INVALID_REQUEST / INVALID_REPLICA_ASSIGNMENT with Kafka's
// messages).
#include "mockforge/kafka/create_topics.h"

#include <algorithm>
#include <set>
#include <vector>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"
#include "brokers/kafka/handlers/topic_ids.h"

namespace mockforge::kafka {
namespace {

// Kafka refuses a topic whose name equals an existing one's once '.' and '_' are taken as the
// same character (their metric names would clash). The existing topic's name, if one does.
std::optional<std::string> colliding_topic(const BrokerState& broker, const std::string& name) {
  auto unify = [](std::string text) {
    std::replace(text.begin(), text.end(), '.', '_');
    return text;
  };
  if (name.find_first_of("._") == std::string::npos) return std::nullopt;
  const std::string wanted = unify(name);
  for (const auto& topic : broker.storage().logs().list()) {
    if (topic->name() != name && unify(topic->name()) == wanted) return topic->name();
  }
  return std::nullopt;
}

void handle(const RequestPtr& request, Reader& body) {
  CreateTopicsRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  CreateTopicsResponse response;
  std::set<std::string> seen;
  Cluster& cluster = broker.cluster();
  const int32_t brokers = cluster.size();
  for (const auto& wanted : parsed.topics) {
    CreateTopicsResponse::CreatableTopicResult result;
    result.name = wanted.name;
    result.error_message = std::nullopt;
    int32_t partitions = wanted.num_partitions;
    if (partitions == -1) partitions = broker.options().default_partitions;
    if (!wanted.assignments.empty()) partitions = static_cast<int32_t>(wanted.assignments.size());
    storage::ConfigMap configs;
    std::optional<std::string> config_problem;
    for (const auto& config : wanted.configs) {
      if (auto problem = validate_topic_config(config.name, config.value);
          problem && !config_problem) {
        config_problem = problem;
      }
      if (config.value) configs[config.name] = *config.value;
    }
    auto fail = [&](int16_t code, std::string message) {
      result.error_code = code;
      result.error_message = std::move(message);
    };
    int32_t replication = wanted.replication_factor == -1 ? cluster.default_replication_factor()
                                                          : wanted.replication_factor;
    // Manual assignments, in partition order; a problem with them, as Kafka words it.
    std::vector<std::vector<int32_t>> assignments(wanted.assignments.size());
    std::optional<std::pair<int16_t, std::string>> assignment_problem;
    if (!wanted.assignments.empty()) {
      if (wanted.num_partitions != -1) {
        assignment_problem = {error::kInvalidRequest,
                              "A manual partition assignment was specified, but numPartitions "
                              "was not set to -1."};
      } else if (wanted.replication_factor != -1) {
        assignment_problem = {error::kInvalidRequest,
                              "A manual partition assignment was specified, but "
                              "replicationFactor was not set to -1."};
      }
      replication = static_cast<int32_t>(wanted.assignments.front().broker_ids.size());
      for (const auto& assignment : wanted.assignments) {
        if (assignment_problem) break;
        const int32_t index = assignment.partition_index;
        if (index < 0 || index >= partitions || !assignments[index].empty()) {
          assignment_problem = {error::kInvalidReplicaAssignment,
                                "Partitions should be numbered 0 to " +
                                    std::to_string(partitions - 1) + " in the assignment."};
          break;
        }
        std::set<int32_t> distinct(assignment.broker_ids.begin(), assignment.broker_ids.end());
        if (assignment.broker_ids.empty() ||
            static_cast<int32_t>(assignment.broker_ids.size()) != replication) {
          assignment_problem = {error::kInvalidReplicaAssignment,
                                "All partitions in the manual partition assignment must have "
                                "the same number of replicas."};
        } else if (distinct.size() != assignment.broker_ids.size()) {
          assignment_problem = {error::kInvalidReplicaAssignment,
                                "The manual partition assignment includes the same broker more "
                                "than once."};
        }
        // As Kafka's controller checks it: every broker registered (a stopped one is, as a
        // fenced broker is), and at least one of the partition's replicas running.
        bool any_live = false;
        for (int32_t node : assignment.broker_ids) {
          if (assignment_problem) break;
          if (node < 0 || node >= cluster.size()) {
            assignment_problem = {error::kInvalidReplicaAssignment,
                                  "The manual partition assignment includes broker " +
                                      std::to_string(node) + ", but no such broker is registered."};
          }
          any_live = any_live || cluster.live(node);
        }
        if (!assignment_problem && !any_live) {
          assignment_problem = {error::kInvalidReplicaAssignment,
                                "All brokers specified in the manual partition assignment for "
                                "partition " +
                                    std::to_string(index) +
                                    " are fenced or in controlled shutdown."};
        }
        assignments[index] = assignment.broker_ids;
      }
    }
    if (!seen.insert(wanted.name).second) {
      fail(error::kInvalidRequest, "Topic is listed more than once in the request");
    } else if (!may_create_topic(*request, wanted.name)) {
      fail(error::kTopicAuthorizationFailed, "Authorization failed.");
    } else if (!is_valid_topic_name(wanted.name)) {
      fail(error::kInvalidTopicException, "Topic name '" + wanted.name + "' is illegal");
    } else if (partitions <= 0) {
      fail(error::kInvalidPartitions, "Number of partitions must be larger than 0.");
    } else if (partitions > storage::kMaxPartitionsPerTopic) {
      fail(error::kInvalidPartitions, "Number of partitions must be at most " +
                                          std::to_string(storage::kMaxPartitionsPerTopic) + ".");
    } else if (assignment_problem) {
      fail(assignment_problem->first, assignment_problem->second);
    } else if (wanted.replication_factor == 0 || wanted.replication_factor < -1) {
      fail(error::kInvalidReplicationFactor,
           "Replication factor must be larger than 0, or -1 "
           "to use the default value.");
    } else if (wanted.replication_factor > brokers) {
      fail(error::kInvalidReplicationFactor,
           "Replication factor: " + std::to_string(wanted.replication_factor) +
               " larger than available brokers: " + std::to_string(brokers) + ".");
    } else if (broker.storage().logs().find(wanted.name)) {
      fail(error::kTopicAlreadyExists, "Topic '" + wanted.name + "' already exists.");
    } else if (auto other = colliding_topic(broker, wanted.name)) {
      fail(error::kInvalidTopicException,
           "Topic '" + wanted.name + "' collides with existing topic: " + *other);
    } else if (config_problem) {
      fail(error::kInvalidConfig, *config_problem);
    } else if (parsed.validate_only) {
      result.num_partitions = partitions;
      result.replication_factor = static_cast<int16_t>(replication);
    } else {
      auto created = broker.storage().logs().create_topic(wanted.name, partitions, configs);
      if (!created.ok()) {
        switch (created.code()) {
          case storage::ErrorCode::kTopicAlreadyExists:
            fail(error::kTopicAlreadyExists, "Topic '" + wanted.name + "' already exists.");
            break;
          case storage::ErrorCode::kInvalidConfig:
            fail(error::kInvalidConfig, created.error().message);
            break;
          case storage::ErrorCode::kInvalidPartitions:
            fail(error::kInvalidPartitions, created.error().message);
            break;
          default:
            fail(error::kInvalidRequest, created.error().message);
        }
      } else {
        cluster.create_topic(wanted.name, partitions, replication, assignments);
        result.topic_id = to_uuid(created.value()->id());
        result.num_partitions = partitions;
        result.replication_factor = static_cast<int16_t>(replication);
        // Every config of the new topic with its source, as DescribeConfigs gives them.
        std::vector<CreateTopicsResponse::CreatableTopicConfigs> listed;
        for (const auto& config : describe_topic_configs(broker, created.value()->configs())) {
          listed.push_back({config.name, config.value, config.read_only, config.source, false});
        }
        result.configs = std::move(listed);
      }
    }
    request->count_error(result.error_code);
    response.topics.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kCreateTopicsHandler{19, 0, 7, &handle};

}  // namespace mockforge::kafka
