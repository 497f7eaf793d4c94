// mockforge bridges add|list|remove: the bridges of a running mockforge,
// through its admin API (/__mockforge/api/bridges, docs/bridges.md).
#include <fmt/format.h>

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

// "mqtt filter=a/#" for one side of a rule.
std::string describe(const json& side) {
  std::string out = side.value("protocol", "");
  for (const auto& [key, value] : side.items()) {
    if (key == "protocol") continue;
    out += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

int list_bridges(const net::AdminApi& options, const std::string& format) {
  const auto reply = net::admin_call(options, "GET", "/__mockforge/api/bridges");
  if (format == "json") {
    std::cout << reply.dump(2) << std::endl;
    return 0;
  }
  std::cout << "name\tfrom\tto\tmessages\terrors\tlast_error" << std::endl;
  for (const auto& bridge : reply.value("bridges", json::array())) {
    const auto& last_error = bridge["last_error"];
    std::cout << bridge.value("name", "") << '\t' << describe(bridge["from"]) << '\t'
              << describe(bridge["to"]) << '\t' << bridge.value("messages", 0) << '\t'
              << bridge.value("errors", 0) << '\t'
              << (last_error.is_string() ? last_error.get<std::string>() : std::string("-"))
              << std::endl;
  }
  return 0;
}

}  // namespace

void add_bridges_command(CLI::App& app, int& exit_code) {
  auto* bridges = app.add_subcommand(
      "bridges", "Bridges between the brokers of a running mockforge (docs/bridges.md)");
  bridges->require_subcommand(1);

  auto* add = bridges->add_subcommand("add", "Add a bridge");
  auto add_options = std::make_shared<net::AdminApi>();
  auto rule = std::make_shared<std::string>();
  add->add_option("--json", *rule,
                  "The rule as JSON: {\"name\": ..., \"from\": {...}, \"to\": {...}}, the fields "
                  "of mockforge.yaml's bridges: list")
      ->required();
  net::add_admin_call_options(*add, *add_options);
  add->callback([add_options, rule, &exit_code] {
    run_command(exit_code, "mockforge bridges", [&] {
      const auto parsed = json::parse(*rule, nullptr, false);
      if (parsed.is_discarded()) throw std::runtime_error("--json is not valid JSON");
      const auto reply =
          net::admin_call(*add_options, "POST", "/__mockforge/api/bridges", parsed.dump());
      std::cout << "added " << reply.value("name", "") << ": " << describe(reply["from"]) << " -> "
                << describe(reply["to"]) << std::endl;
      return 0;
    });
  });

  auto* list = bridges->add_subcommand("list", "List the bridges with their counts");
  auto list_options = std::make_shared<net::AdminApi>();
  auto format = std::make_shared<std::string>("text");
  net::add_admin_call_options(*list, *list_options);
  list->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  list->callback([list_options, format, &exit_code] {
    run_command(exit_code, "mockforge bridges",
                [&] { return list_bridges(*list_options, *format); });
  });

  auto* remove = bridges->add_subcommand("remove", "Remove a bridge");
  auto remove_options = std::make_shared<net::AdminApi>();
  auto name = std::make_shared<std::string>();
  remove->add_option("NAME", *name, "The bridge's name")->required();
  net::add_admin_call_options(*remove, *remove_options);
  remove->callback([remove_options, name, &exit_code] {
    run_command(exit_code, "mockforge bridges", [&] {
      net::admin_call(*remove_options, "DELETE",
                      "/__mockforge/api/bridges?name=" + net::url_encode(*name));
      std::cout << "removed " << *name << std::endl;
      return 0;
    });
  });
}

}  // namespace mockforge::cli
