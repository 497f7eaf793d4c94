#include "brokers/kafka/broker/traffic.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/neutral_message.h"
#include "core/config/kafka_acl.h"
#include "core/sasl/users.h"

namespace mockforge::kafka {
namespace {

constexpr std::size_t kRecordsPerBatch = 500;

// A declared topic's configs: its arguments, as text.
storage::ConfigMap topic_configs(const traffic::Resource& topic) {
  storage::ConfigMap configs;
  for (const auto& argument : topic.arguments) {
    configs[argument.name] = traffic::header_text(argument.value);
  }
  return configs;
}

class KafkaEndpoint : public traffic::Endpoint {
 public:
  KafkaEndpoint(BrokerState& broker, std::shared_ptr<sasl::UserStore> users)
      : broker_(broker), users_(std::move(users)) {}

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    traffic::PublishResult result;
    // Consecutive messages of one topic go in as few batches as possible.
    std::size_t begin = 0;
    while (begin < messages.size()) {
      std::size_t end = begin + 1;
      while (end < messages.size() && messages[end].destination == messages[begin].destination)
        ++end;
      auto stored = append(messages.subspan(begin, end - begin), result.error);
      result.accepted += stored;
      if (!result.ok()) return result;
      begin = end;
    }
    return result;
  }

  std::string check(const traffic::Resource& resource) override {
    if (resource.kind == traffic::Resource::Kind::kConsumerGroup) {
      return check_group(resource, /*topics_exist=*/false);
    }
    if (resource.kind == traffic::Resource::Kind::kUser) return check_user(resource);
    if (resource.kind == traffic::Resource::Kind::kAcl) return acl_of(resource).second;
    if (resource.kind != traffic::Resource::Kind::kTopic) {
      return fmt::format("Kafka has no {} to declare", traffic::to_string(resource.kind));
    }
    return check_topic_declaration(resource);
  }

  std::string declare(const traffic::Resource& resource) override {
    if (resource.kind == traffic::Resource::Kind::kConsumerGroup) return commit(resource);
    if (resource.kind == traffic::Resource::Kind::kAcl) {
      auto [binding, error] = acl_of(resource);
      if (error.empty()) broker_.acls().add_initial(binding);  // kept by resets
      return error;
    }
    if (resource.kind == traffic::Resource::Kind::kUser) {
      if (auto error = check_user(resource); !error.empty()) return error;
      // tags: the SASL mechanisms the user may use (empty: every enabled one).
      users_->add(resource.name, resource.password, resource.tags);
      return {};
    }
    if (auto error = check(resource); !error.empty()) return error;
    auto& logs = broker_.storage().logs();
    if (logs.find(resource.name)) return {};  // partitions and configs apply when it is created
    const int32_t partitions =
        resource.partitions > 0 ? resource.partitions : broker_.options().default_partitions;
    auto created = logs.create_topic(resource.name, partitions, topic_configs(resource));
    if (created.ok() || created.code() == storage::ErrorCode::kTopicAlreadyExists) return {};
    return fmt::format("topic {}: {}", resource.name, created.error().message);
  }

 private:
  // An ACL from a fixture file as the store keeps it, or why it cannot be stored: the
  // authorizer must be on, and the names Kafka's (the loader checked them).
  std::pair<AclBinding, std::string> acl_of(const traffic::Resource& resource) const {
    if (!broker_.acls().enabled()) {
      return {{},
              fmt::format("ACL on {} '{}': Kafka ACLs need kafka.authorizer: acl",
                          resource.acl.resource_type, resource.name)};
    }
    config::KafkaAcl acl;
    acl.principal = resource.acl.principal;
    acl.host = resource.acl.host;
    acl.resource_name = resource.name;
    std::optional<std::string> problem = config::kafka_acl_principal(acl.principal);
    if (!problem) problem = config::kafka_acl_operation(resource.acl.operation, acl.operation);
    if (!problem) problem = config::kafka_acl_permission(resource.acl.permission, acl.permission);
    if (!problem) {
      problem = config::kafka_acl_resource_type(resource.acl.resource_type, acl.resource_type);
    }
    if (!problem) {
      problem = config::kafka_acl_pattern_type(resource.acl.pattern_type, acl.pattern_type);
    }
    if (!problem) problem = config::kafka_acl_resource_name(acl.resource_type, acl.resource_name);
    if (!problem && acl.host.empty()) problem = "expected a non-empty host";
    if (problem) return {{}, fmt::format("ACL on '{}': {}", resource.name, *problem)};
    return {binding_of(acl), {}};
  }

