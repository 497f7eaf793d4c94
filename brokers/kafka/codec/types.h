#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace mockforge::kafka {

using Bytes = std::vector<uint8_t>;

// Bytes that a message either owns or borrows. Decoding a field marked `decode borrow` in its
// schema yields a borrowed value pointing into the decoded buffer (no copy), which is valid only
// while that buffer lives; assigning Bytes makes an owned one. Compares by content.
class BytesRef {
 public:
  BytesRef() = default;
  BytesRef(Bytes owned) : value_(std::move(owned)) {}  // NOLINT(google-explicit-constructor)
  static BytesRef borrow(std::span<const uint8_t> bytes) {
    BytesRef ref;
    ref.value_ = bytes;
    return ref;
  }

  std::span<const uint8_t> span() const {
    if (const auto* owned = std::get_if<Bytes>(&value_)) return *owned;
    return std::get<std::span<const uint8_t>>(value_);
  }
  operator std::span<const uint8_t>() const { return span(); }  // NOLINT
  const uint8_t* data() const { return span().data(); }
  size_t size() const { return span().size(); }
  bool empty() const { return size() == 0; }
  bool borrowed() const { return std::holds_alternative<std::span<const uint8_t>>(value_); }
  Bytes to_bytes() const {
    auto bytes = span();
    return Bytes(bytes.begin(), bytes.end());
  }

  bool operator==(const BytesRef& other) const;

 private:
  std::variant<Bytes, std::span<const uint8_t>> value_;
};

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
