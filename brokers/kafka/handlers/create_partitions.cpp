// CreatePartitions (37): grows a topic to `count` partitions (never shrinks), with optional
// manual assignments (one replica on this broker each); validate_only changes nothing. With
// ACLs: ALTER on each topic (TOPIC_AUTHORIZATION_FAILED).
#include "mockforge/kafka/create_partitions.h"

#include <set>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

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
          for (const auto& assignment : *wanted.assignments) {
            if (assignment.broker_ids.size() != 1 ||
                assignment.broker_ids[0] != broker.options().node_id) {
              assignments_ok = false;
              fail(error::kInvalidReplicaAssignment,
                   "Each new partition must be assigned to broker " +
                       std::to_string(broker.options().node_id) + " alone (one broker).");
              break;
            }
          }
        }
      }
      if (assignments_ok && !parsed.validate_only) {
        auto status = topic->add_partitions(wanted.count);
        if (!status.ok()) fail(error::kInvalidPartitions, status.error().message);
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
