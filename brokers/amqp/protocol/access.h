// Users, passwords and per-vhost permissions, as RabbitMQ's internal
// authentication and authorisation backend keeps them: a user may open a
// vhost only with a permission entry for it, and each entry holds three
// regular expressions (configure, write, read) matched against the names of
// exchanges and queues (unanchored, like RabbitMQ's re:run; the default
// exchange is matched as "amq.default").
//
// Built from config (amqp.users, amqp.vhosts, amqp.permissions); fixtures
// add vhosts, users (with tags) and permission entries while it serves, so
// it locks. Nothing is ever removed or replaced: what permissions() returns
// stays valid for the broker's life.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/regex/pattern.h"

namespace mockforge::amqp {

enum class Permission { kConfigure, kWrite, kRead };

// One regular expression of a permission entry. ".*" matches everything
// without running the regex (the common case, checked on every publish). A
// name the regex is too complex to decide for is refused.
class PermissionPattern {
 public:
  explicit PermissionPattern(std::string pattern);  // throws regex::PatternError
  bool matches(std::string_view name) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  bool everything_ = false;
  std::optional<regex::Pattern> regex_;
};

struct VhostPermissions {
  PermissionPattern configure{".*"};
  PermissionPattern write{".*"};
  PermissionPattern read{".*"};
  const PermissionPattern& of(Permission permission) const;
};

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, from "host:port" or "[v6]:port".
bool is_loopback_peer(std::string_view peer);

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
  // user_tags: "USER TAG [TAG...]" for users of `users`.
  static AccessControl from_config(const std::vector<std::string>& users,
                                   const std::vector<std::string>& vhosts,
                                   const std::vector<std::string>& permissions,
                                   const std::vector<std::string>& user_tags = {});

  AccessControl(const AccessControl& other);
  AccessControl& operator=(const AccessControl& other);

  // In the order configured (then added).
  std::vector<std::string> vhosts() const;
  bool vhost_exists(const std::string& vhost) const;
  bool check_password(const std::string& user, const std::string& password) const;
  // Whether the user exists (EXTERNAL logins check no password).
  bool user_exists(const std::string& user) const;
  bool has_tag(const std::string& user, std::string_view tag) const;

  // RabbitMQ's loopback_users: users who may log in only from a loopback
  // address. Default ["guest"].
  void set_loopback_users(std::vector<std::string> users);
  // False when the user is one of them and `peer` ("host:port", "[v6]:port")
  // is not a loopback address. An empty peer (no socket) counts as loopback.
  bool may_log_in_from(const std::string& user, std::string_view peer) const;
  // The user's permissions on the vhost, or nullptr: no access.
  const VhostPermissions* permissions(const std::string& user, const std::string& vhost) const;

  // Fixtures (as rabbitmqctl add_vhost, add_user + set_user_tags,
  // set_permissions would). Each returns "" or why not; adding what exists
  // the same way changes nothing, another way is refused. With `dry_run`
  // nothing changes. A user added here has only the permissions added for
  // it (as a new RabbitMQ user), whatever amqp.permissions says of others.
  // add_vhost: true if the vhost is new.
  bool add_vhost(const std::string& name);
  std::string add_user(const std::string& name, const std::string& password,
                       const std::vector<std::string>& tags, bool dry_run);
  std::string add_permission(const std::string& user, const std::string& vhost,
                             const std::string& configure, const std::string& write,
                             const std::string& read, bool dry_run);

  struct UserListing {
    std::string name;
    std::vector<std::string> tags;
    // vhost -> configure, write, read; "all" when every vhost is open to the user.
    std::map<std::string, std::array<std::string, 3>> permissions;
    bool open_everywhere = false;
  };
  // Every user, by name (the admin API).
  std::vector<UserListing> users() const;

 private:
  bool vhost_exists_locked(const std::string& vhost) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string> passwords_;
  std::map<std::string, std::vector<std::string>> tags_;
  std::set<std::string> fixture_users_;
  std::vector<std::string> loopback_users_{"guest"};
  std::vector<std::string> vhosts_;
  bool everyone_everywhere_ = true;
  VhostPermissions full_;
  std::map<std::pair<std::string, std::string>, VhostPermissions> permissions_;
};

}  // namespace mockforge::amqp
