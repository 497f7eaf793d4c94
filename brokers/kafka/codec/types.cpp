#include "brokers/kafka/codec/types.h"

#include <algorithm>

namespace mockforge::kafka {

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64_value(char c) {
  const auto position = kBase64Url.find(c);
  return position == std::string_view::npos ? -1 : static_cast<int>(position);
}

}  // namespace

bool BytesRef::operator==(const BytesRef& other) const {
  const auto a = span();
  const auto b = other.span();
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

bool Uuid::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::string Uuid::to_base64() const {
  std::string out;
  uint32_t accumulator = 0;
  int bits = 0;
  for (uint8_t byte : bytes) {
    accumulator = (accumulator << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(accumulator >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(accumulator << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<Uuid> Uuid::from_base64(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  Uuid uuid;
  uint32_t accumulator = 0;
  int bits = 0;
  size_t index = 0;
  for (char c : text) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (index < uuid.bytes.size()) {
        uuid.bytes[index++] = static_cast<uint8_t>(accumulator >> bits);
      }
    }
  }
  // 22 characters carry 132 bits; the last 4 must be zero for a canonical encoding.
  if ((accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return uuid;
}

}  // namespace mockforge::kafka
