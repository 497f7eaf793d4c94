// The history and expectation endpoints of the admin port:
//   GET  /__mockforge/api/history[?protocol=P][&topic=T][&client_id=C][&since=SEQ][&limit=N]
//   GET  /__mockforge/api/mqtt/messages?topic=FILTER[&since=SEQ][&limit=N]  the recent
//        MQTT messages on matching topics (newest `limit`), from the history
//   POST /__mockforge/api/expect     body: an expectation (expectation.h); answers 200 with
//        the verdict as soon as it is met, 417 with the verdict (closest misses) when it is
//        not, 400 for a malformed expectation.
#pragma once

namespace boost::asio {
class io_context;
}

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::watch {

class History;
class Expectations;

// `io` runs the expectations' deadlines.
void register_admin_routes(admin::HttpServer& server, boost::asio::io_context& io, History& history,
                           Expectations& expectations);

}  // namespace mockforge::watch
