#include "brokers/amqp/protocol/access.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace mockforge::amqp {

PermissionPattern::PermissionPattern(std::string pattern) : pattern_(std::move(pattern)) {
  everything_ = pattern_ == ".*";
  if (!everything_) {
    regex_ = std::make_shared<const std::regex>(pattern_, std::regex::ECMAScript);
  }
}

bool PermissionPattern::matches(std::string_view name) const {
  if (everything_) return true;
  return std::regex_search(name.begin(), name.end(), *regex_);
}

const PermissionPattern& VhostPermissions::of(Permission permission) const {
  switch (permission) {
    case Permission::kConfigure:
      return configure;
    case Permission::kWrite:
      return write;
    case Permission::kRead:
      break;
  }
  return read;
}

AccessControl::AccessControl() : passwords_{{"guest", "guest"}}, vhosts_{"/"} {}

AccessControl AccessControl::from_config(const std::vector<std::string>& users,
                                         const std::vector<std::string>& vhosts,
                                         const std::vector<std::string>& permissions) {
  AccessControl access;
  access.passwords_.clear();
  access.vhosts_.clear();
  for (const std::string& entry : users) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw std::invalid_argument("amqp.users: expected name:password, got \"" + entry + "\"");
    }
    access.passwords_[entry.substr(0, colon)] = entry.substr(colon + 1);
  }
  for (const std::string& vhost : vhosts) {
    if (vhost.empty() || vhost.size() > 255) {
      throw std::invalid_argument("amqp.vhosts: a vhost name is 1 to 255 bytes, got \"" + vhost +
                                  "\"");
    }
    if (!access.vhost_exists(vhost)) access.vhosts_.push_back(vhost);
  }
  access.everyone_everywhere_ = permissions.empty();
  for (const std::string& entry : permissions) {
    std::istringstream fields(entry);
    std::vector<std::string> parts;
    for (std::string part; fields >> part;) parts.push_back(part);
    if (parts.size() != 2 && parts.size() != 5) {
      throw std::invalid_argument(
          "amqp.permissions: expected \"USER VHOST [CONFIGURE WRITE READ]\", got \"" + entry +
          "\"");
    }
    if (!access.passwords_.contains(parts[0])) {
      throw std::invalid_argument("amqp.permissions: no user \"" + parts[0] +
                                  "\" in amqp.users (entry \"" + entry + "\")");
    }
    if (!access.vhost_exists(parts[1])) {
      throw std::invalid_argument("amqp.permissions: no vhost \"" + parts[1] +
                                  "\" in amqp.vhosts (entry \"" + entry + "\")");
    }
    VhostPermissions granted;
    if (parts.size() == 5) {
      try {
        granted = VhostPermissions{PermissionPattern(parts[2]), PermissionPattern(parts[3]),
                                   PermissionPattern(parts[4])};
      } catch (const std::regex_error& error) {
        throw std::invalid_argument("amqp.permissions: bad regular expression in \"" + entry +
                                    "\": " + error.what());
      }
    }
    access.permissions_.insert_or_assign({parts[0], parts[1]}, std::move(granted));
  }
  return access;
}

bool AccessControl::vhost_exists(const std::string& vhost) const {
  return std::find(vhosts_.begin(), vhosts_.end(), vhost) != vhosts_.end();
}

bool AccessControl::check_password(const std::string& user, const std::string& password) const {
  auto it = passwords_.find(user);
  return it != passwords_.end() && it->second == password;
}

const VhostPermissions* AccessControl::permissions(const std::string& user,
                                                   const std::string& vhost) const {
  if (!passwords_.contains(user) || !vhost_exists(vhost)) return nullptr;
  if (everyone_everywhere_) return &full_;
  auto it = permissions_.find({user, vhost});
  return it == permissions_.end() ? nullptr : &it->second;
}

}  // namespace mockforge::amqp
