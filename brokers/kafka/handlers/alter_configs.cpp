// AlterConfigs (33): replaces a topic's whole set of configs (those not listed return to the
// broker default), validated first; validate_only changes nothing. Broker configs are read-only.
// With ACLs: ALTER_CONFIGS on the topic, or on the cluster for a broker, per resource.
#include "mockforge/kafka/alter_configs.h"

#include <set>
#include <utility>

#include "brokers/kafka/handlers/authorize.h"
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
    if (auto topic =
            alterable_topic(broker, wanted, seen,
                            config_resource_refusal(*request, acl::kAlterConfigs,
                                                    wanted.resource_type, wanted.resource_name),
                            result)) {
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
        replace_topic_configs(*topic, configs, parsed.validate_only, result);
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
