#pragma once

// The users a SASL server accepts, with their SCRAM credentials computed once.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sasl/scram.h"

namespace mockforge::sasl {

class UserStore {
 public:
  UserStore() = default;
  // `entries` are "name:password" (the password is what follows the first colon); a later entry
  // for the same name replaces an earlier one. Each user gets a random salt per SCRAM hash.
  UserStore(const std::vector<std::string>& entries, int scram_iterations);

  // Adds or replaces a user (Kafka fixture files) who may authenticate with `mechanisms` only
  // (empty: every mechanism). Thread-safe against the lookups below.
  void add(const std::string& name, const std::string& password,
           std::vector<std::string> mechanisms);

  bool empty() const;
  // PLAIN: the password, if the user may use PLAIN.
  bool check_password(std::string_view name, std::string_view password) const;
  // nullopt for an unknown user, or one who may not use this SCRAM mechanism.
  std::optional<ScramCredential> scram_credential(ScramHash hash, std::string_view name) const;

 private:
  struct User {
    std::string password;
    ScramCredential sha256;
    ScramCredential sha512;
    std::vector<std::string> mechanisms;  // empty: all
    bool allows(std::string_view mechanism) const;
  };
  User make_user(const std::string& password, std::vector<std::string> mechanisms) const;

  int scram_iterations_ = 4096;
  mutable std::mutex mutex_;
  std::map<std::string, User, std::less<>> users_;
};

}  // namespace mockforge::sasl
