#include "core/yaml/load.h"

#include <utility>
#include <vector>

namespace mockforge::yaml {

YAML::Node load(const std::string& text, std::size_t limit, std::size_t max_depth) {
  YAML::Node root = YAML::Load(text);
  // Depth first, without recursion; an alias is visited as often as it is
  // used, so the count and the depth are those of the tree the readers walk.
  std::vector<std::pair<YAML::Node, std::size_t>> pending{{root, 1}};
  std::size_t visited = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (++visited > limit) {
      throw YAML::ParserException(
          node.Mark(), "the document's aliases expand it beyond " + std::to_string(limit) +
                           " nodes (each use of an alias repeats what its anchor holds)");
    }
    if (depth > max_depth) {
      throw YAML::ParserException(node.Mark(), "the document nests deeper than " +
                                                   std::to_string(max_depth) +
                                                   " levels with its aliases expanded");
    }
    if (node.IsSequence()) {
      for (const auto& item : node) pending.emplace_back(item, depth + 1);
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.emplace_back(entry.first, depth + 1);
        pending.emplace_back(entry.second, depth + 1);
      }
    }
  }
  return root;
}

}  // namespace mockforge::yaml
