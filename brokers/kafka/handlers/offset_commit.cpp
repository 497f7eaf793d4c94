// OffsetCommit (8): stores committed offsets with their metadata in the group coordinator
// (protocol state: Service::reset() drops them).
#include "mockforge/kafka/offset_commit.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  OffsetCommitRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  std::vector<std::pair<TopicPartitionKey, CommittedOffset>> offsets;
  OffsetCommitResponse response;
  // READ on the group, and on each topic, as Kafka checks them.
  const bool group_allowed = authorized(*request, acl::kRead, acl::kGroup, parsed.group_id);
  const auto topic_allowed = [&](const std::string& topic) {
    return authorized(*request, acl::kRead, acl::kTopic, topic);
  };
  for (const auto& topic : parsed.topics) {
    auto stored = group_allowed && topic_allowed(topic.name) ? logs.find(topic.name) : nullptr;
    for (const auto& partition : topic.partitions) {
      if (stored && partition.partition_index >= 0 &&
          partition.partition_index < stored->partition_count()) {
        offsets.push_back({{topic.name, partition.partition_index},
                           {partition.committed_offset, partition.committed_leader_epoch,
                            partition.committed_metadata}});
      }
    }
  }
  // v0 has no generation: a standalone commit.
  int32_t generation = request->version() == 0 ? -1 : parsed.generation_id_or_member_epoch;
  std::string member = request->version() == 0 ? std::string() : parsed.member_id;
  int16_t code = group_allowed ? request->check_group_coordinator(parsed.group_id)
                               : error::kGroupAuthorizationFailed;
  if (code == 0) {
    code = request->broker.groups().commit_offsets(parsed.group_id, member, generation, offsets);
  }
  for (const auto& topic : parsed.topics) {
    OffsetCommitResponse::OffsetCommitResponseTopic topic_result;
    topic_result.name = topic.name;
    auto stored = logs.find(topic.name);
    for (const auto& partition : topic.partitions) {
      int16_t partition_code = code;
      if (!group_allowed) {
        partition_code = error::kGroupAuthorizationFailed;
      } else if (code == error::kNotCoordinator) {
        partition_code = code;
      } else if (!topic_allowed(topic.name)) {
        partition_code = error::kTopicAuthorizationFailed;
      } else if (!stored || partition.partition_index < 0 ||
                 partition.partition_index >= stored->partition_count()) {
        partition_code = error::kUnknownTopicOrPartition;
      }
      request->count_error(partition_code);
      if (partition_code == 0 && request->events_on()) {
        traffic::Event event;
        event.kind = traffic::EventKind::kAck;
        event.topic = topic.name;
        event.partition = partition.partition_index;
        event.offset = partition.committed_offset;
        event.detail = "group '" + parsed.group_id + "' committed";
        request->emit_event(std::move(event));
      }
      topic_result.partitions.push_back({partition.partition_index, partition_code});
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kOffsetCommitHandler{8, 0, 9, &handle};

}  // namespace mockforge::kafka
