#include "faults/admin_api.h"

#include <nlohmann/json.hpp>

#include "core/admin/http_server.h"
#include "faults/fault_set.h"

namespace mockforge::faults {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "/__mockforge/api/faults/";

admin::HttpResponse reply(int status, const json& body) {
  return admin::HttpResponse::json(status,
                                   body.dump(-1, ' ', false, json::error_handler_t::replace));
}

json status_json(const RuleStatus& status) {
  json out = status.rule.to_json();
  out["fired"] = status.fired;
  out["remaining"] = status.remaining ? json(*status.remaining) : json(nullptr);
  return out;
}

}  // namespace

void register_admin_routes(admin::HttpServer& server, FaultSet& faults) {
  const std::string path(kPrefix.substr(0, kPrefix.size() - 1));
  server.route("GET", path, [&faults](const admin::HttpRequest&) {
    json list = json::array();
    for (const auto& status : faults.list()) list.push_back(status_json(status));
    return reply(200, {{"faults", list}});
  });
  server.route("POST", path, [&faults](const admin::HttpRequest& request) {
    if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
    const auto spec = json::parse(request.body, nullptr, false);
    if (spec.is_discarded()) return admin::HttpResponse::error(400, "a fault rule is a JSON body");
    try {
      const Rule added = faults.add(Rule::from_json(spec));
      return reply(201, status_json({added, 0, added.times}));
    } catch (const RuleError& e) {
      return admin::HttpResponse::error(
          e.field() == "name" && e.message().ends_with("already set") ? 409 : 400, e.what());
    }
  });
  server.route("DELETE", path, [&faults](const admin::HttpRequest&) {
    return reply(200, {{"removed", faults.clear()}});
  });
  server.route_prefix("DELETE", std::string(kPrefix), [&faults](const admin::HttpRequest& request) {
    const auto name =
        admin::percent_decode(std::string_view(request.path).substr(kPrefix.size()), false);
    if (name.empty() || !faults.remove(name)) {
      return admin::HttpResponse::error(404, "no fault rule '" + name + "'");
    }
    return reply(200, {{"removed", name}});
  });
}

}  // namespace mockforge::faults
