#pragma once

// The libcrypto primitives SASL needs: hashes, HMAC, PBKDF2, random bytes, base64.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mockforge::sasl {

enum class ScramHash { kSha256, kSha512 };

std::string digest(ScramHash hash, std::string_view data);
std::string hmac(ScramHash hash, std::string_view key, std::string_view data);
std::string pbkdf2(ScramHash hash, std::string_view password, std::string_view salt,
                   int iterations);
std::string random_bytes(std::size_t count);
// Compares without an early exit (secrets).
bool equal_constant_time(std::string_view a, std::string_view b);

std::string base64_encode(std::string_view data);
// nullopt when `text` is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mockforge::sasl
