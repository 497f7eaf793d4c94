#include "core/control/broker_control.h"

#include <charconv>

#include "core/admin/http_server.h"

namespace mockforge::control {
namespace {

// Path segments are percent-decoded ('+' stays '+', unlike a query); empty
// ones are dropped.
std::vector<std::string> split_path(std::string_view rest) {
  std::vector<std::string> segments;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    if (slash != 0) segments.push_back(admin::percent_decode(rest.substr(0, slash), false));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

admin::HttpResponse to_http(const Reply& reply) {
  // Names and payload properties are not necessarily UTF-8.
  return admin::HttpResponse::json(
      reply.status, reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

std::string Request::query_or(const std::string& key, std::string fallback) const {
  const auto it = query.find(key);
  return it == query.end() ? std::move(fallback) : it->second;
}

int64_t Request::query_int(const std::string& key, int64_t fallback) const {
  const auto it = query.find(key);
  if (it == query.end()) return fallback;
  int64_t value = 0;
  const auto& text = it->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw BadRequest("query parameter " + key + " must be an integer, got '" + text + "'");
  }
  return value;
}

bool Request::query_bool(const std::string& key) const {
  const auto it = query.find(key);
  return it != query.end() && (it->second == "true" || it->second == "1" || it->second.empty());
}

Reply Reply::error(int status, const std::string& message) {
  return Reply{status, nlohmann::json{{"error", {{"status", status}, {"message", message}}}}};
}

runtime::ResetConnections reset_connections(const std::map<std::string, std::string>& query) {
  const auto it = query.find("connections");
  if (it == query.end()) return runtime::ResetConnections::kDefault;
  if (it->second == "keep") return runtime::ResetConnections::kKeep;
  if (it->second == "close") return runtime::ResetConnections::kClose;
  throw BadRequest("connections must be keep or close, got '" + it->second + "'");
}

void mount(admin::HttpServer& server, std::shared_ptr<BrokerControl> broker) {
  const std::string prefix = "/__mockforge/api/" + broker->protocol() + "/";
  auto call = [prefix, broker](const admin::HttpRequest& http, auto&& action) {
    Request request;
    request.path = split_path(std::string_view(http.path).substr(prefix.size()));
    request.query = http.query;
    try {
      return to_http(action(request));
    } catch (const BadRequest& e) {
      return to_http(Reply::error(400, e.what()));
    }
  };
  server.route_prefix("GET", prefix, [call, broker](const admin::HttpRequest& http) {
    return call(http, [&](const Request& request) { return broker->inspect(request); });
  });
  server.route_prefix("DELETE", prefix, [call, broker](const admin::HttpRequest& http) {
    return call(http, [&](const Request& request) { return broker->remove(request); });
  });
  server.route_prefix("POST", prefix, [call, broker](const admin::HttpRequest& http) {
    return call(http, [&](Request request) {
      if (request.path == std::vector<std::string>{"reset"}) {
        return broker->reset(reset_connections(request.query));
      }
      if (request.path.size() >= 2 && request.path.back() == "purge") {
        request.path.pop_back();
        return broker->purge(request);
      }
      return Reply::error(404, "POST is for .../purge and reset only");
    });
  });
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t length;
    std::uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > bytes.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

nlohmann::json payload_json(std::string_view bytes) {
  const bool text = is_utf8(bytes);
  return nlohmann::json{{"encoding", text ? "utf8" : "base64"},
                        {"data", text ? std::string(bytes) : base64_encode(bytes)},
                        {"size", bytes.size()}};
}

}  // namespace mockforge::control
