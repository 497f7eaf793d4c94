// OffsetFetch (9): committed offsets of a group (-1 where none), one group (v0-v7) or several
// (v8+); a null topic list means every committed partition.
#include "mockforge/kafka/offset_fetch.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

template <typename TopicOut, typename TopicIn>
std::vector<TopicOut> fetch_topics(const GroupOffsets& offsets,
                                   const std::optional<std::vector<TopicIn>>& topics) {
  std::vector<TopicOut> result;
  auto fill = [](auto& partition, const CommittedOffset* committed) {
    partition.committed_offset = committed ? committed->offset : -1;
    partition.committed_leader_epoch = committed ? committed->leader_epoch : -1;
    partition.metadata = committed ? committed->metadata.value_or("") : std::string();
  };
  if (!topics) {
    for (const auto& [key, committed] : offsets) {
      if (result.empty() || result.back().name != key.first) {
        result.emplace_back();
        result.back().name = key.first;
      }
      result.back().partitions.emplace_back();
      result.back().partitions.back().partition_index = key.second;
      fill(result.back().partitions.back(), &committed);
    }
    return result;
  }
  for (const auto& topic : *topics) {
    TopicOut out;
    out.name = topic.name;
    for (int32_t index : topic.partition_indexes) {
      out.partitions.emplace_back();
      out.partitions.back().partition_index = index;
      auto it = offsets.find({topic.name, index});
      fill(out.partitions.back(), it == offsets.end() ? nullptr : &it->second);
    }
    result.push_back(std::move(out));
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  OffsetFetchRequest parsed;
  parsed.decode(body, request->version());
  auto& groups = request->broker.groups();
  OffsetFetchResponse response;
  if (request->version() >= 8) {
    for (const auto& group : parsed.groups) {
      OffsetFetchResponse::OffsetFetchResponseGroup out;
      out.group_id = group.group_id;
      out.error_code = authorized(*request, acl::kDescribe, acl::kGroup, group.group_id)
                           ? request->check_group_coordinator(group.group_id)
                           : error::kGroupAuthorizationFailed;
      request->count_error(out.error_code);
      if (out.error_code == 0) {
        out.topics = fetch_topics<OffsetFetchResponse::OffsetFetchResponseTopics>(
            groups.fetch_offsets(group.group_id), group.topics);
      }
      response.groups.push_back(std::move(out));
    }
  } else if (const int16_t code = authorized(*request, acl::kDescribe, acl::kGroup, parsed.group_id)
                                      ? request->check_group_coordinator(parsed.group_id)
                                      : error::kGroupAuthorizationFailed;
             code != 0) {
    // v2+ carry a top-level error; v0-1 only the partitions' errors.
    response.error_code = code;
    request->count_error(code);
    if (parsed.topics) {
      response.topics = fetch_topics<OffsetFetchResponse::OffsetFetchResponseTopic>(GroupOffsets{},
                                                                                    parsed.topics);
      for (auto& topic : response.topics) {
        for (auto& partition : topic.partitions) partition.error_code = code;
      }
    }
  } else {
    response.topics = fetch_topics<OffsetFetchResponse::OffsetFetchResponseTopic>(
        groups.fetch_offsets(parsed.group_id), parsed.topics);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kOffsetFetchHandler{9, 0, 9, &handle};

}  // namespace mockforge::kafka
