// The fault injection endpoints of the admin port (docs/admin-api.md):
//   GET    /__mockforge/api/faults         the rules, with how often each fired
//   POST   /__mockforge/api/faults         body: one rule (rule.h); 201 with the rule as
//                                          stored, 400 for a malformed one, 409 for a name in use
//   DELETE /__mockforge/api/faults/NAME    one rule (404 when there is none)
//   DELETE /__mockforge/api/faults         every rule
#pragma once

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::faults {

class FaultSet;

void register_admin_routes(admin::HttpServer& server, FaultSet& faults);

}  // namespace mockforge::faults
