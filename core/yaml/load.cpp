#include "core/yaml/load.h"

#include <vector>

namespace mockforge::yaml {

YAML::Node load(const std::string& text, std::size_t limit) {
  YAML::Node root = YAML::Load(text);
  // Depth first, without recursion; an alias is visited as often as it is
  // used, so the count is the size of the tree the readers will walk.
  std::vector<YAML::Node> pending{root};
  std::size_t visited = 0;
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (++visited > limit) {
      throw YAML::ParserException(
          node.Mark(), "the document's aliases expand it beyond " + std::to_string(limit) +
                           " nodes (each use of an alias repeats what its anchor holds)");
    }
    if (node.IsSequence()) {
      for (const auto& item : node) pending.push_back(item);
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.push_back(entry.first);
        pending.push_back(entry.second);
      }
    }
  }
  return root;
}

}  // namespace mockforge::yaml
