// mockforge faults add|list|remove|clear: the fault rules of a running
// mockforge, through its admin API (/__mockforge/api/faults, docs/faults.md).
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/net/admin_client.h"
#include "cli/net/http.h"
#include "cli/run_command.h"

namespace mockforge::cli {
namespace {

using nlohmann::json;

// What `faults add` builds a rule from. Flags that do not belong to the
// protocol go into the rule all the same, and the server refuses them.
struct AddOptions {
  net::AdminApi admin;
  std::string rule_json;
  std::string name;
  std::string protocol;
  std::string api, packet, method;
  std::string topic, exchange, queue, client_id, connection_name;
  std::optional<int64_t> partition;
  std::string action;
  std::string code, text;
  std::optional<int64_t> ms, jitter_ms;
  std::optional<double> rate;
  std::optional<uint64_t> times;
  std::optional<double> probability;
};

json build_rule(const AddOptions& o) {
  if (!o.rule_json.empty()) {
    auto rule = json::parse(o.rule_json, nullptr, false);
    if (rule.is_discarded()) throw std::runtime_error("--json is not valid JSON");
    return rule;
  }
  if (o.protocol.empty() || o.action.empty()) {
    throw std::runtime_error("faults add needs --protocol and --action (or --json RULE)");
  }
  json rule = {{"protocol", o.protocol}, {"match", json::object()}};
  if (!o.name.empty()) rule["name"] = o.name;
  auto& match = rule["match"];
  const auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) match[key] = value;
  };
  put("api", o.api);
  put("packet", o.packet);
  put("method", o.method);
  put("topic", o.topic);
  put("exchange", o.exchange);
  put("queue", o.queue);
  put("client_id", o.client_id);
  put("connection_name", o.connection_name);
  if (o.partition) match["partition"] = *o.partition;
  json action = {{"type", o.action}};
  if (!o.code.empty()) action["code"] = o.code;
  if (!o.text.empty()) action["text"] = o.text;
  if (o.ms) action["ms"] = *o.ms;
  if (o.jitter_ms) action["jitter_ms"] = *o.jitter_ms;
  if (o.rate) action["rate_per_second"] = *o.rate;
  rule["action"] = action;
  if (o.times) rule["times"] = *o.times;
  if (o.probability) rule["probability"] = *o.probability;
  return rule;
}

std::string describe(const json& rule) {
  std::string match;
  const json match_fields = rule.value("match", json::object());
  for (const auto& [key, value] : match_fields.items()) {
    match += (match.empty() ? "" : " ") + key + "=" +
             (value.is_string() ? value.get<std::string>() : value.dump());
  }
  std::string action;
  const json action_fields = rule.value("action", json::object());
  for (const auto& [key, value] : action_fields.items()) {
    if (key == "type") continue;
    action += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return fmt::format("{}\t{}\t{}{}", rule.value("protocol", ""), match.empty() ? "*" : match,
                     action_fields.value("type", ""), action);
}

int add_rule(const AddOptions& options) {
  const auto reply =
      net::admin_call(options.admin, "POST", "/__mockforge/api/faults", build_rule(options).dump());
  std::cout << "added " << reply.value("name", "") << ": " << describe(reply) << std::endl;
  return 0;
}

int list_rules(const net::AdminApi& options, const std::string& format) {
  const auto reply = net::admin_call(options, "GET", "/__mockforge/api/faults");
  if (format == "json") {
    std::cout << reply.dump(2) << std::endl;
    return 0;
  }
  std::cout << "name\tprotocol\tmatch\taction\tfired\tremaining" << std::endl;
  for (const auto& rule : reply.value("faults", json::array())) {
    const auto& remaining = rule["remaining"];
    std::cout << rule.value("name", "") << '\t' << describe(rule) << '\t' << rule.value("fired", 0)
              << '\t' << (remaining.is_null() ? std::string("always") : remaining.dump())
              << std::endl;
  }
  return 0;
}

}  // namespace

