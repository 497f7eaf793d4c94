// Who may connect, publish, subscribe and receive: the user list
// (mqtt.users, checked when mqtt.auth_enabled) and an access control list in
// Mosquitto's acl_file syntax (mqtt.acl_file and mqtt.acl). No I/O: the
// service reads the file and hands the text over.
//
// ACL lines (one rule per line, '#' starts a comment line):
//   user <name>       following `topic` lines apply to this user name
//   client <id>       following `topic` lines apply to this client id
//                     (a mockforge addition; Mosquitto has only patterns)
//   topic [read|write|readwrite|deny] <filter>
//                     before any user/client line: clients without a user name
//   pattern [read|write|readwrite|deny] <filter>
//                     every client; a level that is exactly %u or %c is
//                     replaced by the user name or client id (a pattern with
//                     %u does not apply to clients without a user name)
// The access defaults to readwrite. `read` covers subscribing and receiving,
// `write` publishing. A matching `deny` rule wins over any grant. With no
// rules at all everything is allowed; with rules, what no rule grants is
// refused.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::mqtt {

struct Identity {
  std::string_view client_id;
  std::optional<std::string_view> username;
};

class AccessControl {
 public:
  // Empty: everything is allowed.
  AccessControl() = default;
  // Parses ACL text; throws std::invalid_argument naming `source` and the
  // line of the first error.
  static AccessControl parse(std::string_view text, std::string_view source);
  // Appends the rules of `other` (parsed separately) to these.
  void append(const AccessControl& other);

  bool empty() const { return !configured_; }

  bool may_publish(const Identity& who, std::string_view topic) const;
  bool may_receive(const Identity& who, std::string_view topic) const;
  // A (non-shared) filter is refused when a deny rule covers every topic it
  // matches, or when no read rule can match any topic it matches. A granted
  // filter still delivers only what may_receive allows.
  bool may_subscribe(const Identity& who, std::string_view filter) const;

 private:
  enum Access : uint8_t { kRead = 1, kWrite = 2, kDeny = 4 };
  struct Rule {
    uint8_t access = 0;
    std::string filter;
  };
  // The rules that apply to `who`, patterns already substituted.
  std::vector<Rule> rules_for(const Identity& who) const;

  bool configured_ = false;
  std::vector<Rule> anonymous_;
  std::map<std::string, std::vector<Rule>, std::less<>> users_;
  std::map<std::string, std::vector<Rule>, std::less<>> clients_;
  std::vector<Rule> patterns_;
};

// Topic filter relations (both filters valid, non-shared).
// Every topic `inner` matches is matched by `outer`.
bool filter_covers(std::string_view outer, std::string_view inner);
// Some topic is matched by both.
bool filters_overlap(std::string_view a, std::string_view b);

}  // namespace mockforge::mqtt
