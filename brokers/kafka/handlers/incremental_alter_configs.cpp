// IncrementalAlterConfigs (44): SET, DELETE, APPEND and SUBTRACT (list configs only:
// cleanup.policy) on a topic's configs, all validated before any is applied; validate_only
// changes nothing. Broker configs are read-only.
// With ACLs: ALTER_CONFIGS on the topic, or on the cluster for a broker, per resource.
#include "mockforge/kafka/incremental_alter_configs.h"

#include <algorithm>
#include <set>
#include <utility>

#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/config_resource.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using Result = IncrementalAlterConfigsResponse::AlterConfigsResourceResponse;
using Alteration = IncrementalAlterConfigsRequest::AlterableConfig;

constexpr int8_t kSet = 0;
constexpr int8_t kDelete = 1;
constexpr int8_t kAppend = 2;
constexpr int8_t kSubtract = 3;

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Applies the alterations to `configs`; the error (code, message) of the first bad one.
std::optional<std::pair<int16_t, std::string>> apply(const BrokerState& broker,
                                                     const std::vector<Alteration>& alterations,
                                                     storage::ConfigMap& configs) {
  std::set<std::string> seen;
  for (const auto& alteration : alterations) {
    if (!seen.insert(alteration.name).second) {
      return std::pair{error::kInvalidRequest,
                       "Error due to duplicate config keys: " + alteration.name};
    }
  }
  // The values in effect now (topic override or default), which APPEND/SUBTRACT start from.
  storage::ConfigMap effective;
  for (const auto& described : describe_topic_configs(broker, configs)) {
    effective[described.name] = described.value.value_or("");
  }
  for (const auto& alteration : alterations) {
    const std::string& name = alteration.name;
    if (!is_topic_config(name)) {
      return std::pair{error::kInvalidConfig, "Unknown topic config name: " + name};
    }
    switch (alteration.config_operation) {
      case kSet:
        if (auto problem = validate_topic_config(name, alteration.value)) {
          return std::pair{error::kInvalidConfig, *problem};
        }
        configs[name] = *alteration.value;
        break;
      case kDelete:
        configs.erase(name);
        break;
      case kAppend:
      case kSubtract: {
        bool append = alteration.config_operation == kAppend;
        if (!is_list_topic_config(name)) {
          return std::pair{error::kInvalidConfig, std::string("Config value ") +
                                                      (append ? "append" : "subtract") +
                                                      " is not allowed for config key: " + name};
        }
        std::vector<std::string> items = split(effective[name]);
        for (const auto& item : split(alteration.value.value_or(""))) {
          auto found = std::find(items.begin(), items.end(), item);
          if (append && found == items.end()) items.push_back(item);
          if (!append && found != items.end()) items.erase(found);
        }
        std::optional<std::string> value = join(items);
        if (auto problem = validate_topic_config(name, value)) {
          return std::pair{error::kInvalidConfig, *problem};
        }
        configs[name] = *value;
        break;
      }
      default:
        return std::pair{error::kInvalidRequest, "Unknown config operation " +
                                                     std::to_string(alteration.config_operation) +
                                                     " for " + name};
    }
  }
  return std::nullopt;
}

void handle(const RequestPtr& request, Reader& body) {
  IncrementalAlterConfigsRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  IncrementalAlterConfigsResponse response;
  std::set<std::pair<int8_t, std::string>> seen;
  for (const auto& wanted : parsed.resources) {
    Result result;
    if (auto topic =
            alterable_topic(broker, wanted, seen,
                            config_resource_refusal(*request, acl::kAlterConfigs,
                                                    wanted.resource_type, wanted.resource_name),
                            result)) {
      storage::ConfigMap configs = topic->configs();
      if (auto problem = apply(broker, wanted.configs, configs)) {
        result.error_code = problem->first;
        result.error_message = problem->second;
      } else {
        replace_topic_configs(*topic, configs, parsed.validate_only, result);
      }
    }
    request->count_error(result.error_code);
    response.responses.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kIncrementalAlterConfigsHandler{44, 0, 1, &handle};

}  // namespace mockforge::kafka
