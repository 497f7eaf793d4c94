#pragma once

// The users a SASL server accepts, with their SCRAM credentials computed once.

#include <map>
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

  bool empty() const { return users_.empty(); }
  bool check_password(std::string_view name, std::string_view password) const;
  // nullptr for an unknown user.
  const ScramCredential* scram_credential(ScramHash hash, std::string_view name) const;

 private:
  struct User {
    std::string password;
    ScramCredential sha256;
    ScramCredential sha512;
  };
  std::map<std::string, User, std::less<>> users_;
};

}  // namespace mockforge::sasl
