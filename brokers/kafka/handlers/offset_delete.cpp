// OffsetDelete (47): deletes a group's committed offsets for some partitions (KIP-496).
// DELETE on the group, else a top-level GROUP_AUTHORIZATION_FAILED; READ on each topic, else
// TOPIC_AUTHORIZATION_FAILED for its partitions; UNKNOWN_TOPIC_OR_PARTITION for partitions
// that do not exist. Then the coordinator decides (GroupCoordinator::delete_offsets):
// NOT_COORDINATOR, GROUP_ID_NOT_FOUND and NON_EMPTY_GROUP come as the top-level error with no
// topics, as Kafka answers; GROUP_SUBSCRIBED_TO_TOPIC for the partitions of topics a member
// of a consumer group subscribes to.
#include "mockforge/kafka/offset_delete.h"

#include <map>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  OffsetDeleteRequest parsed;
  parsed.decode(body, request->version());
  OffsetDeleteResponse response;
  auto fail = [&](int16_t code) {
    request->count_error(code);
    response.error_code = code;
    request->reply(response);
  };
  if (!authorized(*request, acl::kDelete, acl::kGroup, parsed.group_id)) {
    fail(error::kGroupAuthorizationFailed);
    return;
  }
  if (int16_t code = request->check_group_coordinator(parsed.group_id); code != 0) {
    fail(code);
    return;
  }
  auto& logs = request->broker.storage().logs();
  std::map<TopicPartitionKey, int16_t> refused;  // before the coordinator sees them
  std::vector<TopicPartitionKey> deletable;
  for (const auto& topic : parsed.topics) {
    const bool readable = authorized(*request, acl::kRead, acl::kTopic, topic.name);
    auto stored = readable ? logs.find(topic.name) : nullptr;
    for (const auto& partition : topic.partitions) {
      TopicPartitionKey key{topic.name, partition.partition_index};
      if (!readable) {
        refused[key] = error::kTopicAuthorizationFailed;
      } else if (!stored || partition.partition_index < 0 ||
                 partition.partition_index >= stored->partition_count()) {
        refused[key] = error::kUnknownTopicOrPartition;
      } else {
        deletable.push_back(std::move(key));
      }
    }
  }
  OffsetDeleteResult result = request->broker.groups().delete_offsets(parsed.group_id, deletable);
  if (result.error_code != 0) {
    fail(result.error_code);
    return;
  }
  for (const auto& topic : parsed.topics) {
    OffsetDeleteResponse::OffsetDeleteResponseTopic topic_result;
    topic_result.name = topic.name;
    for (const auto& partition : topic.partitions) {
      const TopicPartitionKey key{topic.name, partition.partition_index};
      int16_t code = error::kNone;
      if (auto it = refused.find(key); it != refused.end()) {
        code = it->second;
      } else if (auto done = result.partitions.find(key); done != result.partitions.end()) {
        code = done->second;
      }
      request->count_error(code);
      topic_result.partitions.push_back({partition.partition_index, code});
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kOffsetDeleteHandler{47, 0, 0, &handle};

}  // namespace mockforge::kafka
