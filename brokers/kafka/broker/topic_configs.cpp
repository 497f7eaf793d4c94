#include "brokers/kafka/broker/topic_configs.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <limits>

#include "brokers/kafka/broker/broker_state.h"

namespace mockforge::kafka {
namespace {

struct TopicConfigSpec {
  std::string_view name;
  std::string_view broker_synonym;  // the broker config that gives the default ("" if none)
  int8_t type;
  std::string_view kafka_default;  // Kafka's default, for the configs mockforge only keeps
  int64_t minimum;                 // numbers: the smallest valid value
  std::string_view documentation;
};

constexpr int64_t kNoMinimum = std::numeric_limits<int64_t>::min();

// What mockforge keeps only: the value is checked as Kafka checks it, stored, described and
// compared, but it is about disks, segments, replication or compaction, which have no
// counterpart in one process that keeps every partition in memory.
#define MOCKFORGE_KEPT_ONLY " mockforge keeps and describes it; it changes nothing here."

constexpr TopicConfigSpec kTopicConfigs[] = {
    {"cleanup.policy", "log.cleanup.policy", config_type::kList, "delete", 0,
     "Comma-separated list of delete and compact. With delete, retention.ms and retention.bytes "
     "drop old batches and DeleteRecords is allowed. mockforge stores compact but never "
     "compacts: every record is kept."},
    {"compression.type", "compression.type", config_type::kString, "producer", 0,
     "One of uncompressed, zstd, lz4, snappy, gzip, producer. mockforge keeps every batch as the "
     "producer compressed it (Kafka recompresses to any other value); consumers decompress "
     "either way."},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", config_type::kLong, "86400000", 0,
     "How long delete tombstones are kept on compacted topics." MOCKFORGE_KEPT_ONLY},
    {"file.delete.delay.ms", "log.segment.delete.delay.ms", config_type::kLong, "60000", 0,
     "How long a deleted segment file waits before removal." MOCKFORGE_KEPT_ONLY},
    {"flush.messages", "log.flush.interval.messages", config_type::kLong, "9223372036854775807", 1,
     "Messages between forced fsyncs." MOCKFORGE_KEPT_ONLY},
    {"flush.ms", "log.flush.interval.ms", config_type::kLong, "9223372036854775807", 0,
     "Milliseconds between forced fsyncs." MOCKFORGE_KEPT_ONLY},
    {"follower.replication.throttled.replicas", "", config_type::kList, "", 0,
     "Replicas (partition:broker, or *) whose follower replication is "
     "throttled." MOCKFORGE_KEPT_ONLY},
    {"index.interval.bytes", "log.index.interval.bytes", config_type::kInt, "4096", 0,
     "Bytes between offset index entries." MOCKFORGE_KEPT_ONLY},
    {"leader.replication.throttled.replicas", "", config_type::kList, "", 0,
     "Replicas (partition:broker, or *) whose leader replication is "
     "throttled." MOCKFORGE_KEPT_ONLY},
    {"local.retention.bytes", "log.local.retention.bytes", config_type::kLong, "-2", -2,
     "Tiered storage: bytes kept locally." MOCKFORGE_KEPT_ONLY},
    {"local.retention.ms", "log.local.retention.ms", config_type::kLong, "-2", -2,
     "Tiered storage: milliseconds kept locally." MOCKFORGE_KEPT_ONLY},
    {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", config_type::kLong,
     "9223372036854775807", 1,
     "Longest a message stays ineligible for compaction." MOCKFORGE_KEPT_ONLY},
    {"max.message.bytes", "message.max.bytes", config_type::kInt, "", 0,
     "Largest record batch a producer may send to this topic; larger ones are refused with "
     "MESSAGE_TOO_LARGE."},
    {"message.downconversion.enable", "log.message.downconversion.enable", config_type::kBoolean,
     "true", 0,
     "Whether old consumers get down-converted batches (mockforge serves magic 2 "
     "only)." MOCKFORGE_KEPT_ONLY},
    {"message.format.version", "log.message.format.version", config_type::kString, "3.0-IV1", 0,
     "Deprecated message format version." MOCKFORGE_KEPT_ONLY},
    {"message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", config_type::kLong,
     "9223372036854775807", 0,
     "With CreateTime, a produced record whose timestamp is more than this ahead of the broker's "
     "clock is refused with INVALID_TIMESTAMP."},
    {"message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", config_type::kLong,
     "9223372036854775807", 0,
     "With CreateTime, a produced record whose timestamp is more than this behind the broker's "
     "clock is refused with INVALID_TIMESTAMP."},
    {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms",
     config_type::kLong, "9223372036854775807", 0,
     "Deprecated: the bound before.max.ms and after.max.ms take when they are not set."},
    {"message.timestamp.type", "log.message.timestamp.type", config_type::kString, "", 0,
     "CreateTime keeps the producer's timestamps; LogAppendTime makes the broker stamp each batch "
     "with the time it was appended."},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", config_type::kDouble, "0.5", 0,
     "Dirty share of the log that triggers compaction." MOCKFORGE_KEPT_ONLY},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", config_type::kLong, "0", 0,
     "Shortest a message stays uncompacted." MOCKFORGE_KEPT_ONLY},
    {"min.insync.replicas", "min.insync.replicas", config_type::kInt, "", 1,
     "Fewest in-sync replicas (kafka.brokers) a Produce with acks=all needs; with fewer it is "
     "refused with NOT_ENOUGH_REPLICAS."},
    {"preallocate", "log.preallocate", config_type::kBoolean, "false", 0,
     "Whether segment files are preallocated." MOCKFORGE_KEPT_ONLY},
    {"remote.storage.enable", "", config_type::kBoolean, "false", 0,
     "Tiered storage; mockforge has none, so only false is taken, as by a Kafka broker without "
     "it."},
    {"retention.bytes", "log.retention.bytes", config_type::kLong, "", kNoMinimum,
     "Per partition, the oldest batches are dropped once the partition holds more bytes than "
     "this; -1 means no limit."},
    {"retention.ms", "log.retention.ms", config_type::kLong, "", -1,
     "Batches whose newest timestamp is older than this many milliseconds are dropped; -1 means "
     "they are kept."},
    {"segment.bytes", "log.segment.bytes", config_type::kInt, "1073741824", 14,
     "Segment file size (mockforge retention works batch by batch)." MOCKFORGE_KEPT_ONLY},
    {"segment.index.bytes", "log.index.size.max.bytes", config_type::kInt, "10485760", 4,
     "Offset index size." MOCKFORGE_KEPT_ONLY},
    {"segment.jitter.ms", "log.roll.jitter.ms", config_type::kLong, "0", 0,
     "Random jitter of segment rolling." MOCKFORGE_KEPT_ONLY},
    {"segment.ms", "log.roll.ms", config_type::kLong, "604800000", 1,
     "Time before a segment rolls (mockforge retention works batch by batch)." MOCKFORGE_KEPT_ONLY},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", config_type::kBoolean,
     "false", 0,
     "Whether an out-of-sync replica may become leader (replicas never fall behind in "
     "mockforge)." MOCKFORGE_KEPT_ONLY},
};

