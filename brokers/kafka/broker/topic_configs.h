#pragma once

// Kafka's topic configs: each is validated as Kafka validates it and described to
// DescribeConfigs / CreateTopics (value, source, type, synonyms, documentation). The broker
// enforces retention.ms, retention.bytes, cleanup.policy, max.message.bytes,
// min.insync.replicas, message.timestamp.type and the message.timestamp.*.max.ms bounds; the
// others (segments, flushing, indexes, compaction tuning, throttles, compression.type) are kept
// and described only, their documentation says so. Any other name is refused with
// INVALID_CONFIG, as Kafka refuses names it does not know.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/log.h"

namespace mockforge::kafka {

class BrokerState;

// DescribeConfigs resource types.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;
inline constexpr int8_t kResourceBrokerLogger = 8;

// Kafka's ConfigSource values.
namespace config_source {
inline constexpr int8_t kDynamicTopic = 1;
inline constexpr int8_t kStaticBroker = 4;
inline constexpr int8_t kDefault = 5;
}  // namespace config_source

// Kafka's ConfigType values (DescribeConfigs v3+).
namespace config_type {
inline constexpr int8_t kBoolean = 1;
inline constexpr int8_t kString = 2;
inline constexpr int8_t kInt = 3;
inline constexpr int8_t kLong = 5;
inline constexpr int8_t kDouble = 6;
inline constexpr int8_t kList = 7;
}  // namespace config_type

inline constexpr std::string_view kMaxMessageBytesConfig = "max.message.bytes";
inline constexpr std::string_view kMessageTimestampTypeConfig = "message.timestamp.type";

struct ConfigSynonym {
  std::string name;
  std::optional<std::string> value;
  int8_t source = 0;
};

struct DescribedConfig {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  int8_t source = config_source::kDefault;
  int8_t type = 0;
  std::string documentation;
  std::vector<ConfigSynonym> synonyms;  // most specific first, starting with the config itself
};

// True for the topic configs this broker serves.
bool is_topic_config(std::string_view name);
// True if `name` is a list-typed topic config (APPEND / SUBTRACT apply).
bool is_list_topic_config(std::string_view name);

// The reason `value` is not valid for topic config `name` (unknown names included); nullopt if
// it is valid.
std::optional<std::string> validate_topic_config(std::string_view name,
                                                 const std::optional<std::string>& value);
// Validates every entry; the first problem found.
std::optional<std::string> validate_topic_configs(const storage::ConfigMap& configs);

// Every served topic config, its value (the topic's own or the broker's default) and source.
std::vector<DescribedConfig> describe_topic_configs(const BrokerState& broker,
                                                    const storage::ConfigMap& topic_configs);
// The broker's own configs (all read-only: set by mockforge's configuration at start).
std::vector<DescribedConfig> describe_broker_configs(const BrokerState& broker);

// The timestamps a CreateTime topic accepts at `now_ms` (message.timestamp.before.max.ms and
// after.max.ms, each falling back to the deprecated difference.max.ms), or nullopt when any
// timestamp is accepted.
struct TimestampBounds {
  int64_t earliest;
  int64_t latest;
};
// Reads the three configs from `topic`, without copying its config map (every Produce asks).
std::optional<TimestampBounds> timestamp_bounds(const storage::Topic& topic, int64_t now_ms);

// cleanup.policy contains "delete" (retention and DeleteRecords apply).
bool cleanup_policy_deletes(const storage::ConfigMap& topic_configs);

}  // namespace mockforge::kafka
