// Mosquitto's password_file: one "user:hash" line per user, as mosquitto_passwd
// writes it. Hashes: $7$ITERATIONS$SALT$HASH (PBKDF2-HMAC-SHA512, Mosquitto
// 2.0's default) and $6$SALT$HASH (SHA-512 of the password then the salt,
// Mosquitto 1.x), salt and hash in padded base64. Empty lines and lines
// starting with '#' are skipped. Plain-text passwords are refused: the file
// exists to keep them out of the config.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace mockforge::mqtt {

struct PasswordHash {
  enum class Kind { kSha512, kPbkdf2Sha512 };
  Kind kind = Kind::kPbkdf2Sha512;
  int iterations = 1;
  std::string salt;  // bytes
  std::string hash;  // bytes
};

// Throws std::invalid_argument "SOURCE:LINE: reason" (never quoting a hash).
std::map<std::string, PasswordHash, std::less<>> parse_password_file(std::string_view text,
                                                                     std::string_view source);

// Hashes `password` as `stored` says and compares in constant time.
bool verify_password(const PasswordHash& stored, std::string_view password);

}  // namespace mockforge::mqtt