#undef MOCKFORGE_KEPT_ONLY

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
  } else {
    synonym.value = std::string(spec.kafka_default);
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
  auto at_least = [&](int64_t number) -> std::optional<std::string> {
    if (number < spec->minimum) {
      return invalid(name, text, "Value must be at least " + std::to_string(spec->minimum));
    }
    return std::nullopt;
  };
  if (name == "message.timestamp.type") {
    if (text != "CreateTime" && text != "LogAppendTime") {
      return invalid(name, text, "String must be one of: CreateTime, LogAppendTime");
    }
  } else if (name == "cleanup.policy") {
    for (const auto& item : split_list(text)) {
      if (item != "delete" && item != "compact") {
        return invalid(name, text, "[" + item + "] is not in the allowed list [compact, delete]");
      }
    }
  } else if (name == "compression.type") {
    static constexpr std::string_view kTypes[] = {"uncompressed", "zstd", "lz4",
                                                  "snappy",       "gzip", "producer"};
    if (std::find(std::begin(kTypes), std::end(kTypes), text) == std::end(kTypes)) {
      return invalid(name, text,
                     "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer");
    }
  } else if (name == "message.format.version") {
    // Kafka's versions: 0.8.0 ... 3.x with an optional -IVn.
    const bool valid = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
                       text.find_first_not_of("0123456789.-IV") == std::string::npos;
    if (!valid) return invalid(name, text, "Version `" + text + "` is not a valid version");
  } else if (name == "follower.replication.throttled.replicas" ||
             name == "leader.replication.throttled.replicas") {
    if (text != "*" && !text.empty()) {
      for (const auto& item : split_list(text)) {
        const std::size_t colon = item.find(':');
        if (colon == std::string::npos || !parse_int<int32_t>(item.substr(0, colon)) ||
            !parse_int<int32_t>(item.substr(colon + 1))) {
          return invalid(name, text,
                         std::string(name) +
                             " must be the literal '*' or a list of replicas in the following "
                             "format: [partitionId]:[brokerId],[partitionId]:[brokerId],...");
        }
      }
    }
  } else if (spec->type == config_type::kBoolean) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!lower.empty() && lower.back() == ' ') lower.pop_back();
    while (!lower.empty() && lower.front() == ' ') lower.erase(lower.begin());
    if (lower != "true" && lower != "false") {
      return invalid(name, text, "Expected value to be either true or false");
    }
    if (name == "remote.storage.enable" && lower == "true") {
      return std::string(
          "Tiered Storage functionality is disabled in the broker. Topic cannot be configured "
          "with remote log storage.");
    }
  } else if (spec->type == config_type::kLong) {
    auto parsed = parse_int<int64_t>(text);
    if (!parsed) return invalid(name, text, "Not a number of type LONG");
    if (auto problem = at_least(*parsed)) return problem;
  } else if (spec->type == config_type::kInt) {
    auto parsed = parse_int<int32_t>(text);
    if (!parsed) return invalid(name, text, "Not a number of type INT");
    if (auto problem = at_least(*parsed)) return problem;
  } else if (spec->type == config_type::kDouble) {
    std::string_view trimmed = text;
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
    double number = 0;
    auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), number);
    if (trimmed.empty() || ec != std::errc() || end != trimmed.data() + trimmed.size()) {
      return invalid(name, text, "Not a number of type DOUBLE");
    }
    if (number < 0) return invalid(name, text, "Value must be at least 0");
    if (number > 1) return invalid(name, text, "Value must be no more than 1");
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
    if (!fallback.name.empty()) config.synonyms.push_back(std::move(fallback));
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
    if (spec.broker_synonym.empty()) continue;
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

