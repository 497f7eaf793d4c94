#include "core/sasl/users.h"

namespace mockforge::sasl {

UserStore::UserStore(const std::vector<std::string>& entries, int scram_iterations) {
  for (const std::string& entry : entries) {
    const std::size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) continue;  // the config refuses these
    User user;
    user.password = entry.substr(colon + 1);
    user.sha256 = make_scram_credential(ScramHash::kSha256, user.password, random_bytes(16),
                                        scram_iterations);
    user.sha512 = make_scram_credential(ScramHash::kSha512, user.password, random_bytes(16),
                                        scram_iterations);
    users_.insert_or_assign(entry.substr(0, colon), std::move(user));
  }
}

bool UserStore::check_password(std::string_view name, std::string_view password) const {
  const auto found = users_.find(name);
  if (found == users_.end()) return false;
  return equal_constant_time(found->second.password, password);
}

const ScramCredential* UserStore::scram_credential(ScramHash hash, std::string_view name) const {
  const auto found = users_.find(name);
  if (found == users_.end()) return nullptr;
  return hash == ScramHash::kSha256 ? &found->second.sha256 : &found->second.sha512;
}

}  // namespace mockforge::sasl
