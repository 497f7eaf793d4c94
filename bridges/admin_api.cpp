#include "bridges/admin_api.h"

#include <nlohmann/json.hpp>

#include "bridges/engine.h"
#include "core/admin/http_server.h"

namespace mockforge::bridges {
namespace {

using nlohmann::json;

constexpr const char* kPath = "/__mockforge/api/bridges";

admin::HttpResponse reply(int status, const json& body) {
  return admin::HttpResponse::json(status,
                                   body.dump(-1, ' ', false, json::error_handler_t::replace));
}

json side_json(const config::BridgeSide& side, bool destination) {
  json out{{"protocol", side.protocol}};
  const auto text = [&out](const char* field, const std::string& value) {
    if (!value.empty()) out[field] = value;
  };
  text("topic", side.topic);
  text("topic_prefix", side.topic_prefix);
  text("topic_regex", side.topic_regex);
  text("filter", side.filter);
  text("exchange", side.exchange);
  text("routing_key", side.routing_key);
  text("vhost", side.vhost);
  if (side.key) out["key"] = *side.key;
  if (side.partition) out["partition"] = *side.partition;
  if (destination && side.protocol == "mqtt") {
    out["qos"] = side.qos;
    out["retain"] = side.retain;
  }
  return out;
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

// A side from JSON; appends "field: why" for what is not the right type.
config::BridgeSide read_side(const json& in, const std::string& name,
                             std::vector<std::string>& errors) {
  config::BridgeSide side;
  if (!in.is_object()) {
    errors.push_back(name + ": expected an object with \"protocol\"");
    return side;
  }
  for (const auto& [field, value] : in.items()) {
    const std::string path = name + "." + field;
    const auto text = [&](std::string& target) {
      if (value.is_string()) {
        target = value.get<std::string>();
      } else {
        errors.push_back(path + ": expected a string");
      }
    };
    if (field == "protocol") {
      text(side.protocol);
    } else if (field == "topic") {
      text(side.topic);
    } else if (field == "topic_prefix") {
      text(side.topic_prefix);
    } else if (field == "topic_regex") {
      text(side.topic_regex);
    } else if (field == "filter") {
      text(side.filter);
    } else if (field == "exchange") {
      text(side.exchange);
    } else if (field == "routing_key") {
      text(side.routing_key);
    } else if (field == "vhost") {
      text(side.vhost);
    } else if (field == "key") {
      if (value.is_null()) continue;
      side.key.emplace();
      text(*side.key);
    } else if (field == "partition") {
      if (value.is_null()) continue;
      if (value.is_number_integer() && value.get<int64_t>() >= 0 &&
          value.get<int64_t>() <= 1000000) {
        side.partition = value.get<int32_t>();
      } else {
        errors.push_back(path + ": expected a partition number 0-1000000");
      }
    } else if (field == "qos") {
      if (value.is_number_integer() && value.get<int64_t>() >= 0 && value.get<int64_t>() <= 2) {
        side.qos = value.get<int>();
      } else {
        errors.push_back(path + ": expected a QoS 0, 1 or 2");
      }
    } else if (field == "retain") {
      if (value.is_boolean()) {
        side.retain = value.get<bool>();
      } else {
        errors.push_back(path + ": expected true or false");
      }
    } else {
      errors.push_back(path + ": unknown field");
    }
  }
  return side;
}

admin::HttpResponse add(Engine& engine, const admin::HttpRequest& request) {
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return admin::HttpResponse::error(400,
                                      "the body is a JSON object: {\"name\", \"from\", \"to\"}");
  }
  std::vector<std::string> errors;
  config::BridgeRule rule;
  for (const auto& [field, value] : body.items()) {
    if (field == "name") {
      if (value.is_string()) {
        rule.name = value.get<std::string>();
      } else {
        errors.push_back("name: expected a string");
      }
    } else if (field != "from" && field != "to") {
      errors.push_back(field + ": unknown field; a rule has name, from and to");
    }
  }
  rule.from = read_side(body.value("from", json()), "from", errors);
  rule.to = read_side(body.value("to", json()), "to", errors);
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

std::string capture_runtime_rules(const Engine& engine) {
  json list = json::array();
  for (const auto& status : engine.list()) {
    if (status.configured) continue;
    list.push_back({{"name", status.rule.name},
                    {"from", side_json(status.rule.from, false)},
                    {"to", side_json(status.rule.to, true)}});
  }
  return list.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> restore_runtime_rules(Engine& engine, std::string_view data) {
  std::vector<std::string> problems;
  const auto list = json::parse(data, nullptr, false);
  if (list.is_discarded() || !list.is_array()) {
    problems.push_back("the snapshot's bridges are not a JSON list");
    return problems;
  }
  for (const auto& status : engine.list())
    if (!status.configured) engine.remove(status.rule.name);
  for (const auto& item : list) {
    const auto name = item.is_object() ? item.value("name", std::string()) : std::string();
    std::vector<std::string> errors;
    config::BridgeRule rule;
    rule.name = name;
    rule.from = read_side(item.is_object() ? item.value("from", json()) : json(), "from", errors);
    rule.to = read_side(item.is_object() ? item.value("to", json()) : json(), "to", errors);
    if (errors.empty()) {
      try {
        engine.add(rule, /*configured=*/false);
      } catch (const RuleError& e) {
        errors = e.errors();
      }
    }
    for (const auto& error : errors) problems.push_back(name + ": " + error);
  }
  return problems;
}

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
