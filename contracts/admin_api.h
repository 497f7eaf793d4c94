// The AsyncAPI endpoints of the admin port (docs/admin-api.md):
//   GET    /__mockforge/api/asyncapi              the loaded documents
//   POST   /__mockforge/api/asyncapi              load one: {"path": FILE} (read by the
//          server) or {"document": TEXT, "name": "orders.yaml"} (YAML or JSON; only local
//          $refs), each with an optional "validate": off|warn|reject. 201 with the document,
//          422 with the errors (file:line: #/pointer: message), 400 for a bad body
//   DELETE /__mockforge/api/asyncapi?path=FILE    unload it (its channels stay)
//   GET    /__mockforge/api/asyncapi/violations[?limit=N]   the recent violations, oldest first
//   DELETE /__mockforge/api/asyncapi/violations   clear them
#pragma once

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::contracts {

class Validator;

void register_admin_routes(admin::HttpServer& server, Validator& validator);

}  // namespace mockforge::contracts
