// A client's payload as JSON, with a bound on nesting (see README.md).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mockforge::json {

inline constexpr std::size_t kMaxPayloadDepth = 512;

struct ParsedPayload {
  nlohmann::json value;  // discarded unless ok()
  std::string error;     // "the payload is not JSON" or how deep it nests; empty when ok()
  bool ok() const { return error.empty(); }
};

ParsedPayload parse_payload(std::string_view text, std::size_t max_depth = kMaxPayloadDepth);

// How deep arrays and objects nest in `text` (brackets outside strings), counting no further
// than `limit` + 1. Linear, no recursion; says nothing of whether `text` is JSON.
std::size_t nesting_depth(std::string_view text, std::size_t limit);

}  // namespace mockforge::json
