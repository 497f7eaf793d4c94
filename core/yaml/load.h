// YAML::Load with a bound on what aliases expand to (see README.md).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace mockforge::yaml {

inline constexpr std::size_t kMaxExpandedNodes = 1'000'000;
// yaml-cpp refuses text nested about 500 levels deep, but an alias splices
// in its anchor's subtree at any depth: readers recurse once per level.
inline constexpr std::size_t kMaxDepth = 512;

// Parses `text`; throws YAML::ParserException as YAML::Load does, and also
// when the document, its aliases expanded, has more than `limit` nodes or
// nests deeper than `max_depth` levels.
YAML::Node load(const std::string& text, std::size_t limit = kMaxExpandedNodes,
                std::size_t max_depth = kMaxDepth);

}  // namespace mockforge::yaml
