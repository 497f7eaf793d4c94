// AlterConfigs (33): replaces a topic's whole set of configs (those not listed return to the
// broker default), validated first; validate_only changes nothing. Broker configs are read-only.
#include "mockforge/kafka/alter_configs.h"

#include <set>
#include <utility>

#include "brokers/kafka/handlers/config_resource.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using Result = AlterConfigsResponse::AlterConfigsResourceResponse;

void handle(const RequestPtr& request, Reader& body) {
  AlterConfigsRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  AlterConfigsResponse response;
  std::set<std::pair<int8_t, std::string>> seen;
  for (const auto& wanted : parsed.resources) {
    Result result;
    result.resource_type = wanted.resource_type;
    result.resource_name = wanted.resource_name;
    result.error_message = std::nullopt;
    ConfigResource resource =
        resolve_config_resource(broker, wanted.resource_type, wanted.resource_name);
    if (!seen.insert({wanted.resource_type, wanted.resource_name}).second) {
      result.error_code = error::kInvalidRequest;
      result.error_message = "Resource is listed more than once in the request";
    } else if (resource.error_code != error::kNone) {
      result.error_code = resource.error_code;
      result.error_message = resource.error_message;
    } else if (!resource.topic) {
      if (!wanted.configs.empty()) {
        std::string names;
        for (const auto& config : wanted.configs) {
          names += (names.empty() ? "" : ", ") + config.name;
        }
        result.error_code = error::kInvalidRequest;
        result.error_message = "Cannot update these configs dynamically: " + names;
      }
    } else {
      storage::ConfigMap configs;
      std::optional<std::string> problem;
      for (const auto& config : wanted.configs) {
        if (auto bad = validate_topic_config(config.name, config.value); bad && !problem) {
          problem = bad;
        }
        if (config.value) configs[config.name] = *config.value;
      }
      if (problem) {
        result.error_code = error::kInvalidConfig;
        result.error_message = *problem;
      } else {
        replace_topic_configs(*resource.topic, configs, parsed.validate_only, result);
      }
    }
    request->count_error(result.error_code);
    response.responses.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kAlterConfigsHandler{33, 0, 2, &handle};

}  // namespace mockforge::kafka
