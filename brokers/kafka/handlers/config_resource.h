#pragma once

// The resource a DescribeConfigs / AlterConfigs / IncrementalAlterConfigs entry names: a topic,
// this broker (its id, or "" for the cluster-wide default), or an error as Kafka answers it.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/topic_configs.h"

namespace mockforge::kafka {

struct ConfigResource {
  int16_t error_code = error::kNone;
  std::string error_message;
  std::shared_ptr<storage::Topic> topic;  // for topic resources
  bool broker_default = false;            // broker resource "" (cluster-wide defaults)
};

inline ConfigResource resolve_config_resource(BrokerState& broker, int8_t type,
                                              const std::string& name) {
  ConfigResource resource;
  auto fail = [&](int16_t code, std::string message) {
    resource.error_code = code;
    resource.error_message = std::move(message);
    return resource;
  };
  if (type == kResourceTopic) {
    if (!is_valid_topic_name(name)) {
      return fail(error::kInvalidTopicException, "Topic name '" + name + "' is illegal");
    }
    resource.topic = broker.storage().logs().find(name);
    if (!resource.topic) {
      return fail(error::kUnknownTopicOrPartition, "Topic '" + name + "' does not exist.");
    }
    return resource;
  }
  if (type == kResourceBroker) {
    if (name.empty()) {
      resource.broker_default = true;
      return resource;
    }
    // Any broker of the cluster (kafka.brokers); they share one configuration.
    bool known = false;
    for (int32_t node = 0; node < broker.cluster().size() && !known; ++node) {
      known = name == std::to_string(node);
    }
    if (!known) {
      return fail(error::kInvalidRequest, "Unexpected broker id, expected a node id from 0 to " +
                                              std::to_string(broker.cluster().size() - 1) +
                                              " or empty string, but received " + name);
    }
    return resource;
  }
  if (type == kResourceBrokerLogger) {
    return fail(error::kInvalidRequest, "BROKER_LOGGER resources are not served by mockforge");
  }
  return fail(error::kInvalidRequest, "Unsupported resource type " + std::to_string(type));
}

// The checks AlterConfigs and IncrementalAlterConfigs make before changing anything: a
// resource listed twice, ALTER_CONFIGS refused (`refused`, from config_resource_refusal), a
// resource that does not resolve, and broker configs (read-only here; an entry with no
// configs is a no-op). Fills in the result's resource fields. Returns
// the topic to alter, or null when `result` is already the answer.
template <typename WantedT, typename ResultT>
std::shared_ptr<storage::Topic> alterable_topic(BrokerState& broker, const WantedT& wanted,
                                                std::set<std::pair<int8_t, std::string>>& seen,
                                                int16_t refused, ResultT& result) {
  result.resource_type = wanted.resource_type;
  result.resource_name = wanted.resource_name;
  result.error_message = std::nullopt;
  ConfigResource resource =
      resolve_config_resource(broker, wanted.resource_type, wanted.resource_name);
  if (!seen.insert({wanted.resource_type, wanted.resource_name}).second) {
    result.error_code = error::kInvalidRequest;
    result.error_message = "Resource is listed more than once in the request";
  } else if (refused != error::kNone) {
    result.error_code = refused;
  } else if (resource.error_code != error::kNone) {
    result.error_code = resource.error_code;
    result.error_message = resource.error_message;
  } else if (!resource.topic && !wanted.configs.empty()) {
    std::string names;
    for (const auto& config : wanted.configs) names += (names.empty() ? "" : ", ") + config.name;
    result.error_code = error::kInvalidRequest;
    result.error_message = "Cannot update these configs dynamically: " + names;
  }
  return result.error_code == error::kNone ? resource.topic : nullptr;
}

// Replaces the topic's configs by `wanted` after validating them (nothing changes on error or
// with validate_only). Sets error_code/error_message on `result`.
template <typename ResultT>
void replace_topic_configs(storage::Topic& topic, const storage::ConfigMap& wanted,
                           bool validate_only, ResultT& result) {
  if (auto problem = validate_topic_configs(wanted)) {
    result.error_code = error::kInvalidConfig;
    result.error_message = *problem;
    return;
  }
  if (validate_only) return;
  std::vector<std::string> removed;
  for (const auto& [name, value] : topic.configs()) {
    if (!wanted.contains(name)) removed.push_back(name);
  }
  auto status = topic.alter_configs(wanted, removed);
  if (!status.ok()) {
    result.error_code = status.code() == storage::ErrorCode::kDeleted
                            ? error::kUnknownTopicOrPartition
                            : error::kInvalidConfig;
    result.error_message = status.error().message;
  }
}

}  // namespace mockforge::kafka
