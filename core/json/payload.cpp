#include "core/json/payload.h"

namespace mockforge::json {

std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return deepest;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

ParsedPayload parse_payload(std::string_view text, std::size_t max_depth) {
  ParsedPayload out;
  if (nesting_depth(text, max_depth) > max_depth) {
    out.value = nlohmann::json(nlohmann::json::value_t::discarded);
    out.error =
        "the payload nests arrays and objects deeper than " + std::to_string(max_depth) + " levels";
    return out;
  }
  out.value = nlohmann::json::parse(text, nullptr, false);
  if (out.value.is_discarded()) out.error = "the payload is not JSON";
  return out;
}

}  // namespace mockforge::json
