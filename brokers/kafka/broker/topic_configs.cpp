#include "brokers/kafka/broker/topic_configs.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "brokers/kafka/broker/broker_state.h"

namespace mockforge::kafka {
namespace {

struct TopicConfigSpec {
  std::string_view name;
  std::string_view broker_synonym;  // the broker config that gives the default
  int8_t type;
  std::string_view documentation;
};

constexpr TopicConfigSpec kTopicConfigs[] = {
    {"cleanup.policy", "log.cleanup.policy", config_type::kList,
     "Comma-separated list of delete and compact. With delete, retention.ms and retention.bytes "
     "drop old batches and DeleteRecords is allowed. mockforge stores compact but never "
     "compacts: every record is kept."},
    {"max.message.bytes", "message.max.bytes", config_type::kInt,
     "Largest record batch a producer may send to this topic; larger ones are refused with "
     "MESSAGE_TOO_LARGE."},
    {"min.insync.replicas", "min.insync.replicas", config_type::kInt,
     "Fewest in-sync replicas (kafka.brokers) a Produce with acks=all needs; with fewer it is "
     "refused with NOT_ENOUGH_REPLICAS."},
    {"message.timestamp.type", "log.message.timestamp.type", config_type::kString,
     "CreateTime keeps the producer's timestamps; LogAppendTime makes the broker stamp each batch "
     "with the time it was appended."},
    {"retention.bytes", "log.retention.bytes", config_type::kLong,
     "Per partition, the oldest batches are dropped once the partition holds more bytes than "
     "this; -1 means no limit."},
    {"retention.ms", "log.retention.ms", config_type::kLong,
     "Batches whose newest timestamp is older than this many milliseconds are dropped; -1 means "
     "they are kept."},
};

const TopicConfigSpec* find_spec(std::string_view name) {
  for (const auto& spec : kTopicConfigs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

std::string invalid(std::string_view name, std::string_view value, std::string_view why) {
  return "Invalid value " + std::string(value) + " for configuration " + std::string(name) + ": " +
         std::string(why);
}

std::string optional_to_string(const auto& value, std::string_view unlimited) {
  return value ? std::to_string(*value) : std::string(unlimited);
}

// The broker-level value behind a topic config and where it comes from.
ConfigSynonym broker_default(const BrokerState& broker, const TopicConfigSpec& spec) {
  const auto& context = broker.storage().context();
  ConfigSynonym synonym{std::string(spec.broker_synonym), std::nullopt, config_source::kDefault};
  if (spec.name == "retention.bytes") {
    synonym.value = optional_to_string(context.default_retention_bytes, "-1");
    if (context.default_retention_bytes) synonym.source = config_source::kStaticBroker;
  } else if (spec.name == "retention.ms") {
    synonym.value = optional_to_string(context.default_retention_ms, "-1");
    if (context.default_retention_ms) synonym.source = config_source::kStaticBroker;
  } else if (spec.name == "max.message.bytes") {
    synonym.value = std::to_string(broker.options().default_max_message_bytes);
  } else if (spec.name == "min.insync.replicas") {
    synonym.value = "1";
  } else if (spec.name == "message.timestamp.type") {
    synonym.value = "CreateTime";
  } else if (spec.name == "cleanup.policy") {
    synonym.value = "delete";
  }
  return synonym;
}

}  // namespace

bool is_topic_config(std::string_view name) { return find_spec(name) != nullptr; }

bool is_list_topic_config(std::string_view name) {
  const TopicConfigSpec* spec = find_spec(name);
  return spec && spec->type == config_type::kList;
}

std::optional<std::string> validate_topic_config(std::string_view name,
                                                 const std::optional<std::string>& value) {
  const TopicConfigSpec* spec = find_spec(name);
  if (!spec) return "Unknown topic config name: " + std::string(name);
  if (!value) return "Null value not supported for topic configs: " + std::string(name);
  const std::string& text = *value;
  if (name == "retention.ms") {
    auto parsed = parse_int<int64_t>(text);
    if (!parsed) return invalid(name, text, "Not a number of type LONG");
    if (*parsed < -1) return invalid(name, text, "Value must be at least -1");
  } else if (name == "retention.bytes") {
    if (!parse_int<int64_t>(text)) return invalid(name, text, "Not a number of type LONG");
  } else if (name == "max.message.bytes") {
    auto parsed = parse_int<int32_t>(text);
    if (!parsed) return invalid(name, text, "Not a number of type INT");
    if (*parsed < 0) return invalid(name, text, "Value must be at least 0");
  } else if (name == "min.insync.replicas") {
    auto parsed = parse_int<int32_t>(text);
    if (!parsed) return invalid(name, text, "Not a number of type INT");
    if (*parsed < 1) return invalid(name, text, "Value must be at least 1");
  } else if (name == "message.timestamp.type") {
    if (text != "CreateTime" && text != "LogAppendTime") {
      return invalid(name, text, "String must be one of: CreateTime, LogAppendTime");
    }
  } else if (name == "cleanup.policy") {
    for (const auto& item : split_list(text)) {
      if (item != "delete" && item != "compact") {
        return invalid(name, text, "[" + item + "] is not in the allowed list [compact, delete]");
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> validate_topic_configs(const storage::ConfigMap& configs) {
  for (const auto& [name, value] : configs) {
    if (auto problem = validate_topic_config(name, value)) return problem;
  }
  return std::nullopt;
}

std::vector<DescribedConfig> describe_topic_configs(const BrokerState& broker,
                                                    const storage::ConfigMap& topic_configs) {
  std::vector<DescribedConfig> described;
  for (const auto& spec : kTopicConfigs) {
    DescribedConfig config;
    config.name = std::string(spec.name);
    config.type = spec.type;
    config.documentation = std::string(spec.documentation);
    ConfigSynonym fallback = broker_default(broker, spec);
    if (auto it = topic_configs.find(spec.name); it != topic_configs.end()) {
      config.value = it->second;
      config.source = config_source::kDynamicTopic;
      config.synonyms.push_back({config.name, it->second, config_source::kDynamicTopic});
    } else {
      config.value = fallback.value;
      config.source = fallback.source;
    }
    config.synonyms.push_back(std::move(fallback));
    described.push_back(std::move(config));
  }
  return described;
}

std::vector<DescribedConfig> describe_broker_configs(const BrokerState& broker) {
  const BrokerOptions& options = broker.options();
  std::vector<DescribedConfig> described;
  auto add = [&](std::string name, std::string value, int8_t source, int8_t type,
                 std::string documentation) {
    DescribedConfig config{name, value, true, source, type, std::move(documentation), {}};
    config.synonyms.push_back({std::move(name), std::move(value), source});
    described.push_back(std::move(config));
  };
  add("auto.create.topics.enable", options.auto_create_topics ? "true" : "false",
      config_source::kStaticBroker, config_type::kBoolean,
      "Whether Produce and Metadata create unknown topics (mockforge kafka.auto_create_topics).");
  add("broker.id", std::to_string(options.node_id), config_source::kDefault, config_type::kInt,
      "The id of this broker; mockforge runs a single broker.");
  add("default.replication.factor", std::to_string(std::min(3, broker.cluster().size())),
      config_source::kDefault, config_type::kInt,
      "Replication factor of topics created without one: min(3, kafka.brokers) in mockforge.");
  add("group.initial.rebalance.delay.ms",
      std::to_string(options.group_initial_rebalance_delay.count()), config_source::kStaticBroker,
      config_type::kInt,
      "How long the first join of an empty group waits for more members "
      "(mockforge kafka.group_initial_rebalance_delay).");
  for (const auto& spec : kTopicConfigs) {
    ConfigSynonym synonym = broker_default(broker, spec);
    add(synonym.name, synonym.value.value_or(""), synonym.source, spec.type,
        "Default of the topic config " + std::string(spec.name) + ". " +
            std::string(spec.documentation));
  }
  add("num.partitions", std::to_string(options.default_partitions), config_source::kStaticBroker,
      config_type::kInt,
      "Partition count of auto-created topics (mockforge kafka.default_partitions).");
  add("socket.request.max.bytes", std::to_string(options.max_frame_bytes),
      config_source::kStaticBroker, config_type::kInt,
      "Largest request accepted; a larger one closes the connection (mockforge "
      "kafka.max_frame_bytes).");
  add("transaction.max.timeout.ms", std::to_string(options.transaction_max_timeout.count()),
      config_source::kStaticBroker, config_type::kInt,
      "Largest transaction.timeout.ms a transactional producer may ask for (mockforge "
      "kafka.transaction_max_timeout).");
  return described;
}

bool cleanup_policy_deletes(const storage::ConfigMap& topic_configs) {
  auto it = topic_configs.find(storage::kCleanupPolicyConfig);
  if (it == topic_configs.end()) return true;
  for (const auto& item : split_list(it->second)) {
    if (item == "delete") return true;
  }
  return false;
}

}  // namespace mockforge::kafka
