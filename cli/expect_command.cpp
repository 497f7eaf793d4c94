// `mockforge expect ...` and `mockforge history ...`: assertions on, and a
// listing of, what a running mockforge's brokers accepted, through its admin
// API (POST /__mockforge/api/expect, GET /__mockforge/api/history).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli/commands.h"
#include "cli/net/admin_client.h"
#include "cli/net/http.h"
#include "cli/run_command.h"

namespace mockforge::cli {
namespace {

using nlohmann::json;

struct ExpectOptions {
  net::AdminApi api;
  std::string spec;
  std::string file;
  std::string protocol;
  std::string topic;
  std::string exchange;
  std::string routing_key;
  std::vector<std::string> json_checks;
  std::string regex;
  std::vector<std::string> headers;
  std::vector<std::string> properties;
  std::string key;
  std::string client_id;
  std::optional<uint64_t> at_least;
  std::optional<uint64_t> exactly;
  bool none = false;
  std::string since;
  std::optional<uint64_t> timeout_ms;
  bool json_output = false;
};

// "NAME=VALUE" -> {NAME, VALUE}.
std::pair<std::string, std::string> split_pair(const std::string& text, const char* option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument(fmt::format("{} takes NAME=VALUE, got '{}'", option, text));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// "$.path=VALUE", "$.path!=VALUE", ">=", "<=", ">", "<", "~=" (regex), or a
// bare "$.path" (exists). VALUE is JSON when it parses as JSON, else text.
json json_check(const std::string& text) {
  static const std::regex form(R"(^(\$[^=!<>~]*)(=|!=|>=|<=|>|<|~=)(.*)$)");
  std::smatch match;
  if (!std::regex_match(text, match, form)) {
    if (!text.empty() && text[0] == '$') return {{"path", text}, {"exists", true}};
    throw std::invalid_argument(fmt::format(
        "--json takes $.PATH, $.PATH=VALUE, !=, >=, <=, >, < or ~= REGEX; got '{}'", text));
  }
  const std::string op = match[2];
  const std::string raw = match[3];
  auto value = json::parse(raw, nullptr, false);
  if (value.is_discarded()) value = raw;
  const char* name = op == "="    ? "equals"
                     : op == "!=" ? "not_equals"
                     : op == ">=" ? "gte"
                     : op == "<=" ? "lte"
                     : op == ">"  ? "gt"
                     : op == "<"  ? "lt"
                                  : "regex";
  if (op == "~=") value = raw;
  return {{"path", match[1].str()}, {name, value}};
}

json build_spec(const ExpectOptions& o) {
  if (!o.spec.empty() || !o.file.empty()) {
    std::string text = o.spec;
    if (!o.file.empty()) {
      std::ifstream in(o.file);
      if (!in) throw std::invalid_argument("cannot read " + o.file);
      std::stringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
    }
    auto spec = json::parse(text, nullptr, false);
    if (!spec.is_object()) throw std::invalid_argument("the expectation must be a JSON object");
    return spec;
  }
  if (o.protocol.empty()) throw std::invalid_argument("--protocol is required (or --spec/--file)");
  json spec = {{"protocol", o.protocol}};
  if (!o.topic.empty()) spec["topic"] = o.topic;
  if (!o.exchange.empty()) spec["exchange"] = o.exchange;
  if (!o.routing_key.empty()) spec["routing_key"] = o.routing_key;
  json match = json::object();
  if (!o.json_checks.empty()) {
    match["json"] = json::array();
    for (const auto& check : o.json_checks) match["json"].push_back(json_check(check));
  }
  if (!o.regex.empty()) match["regex"] = o.regex;
  for (const auto& header : o.headers) {
    const auto [name, value] = split_pair(header, "--header");
    match["headers"][name] = value;
  }
  for (const auto& property : o.properties) {
    const auto [name, value] = split_pair(property, "--property");
    match["properties"][name] = value;
  }
  if (!o.key.empty()) match["key"] = o.key;
  if (!o.client_id.empty()) match["client_id"] = o.client_id;
  if (!match.empty()) spec["match"] = match;
  if (o.none) {
    spec["count"] = {{"none", true}};
  } else if (o.exactly) {
    spec["count"] = {{"exactly", *o.exactly}};
  } else if (o.at_least) {
    spec["count"] = {{"at_least", *o.at_least}};
  }
  if (!o.since.empty()) {
    if (o.since == "reset" || o.since == "now") {
      spec["since"] = o.since;
    } else {
      try {
        spec["since"] = std::stoull(o.since);
      } catch (const std::exception&) {
        throw std::invalid_argument("--since takes reset, now or a history seq");
      }
    }
  }
  if (o.timeout_ms) spec["timeout_ms"] = *o.timeout_ms;
  return spec;
}

void print_verdict(const json& verdict) {
  std::cout << verdict.value("message", "") << '\n';
  if (verdict.contains("steps")) {
    std::size_t number = 1;
    for (const auto& step : verdict["steps"]) {
      const auto& at = step["completed_at_seq"];
      std::cout << fmt::format("  step {}: {} ({})", number++, step.value("expect", std::string()),
                               at.is_null() ? std::string("not reached")
                                            : fmt::format("completed at #{}", at.get<uint64_t>()))
                << '\n';
    }
  }
  if (verdict.contains("closest_misses")) {
    for (const auto& miss : verdict["closest_misses"]) {
      std::cout << fmt::format("  #{} on {}:", miss.value("seq", uint64_t{0}),
                               miss.value("destination", std::string()))
                << '\n';
      for (const auto& reason : miss["reasons"]) {
        std::cout << "    - " << reason.get<std::string>() << '\n';
      }
    }
  }
}

int run_expect(const ExpectOptions& options) {
  const auto spec = build_spec(options);
  const auto timeout_ms = spec.contains("timeout_ms") && spec["timeout_ms"].is_number_unsigned()
                              ? spec["timeout_ms"].get<uint64_t>()
                              : uint64_t{5000};
  const auto url = net::admin_url(options.api);
  net::HttpReply reply;
  try {
    reply = net::http_post(url, "/__mockforge/api/expect",
                           std::chrono::milliseconds(timeout_ms + 10000), options.api.token,
                           spec.dump());
  } catch (const net::NetError& e) {
    throw std::runtime_error(
        fmt::format("no mockforge admin API at {}: {} (start it with mockforge serve; --admin-url "
                    "names another)",
                    options.api.url, e.what()));
  }
  const auto body = json::parse(reply.body, nullptr, false);
  if ((reply.status == 200 || reply.status == 417) && body.is_object() && body.contains("met")) {
    if (options.json_output) {
      std::cout << body.dump(2) << '\n';
    } else {
      print_verdict(body);
    }
    return body["met"] == true ? 0 : 1;
  }
  std::string message = reply.body;
  if (body.is_object() && body.contains("error")) message = body["error"].value("message", message);
  throw std::runtime_error(
      fmt::format("admin API {} answered {}: {}", options.api.url, reply.status, message));
}

struct HistoryOptions {
  net::AdminApi api;
  std::string protocol;
  std::string topic;
  std::string client_id;
  uint64_t since = 0;
  uint64_t limit = 100;
  bool json_output = false;
};

int run_history(const HistoryOptions& options) {
  std::string target =
      fmt::format("/__mockforge/api/history?since={}&limit={}", options.since, options.limit);
  if (!options.protocol.empty()) target += "&protocol=" + net::url_encode(options.protocol);
  if (!options.topic.empty()) target += "&topic=" + net::url_encode(options.topic);
  if (!options.client_id.empty()) target += "&client_id=" + net::url_encode(options.client_id);
  const auto body = net::admin_get(options.api, target, "messages", "mockforge serve has it");
  if (options.json_output) {
    std::cout << body.dump(2) << '\n';
    return 0;
  }
  for (const auto& message : body) {
    const auto& payload = message["payload"];
    std::cout << fmt::format("{}\t{}\t{}{}\t{}\t{}", message.value("seq", uint64_t{0}),
                             message.value("protocol", std::string()),
                             message.value("destination", std::string()),
                             message.contains("routing_key")
                                 ? " " + message["routing_key"].get<std::string>()
                                 : std::string(),
                             message.value("client_id", std::string()),
                             payload.value("encoding", std::string()) == "base64"
                                 ? "base64:" + payload.value("data", std::string())
                                 : payload.value("data", std::string()))
              << '\n';
  }
  return 0;
}

}  // namespace

void add_expect_commands(CLI::App& app, int& exit_code) {
  auto expect_options = std::make_shared<ExpectOptions>();
  auto* expect = app.add_subcommand(
      "expect",
      "Assert on what a running mockforge's brokers accepted; exits 0 when met, 1 when not "
      "(listing the closest misses), 2 on error");
  auto& o = *expect_options;
  net::add_admin_api_options(*expect, o.api);
  expect->add_option("--spec", o.spec, "the whole expectation as JSON (docs/admin-api.md)");
  expect->add_option("--file", o.file, "read the expectation's JSON from FILE");
  expect->add_option("--protocol", o.protocol, "kafka, mqtt or amqp");
  expect->add_option("--topic,-t", o.topic, "Kafka topic, or MQTT topic filter (+ and #)");
  expect->add_option("--exchange", o.exchange, "AMQP exchange");
  expect->add_option("--routing-key", o.routing_key, "AMQP routing-key pattern (* and #)");
  expect->add_option("--json", o.json_checks,
                     "$.PATH[=|!=|>=|<=|>|<|~=]VALUE on the JSON payload (repeatable; bare $.PATH: "
                     "exists)");
  expect->add_option("--regex", o.regex, "a regular expression found in the payload");
  expect->add_option("--header", o.headers, "NAME=VALUE header (repeatable)");
  expect->add_option(
      "--property", o.properties,
      "NAME=VALUE property: correlation_id, reply_to, content_type, ... (repeatable)");
  expect->add_option("--key", o.key, "Kafka record key");
  expect->add_option("--client-id", o.client_id, "the sending client's id");
  auto* count =
      expect->add_option("--count", o.at_least, "at least N matching messages (default 1)");
  auto* exactly = expect->add_option("--exactly", o.exactly, "exactly N matching messages");
  auto* none = expect->add_flag("--none", o.none, "no matching message within the timeout");
  count->excludes(exactly)->excludes(none);
  exactly->excludes(none);
  expect->add_option("--since", o.since, "reset (default), now, or a history seq");
  expect->add_option("--timeout-ms", o.timeout_ms, "how long to wait (default 5000)");
  expect->add_flag("--json-output", o.json_output, "print the verdict as JSON");
  expect->callback([expect_options, &exit_code] {
    run_command(
        exit_code, "mockforge expect", [&] { return run_expect(*expect_options); }, 2);
  });

  auto history_options = std::make_shared<HistoryOptions>();
  auto* history = app.add_subcommand(
      "history",
      "List recent messages a running mockforge's brokers accepted (since the last reset)");
  auto& h = *history_options;
  net::add_admin_api_options(*history, h.api, false, true);
  history->add_option("--protocol", h.protocol, "kafka, mqtt or amqp");
  history->add_option("--topic,-t", h.topic, "only this topic or exchange");
  history->add_option("--client-id", h.client_id, "only messages this client sent");
  history->add_option("--since", h.since, "only messages after this seq");
  history->add_option("--limit", h.limit, "at most this many (default 100, at most 10000)");
  history->add_flag("--json", h.json_output, "print the messages as JSON");
  history->callback([history_options, &exit_code] {
    run_command(
        exit_code, "mockforge history", [&] { return run_history(*history_options); }, 2);
  });
}

}  // namespace mockforge::cli
