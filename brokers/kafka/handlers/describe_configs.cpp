// DescribeConfigs (32): the served topic configs (the topic's own value or the broker default,
// with source, synonyms, type and documentation as the version allows) and the broker's configs.
// With ACLs: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker, per resource.
#include "mockforge/kafka/describe_configs.h"

#include <algorithm>

#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/config_resource.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using Result = DescribeConfigsResponse::DescribeConfigsResult;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;

Entry to_entry(const DescribedConfig& config, const DescribeConfigsRequest& request,
               int16_t version) {
  Entry entry;
  entry.name = config.name;
  entry.value = config.value;
  entry.read_only = config.read_only;
  entry.is_default = config.source == config_source::kDefault;
  entry.config_source = config.source;
  entry.is_sensitive = false;
  if (version >= 1 && request.include_synonyms) {
    for (const auto& synonym : config.synonyms) {
      entry.synonyms.push_back({synonym.name, synonym.value, synonym.source});
    }
  }
  entry.config_type = config.type;
  entry.documentation = std::nullopt;
  if (version >= 3 && request.include_documentation) entry.documentation = config.documentation;
  return entry;
}

void handle(const RequestPtr& request, Reader& body) {
  DescribeConfigsRequest parsed;
  parsed.decode(body, request->version());
  BrokerState& broker = request->broker;
  DescribeConfigsResponse response;
  for (const auto& wanted : parsed.resources) {
    Result result;
    result.resource_type = wanted.resource_type;
    result.resource_name = wanted.resource_name;
    result.error_message = std::nullopt;
    ConfigResource resource;
    if (int16_t refused = config_resource_refusal(*request, acl::kDescribeConfigs,
                                                  wanted.resource_type, wanted.resource_name)) {
      resource.error_code = refused;
    } else {
      resource = resolve_config_resource(broker, wanted.resource_type, wanted.resource_name);
    }
    if (resource.error_code != error::kNone) {
      result.error_code = resource.error_code;
      result.error_message = resource.error_message;
    } else {
      std::vector<DescribedConfig> configs;
      if (resource.topic) {
        configs = describe_topic_configs(broker, resource.topic->configs());
      } else if (!resource.broker_default) {
        configs = describe_broker_configs(broker);
      }  // the cluster-wide default resource has no dynamic configs
      for (const auto& config : configs) {
        // Null or empty keys: every config (as Kafka filters only on a non-empty list).
        if (wanted.configuration_keys && !wanted.configuration_keys->empty() &&
            std::find(wanted.configuration_keys->begin(), wanted.configuration_keys->end(),
                      config.name) == wanted.configuration_keys->end()) {
          continue;
        }
        result.configs.push_back(to_entry(config, parsed, request->version()));
      }
    }
    request->count_error(result.error_code);
    response.results.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeConfigsHandler{32, 0, 4, &handle};

}  // namespace mockforge::kafka
