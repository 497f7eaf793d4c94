#include "brokers/kafka/faults/kafka_faults.h"

#include <algorithm>
#include <cctype>

#include "brokers/kafka/handlers/registry.h"
#include "brokers/kafka/handlers/topic_ids.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/find_coordinator.h"
#include "mockforge/kafka/heartbeat.h"
#include "mockforge/kafka/init_producer_id.h"
#include "mockforge/kafka/join_group.h"
#include "mockforge/kafka/leave_group.h"
#include "mockforge/kafka/list_offsets.h"
#include "mockforge/kafka/metadata.h"
#include "mockforge/kafka/offset_commit.h"
#include "mockforge/kafka/offset_fetch.h"
#include "mockforge/kafka/produce.h"
#include "mockforge/kafka/sync_group.h"

namespace mockforge::kafka {

namespace {

// Kafka's error codes by name (the protocol guide's table).
constexpr std::pair<int16_t, std::string_view> kErrorNames[] = {
    {-1, "UNKNOWN_SERVER_ERROR"},
    {0, "NONE"},
    {1, "OFFSET_OUT_OF_RANGE"},
    {2, "CORRUPT_MESSAGE"},
    {3, "UNKNOWN_TOPIC_OR_PARTITION"},
    {4, "INVALID_FETCH_SIZE"},
    {5, "LEADER_NOT_AVAILABLE"},
    {6, "NOT_LEADER_OR_FOLLOWER"},
    {7, "REQUEST_TIMED_OUT"},
    {8, "BROKER_NOT_AVAILABLE"},
    {9, "REPLICA_NOT_AVAILABLE"},
    {10, "MESSAGE_TOO_LARGE"},
    {11, "STALE_CONTROLLER_EPOCH"},
    {12, "OFFSET_METADATA_TOO_LARGE"},
    {13, "NETWORK_EXCEPTION"},
    {14, "COORDINATOR_LOAD_IN_PROGRESS"},
    {15, "COORDINATOR_NOT_AVAILABLE"},
    {16, "NOT_COORDINATOR"},
    {17, "INVALID_TOPIC_EXCEPTION"},
    {18, "RECORD_LIST_TOO_LARGE"},
    {19, "NOT_ENOUGH_REPLICAS"},
    {20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND"},
    {21, "INVALID_REQUIRED_ACKS"},
    {22, "ILLEGAL_GENERATION"},
    {23, "INCONSISTENT_GROUP_PROTOCOL"},
    {24, "INVALID_GROUP_ID"},
    {25, "UNKNOWN_MEMBER_ID"},
    {26, "INVALID_SESSION_TIMEOUT"},
    {27, "REBALANCE_IN_PROGRESS"},
    {28, "INVALID_COMMIT_OFFSET_SIZE"},
    {29, "TOPIC_AUTHORIZATION_FAILED"},
    {30, "GROUP_AUTHORIZATION_FAILED"},
    {31, "CLUSTER_AUTHORIZATION_FAILED"},
    {32, "INVALID_TIMESTAMP"},
    {35, "UNSUPPORTED_VERSION"},
    {36, "TOPIC_ALREADY_EXISTS"},
    {37, "INVALID_PARTITIONS"},
    {41, "NOT_CONTROLLER"},
    {42, "INVALID_REQUEST"},
    {43, "UNSUPPORTED_FOR_MESSAGE_FORMAT"},
    {44, "POLICY_VIOLATION"},
    {45, "OUT_OF_ORDER_SEQUENCE_NUMBER"},
    {46, "DUPLICATE_SEQUENCE_NUMBER"},
    {47, "INVALID_PRODUCER_EPOCH"},
    {48, "INVALID_TXN_STATE"},
    {51, "CONCURRENT_TRANSACTIONS"},
    {56, "KAFKA_STORAGE_ERROR"},
    {59, "UNKNOWN_PRODUCER_ID"},
    {72, "LISTENER_NOT_FOUND"},
    {74, "FENCED_LEADER_EPOCH"},
    {75, "UNKNOWN_LEADER_EPOCH"},
    {78, "OFFSET_NOT_AVAILABLE"},
    {79, "MEMBER_ID_REQUIRED"},
    {81, "GROUP_MAX_SIZE_REACHED"},
    {82, "FENCED_INSTANCE_ID"},
    {89, "THROTTLING_QUOTA_EXCEEDED"},
    {100, "UNKNOWN_TOPIC_ID"},
};

// APIs an error action can answer (the others take every other action).
constexpr int16_t kErrorApis[] = {0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 22};

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = text.front() == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || value > 1'000'000) {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return text.front() == '-' ? -value : value;
}

void resolve(faults::Rule& rule) {
  auto& match = rule.match;
  if (!match.operation.empty()) {
    const ServedApi* api = nullptr;
    if (const auto key = number(match.operation)) {
      if (*key >= 0 && *key <= 32767) api = find_served_api(static_cast<int16_t>(*key));
    } else {
      const auto wanted = upper(match.operation);
      for (const auto& served : served_apis()) {
        if (upper(served.name) == wanted) api = &served;
      }
    }
    if (!api) {
      std::string known;
      for (const auto& served : served_apis()) {
        known += (known.empty() ? "" : ", ") + std::string(served.name);
      }
      throw faults::RuleError(
          "match.api",
          "'" + match.operation + "' is not an API this broker serves (" + known + ")");
    }
    match.operation = std::string(api->name);
    match.operation_id = api->api_key;
  }
  static constexpr int16_t kTopicApis[] = {0, 1, 2, 3, 8, 9};
  if (match.topic && match.operation_id >= 0 &&
      std::find(std::begin(kTopicApis), std::end(kTopicApis), match.operation_id) ==
          std::end(kTopicApis)) {
    throw faults::RuleError("match.topic", match.operation +
                                               " names no topic (topics are seen in Produce, "
                                               "Fetch, ListOffsets, Metadata, OffsetCommit and "
                                               "OffsetFetch)");
  }
  auto& action = rule.action;
  switch (action.kind) {
    case faults::ActionKind::kError: {
      if (match.operation_id < 0) {
        throw faults::RuleError("match.api", "an error action needs the API it answers");
      }
      if (std::find(std::begin(kErrorApis), std::end(kErrorApis), match.operation_id) ==
          std::end(kErrorApis)) {
        throw faults::RuleError(
            "action.type",
            "an error answer is made for Produce, Fetch, ListOffsets, OffsetCommit, OffsetFetch, "
            "FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup and InitProducerId; " +
                match.operation + " takes latency, close, drop, throttle or pause");
      }
      std::optional<int64_t> code = number(action.code_text);
      if (!code) {
        const auto wanted = upper(action.code_text);
        for (const auto& [value, name] : kErrorNames) {
          if (name == wanted) code = value;
        }
        if (!code) {
          throw faults::RuleError("action.code", "'" + action.code_text +
                                                     "' is not a Kafka error name (such as "
                                                     "NOT_LEADER_OR_FOLLOWER) or number");
        }
      }
      if (*code < -1 || *code > 32767 || *code == 0) {
        throw faults::RuleError("action.code", "a Kafka error code is -1 or 1 to 32767");
      }
      action.code = static_cast<int32_t>(*code);
      action.code_text = std::to_string(*code);
      for (const auto& [value, name] : kErrorNames) {
        if (value == *code) action.code_text = std::string(name);
      }
      break;
    }
    case faults::ActionKind::kNack:
    case faults::ActionKind::kChannelClose:
    case faults::ActionKind::kConnectionClose:
      throw faults::RuleError("action.type", std::string(faults::to_string(action.kind)) +
                                                 " is an AMQP action; Kafka takes error, latency, "
                                                 "close, drop, throttle or pause");
    default:
      break;
  }
}

std::string fetch_topic_name(const Request& request, const FetchRequest::FetchTopic& topic) {
  if (request.version() < 13) return topic.topic;
  const auto found = request.broker.storage().logs().find(to_topic_id(topic.topic_id));
  return found ? found->name() : std::string();
}

}  // namespace

void register_fault_resolver(faults::FaultSet& faults) {
  faults.set_resolver(traffic::Protocol::kKafka, &resolve);
}

std::vector<std::pair<std::string, int32_t>> request_topics(const Request& request, Reader body) {
  std::vector<std::pair<std::string, int32_t>> out;
  const int16_t version = request.version();
  switch (request.header.api_key) {
    case ProduceRequest::kApiKey: {
      ProduceRequest parsed;
      parsed.decode(body, version);
      for (const auto& topic : parsed.topic_data) {
        for (const auto& partition : topic.partition_data) {
          out.emplace_back(topic.name, partition.index);
        }
      }
      break;
    }
    case FetchRequest::kApiKey: {
      FetchRequest parsed;
      parsed.decode(body, version);
      for (const auto& topic : parsed.topics) {
        const auto name = fetch_topic_name(request, topic);
        for (const auto& partition : topic.partitions) out.emplace_back(name, partition.partition);
      }
      break;
    }
    case ListOffsetsRequest::kApiKey: {
      ListOffsetsRequest parsed;
      parsed.decode(body, version);
      for (const auto& topic : parsed.topics) {
        for (const auto& partition : topic.partitions) {
          out.emplace_back(topic.name, partition.partition_index);
        }
      }
      break;
    }
    case MetadataRequest::kApiKey: {
      MetadataRequest parsed;
      parsed.decode(body, version);
      if (parsed.topics) {
        for (const auto& topic : *parsed.topics) {
          if (topic.name) out.emplace_back(*topic.name, -1);
        }
      }
      break;
    }
    case OffsetCommitRequest::kApiKey: {
      OffsetCommitRequest parsed;
      parsed.decode(body, version);
      for (const auto& topic : parsed.topics) {
        for (const auto& partition : topic.partitions) {
          out.emplace_back(topic.name, partition.partition_index);
        }
      }
      break;
    }
    case OffsetFetchRequest::kApiKey: {
      OffsetFetchRequest parsed;
      parsed.decode(body, version);
      if (parsed.topics) {
        for (const auto& topic : *parsed.topics) {
          for (const int32_t partition : topic.partition_indexes) {
            out.emplace_back(topic.name, partition);
          }
        }
      }
      for (const auto& group : parsed.groups) {
        if (!group.topics) continue;
        for (const auto& topic : *group.topics) {
          for (const int32_t partition : topic.partition_indexes) {
            out.emplace_back(topic.name, partition);
          }
        }
      }
      break;
    }
    default:
      break;
  }
  return out;
}

void answer_with_error(const RequestPtr& request, Reader body, int16_t code) {
  const int16_t version = request->version();
  request->count_error(code);
  switch (request->header.api_key) {
    case ProduceRequest::kApiKey: {
      ProduceRequest parsed;
      parsed.decode(body, version);
      if (parsed.acks == 0) {
        request->reply_nothing();  // acks=0 is never answered, errors included
        return;
      }
      ProduceResponse response;
      for (const auto& topic : parsed.topic_data) {
        auto& out = response.responses.emplace_back();
        out.name = topic.name;
        for (const auto& partition : topic.partition_data) {
          auto& result = out.partition_responses.emplace_back();
          result.index = partition.index;
          result.error_code = code;
          result.base_offset = -1;
        }
      }
      request->reply(response);
      return;
    }
    case FetchRequest::kApiKey: {
      FetchRequest parsed;
      parsed.decode(body, version);
      FetchResponse response;
      response.session_id = 0;
      for (const auto& topic : parsed.topics) {
        auto& out = response.responses.emplace_back();
        out.topic = topic.topic;
        out.topic_id = topic.topic_id;
        for (const auto& partition : topic.partitions) {
          auto& data = out.partitions.emplace_back();
          data.partition_index = partition.partition;
          data.error_code = code;
          data.high_watermark = -1;
          data.records = Bytes{};  // never null (librdkafka rejects a null record set)
        }
      }
      request->reply(response);
      return;
    }
    case ListOffsetsRequest::kApiKey: {
      ListOffsetsRequest parsed;
      parsed.decode(body, version);
      ListOffsetsResponse response;
      for (const auto& topic : parsed.topics) {
        auto& out = response.topics.emplace_back();
        out.name = topic.name;
        for (const auto& partition : topic.partitions) {
          auto& result = out.partitions.emplace_back();
          result.partition_index = partition.partition_index;
          result.error_code = code;
        }
      }
      request->reply(response);
      return;
    }
    case OffsetCommitRequest::kApiKey: {
      OffsetCommitRequest parsed;
      parsed.decode(body, version);
      OffsetCommitResponse response;
      for (const auto& topic : parsed.topics) {
        auto& out = response.topics.emplace_back();
        out.name = topic.name;
        for (const auto& partition : topic.partitions) {
          out.partitions.push_back({partition.partition_index, code});
        }
      }
      request->reply(response);
      return;
    }
    case OffsetFetchRequest::kApiKey: {
      OffsetFetchRequest parsed;
      parsed.decode(body, version);
      OffsetFetchResponse response;
      response.error_code = code;
      if (parsed.topics) {
        for (const auto& topic : *parsed.topics) {
          auto& out = response.topics.emplace_back();
          out.name = topic.name;
          for (const int32_t partition : topic.partition_indexes) {
            auto& result = out.partitions.emplace_back();
            result.partition_index = partition;
            result.committed_offset = -1;
            result.error_code = code;
          }
        }
      }
      for (const auto& group : parsed.groups) {
        auto& out = response.groups.emplace_back();
        out.group_id = group.group_id;
        out.error_code = code;
      }
      request->reply(response);
      return;
    }
    case FindCoordinatorRequest::kApiKey: {
      FindCoordinatorRequest parsed;
      parsed.decode(body, version);
      FindCoordinatorResponse response;
      response.error_code = code;
      response.node_id = -1;
      response.port = -1;
      for (const auto& key : parsed.coordinator_keys) {
        auto& out = response.coordinators.emplace_back();
        out.key = key;
        out.node_id = -1;
        out.port = -1;
        out.error_code = code;
      }
      request->reply(response);
      return;
    }
    case JoinGroupRequest::kApiKey: {
      JoinGroupRequest parsed;
      parsed.decode(body, version);
      JoinGroupResponse response;
      response.error_code = code;
      response.member_id = parsed.member_id;
      request->reply(response);
      return;
    }
    case HeartbeatRequest::kApiKey: {
      HeartbeatResponse response;
      response.error_code = code;
      request->reply(response);
      return;
    }
    case LeaveGroupRequest::kApiKey: {
      LeaveGroupResponse response;
      response.error_code = code;
      request->reply(response);
      return;
    }
    case SyncGroupRequest::kApiKey: {
      SyncGroupResponse response;
      response.error_code = code;
      request->reply(response);
      return;
    }
    case InitProducerIdRequest::kApiKey: {
      InitProducerIdResponse response;
      response.error_code = code;
      request->reply(response);
      return;
    }
    default:
      // The resolver refuses error actions elsewhere.
      request->reply_nothing();
      return;
  }
}

}  // namespace mockforge::kafka