void add_faults_command(CLI::App& app, int& exit_code) {
  auto* faults =
      app.add_subcommand("faults", "Fault injection rules of a running mockforge (docs/faults.md)");
  faults->require_subcommand(1);

  auto* add = faults->add_subcommand("add", "Add a fault rule");
  auto o = std::make_shared<AddOptions>();
  add->add_option("--json", o->rule_json, "The whole rule as JSON (instead of the flags below)");
  add->add_option("--name", o->name, "The rule's name (default: fault-N)");
  add->add_option("--protocol", o->protocol, "kafka, mqtt or amqp")
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  add->add_option("--api", o->api, "Kafka: the API, by name or key (Produce, 0)");
  add->add_option("--packet", o->packet, "MQTT: the packet type (publish, subscribe, puback...)");
  add->add_option("--method", o->method, "AMQP: the method (basic.publish, queue.declare...)");
  add->add_option("--topic", o->topic, "Kafka topic or MQTT topic filter");
  add->add_option("--partition", o->partition, "Kafka partition (with --topic)");
  add->add_option("--exchange", o->exchange, "AMQP exchange");
  add->add_option("--queue", o->queue, "AMQP queue");
  add->add_option("--client-id", o->client_id, "Kafka client.id or MQTT client identifier");
  add->add_option("--connection-name", o->connection_name, "AMQP connection_name client property");
  add->add_option("--action", o->action,
                  "error, nack, channel_close, connection_close, latency, close, drop, throttle "
                  "or pause")
      ->check(CLI::IsMember({"error", "nack", "channel_close", "connection_close", "latency",
                             "close", "drop", "throttle", "pause"}));
  add->add_option("--code", o->code,
                  "error / channel_close / connection_close: the code, by name or number");
  add->add_option("--text", o->text, "channel_close / connection_close: the reply text");
  add->add_option("--ms", o->ms, "latency: the delay; pause: how long");
  add->add_option("--jitter-ms", o->jitter_ms, "latency: up to this much more, at random");
  add->add_option("--rate", o->rate, "throttle: operations per second");
  add->add_option("--times", o->times, "Fire this many times (default: until removed)");
  add->add_option("--probability", o->probability, "Fire with this probability (0 to 1]");
  net::add_admin_call_options(*add, o->admin);
  add->callback([o, &exit_code] {
    run_command(exit_code, "mockforge faults", [&] { return add_rule(*o); });
  });

  auto* list = faults->add_subcommand("list", "List the rules and how often each fired");
  auto list_options = std::make_shared<net::AdminApi>();
  auto format = std::make_shared<std::string>("text");
  net::add_admin_call_options(*list, *list_options);
  list->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  list->callback([list_options, format, &exit_code] {
    run_command(exit_code, "mockforge faults", [&] { return list_rules(*list_options, *format); });
  });

  auto* remove = faults->add_subcommand("remove", "Remove a rule");
  auto remove_options = std::make_shared<net::AdminApi>();
  auto name = std::make_shared<std::string>();
  remove->add_option("NAME", *name, "The rule's name")->required();
  net::add_admin_call_options(*remove, *remove_options);
  remove->callback([remove_options, name, &exit_code] {
    run_command(exit_code, "mockforge faults", [&] {
      net::admin_call(*remove_options, "DELETE",
                      "/__mockforge/api/faults/" + net::url_encode(*name));
      std::cout << "removed " << *name << std::endl;
      return 0;
    });
  });

  auto* clear = faults->add_subcommand("clear", "Remove every rule");
  auto clear_options = std::make_shared<net::AdminApi>();
  net::add_admin_call_options(*clear, *clear_options);
  clear->callback([clear_options, &exit_code] {
    run_command(exit_code, "mockforge faults", [&] {
      const auto reply = net::admin_call(*clear_options, "DELETE", "/__mockforge/api/faults");
      std::cout << "removed " << reply.value("removed", 0) << " rule(s)" << std::endl;
      return 0;
    });
  });
}

}  // namespace mockforge::cli
