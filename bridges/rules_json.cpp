#include "bridges/rules_json.h"

#include "bridges/engine.h"
#include "core/json/payload.h"

namespace mockforge::bridges {

using nlohmann::json;

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

// A side from JSON; appends "field: why" for what is not the right type.
namespace {

config::BridgeSide read_side(const json& in, const std::string& name,
                             std::vector<std::string>& errors) {
  config::BridgeSide side;
  if (!in.is_object()) {
    errors.push_back(name + ": expected an object with \"protocol\"");
    return side;
  }
  for (const auto& item : in.items()) {
    // Named, not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& field = item.key();
    const json& value = item.value();
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

}  // namespace

config::BridgeRule read_rule(const json& in, std::vector<std::string>& errors) {
  config::BridgeRule rule;
  if (!in.is_object()) {
    errors.push_back("expected an object {\"name\", \"from\", \"to\"}");
    return rule;
  }
  for (const auto& [field, value] : in.items()) {
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
  rule.from = read_side(in.value("from", json()), "from", errors);
  rule.to = read_side(in.value("to", json()), "to", errors);
  return rule;
}

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
  // nlohmann parses any depth, but what reads the rules copies and prints
  // them recursively.
  constexpr auto kMaxDepth = mockforge::json::kMaxPayloadDepth;
  if (mockforge::json::nesting_depth(data, kMaxDepth) > kMaxDepth) {
    problems.push_back("the snapshot's bridges nest deeper than " + std::to_string(kMaxDepth) +
                       " levels");
    return problems;
  }
  const auto list = json::parse(data, nullptr, false);
  if (list.is_discarded() || !list.is_array()) {
    problems.push_back("the snapshot's bridges are not a JSON list");
    return problems;
  }
  for (const auto& status : engine.list())
    if (!status.configured) engine.remove(status.rule.name);
  for (const auto& item : list) {
    std::vector<std::string> errors;
    const config::BridgeRule rule = read_rule(item, errors);
    if (errors.empty()) {
      try {
        engine.add(rule, /*configured=*/false);
      } catch (const RuleError& e) {
        errors = e.errors();
      }
    }
    const std::string name = rule.name.empty() ? "(no name)" : rule.name;
    for (const auto& error : errors) problems.push_back(name + ": " + error);
  }
  return problems;
}

}  // namespace mockforge::bridges
