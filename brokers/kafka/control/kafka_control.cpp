#include "brokers/kafka/control/kafka_control.h"

#include <algorithm>
#include <set>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/consumer_protocol.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/handlers/topic_ids.h"

namespace mockforge::kafka {
namespace {

using control::Reply;
using control::Request;
using nlohmann::json;

constexpr int64_t kDefaultPeekLimit = 100;
constexpr int64_t kMaxPeekLimit = 10000;

std::string_view as_text(const Bytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

json partition_json(const storage::Partition& partition, int32_t index,
                    const TransactionCoordinator& transactions) {
  const auto stats = partition.stats();
  return {{"partition", index},
          {"log_start_offset", stats.log_start_offset},
          {"high_watermark", stats.high_watermark},
          {"last_stable_offset",
           transactions.last_stable_offset({partition.topic_name(), index}, stats.high_watermark)},
          {"batches", stats.batch_count},
          {"bytes", stats.size_bytes}};
}

json topic_json(const storage::Topic& topic, const TransactionCoordinator& transactions) {
  json partitions = json::array();
  int32_t index = 0;
  uint64_t messages = 0;
  for (const auto& partition : topic.partitions()) {
    auto entry = partition_json(*partition, index++, transactions);
    messages += entry["high_watermark"].get<int64_t>() - entry["log_start_offset"].get<int64_t>();
    partitions.push_back(std::move(entry));
  }
  json configs = json::object();
  for (const auto& [key, value] : topic.configs()) configs[key] = value;
  return {{"name", topic.name()},
          {"id", to_uuid(topic.id()).to_base64()},
          {"partition_count", topic.partition_count()},
          {"messages", messages},
          {"configs", std::move(configs)},
          {"partitions", std::move(partitions)}};
}

json assignment_json(const DescribedMember& member, const std::string& protocol_type) {
  json out = json::object();
  if (protocol_type != "consumer" || member.assignment.empty()) return out;
  try {
    for (const auto& [topic, partitions] : decode_assignment(member.assignment)) {
      out[topic] = partitions;
    }
  } catch (const DecodeError&) {
    return json{{"undecodable", true}};
  }
  return out;
}

class KafkaControl : public control::BrokerControl {
 public:
  KafkaControl(std::shared_ptr<BrokerState> broker, std::function<void()> close_connections,
               std::function<void()> restart_brokers)
      : broker_(std::move(broker)),
        close_connections_(std::move(close_connections)),
        restart_brokers_(std::move(restart_brokers)) {}

  std::string protocol() const override { return "kafka"; }

  Reply inspect(const Request& request) const override {
    const auto& path = request.path;
    if (path.size() == 1 && path[0] == "topics") {
      json topics = json::array();
      for (const auto& topic : broker_->storage().logs().list())
        topics.push_back(topic_json(*topic, broker_->transactions()));
      return Reply::ok({{"topics", std::move(topics)}});
    }
    if (path.size() >= 2 && path[0] == "topics") {
      auto topic = broker_->storage().logs().find(path[1]);
      if (!topic) return Reply::not_found("topic '" + path[1] + "'");
      if (path.size() == 2) return Reply::ok(topic_json(*topic, broker_->transactions()));
      if (path.size() == 3 && path[2] == "messages") return peek(*topic, request);
    }
    if (path.size() == 1 && path[0] == "groups") {
      json groups = json::array();
      for (const auto& listing : broker_->groups().list())
        groups.push_back(group_json(listing.group_id));
      return Reply::ok({{"groups", std::move(groups)}});
    }
    if (path.size() == 2 && path[0] == "groups") {
      const auto description = broker_->groups().describe(path[1]);
      const auto offsets = broker_->groups().fetch_offsets(path[1]);
      if (description.state == GroupState::kDead && offsets.empty()) {
        return Reply::not_found("group '" + path[1] + "'");
      }
      return Reply::ok(group_json(path[1]));
    }
    return Reply::not_found("Kafka resource " + join(path));
  }

  Reply remove(const Request& request) override {
    const auto& path = request.path;
    if (path.size() == 2 && path[0] == "topics") {
      if (!broker_->storage().logs().delete_topic(path[1])) {
        return Reply::not_found("topic '" + path[1] + "'");
      }
      broker_->transactions().forget_topic(path[1]);
      return Reply::ok({{"deleted", {{"topic", path[1]}}}});
    }
    if (path.size() == 2 && path[0] == "groups") {
      switch (broker_->groups().delete_group(path[1])) {
        case error::kNone:
          return Reply::ok({{"deleted", {{"group", path[1]}}}});
        case error::kNonEmptyGroup:
          return Reply::error(409, "group '" + path[1] + "' has members (Kafka: NON_EMPTY_GROUP)");
        default:
          return Reply::not_found("group '" + path[1] + "'");
      }
    }
    return Reply::not_found("deletable Kafka resource " + join(path));
  }

  Reply purge(const Request& request) override {
    const auto& path = request.path;
    if (path.size() != 2 || path[0] != "topics") {
      return Reply::not_found("purgeable Kafka resource " + join(path));
    }
    auto topic = broker_->storage().logs().find(path[1]);
    if (!topic) return Reply::not_found("topic '" + path[1] + "'");
    int64_t purged = 0;
    for (const auto& partition : topic->partitions()) {
      const auto before = partition->log_start_offset();
      auto result = partition->delete_records(storage::Partition::kDeleteToHighWatermark);
      if (result) purged += *result - before;
    }
    return Reply::ok({{"purged", {{"topic", path[1]}, {"messages", purged}}}});
  }

  Reply reset(runtime::ResetConnections connections) override {
    broker_->storage().reset(storage::kLogParts);
    broker_->reset();
    if (connections == runtime::ResetConnections::kClose && close_connections_) {
      close_connections_();
    }
    if (restart_brokers_) restart_brokers_();
    return Reply::ok({{"reset", "kafka"}});
  }

 private:
  static std::string join(const std::vector<std::string>& path) {
    std::string out;
    for (const auto& part : path) out += "/" + part;
    return out.empty() ? "/" : out;
  }

  // Records of one partition from `offset` (default: the log start), at
  // most `limit`, below `end` when given. Nothing is consumed.
  Reply peek(const storage::Topic& topic, const Request& request) const {
    const auto index = request.query_int("partition", 0);
    auto partition = topic.partition(static_cast<int32_t>(index));
    if (!partition) {
      return Reply::not_found("partition " + std::to_string(index) + " of topic '" + topic.name() +
                              "'");
    }
    const auto stats = partition->stats();
    const int64_t from = request.query_int("offset", stats.log_start_offset);
    const int64_t end =
        std::min(request.query_int("end", stats.high_watermark), stats.high_watermark);
    const int64_t limit = request.query_int("limit", kDefaultPeekLimit);
    if (limit < 1 || limit > kMaxPeekLimit) {
      throw control::BadRequest("limit must be 1-" + std::to_string(kMaxPeekLimit));
    }
    if (from < stats.log_start_offset || from > stats.high_watermark) {
      return Reply::error(416, "offset " + std::to_string(from) + " is outside [" +
                                   std::to_string(stats.log_start_offset) + ", " +
                                   std::to_string(stats.high_watermark) +
                                   "] (Kafka: OFFSET_OUT_OF_RANGE)");
    }
    json messages = json::array();
    int64_t next = from;
    while (next < end && static_cast<int64_t>(messages.size()) < limit) {
      auto read = partition->read(next, 1 << 20);
      if (!read || read->batches.empty()) break;
      for (const auto& batch : read->batches) {
        const auto view = parse_record_batch(batch.bytes.span());
        // Transaction markers (control batches) are not messages.
        const auto records =
            view.header.is_control() ? std::vector<Record>{} : decode_records(view);
        for (const auto& record : records) {
          const int64_t offset = view.header.base_offset + record.offset_delta;
          if (offset < next || offset >= end) continue;
          if (static_cast<int64_t>(messages.size()) >= limit) break;
          json headers = json::array();
          for (const auto& header : record.headers) {
            headers.push_back(
                {{"key", header.key},
                 {"value",
                  header.value ? control::payload_json(as_text(*header.value)) : json(nullptr)}});
          }
          messages.push_back(
              {{"partition", index},
               {"offset", offset},
               {"timestamp", view.header.base_timestamp + record.timestamp_delta},
               {"timestamp_type", view.header.timestamp_type() == TimestampType::kLogAppendTime
                                      ? "LogAppendTime"
                                      : "CreateTime"},
               {"key", record.key ? control::payload_json(as_text(*record.key)) : json(nullptr)},
               {"value",
                record.value ? control::payload_json(as_text(*record.value)) : json(nullptr)},
               {"headers", std::move(headers)}});
        }
        next = std::max(next, batch.next_offset());
      }
    }
    return Reply::ok({{"topic", topic.name()},
                      {"partition", index},
                      {"log_start_offset", stats.log_start_offset},
                      {"high_watermark", stats.high_watermark},
                      {"messages", std::move(messages)}});
  }

  json group_json(const std::string& group_id) const {
    const auto description = broker_->groups().describe(group_id);
    const auto offsets = broker_->groups().fetch_offsets(group_id);
    json members = json::array();
    std::set<TopicPartitionKey> partitions;
    for (const auto& [key, committed] : offsets) partitions.insert(key);
    for (const auto& member : description.members) {
      auto assignment = assignment_json(member, description.protocol_type);
      for (const auto& [topic, assigned] : assignment.items()) {
        if (!assigned.is_array()) continue;
        for (const auto& partition : assigned) partitions.insert({topic, partition.get<int32_t>()});
      }
      members.push_back(
          {{"member_id", member.member_id},
           {"group_instance_id",
            member.group_instance_id ? json(*member.group_instance_id) : json(nullptr)},
           {"client_id", member.client_id},
           {"client_host", member.client_host},
           {"assignment", std::move(assignment)}});
    }
    json offsets_json = json::array();
    int64_t total_lag = 0;
    for (const auto& key : partitions) {
      const auto& [topic_name, index] = key;
      json entry = {{"topic", topic_name}, {"partition", index}};
      std::optional<int64_t> high_watermark;
      if (auto topic = broker_->storage().logs().find(topic_name)) {
        if (auto partition = topic->partition(index)) high_watermark = partition->high_watermark();
      }
      entry["high_watermark"] = high_watermark ? json(*high_watermark) : json(nullptr);
      const auto committed = offsets.find(key);
      if (committed != offsets.end() && committed->second.offset >= 0) {
        entry["committed_offset"] = committed->second.offset;
        entry["metadata"] =
            committed->second.metadata ? json(*committed->second.metadata) : json(nullptr);
        if (high_watermark) {
          const int64_t lag = std::max<int64_t>(0, *high_watermark - committed->second.offset);
          entry["lag"] = lag;
          total_lag += lag;
        } else {
          entry["lag"] = nullptr;
        }
      } else {
        entry["committed_offset"] = nullptr;
        entry["metadata"] = nullptr;
        entry["lag"] = nullptr;
      }
      offsets_json.push_back(std::move(entry));
    }
    return {{"group_id", group_id},
            {"state", std::string(group_state_name(description.state))},
            {"protocol_type", description.protocol_type},
            {"protocol", description.protocol_name},
            {"members", std::move(members)},
            {"offsets", std::move(offsets_json)},
            {"lag", total_lag}};
  }

  std::shared_ptr<BrokerState> broker_;
  std::function<void()> close_connections_;
  std::function<void()> restart_brokers_;
};

}  // namespace

std::shared_ptr<control::BrokerControl> make_control(std::shared_ptr<BrokerState> broker,
                                                     std::function<void()> close_connections,
                                                     std::function<void()> restart_brokers) {
  return std::make_shared<KafkaControl>(std::move(broker), std::move(close_connections),
                                        std::move(restart_brokers));
}

}  // namespace mockforge::kafka
