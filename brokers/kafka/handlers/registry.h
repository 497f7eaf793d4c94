#pragma once

#include <cstdint>
#include <span>

#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {

// The implemented version range of a handler, clamped to what the codec supports.
struct ServedApi {
  int16_t api_key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  HandlerFunction handle;
};

// Every served API, by key. The one table both dispatch and ApiVersions read.
std::span<const ServedApi> served_apis();
// nullptr if the key is not served.
const ServedApi* find_served_api(int16_t api_key);

}  // namespace mockforge::kafka
