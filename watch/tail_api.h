// The live tail on the admin port:
//   GET /__mockforge/api/tail[?protocol=P][&client=C][&topic=T][&kinds=K,...][&buffer=N]
// answers text/event-stream: one `data:` line of JSON per event, an
// `event: dropped` when the reader fell behind and events were dropped, and
// a keep-alive comment when quiet (docs/admin-api.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/traffic/events.h"

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::watch {

class Tail;

void register_tail_routes(admin::HttpServer& server, Tail& tail);

// One event as the tail sends it.
nlohmann::json event_json(const traffic::Event& event);
// RFC 3339 UTC with microseconds.
std::string format_time_us(int64_t unix_micros);

}  // namespace mockforge::watch