  // A SASL user from a fixture file: SASL must be on, and the user's mechanisms enabled.
  std::string check_user(const traffic::Resource& user) const {
    const auto& enabled = broker_.options().sasl.mechanisms;
    if (!users_ || enabled.empty()) {
      return fmt::format("user {}: Kafka SASL is off (kafka.sasl_mechanisms is empty)", user.name);
    }
    if (user.name.empty() || user.password.empty()) {
      return "a Kafka user has a non-empty name and password";
    }
    for (const auto& mechanism : user.tags) {
      if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512") {
        return fmt::format(
            "user {}: {} is not a password mechanism (PLAIN, SCRAM-SHA-256, "
            "SCRAM-SHA-512)",
            user.name, mechanism);
      }
      if (std::find(enabled.begin(), enabled.end(), mechanism) == enabled.end()) {
        return fmt::format("user {}: {} is not in kafka.sasl_mechanisms", user.name, mechanism);
      }
    }
    return {};
  }

  // A consumer group's offsets: the group has no members, each partition
  // exists (a topic not created yet passes unless `topics_exist`).
  std::string check_group(const traffic::Resource& group, bool topics_exist) {
    if (group.name.empty()) return "a group id is not empty";
    const auto state = broker_.groups().describe(group.name).state;
    if (state != GroupState::kEmpty && state != GroupState::kDead) {
      return fmt::format("group {} has members ({}): offsets are committed into an empty group",
                         group.name, group_state_name(state));
    }
    for (const auto& offset : group.offsets) {
      if (offset.offset < 0) {
        return fmt::format("{}[{}]: offset {} is negative", offset.topic, offset.partition,
                           offset.offset);
      }
      auto topic = broker_.storage().logs().find(offset.topic);
      if (!topic) {
        if (topics_exist) return fmt::format("no topic {}", offset.topic);
        continue;
      }
      if (offset.partition < 0 || offset.partition >= topic->partition_count()) {
        return fmt::format("topic {} has no partition {} (it has {})", offset.topic,
                           offset.partition, topic->partition_count());
      }
    }
    return {};
  }

  std::string commit(const traffic::Resource& group) {
    if (auto error = check_group(group, /*topics_exist=*/true); !error.empty()) return error;
    std::vector<BrokerState::FixtureOffset> offsets;
    for (const auto& offset : group.offsets) {
      offsets.push_back({offset.topic, offset.partition, offset.offset, offset.metadata});
    }
    if (const int16_t code = broker_.commit_fixture_offsets(group.name, offsets); code != 0) {
      return fmt::format("group {}: offset commit refused ({})", group.name, error::name(code));
    }
    return {};
  }

