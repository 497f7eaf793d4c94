#include "core/sasl/plain.h"

namespace mockforge::sasl {

std::optional<PlainMessage> parse_plain(std::string_view message) {
  const std::size_t first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainMessage parsed{std::string(message.substr(0, first)),
                      std::string(message.substr(first + 1, second - first - 1)),
                      std::string(message.substr(second + 1))};
  if (parsed.username.empty() || parsed.password.empty()) return std::nullopt;
  return parsed;
}

std::string format_plain(std::string_view username, std::string_view password) {
  std::string out;
  out += '\0';
  out += username;
  out += '\0';
  out += password;
  return out;
}

}  // namespace mockforge::sasl
