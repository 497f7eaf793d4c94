#pragma once

// The PLAIN message (RFC 4616): [authzid] NUL authcid NUL passwd.

#include <optional>
#include <string>
#include <string_view>

namespace mockforge::sasl {

struct PlainMessage {
  std::string authzid;
  std::string username;
  std::string password;
};

// nullopt unless the message has exactly two NULs and a non-empty user name and password.
std::optional<PlainMessage> parse_plain(std::string_view message);
std::string format_plain(std::string_view username, std::string_view password);

}  // namespace mockforge::sasl
