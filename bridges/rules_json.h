// Bridge rules as JSON: the form of the admin API's bodies (admin_api.h) and of the
// "bridges" extension of storage snapshots, which carries the rules added at run time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/bridges.h"

namespace mockforge::bridges {

class Engine;

// One side of a rule ({"protocol", "topic", ...}); `destination` adds MQTT's qos and retain.
nlohmann::json side_json(const config::BridgeSide& side, bool destination);
// A rule from {"name", "from", "to"}; appends "field: why" to `errors` for each field that is
// unknown or of the wrong type. Whether the rule is valid is Engine::add's to say.
config::BridgeRule read_rule(const nlohmann::json& in, std::vector<std::string>& errors);

// The rules added at run time, as a JSON list of {"name", "from", "to"}.
std::string capture_runtime_rules(const Engine& engine);
// Replaces the run-time rules with those of `data` (capture_runtime_rules'
// form). Returns what could not be added, as "NAME: why" (a name a
// configured rule holds, a rule invalid here, a field of the wrong type);
// the others are added. Never throws for what `data` holds.
std::vector<std::string> restore_runtime_rules(Engine& engine, std::string_view data);

}  // namespace mockforge::bridges
