#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mockforge::kafka {

using Bytes = std::vector<uint8_t>;

// A 128-bit Kafka UUID (topic ids), kept as its 16 wire bytes.
struct Uuid {
  std::array<uint8_t, 16> bytes{};

  bool is_zero() const;
  // The form Kafka prints: URL-safe base64 without padding (22 characters).
  std::string to_base64() const;
  static std::optional<Uuid> from_base64(std::string_view text);

  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;
};

}  // namespace mockforge::kafka