std::optional<TimestampBounds> timestamp_bounds(const storage::Topic& topic, int64_t now_ms) {
  auto read = [&](std::string_view name) -> std::optional<int64_t> {
    auto value = topic.config(name);
    if (!value) return std::nullopt;
    return parse_int<int64_t>(*value);
  };
  const std::optional<int64_t> difference = read("message.timestamp.difference.max.ms");
  std::optional<int64_t> before = read("message.timestamp.before.max.ms");
  std::optional<int64_t> after = read("message.timestamp.after.max.ms");
  if (!before) before = difference;
  if (!after) after = difference;
  if (!before && !after) return std::nullopt;
  // Saturating: the default bound is Long.MAX_VALUE.
  auto minus = [](int64_t a, int64_t b) {
    return b > 0 && a < std::numeric_limits<int64_t>::min() + b
               ? std::numeric_limits<int64_t>::min()
               : a - b;
  };
  auto plus = [](int64_t a, int64_t b) {
    return b > 0 && a > std::numeric_limits<int64_t>::max() - b
               ? std::numeric_limits<int64_t>::max()
               : a + b;
  };
  return TimestampBounds{before ? minus(now_ms, *before) : std::numeric_limits<int64_t>::min(),
                         after ? plus(now_ms, *after) : std::numeric_limits<int64_t>::max()};
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
