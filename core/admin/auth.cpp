#include "core/admin/auth.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mockforge::admin {
namespace {

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

HttpResponse unauthorized(std::string_view message, std::string_view error) {
  auto response = HttpResponse::error(401, message);
  std::string challenge = "Bearer realm=\"mockforge\"";
  if (!error.empty()) challenge += ", error=\"" + std::string(error) + "\"";
  response.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return response;
}

}  // namespace

Guard bearer_guard(std::string token, std::vector<std::string> open_paths) {
  return [token = std::move(token), open_paths = std::move(open_paths)](
             const HttpRequest& request) -> std::optional<HttpResponse> {
    if (std::find(open_paths.begin(), open_paths.end(), request.path) != open_paths.end()) {
      return std::nullopt;
    }
    const auto header = request.headers.find("authorization");
    if (header == request.headers.end()) {
      return unauthorized("this admin endpoint needs Authorization: Bearer <admin token>", "");
    }
    std::string_view value = header->second;
    constexpr std::string_view kScheme = "bearer ";
    const bool bearer =
        value.size() > kScheme.size() &&
        std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    if (!bearer || !equal_constant_time(value.substr(kScheme.size()), token)) {
      return unauthorized("invalid admin token", "invalid_token");
    }
    return std::nullopt;
  };
}

bool is_loopback_address(std::string_view address) {
  if (address == "localhost") return true;
  const std::string text(address);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace mockforge::admin
