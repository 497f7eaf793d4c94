#pragma once

#include <cstdint>

#include "mockforge/kafka/api_versions.h"

namespace mockforge::kafka {

// The ApiVersions response listing every served API (also sent, in v0, with
// UNSUPPORTED_VERSION when a client asks for an ApiVersions version we lack).
ApiVersionsResponse served_api_versions(int16_t error_code);

}  // namespace mockforge::kafka