  // Appends messages of one topic; returns how many were stored.
  std::size_t append(std::span<const traffic::Message> messages, std::string& error) {
    const std::string& name = messages.front().destination;
    auto topic = broker_.find_or_create_topic(name, true);
    if (!topic) {
      error = fmt::format(
          "unknown topic {} (and kafka.auto_create_topics is off or the name is illegal)", name);
      return 0;
    }
    const int32_t partition_count = topic->partition_count();
    std::vector<std::vector<NewRecord>> by_partition(static_cast<std::size_t>(partition_count));
    const int64_t now = now_ms();
    for (const auto& message : messages) {
      NewRecord record = to_new_record(message, now);
      int32_t partition;
      if (message.partition) {
        partition = *message.partition;
        if (partition < 0 || partition >= partition_count) {
          error = fmt::format("topic {} has no partition {}", name, partition);
          return 0;
        }
      } else if (record.key) {
        partition = murmur2_partition(*record.key, partition_count);
      } else if (message.round_robin_index) {
        partition = static_cast<int32_t>(*message.round_robin_index %
                                         static_cast<uint64_t>(partition_count));
      } else {
        partition = next_round_robin(name, partition_count);
      }
      by_partition[static_cast<std::size_t>(partition)].push_back(std::move(record));
    }
    std::size_t stored = 0;
    auto& metrics = broker_.metrics();
    for (int32_t index = 0; index < partition_count; ++index) {
      const auto& records = by_partition[static_cast<std::size_t>(index)];
      if (records.empty()) continue;
      auto partition = topic->partition(index);
      for (std::size_t first = 0; first < records.size(); first += kRecordsPerBatch) {
        const auto last = std::min(records.size(), first + kRecordsPerBatch);
        const std::span<const NewRecord> slice(records.data() + first, last - first);
        const auto batch = build_record_batch(slice);
        int64_t max_timestamp = 0;
        for (const auto& record : slice)
          max_timestamp = std::max(max_timestamp, record.timestamp_ms);
        auto appended =
            partition->append(std::span<const uint8_t>(batch), static_cast<int32_t>(slice.size()),
                              max_timestamp, [](std::span<uint8_t> bytes, int64_t base_offset) {
                                set_base_offset(bytes, base_offset);
                              });
        if (!appended.ok()) {
          error = fmt::format("topic {} partition {}: {}", name, index, appended.error().message);
          return stored;
        }
        stored += slice.size();
        metrics.messages_produced.with({name}).inc(static_cast<double>(slice.size()));
        metrics.bytes_produced.inc(static_cast<double>(batch.size()));
      }
    }
    return stored;
  }

  int32_t next_round_robin(const std::string& topic, int32_t partitions) {
    std::lock_guard lock(mutex_);
    return static_cast<int32_t>(round_robin_[topic]++ % static_cast<uint64_t>(partitions));
  }

  BrokerState& broker_;
  std::shared_ptr<sasl::UserStore> users_;
  std::mutex mutex_;
  std::map<std::string, uint64_t> round_robin_;
};

}  // namespace

std::string check_topic_declaration(const traffic::Resource& topic) {
  if (!is_valid_topic_name(topic.name)) {
    return fmt::format("\"{}\" is not a legal Kafka topic name ([a-zA-Z0-9._-], at most 249)",
                       topic.name);
  }
  if (auto problem = validate_topic_configs(topic_configs(topic))) {
    return fmt::format("topic {}: {}", topic.name, *problem);
  }
  return {};
}

std::shared_ptr<traffic::Endpoint> make_traffic_endpoint(BrokerState& broker,
                                                         std::shared_ptr<sasl::UserStore> users) {
  return std::make_shared<KafkaEndpoint>(broker, std::move(users));
}

std::vector<traffic::Message> to_traffic(const RecordBatchView& batch, const std::string& topic,
                                         int32_t partition, const std::string& client_id) {
  std::vector<traffic::Message> out;
  for (auto& record : decode_records(batch)) {
    traffic::Message message = to_message(topic, partition, batch.header, record);
    message.client_id = client_id;
    out.push_back(std::move(message));
  }
  return out;
}

namespace {

class ProducedBatch final : public traffic::AcceptedBatch {
 public:
  ProducedBatch(storage::ByteSlice stored, int32_t record_count, std::string topic,
                int32_t partition, std::string client_id)
      : stored_(std::move(stored)),
        topic_(std::move(topic)),
        partition_(partition),
        client_id_(std::move(client_id)),
        record_count_(std::max<int32_t>(record_count, 0)) {}

  std::size_t size() const override { return static_cast<std::size_t>(record_count_); }
  std::size_t bytes() const override { return stored_.size(); }
  std::vector<traffic::Message> messages() const override {
    try {
      return to_traffic(parse_record_batch(stored_.span()), topic_, partition_, client_id_);
    } catch (const std::exception&) {
      return {};  // validated when produced, but does not decompress
    }
  }

 private:
  storage::ByteSlice stored_;
  std::string topic_;
  int32_t partition_;
  std::string client_id_;
  int32_t record_count_ = 0;
};

}  // namespace

std::shared_ptr<const traffic::AcceptedBatch> to_accepted_batch(storage::ByteSlice stored,
                                                                int32_t record_count,
                                                                const std::string& topic,
                                                                int32_t partition,
                                                                const std::string& client_id) {
  return std::make_shared<ProducedBatch>(std::move(stored), record_count, topic, partition,
                                         client_id);
}

}  // namespace mockforge::kafka
