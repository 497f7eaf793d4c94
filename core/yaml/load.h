// YAML::Load with a bound on what aliases expand to (see README.md).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace mockforge::yaml {

inline constexpr std::size_t kMaxExpandedNodes = 1'000'000;

// Parses `text`; throws YAML::ParserException as YAML::Load does, and also
// when the document, its aliases expanded, has more than `limit` nodes.
YAML::Node load(const std::string& text, std::size_t limit = kMaxExpandedNodes);

}  // namespace mockforge::yaml
