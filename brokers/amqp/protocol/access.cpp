#include "brokers/amqp/protocol/access.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace mockforge::amqp {

PermissionPattern::PermissionPattern(std::string pattern) : pattern_(std::move(pattern)) {
  everything_ = pattern_ == ".*";
  if (!everything_) {
    regex_.emplace(pattern_);
  }
}

bool PermissionPattern::matches(std::string_view name) const {
  if (everything_) return true;
  return regex_->search(name) == regex::Pattern::Result::kMatch;
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

bool is_loopback_peer(std::string_view peer) {
  if (peer.empty()) return true;
  std::string_view host = peer;
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host == "::1") return true;
  if (host.starts_with("::ffff:")) host.remove_prefix(7);
  return host.starts_with("127.");
}

AccessControl::AccessControl() : passwords_{{"guest", "guest"}}, vhosts_{"/"} {}

AccessControl AccessControl::from_config(const std::vector<std::string>& users,
                                         const std::vector<std::string>& vhosts,
                                         const std::vector<std::string>& permissions,
                                         const std::vector<std::string>& user_tags) {
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
  for (const std::string& entry : user_tags) {
    std::istringstream fields(entry);
    std::string user;
    fields >> user;
    if (!access.passwords_.contains(user)) {
      throw std::invalid_argument("amqp.user_tags: no user \"" + user +
                                  "\" in amqp.users (entry \"" + entry + "\")");
    }
    std::vector<std::string>& tags = access.tags_[user];
    for (std::string tag; fields >> tag;) {
      if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    }
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
      } catch (const regex::PatternError& error) {
        throw std::invalid_argument("amqp.permissions: bad regular expression in \"" + entry +
                                    "\": " + error.what());
      }
    }
    access.permissions_.insert_or_assign({parts[0], parts[1]}, std::move(granted));
  }
  return access;
}

AccessControl::AccessControl(const AccessControl& other) { *this = other; }

AccessControl& AccessControl::operator=(const AccessControl& other) {
  if (this == &other) return *this;
  std::shared_lock theirs(other.mutex_);
  std::unique_lock mine(mutex_);
  passwords_ = other.passwords_;
  tags_ = other.tags_;
  fixture_users_ = other.fixture_users_;
  loopback_users_ = other.loopback_users_;
  vhosts_ = other.vhosts_;
  everyone_everywhere_ = other.everyone_everywhere_;
  full_ = other.full_;
  permissions_ = other.permissions_;
  return *this;
}

std::vector<std::string> AccessControl::vhosts() const {
  std::shared_lock lock(mutex_);
  return vhosts_;
}

bool AccessControl::vhost_exists(const std::string& vhost) const {
  std::shared_lock lock(mutex_);
  return vhost_exists_locked(vhost);
}

bool AccessControl::vhost_exists_locked(const std::string& vhost) const {
  return std::find(vhosts_.begin(), vhosts_.end(), vhost) != vhosts_.end();
}

bool AccessControl::check_password(const std::string& user, const std::string& password) const {
  std::shared_lock lock(mutex_);
  auto it = passwords_.find(user);
  return it != passwords_.end() && it->second == password;
}

bool AccessControl::user_exists(const std::string& user) const {
  std::shared_lock lock(mutex_);
  return passwords_.contains(user);
}

bool AccessControl::has_tag(const std::string& user, std::string_view tag) const {
  std::shared_lock lock(mutex_);
  auto it = tags_.find(user);
  return it != tags_.end() &&
         std::find(it->second.begin(), it->second.end(), tag) != it->second.end();
}

void AccessControl::set_loopback_users(std::vector<std::string> users) {
  std::unique_lock lock(mutex_);
  loopback_users_ = std::move(users);
}

bool AccessControl::may_log_in_from(const std::string& user, std::string_view peer) const {
  std::shared_lock lock(mutex_);
  if (std::find(loopback_users_.begin(), loopback_users_.end(), user) == loopback_users_.end()) {
    return true;
  }
  return is_loopback_peer(peer);
}

const VhostPermissions* AccessControl::permissions(const std::string& user,
                                                   const std::string& vhost) const {
  std::shared_lock lock(mutex_);
  if (!passwords_.contains(user) || !vhost_exists_locked(vhost)) return nullptr;
  if (auto it = permissions_.find({user, vhost}); it != permissions_.end()) return &it->second;
  if (everyone_everywhere_ && !fixture_users_.contains(user)) return &full_;
  return nullptr;
}

bool AccessControl::add_vhost(const std::string& name) {
  std::unique_lock lock(mutex_);
  if (vhost_exists_locked(name)) return false;
  vhosts_.push_back(name);
  return true;
}

std::string AccessControl::add_user(const std::string& name, const std::string& password,
                                    const std::vector<std::string>& tags, bool dry_run) {
  std::unique_lock lock(mutex_);
  if (auto it = passwords_.find(name); it != passwords_.end()) {
    const auto have = tags_.find(name);
    const auto& have_tags = have == tags_.end() ? std::vector<std::string>() : have->second;
    if (it->second != password) return "user '" + name + "' exists with another password";
    if (have_tags != tags) return "user '" + name + "' exists with other tags";
    return {};
  }
  if (dry_run) return {};
  passwords_[name] = password;
  tags_[name] = tags;
  fixture_users_.insert(name);
  return {};
}

std::string AccessControl::add_permission(const std::string& user, const std::string& vhost,
                                          const std::string& configure, const std::string& write,
                                          const std::string& read, bool dry_run) {
  std::optional<VhostPermissions> granted;
  try {
    granted = VhostPermissions{PermissionPattern(configure), PermissionPattern(write),
                               PermissionPattern(read)};
  } catch (const regex::PatternError& error) {
    return std::string("bad regular expression: ") + error.what();
  }
  std::unique_lock lock(mutex_);
  // The user and vhost may come with the same load: only a real add needs them.
  if (!dry_run && !passwords_.contains(user)) return "no user '" + user + "'";
  if (!dry_run && !vhost_exists_locked(vhost)) return "no vhost '" + vhost + "'";
  if (auto it = permissions_.find({user, vhost}); it != permissions_.end()) {
    const auto& have = it->second;
    if (have.configure.pattern() != configure || have.write.pattern() != write ||
        have.read.pattern() != read) {
      return "user '" + user + "' has other permissions on vhost '" + vhost + "'";
    }
    return {};
  }
  if (dry_run) return {};
  permissions_.emplace(std::pair{user, vhost}, std::move(*granted));
  return {};
}

std::vector<AccessControl::UserListing> AccessControl::users() const {
  std::shared_lock lock(mutex_);
  std::vector<UserListing> out;
  for (const auto& [name, password] : passwords_) {
    UserListing user;
    user.name = name;
    if (auto it = tags_.find(name); it != tags_.end()) user.tags = it->second;
    user.open_everywhere = everyone_everywhere_ && !fixture_users_.contains(name);
    for (const auto& [key, granted] : permissions_) {
      if (key.first != name) continue;
      user.permissions[key.second] = {granted.configure.pattern(), granted.write.pattern(),
                                      granted.read.pattern()};
    }
    out.push_back(std::move(user));
  }
  return out;
}

}  // namespace mockforge::amqp
