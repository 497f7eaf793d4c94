#include "faults/rule_yaml.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace mockforge::faults {

namespace {

// YAML to JSON: plain scalars that read as booleans or numbers become them;
// quoted scalars stay text.
nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      auto out = nlohmann::json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = to_json(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const auto& text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "true" || text == "false") return text == "true";
      int64_t whole = 0;
      if (YAML::convert<int64_t>::decode(node, whole)) return whole;
      double number = 0;
      if (YAML::convert<double>::decode(node, number)) return number;
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace

Rule rule_from_yaml(const YAML::Node& node) { return Rule::from_json(to_json(node)); }

}  // namespace mockforge::faults
