// Reading mockforge's admin API from the client commands (`amqp queue list`,
// `amqp bindings list`, `mqtt stats --admin-url`) and changing it (`fixtures`,
// `responders`, `faults`).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/net/http.h"

namespace mockforge::cli::net {

struct AdminApi {
  std::string url = "http://localhost:9080";
  std::string token;  // --admin-token, else $MOCKFORGE_ADMIN_TOKEN
  double timeout = 10;
  // For an https:// URL: --admin-cafile (else $MOCKFORGE_ADMIN_CAFILE),
  // --admin-cert, --admin-key, --admin-insecure.
  TlsOptions tls;
};

// The parsed URL with its TLS options. Throws NetError.
HttpUrl admin_url(const AdminApi& api);

// --admin-url URL (also spelled --admin), --admin-token TOKEN and, for an
// https:// URL, --admin-cafile, --admin-cert, --admin-key and
// --admin-insecure. With `url_required_to_use`, the URL has no default: the
// command uses the admin API only when it is given. With `short_tls_names`
// (commands without broker TLS flags of their own), the TLS options are
// also spelled --cafile, --cert, --key and --insecure.
void add_admin_api_options(CLI::App& command, AdminApi& api, bool url_required_to_use = false,
                           bool short_tls_names = false);

// --admin-url, --admin-token and --timeout SECONDS (for commands that change
// state through the admin API: `fixtures load`, `faults add`, ...).
void add_admin_call_options(CLI::App& command, AdminApi& api);

// Sends `method target` with an optional JSON body; returns the JSON object of
// a 2xx answer, throws with the server's message otherwise.
nlohmann::json admin_call(const AdminApi& api, const std::string& method, const std::string& target,
                          const std::string& body = "");

// GETs `target` and returns the member `key` of the JSON object it answers
// (the whole object when `key` is empty).
// Errors name the URL; `hint` says what the listing needs when the server is
// not a mockforge admin API.
nlohmann::json admin_get(const AdminApi& api, const std::string& target, const std::string& key,
                         std::string_view hint);

}  // namespace mockforge::cli::net
