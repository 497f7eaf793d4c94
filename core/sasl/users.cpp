#include "core/sasl/users.h"

#include <algorithm>

namespace mockforge::sasl {

bool UserStore::User::allows(std::string_view mechanism) const {
  return mechanisms.empty() ||
         std::find(mechanisms.begin(), mechanisms.end(), mechanism) != mechanisms.end();
}

UserStore::User UserStore::make_user(const std::string& password,
                                     std::vector<std::string> mechanisms) const {
  User user;
  user.password = password;
  user.sha256 =
      make_scram_credential(ScramHash::kSha256, password, random_bytes(16), scram_iterations_);
  user.sha512 =
      make_scram_credential(ScramHash::kSha512, password, random_bytes(16), scram_iterations_);
  user.mechanisms = std::move(mechanisms);
  return user;
}

UserStore::UserStore(const std::vector<std::string>& entries, int scram_iterations)
    : scram_iterations_(scram_iterations) {
  for (const std::string& entry : entries) {
    const std::size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) continue;  // the config refuses these
    users_.insert_or_assign(entry.substr(0, colon), make_user(entry.substr(colon + 1), {}));
  }
}

void UserStore::add(const std::string& name, const std::string& password,
                    std::vector<std::string> mechanisms) {
  User user = make_user(password, std::move(mechanisms));  // PBKDF2 outside the lock
  std::lock_guard lock(mutex_);
  users_.insert_or_assign(name, std::move(user));
}

bool UserStore::empty() const {
  std::lock_guard lock(mutex_);
  return users_.empty();
}

bool UserStore::check_password(std::string_view name, std::string_view password) const {
  std::lock_guard lock(mutex_);
  const auto found = users_.find(name);
  if (found == users_.end() || !found->second.allows("PLAIN")) return false;
  return equal_constant_time(found->second.password, password);
}

std::optional<ScramCredential> UserStore::scram_credential(ScramHash hash,
                                                           std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto found = users_.find(name);
  if (found == users_.end() || !found->second.allows(scram_mechanism_name(hash))) {
    return std::nullopt;
  }
  return hash == ScramHash::kSha256 ? found->second.sha256 : found->second.sha512;
}

}  // namespace mockforge::sasl
