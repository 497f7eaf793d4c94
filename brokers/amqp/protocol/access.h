// Users, passwords and per-vhost permissions, as RabbitMQ's internal
// authentication and authorisation backend keeps them: a user may open a
// vhost only with a permission entry for it, and each entry holds three
// regular expressions (configure, write, read) matched against the names of
// exchanges and queues (unanchored, like RabbitMQ's re:run; the default
// exchange is matched as "amq.default").
//
// Built once from config (amqp.users, amqp.vhosts, amqp.permissions) and
// read-only afterwards, so it needs no locking.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::amqp {

enum class Permission { kConfigure, kWrite, kRead };

// One regular expression of a permission entry. ".*" matches everything
// without running the regex (the common case, checked on every publish).
class PermissionPattern {
 public:
  explicit PermissionPattern(std::string pattern);  // throws std::regex_error
  bool matches(std::string_view name) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  bool everything_ = false;
  std::shared_ptr<const std::regex> regex_;
};

struct VhostPermissions {
  PermissionPattern configure{".*"};
  PermissionPattern write{".*"};
  PermissionPattern read{".*"};
  const PermissionPattern& of(Permission permission) const;
};

class AccessControl {
 public:
  // guest/guest with full permissions on "/": RabbitMQ's fresh node.
  AccessControl();

  // users: "name:password" (the password is what follows the first colon).
  // vhosts: names; "/" is not implied.
  // permissions: "USER VHOST [CONFIGURE WRITE READ]", whitespace-separated,
  // the three regular expressions defaulting to ".*". With no entries at all,
  // every user has ".*" on every vhost.
  // Throws std::invalid_argument naming the bad entry.
  static AccessControl from_config(const std::vector<std::string>& users,
                                   const std::vector<std::string>& vhosts,
                                   const std::vector<std::string>& permissions);

  const std::vector<std::string>& vhosts() const { return vhosts_; }
  bool vhost_exists(const std::string& vhost) const;
  bool check_password(const std::string& user, const std::string& password) const;
  // The user's permissions on the vhost, or nullptr: no access.
  const VhostPermissions* permissions(const std::string& user, const std::string& vhost) const;

 private:
  std::map<std::string, std::string> passwords_;
  std::vector<std::string> vhosts_;
  bool everyone_everywhere_ = true;
  VhostPermissions full_;
  std::map<std::pair<std::string, std::string>, VhostPermissions> permissions_;
};

}  // namespace mockforge::amqp
