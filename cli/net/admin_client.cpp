#include "cli/net/admin_client.h"

#include <cstdlib>
#include <stdexcept>

namespace mockforge::cli::net {

HttpUrl admin_url(const AdminApi& api) { return parse_http_url(api.url, api.tls); }

void add_admin_api_options(CLI::App& command, AdminApi& api, bool url_required_to_use,
                           bool short_tls_names) {
  auto* url = command.add_option("--admin-url,--admin", api.url,
                                 "mockforge's admin API (mockforge serve --admin-port)");
  if (url_required_to_use) {
    api.url.clear();
  } else {
    url->capture_default_str();
  }
  if (const char* token = std::getenv("MOCKFORGE_ADMIN_TOKEN")) api.token = token;
  command.add_option("--admin-token", api.token,
                     "Bearer token of the admin API (default: $MOCKFORGE_ADMIN_TOKEN)");
  if (const char* ca_file = std::getenv("MOCKFORGE_ADMIN_CAFILE")) api.tls.ca_file = ca_file;
  // The short spelling only where the command does not use it for something else
  // (e.g. `kafka cluster coordinator-outage --key`).
  const auto name = [short_tls_names, &command](const std::string& flag) {
    const bool free = command.get_option_no_throw("--" + flag) == nullptr;
    return "--admin-" + flag + (short_tls_names && free ? ",--" + flag : std::string());
  };
  command
      .add_option(name("cafile"), api.tls.ca_file,
                  "PEM CA certificates to verify an https:// admin URL with (default: "
                  "$MOCKFORGE_ADMIN_CAFILE, else the system's CAs)")
      ->check(CLI::ExistingFile);
  command
      .add_option(name("cert"), api.tls.cert_file,
                  "PEM client certificate for an https:// admin URL (with its key)")
      ->check(CLI::ExistingFile);
  command
      .add_option(name("key"), api.tls.key_file, "PEM private key of the admin client certificate")
      ->check(CLI::ExistingFile);
  command.add_flag(name("insecure"), api.tls.insecure,
                   "Do not verify the https:// admin API's certificate or name");
}

void add_admin_call_options(CLI::App& command, AdminApi& api) {
  api.url = "http://127.0.0.1:9080";
  api.timeout = 30;
  add_admin_api_options(command, api, false, true);
  command.add_option("--timeout", api.timeout, "Seconds to wait for the admin API")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

nlohmann::json admin_call(const AdminApi& api, const std::string& method, const std::string& target,
                          const std::string& body) {
  const auto url = admin_url(api);
  HttpReply reply;
  try {
    reply = http_request(method, url, target,
                         std::chrono::milliseconds(static_cast<int64_t>(api.timeout * 1000)),
                         api.token, body);
  } catch (const NetError& e) {
    throw std::runtime_error("no mockforge admin API at " + api.url + ": " + e.what() +
                             " (start it with mockforge serve; --admin-url names another)");
  }
  auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status / 100 == 2 && parsed.is_object()) return parsed;
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object() &&
      !parsed["error"].value("message", "").empty()) {
    auto message = parsed["error"]["message"].get<std::string>();
    if (reply.status == 401) message += " (pass --admin-token or set MOCKFORGE_ADMIN_TOKEN)";
    throw std::runtime_error(message);
  }
  throw std::runtime_error(api.url + " is not mockforge's admin API (" + method + " " + target +
                           " answered HTTP " + std::to_string(reply.status) + ")");
}

nlohmann::json admin_get(const AdminApi& api, const std::string& target, const std::string& key,
                         std::string_view hint) {
  const auto url = admin_url(api);
  HttpReply reply;
  try {
    reply =
        http_get(url, target, std::chrono::milliseconds(static_cast<int64_t>(api.timeout * 1000)),
                 api.token);
  } catch (const NetError& e) {
    throw std::runtime_error("no mockforge admin API at " + api.url + ": " + e.what() + " (" +
                             std::string(hint) + ")");
  }
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      body["error"].contains("message") && reply.status != 200) {
    const auto& message = body["error"]["message"];
    const std::string text = message.is_string() ? message.get<std::string>() : message.dump();
    if (reply.status == 404 && text.starts_with("no such endpoint")) {
      throw std::runtime_error(api.url + " is a mockforge admin API without " + target + " (" +
                               text + ")");
    }
    if (reply.status == 401) {
      throw std::runtime_error("admin API " + api.url + " answered 401: " + text +
                               " (pass --admin-token or set MOCKFORGE_ADMIN_TOKEN)");
    }
    throw std::runtime_error("admin API " + api.url + " answered " + std::to_string(reply.status) +
                             ": " + text);
  }
  if (reply.status != 200 || !body.is_object() || (!key.empty() && !body.contains(key))) {
    throw std::runtime_error(api.url + " is not mockforge's admin API (GET " + target +
                             " answered HTTP " + std::to_string(reply.status) + "; " +
                             std::string(hint) + ")");
  }
  return key.empty() ? body : body[key];
}

}  // namespace mockforge::cli::net
