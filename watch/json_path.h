// A small JSON path: `$`, `.name`, `['name']` / `["name"]` and `[index]`
// (negative counts from the end), e.g. `$.items[0].sku`. No wildcards or
// filters: an expectation names one value.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mockforge::watch {

class JsonPath {
 public:
  // Throws std::invalid_argument naming the position of a syntax error.
  static JsonPath parse(std::string_view text);

  // The value at the path, or nullptr when a step does not exist.
  const nlohmann::json* find(const nlohmann::json& document) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::variant<std::string, long long>> steps_;
};

}  // namespace mockforge::watch
