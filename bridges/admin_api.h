// The bridge endpoints of the admin port (docs/admin-api.md):
//   GET    /__mockforge/api/bridges             the rules with their counts
//   POST   /__mockforge/api/bridges             add one: a rule as in mockforge.yaml, in JSON
//          ({"name", "from": {...}, "to": {...}}); 201 with it, 422 with the errors
//          ("to.topic: ..."), 409 when the name is taken, 400 for a bad body
//   DELETE /__mockforge/api/bridges?name=NAME   remove it (404 when there is none)
//
// Snapshots (POST /__mockforge/api/snapshot, restore, storage.snapshot_file)
// carry the rules added through the admin API, in that JSON form, as the
// storage extension "bridges" (rules_json.h); configured rules stay those of
// mockforge.yaml.
#pragma once

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::bridges {

class Engine;

void register_admin_routes(admin::HttpServer& server, Engine& engine);

}  // namespace mockforge::bridges
