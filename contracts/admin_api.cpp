#include "contracts/admin_api.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "contracts/validator.h"
#include "core/admin/http_server.h"

namespace mockforge::contracts {
namespace {

using nlohmann::json;

constexpr const char* kPath = "/__mockforge/api/asyncapi";
constexpr const char* kViolations = "/__mockforge/api/asyncapi/violations";

admin::HttpResponse reply(int status, const json& body) {
  return admin::HttpResponse::json(status,
                                   body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// A document sent as text is written to a directory of this process, under
// its name (so loading the same name again replaces it).
std::filesystem::path store_document(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mockforge-asyncapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / name;
  std::ofstream out(file, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

admin::HttpResponse load(Validator& validator, const admin::HttpRequest& request) {
  if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return admin::HttpResponse::error(
        400, "the body is a JSON object with \"path\" or \"document\" (and \"validate\")");
  }
  std::optional<Mode> mode;
  if (body.contains("validate")) {
    const auto& value = body["validate"];
    if (value.is_string()) mode = parse_mode(value.get<std::string>());
    if (!mode) return admin::HttpResponse::error(400, "validate: one of off, warn, reject");
  }
  std::map<std::string, Mode> channels;
  if (body.contains("channels")) {
    const auto& value = body["channels"];
    if (!value.is_object())
      return admin::HttpResponse::error(400, "channels: an object of channel id to mode");
    for (const auto& [id, channel_mode] : value.items()) {
      const auto parsed = channel_mode.is_string() ? parse_mode(channel_mode.get<std::string>())
                                                   : std::optional<Mode>();
      if (!parsed)
        return admin::HttpResponse::error(400, "channels." + id + ": one of off, warn, reject");
      channels[id] = *parsed;
    }
  }
  std::filesystem::path path;
  if (body.contains("path") && body["path"].is_string() && !body.contains("document")) {
    path = body["path"].get<std::string>();
    if (path.empty()) return admin::HttpResponse::error(400, "path: empty");
  } else if (body.contains("document") && body["document"].is_string() && !body.contains("path")) {
    if (body.contains("name") && !body["name"].is_string()) {
      return admin::HttpResponse::error(400, "name: a file name (a string)");
    }
    std::string name = body.value("name", std::string());
    const std::string text = body["document"].get<std::string>();
    if (name.empty()) {
      const auto first = text.find_first_not_of(" \t\r\n");
      name = first != std::string::npos && text[first] == '{' ? "document.json" : "document.yaml";
    }
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      return admin::HttpResponse::error(400, "name: a file name without '/'");
    }
    try {
      path = store_document(name, text);
    } catch (const std::exception& e) {
      return admin::HttpResponse::error(500, e.what());
    }
  } else {
    return admin::HttpResponse::error(400, "needs either \"path\" or \"document\" (a string)");
  }
  try {
    return reply(201, validator.load(path, mode, true, channels).to_json());
  } catch (const LoadError& e) {
    json out = json::parse(admin::HttpResponse::error(422, e.what()).body);
    out["errors"] = e.errors();
    return reply(422, out);
  }
}

}  // namespace

void register_admin_routes(admin::HttpServer& server, Validator& validator) {
  server.route("GET", kPath, [&validator](const admin::HttpRequest&) {
    json list = json::array();
    for (const auto& document : validator.documents()) list.push_back(document.to_json());
    return reply(200, {{"documents", list}});
  });
  server.route("POST", kPath, [&validator](const admin::HttpRequest& request) {
    return load(validator, request);
  });
  server.route("DELETE", kPath, [&validator](const admin::HttpRequest& request) {
    const auto path = request.query.find("path");
    if (path == request.query.end() || path->second.empty()) {
      return admin::HttpResponse::error(400, "needs ?path=FILE (as listed)");
    }
    if (!validator.unload(path->second)) {
      return admin::HttpResponse::error(404, "no document '" + path->second + "' is loaded");
    }
    return reply(200, {{"removed", path->second}});
  });
  server.route("GET", kViolations, [&validator](const admin::HttpRequest& request) {
    std::size_t limit = 0;  // 0: all kept
    if (auto it = request.query.find("limit"); it != request.query.end()) {
      try {
        const long value = std::stol(it->second);
        if (value < 1) throw std::invalid_argument("limit");
        limit = static_cast<std::size_t>(value);
      } catch (const std::exception&) {
        return admin::HttpResponse::error(400, "limit: a positive integer");
      }
    }
    auto records = validator.violations();
    const std::size_t skip = limit != 0 && records.size() > limit ? records.size() - limit : 0;
    json list = json::array();
    for (std::size_t i = skip; i < records.size(); ++i) list.push_back(records[i].to_json());
    return reply(200, {{"total", validator.violations_total()}, {"violations", list}});
  });
  server.route("DELETE", kViolations, [&validator](const admin::HttpRequest&) {
    return reply(200, {{"cleared", validator.clear_violations()}});
  });
}

}  // namespace mockforge::contracts
