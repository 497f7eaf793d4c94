// Test helpers to write expected wire bytes by hand: hex digits and
// length-prefixed strings, concatenated. Deliberately independent of the
// codec's own writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::amqp::testing {

using Bytes = std::vector<uint8_t>;

// "000a 000b" -> {0x00, 0x0a, 0x00, 0x0b}; spaces are ignored.
inline Bytes hex(std::string_view digits) {
  Bytes out;
  int high = -1;
  for (char c : digits) {
    if (c == ' ' || c == '\n') continue;
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else {
      throw std::invalid_argument("bad hex digit in test data");
    }
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + nibble));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits in test data");
  return out;
}

// The raw bytes of `text`.
inline Bytes ascii(std::string_view text) { return Bytes(text.begin(), text.end()); }

// shortstr: one length octet, then the bytes.
inline Bytes shortstr(std::string_view text) {
  Bytes out{static_cast<uint8_t>(text.size())};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

// longstr: four length octets, big-endian, then the bytes.
inline Bytes longstr(std::string_view text) {
  const auto n = static_cast<uint32_t>(text.size());
  Bytes out{static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
            static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

inline std::string to_hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

inline Bytes read_golden(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path(MOCKFORGE_AMQP_GOLDEN_DIR) / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open golden file " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace mockforge::amqp::testing
