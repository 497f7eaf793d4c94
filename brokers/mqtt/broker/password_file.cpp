#include "brokers/mqtt/broker/password_file.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/sasl/crypto.h"

namespace mockforge::mqtt {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Why the hash text is unusable, or "" with `out` filled in.
std::string parse_hash(std::string_view text, PasswordHash& out) {
  if (!text.starts_with('$'))
    return "not a mosquitto_passwd hash (plain-text passwords are refused)";
  const std::vector<std::string_view> fields = split(text.substr(1), '$');
  std::string_view salt;
  std::string_view hash;
  if (fields[0] == "6" && fields.size() == 3) {
    out.kind = PasswordHash::Kind::kSha512;
    out.iterations = 1;
    salt = fields[1];
    hash = fields[2];
  } else if (fields[0] == "7" && fields.size() == 4) {
    out.kind = PasswordHash::Kind::kPbkdf2Sha512;
    const std::string_view count = fields[1];
    const auto [end, error] =
        std::from_chars(count.data(), count.data() + count.size(), out.iterations);
    if (error != std::errc() || end != count.data() + count.size() || out.iterations < 1) {
      return "bad iteration count";
    }
    salt = fields[2];
    hash = fields[3];
  } else {
    return "unknown hash type (mockforge reads $6$ and $7$)";
  }
  std::optional<std::string> salt_bytes = sasl::base64_decode(salt);
  std::optional<std::string> hash_bytes = sasl::base64_decode(hash);
  if (!salt_bytes || salt_bytes->empty()) return "bad base64 salt";
  if (!hash_bytes || hash_bytes->size() != 64) return "bad base64 hash (64 bytes of SHA-512)";
  out.salt = std::move(*salt_bytes);
  out.hash = std::move(*hash_bytes);
  return {};
}

}  // namespace

std::map<std::string, PasswordHash, std::less<>> parse_password_file(std::string_view text,
                                                                     std::string_view source) {
  std::map<std::string, PasswordHash, std::less<>> users;
  int number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.starts_with('#')) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw std::invalid_argument(
          fmt::format("{}:{}: expected user:hash as mosquitto_passwd writes", source, number));
    }
    const std::string user(line.substr(0, colon));
    PasswordHash hash;
    if (std::string why = parse_hash(line.substr(colon + 1), hash); !why.empty()) {
      throw std::invalid_argument(fmt::format("{}:{}: user '{}': {}", source, number, user, why));
    }
    if (!users.emplace(user, std::move(hash)).second) {
      throw std::invalid_argument(
          fmt::format("{}:{}: user '{}' is listed twice", source, number, user));
    }
  }
  return users;
}

bool verify_password(const PasswordHash& stored, std::string_view password) {
  std::string computed;
  if (stored.kind == PasswordHash::Kind::kSha512) {
    computed = sasl::digest(sasl::ScramHash::kSha512, std::string(password) + stored.salt);
  } else {
    computed = sasl::pbkdf2(sasl::ScramHash::kSha512, password, stored.salt, stored.iterations);
  }
  return sasl::equal_constant_time(computed, stored.hash);
}

}  // namespace mockforge::mqtt
