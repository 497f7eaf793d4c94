#include "watch/json_path.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <stdexcept>
#include <system_error>

namespace mockforge::watch {
namespace {

[[noreturn]] void fail(std::string_view text, std::size_t at, std::string_view why) {
  throw std::invalid_argument(fmt::format("JSON path '{}': {} at position {}", text, why, at));
}

}  // namespace

JsonPath JsonPath::parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  std::size_t i = 0;
  if (text.empty() || text[0] != '$') fail(text, 0, "must start with '$'");
  ++i;
  while (i < text.size()) {
    if (text[i] == '.') {
      const auto begin = ++i;
      while (i < text.size() && text[i] != '.' && text[i] != '[') ++i;
      if (i == begin) fail(text, begin, "empty name after '.'");
      path.steps_.emplace_back(std::string(text.substr(begin, i - begin)));
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        const char quote = text[i++];
        const auto begin = i;
        while (i < text.size() && text[i] != quote) ++i;
        if (i >= text.size()) fail(text, begin, "unterminated quoted name");
        path.steps_.emplace_back(std::string(text.substr(begin, i - begin)));
        ++i;
      } else {
        const auto begin = i;
        if (i < text.size() && text[i] == '-') ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        if (i == begin || (i == begin + 1 && text[begin] == '-'))
          fail(text, begin, "expected an index");
        long long index = 0;
        const auto* first = text.data() + begin;
        const auto [end, error] = std::from_chars(first, text.data() + i, index);
        if (error != std::errc() || end != text.data() + i) fail(text, begin, "index out of range");
        path.steps_.emplace_back(index);
      }
      if (i >= text.size() || text[i] != ']') fail(text, i, "expected ']'");
      ++i;
    } else {
      fail(text, i, "expected '.' or '['");
    }
  }
  return path;
}

const nlohmann::json* JsonPath::find(const nlohmann::json& document) const {
  const nlohmann::json* at = &document;
  for (const auto& step : steps_) {
    if (const auto* name = std::get_if<std::string>(&step)) {
      if (!at->is_object()) return nullptr;
      const auto it = at->find(*name);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      auto index = std::get<long long>(step);
      if (!at->is_array()) return nullptr;
      const auto size = static_cast<long long>(at->size());
      if (index < 0) index += size;
      if (index < 0 || index >= size) return nullptr;
      at = &(*at)[static_cast<std::size_t>(index)];
    }
  }
  return at;
}

}  // namespace mockforge::watch
