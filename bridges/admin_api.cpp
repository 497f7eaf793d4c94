#include "bridges/admin_api.h"

#include <nlohmann/json.hpp>

#include "bridges/engine.h"
#include "bridges/rules_json.h"
#include "core/admin/http_server.h"

namespace mockforge::bridges {
namespace {

using nlohmann::json;

constexpr const char* kPath = "/__mockforge/api/bridges";

admin::HttpResponse reply(int status, const json& body) {
  return admin::HttpResponse::json(status,
                                   body.dump(-1, ' ', false, json::error_handler_t::replace));
}

json status_json(const Status& status) {
  return {{"name", status.rule.name},
          {"from", side_json(status.rule.from, false)},
          {"to", side_json(status.rule.to, true)},
          {"configured", status.configured},
          {"messages", status.messages},
          {"errors", status.errors},
          {"last_error", status.last_error.empty() ? json(nullptr) : json(status.last_error)}};
}

admin::HttpResponse add(Engine& engine, const admin::HttpRequest& request) {
  if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return admin::HttpResponse::error(400,
                                      "the body is a JSON object: {\"name\", \"from\", \"to\"}");
  }
  std::vector<std::string> errors;
  const config::BridgeRule rule = read_rule(body, errors);
  if (errors.empty()) {
    try {
      engine.add(rule, /*configured=*/false);
    } catch (const RuleError& e) {
      errors = e.errors();
      if (errors.size() == 1 && errors.front().ends_with("exists"))
        return admin::HttpResponse::error(409, errors.front());
    }
  }
  if (!errors.empty()) {
    json out = json::parse(admin::HttpResponse::error(422, errors.front()).body);
    out["errors"] = errors;
    return reply(422, out);
  }
  for (const auto& status : engine.list()) {
    if (status.rule.name == rule.name) return reply(201, status_json(status));
  }
  return admin::HttpResponse::error(500, "the rule went away");
}

}  // namespace

void register_admin_routes(admin::HttpServer& server, Engine& engine) {
  server.route("GET", kPath, [&engine](const admin::HttpRequest&) {
    json list = json::array();
    for (const auto& status : engine.list()) list.push_back(status_json(status));
    return reply(200, json{{"bridges", list}});
  });
  server.route("POST", kPath,
               [&engine](const admin::HttpRequest& request) { return add(engine, request); });
  server.route("DELETE", kPath, [&engine](const admin::HttpRequest& request) {
    const auto name = request.query.find("name");
    if (name == request.query.end() || name->second.empty()) {
      return admin::HttpResponse::error(400, "name: the bridge to remove (?name=NAME)");
    }
    if (!engine.remove(name->second)) {
      return admin::HttpResponse::error(404, "no bridge named \"" + name->second + "\"");
    }
    return reply(200, json{{"removed", name->second}});
  });
}

}  // namespace mockforge::bridges
