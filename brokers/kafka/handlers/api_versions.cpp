// ApiVersions (18): the served table, clamped to the codec's versions.
#include "brokers/kafka/handlers/api_versions.h"

#include "brokers/kafka/handlers/registry.h"
#include "mockforge/kafka/api_versions.h"

namespace mockforge::kafka {

ApiVersionsResponse served_api_versions(int16_t error_code) {
  ApiVersionsResponse response;
  response.error_code = error_code;
  for (const auto& api : served_apis()) {
    response.api_keys.push_back({api.api_key, api.min_version, api.max_version});
  }
  return response;
}

namespace {
void handle(const RequestPtr& request, Reader& body) {
  ApiVersionsRequest parsed;
  parsed.decode(body, request->version());
  request->reply(served_api_versions(0));
}
}  // namespace

extern const HandlerSpec kApiVersionsHandler{18, 0, 4, &handle};

}  // namespace mockforge::kafka
