// Access control of the admin port: a bearer-token guard and the loopback
// test that decides whether a token is required.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/admin/http_server.h"

namespace mockforge::admin {

// A guard that answers 401 with `WWW-Authenticate: Bearer realm="mockforge"`
// unless the request carries `Authorization: Bearer <token>` (compared in
// constant time). Paths in `open_paths` pass without a token.
Guard bearer_guard(std::string token, std::vector<std::string> open_paths);

// True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost".
bool is_loopback_address(std::string_view address);

}  // namespace mockforge::admin
