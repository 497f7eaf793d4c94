// `mockforge tail` and `mockforge inject`: the live event stream of a
// running mockforge (GET /__mockforge/api/tail, Server-Sent Events) and
// publishing templated messages through it (POST /__mockforge/api/inject).
#include <fmt/format.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/net/admin_client.h"
#include "cli/net/http.h"
#include "cli/run_command.h"

namespace mockforge::cli {
namespace {

using nlohmann::json;

volatile std::sig_atomic_t interrupted = 0;

struct TailOptions {
  net::AdminApi api;
  std::string protocol;
  std::string client;
  std::string topic;
  std::vector<std::string> kinds;
  uint64_t count = 0;  // 0: until interrupted
  uint64_t buffer = 0;
  bool json_output = false;
};

std::string text_or(const json& event, const char* key) {
  const auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// 2026-12-05T01:13:03.123456Z -> 01:13:03.123456
std::string clock_part(const std::string& time) {
  const auto t = time.find('T');
  if (t == std::string::npos) return time;
  std::string out = time.substr(t + 1);
  if (!out.empty() && out.back() == 'Z') out.pop_back();
  return out;
}

std::string human_line(const json& event) {
  std::string line = fmt::format("{} {:<5} {:<11}", clock_part(text_or(event, "time")),
                                 text_or(event, "protocol"), text_or(event, "kind"));
  const auto client = text_or(event, "client_id");
  line += " " + (client.empty() ? std::string("-") : client);
  if (auto connection = text_or(event, "connection"); !connection.empty()) {
    line += " (" + connection + ")";
  }
  if (auto topic = text_or(event, "topic"); !topic.empty()) line += " topic=" + topic;
  if (auto queue = text_or(event, "queue"); !queue.empty()) line += " queue=" + queue;
  if (event.contains("exchange")) {
    line += " exchange='" + text_or(event, "exchange") + "'";
    line += " routing_key='" + text_or(event, "routing_key") + "'";
  }
  if (event.contains("partition")) line += fmt::format(" partition={}", event["partition"].dump());
  if (event.contains("offset")) line += fmt::format(" offset={}", event["offset"].dump());
  if (event.contains("count")) line += fmt::format(" count={}", event["count"].dump());
  if (event.contains("size")) line += fmt::format(" size={}", event["size"].dump());
  if (event.contains("preview")) {
    line += " " + json(text_or(event, "preview")).dump();
  } else if (event.contains("preview_base64")) {
    line += " base64:" + text_or(event, "preview_base64");
  }
  if (auto detail = text_or(event, "detail"); !detail.empty()) line += " [" + detail + "]";
  return line;
}

int run_tail(const TailOptions& o) {
  std::string target = "/__mockforge/api/tail";
  std::vector<std::string> query;
  if (!o.protocol.empty()) query.push_back("protocol=" + net::url_encode(o.protocol));
  if (!o.client.empty()) query.push_back("client=" + net::url_encode(o.client));
  if (!o.topic.empty()) query.push_back("topic=" + net::url_encode(o.topic));
  if (!o.kinds.empty()) {
    std::string joined;
    for (const auto& kind : o.kinds) joined += (joined.empty() ? "" : ",") + kind;
    query.push_back("kinds=" + net::url_encode(joined));
  }
  if (o.buffer > 0) query.push_back(fmt::format("buffer={}", o.buffer));
  for (std::size_t i = 0; i < query.size(); ++i) target += (i == 0 ? "?" : "&") + query[i];

  interrupted = 0;
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  const auto url = net::admin_url(o.api);
  uint64_t seen = 0;
  std::string pending;  // SSE text not yet ended by a blank line
  bool done = false;
  const auto handle_event = [&](std::string_view block) {
    std::string kind = "message";
    std::string data;
    while (!block.empty()) {
      const auto end = block.find('\n');
      std::string_view line = block.substr(0, end);
      if (line.starts_with("event:")) {
        kind = std::string(line.substr(line.starts_with("event: ") ? 7 : 6));
      } else if (line.starts_with("data:")) {
        if (!data.empty()) data += '\n';
        data += line.substr(line.starts_with("data: ") ? 6 : 5);
      }
      if (end == std::string_view::npos) break;
      block.remove_prefix(end + 1);
    }
    if (data.empty()) return;  // a comment (keep-alive)
    if (kind == "dropped") {
      const auto notice = json::parse(data, nullptr, false);
      std::cerr << fmt::format(
          "mockforge tail: {} events dropped (this reader fell behind; {} "
          "in all)\n",
          notice.is_object() ? notice.value("dropped", 0) : 0,
          notice.is_object() ? notice.value("dropped_total", 0) : 0);
      return;
    }
    if (o.json_output) {
      std::cout << data << '\n';
    } else {
      const auto event = json::parse(data, nullptr, false);
      std::cout << (event.is_object() ? human_line(event) : data) << '\n';
    }
    std::cout.flush();
    if (o.count > 0 && ++seen >= o.count) done = true;
  };
  net::HttpReply reply;
  try {
    reply = net::http_stream(
        url, target, std::chrono::milliseconds(static_cast<int64_t>(o.api.timeout * 1000)),
        o.api.token,
        [&](const net::HttpReply&) {
          std::cerr << "tailing " << o.api.url << target << '\n';
          std::cerr.flush();
        },
        [&](std::string_view data) {
          pending.append(data);
          std::size_t end;
          while (!done && (end = pending.find("\n\n")) != std::string::npos) {
            handle_event(std::string_view(pending).substr(0, end));
            pending.erase(0, end + 2);
          }
          return !done && !interrupted;
        },
        [&] { return !interrupted; });
  } catch (const net::NetError& e) {
    throw std::runtime_error("no mockforge admin API at " + o.api.url + ": " + e.what());
  }
  if (reply.status < 200 || reply.status >= 300) {
    const auto body = json::parse(reply.body, nullptr, false);
    std::string message = reply.body;
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      message = body["error"].value("message", reply.body);
    }
    throw std::runtime_error(fmt::format(
        "admin API {} answered {}: {}{}", o.api.url, reply.status, message,
        reply.status == 401 ? " (pass --admin-token or set MOCKFORGE_ADMIN_TOKEN)" : ""));
  }
  if (o.count > 0 && seen < o.count && !interrupted) {
    throw std::runtime_error(
        fmt::format("the stream ended after {} of {} events (server stopped?)", seen, o.count));
  }
  return 0;
}

struct InjectOptions {
  net::AdminApi api;
  std::string protocol;
  std::string message;
  std::string file;
  std::string topic;
  std::optional<std::string> exchange;
  std::string routing_key;
  std::optional<std::string> key;
  std::optional<int32_t> partition;
  std::optional<int> qos;
  bool retain = false;
  std::vector<std::string> headers;
  std::vector<std::string> properties;
  std::optional<std::string> payload;
  uint64_t count = 1;
  bool json_output = false;
};

std::pair<std::string, std::string> split_pair(const std::string& text, const char* option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument(fmt::format("{} takes NAME=VALUE, got '{}'", option, text));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// The message in the fixture language: --message or --file as given, else
// built from the flags.
std::string inject_body(const InjectOptions& o) {
  if (!o.message.empty()) return o.message;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    if (!in) throw std::invalid_argument("cannot read " + o.file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  json body = json::object();
  if (!o.topic.empty()) body["topic"] = o.topic;
  if (o.exchange) body["exchange"] = *o.exchange;
  if (!o.routing_key.empty()) body["routing_key"] = o.routing_key;
  if (o.key) body["key_pattern"] = *o.key;
  if (o.partition) body["partition"] = *o.partition;
  if (o.qos) body["qos"] = *o.qos;
  if (o.retain) body["retain"] = true;
  for (const auto& header : o.headers) {
    const auto [name, value] = split_pair(header, "--header");
    body["headers"][name] = value;
  }
  for (const auto& property : o.properties) {
    const auto [name, value] = split_pair(property, "--property");
    // Numbers stay numbers (priority, message_expiry_interval, ...).
    auto parsed = json::parse(value, nullptr, false);
    body["properties"][name] = parsed.is_number_integer() ? parsed : json(value);
  }
  if (!o.payload) throw std::invalid_argument("give --payload, --message or --file");
  body["payload"] = *o.payload;
  return body.dump();
}

int run_inject(const InjectOptions& o) {
  const auto body = inject_body(o);
  const std::string target =
      fmt::format("/__mockforge/api/{}/inject?count={}", o.protocol, o.count);
  const auto url = net::admin_url(o.api);
  net::HttpReply reply;
  try {
    reply = net::http_post(url, target,
                           std::chrono::milliseconds(static_cast<int64_t>(o.api.timeout * 1000)),
                           o.api.token, body);
  } catch (const net::NetError& e) {
    throw std::runtime_error("no mockforge admin API at " + o.api.url + ": " + e.what());
  }
  const auto answer = json::parse(reply.body, nullptr, false);
  if (reply.status != 200) {
    std::string message = reply.body;
    if (answer.is_object() && answer.contains("error") && answer["error"].is_object()) {
      message = answer["error"].value("message", reply.body);
    }
    throw std::runtime_error(
        fmt::format("admin API {} answered {}: {}", o.api.url, reply.status, message));
  }
  if (o.json_output) {
    std::cout << reply.body << '\n';
  } else {
    std::cout << fmt::format("published {} message(s)\n",
                             answer.is_object() ? answer.value("published", 0) : 0);
  }
  return 0;
}

}  // namespace

void add_tail_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TailOptions>();
  auto& o = *options;
  auto* tail =
      app.add_subcommand("tail",
                         "Print a running mockforge's live events: connect, disconnect, subscribe, "
                         "unsubscribe, publish, deliver, ack, nack, error, fault");
  net::add_admin_api_options(*tail, o.api, false, true);
  tail->add_option("--protocol", o.protocol, "only this protocol")
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  tail->add_option("--client", o.client, "only this client id");
  tail->add_option("--topic", o.topic,
                   "only this topic, queue, exchange or routing key (MQTT wildcards + and # "
                   "match topics)");
  tail->add_option("--kind", o.kinds, "only these kinds of event (repeat)")
      ->check(CLI::IsMember({"connect", "disconnect", "subscribe", "unsubscribe", "publish",
                             "deliver", "ack", "nack", "error", "fault"}));
  tail->add_option("--count", o.count, "exit after this many events (default: until Ctrl-C)");
  tail->add_option("--buffer", o.buffer,
                   "events the server holds for this reader before it drops (default 10000)");
  tail->add_flag("--json", o.json_output, "one JSON object per line, as the server sends it");
  tail->callback([options, &exit_code] {
    run_command(exit_code, "mockforge tail", [&] { return run_tail(*options); });
  });

  auto inject_options = std::make_shared<InjectOptions>();
  auto& i = *inject_options;
  auto* inject = app.add_subcommand(
      "inject",
      "Publish a message into a running mockforge as a client would (templates of the "
      "fixture language render per message)");
  net::add_admin_api_options(*inject, i.api);
  inject->add_option("--protocol", i.protocol, "kafka, mqtt or amqp")
      ->required()
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  inject->add_option("--message", i.message,
                     "the whole message in the fixture language (JSON or YAML)");
  inject->add_option("--file", i.file, "a file holding the message");
  inject->add_option("--topic", i.topic, "Kafka or MQTT topic");
  inject->add_option("--exchange", i.exchange, "AMQP exchange (\"\" the default exchange)");
  inject->add_option("--routing-key", i.routing_key, "AMQP routing key (a template)");
  inject->add_option("--key", i.key, "Kafka key (a template)");
  inject->add_option("--partition", i.partition, "Kafka partition");
  inject->add_option("--qos", i.qos, "MQTT QoS")->check(CLI::Range(0, 2));
  inject->add_flag("--retain", i.retain, "MQTT retain");
  inject->add_option("--header", i.headers,
                     "NAME=VALUE: Kafka header, AMQP header, MQTT v5 user property (repeat)");
  inject->add_option("--property", i.properties,
                     "NAME=VALUE: AMQP or MQTT v5 property as in fixtures (repeat)");
  inject->add_option("--payload", i.payload, "the payload (a template)");
  inject->add_option("--count", i.count, "publish this many, {{seq}} counting 1..N")
      ->check(CLI::Range(1, 100000));
  inject->add_flag("--json", i.json_output, "print the server's answer");
  inject->callback([inject_options, &exit_code] {
    run_command(exit_code, "mockforge inject", [&] { return run_inject(*inject_options); });
  });
}

}  // namespace mockforge::cli
