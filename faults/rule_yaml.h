// A fault rule written in YAML (a fixture file's `faults:` list): the same
// fields as the JSON form (rule.h). Throws RuleError naming the field.
#pragma once

#include "faults/rule.h"

namespace YAML {
class Node;
}

namespace mockforge::faults {

Rule rule_from_yaml(const YAML::Node& node);

}  // namespace mockforge::faults
