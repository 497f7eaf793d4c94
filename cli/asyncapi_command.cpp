// `mockforge asyncapi inspect FILE`: reads an AsyncAPI document without a
// server and prints what mockforge would create and check.
// `mockforge asyncapi load FILE`: loads it into a running mockforge (admin API).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "asyncapi/inspect.h"
#include "asyncapi/model.h"
#include "cli/commands.h"
#include "cli/net/admin_client.h"

namespace mockforge::cli {
namespace {

// Sends the document's absolute path (the server reads it, with its
// relative-file $refs) and prints what the server loaded and declared.
int load_document(const net::AdminApi& api, const std::string& file, const std::string& mode,
                  const std::vector<std::string>& channels) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::cerr << "mockforge: " << file << ": no such file" << '\n';
    return 2;
  }
  auto path = std::filesystem::absolute(file, ec);
  nlohmann::json body{{"path", ec ? file : path.lexically_normal().string()}};
  if (!mode.empty()) body["validate"] = mode;
  for (const auto& entry : channels) {
    const auto equals = entry.rfind('=');
    body["channels"][entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  const auto reply = net::admin_call(api, "POST", "/__mockforge/api/asyncapi", body.dump());
  std::cout << fmt::format("loaded {}: {} {} (AsyncAPI {}), {} channel(s), validate {}",
                           reply.value("path", file), reply.value("title", ""),
                           reply.value("version", ""), reply.value("asyncapi", ""),
                           reply.value("channels", 0), reply.value("validate", ""))
            << '\n';
  const auto channel_modes = reply.value("channel_validate", nlohmann::json::object());
  for (const auto& [channel, channel_mode] : channel_modes.items()) {
    std::cout << "  channel " << channel << ": validate " << channel_mode.get<std::string>()
              << '\n';
  }
  for (const auto& declared : reply.value("declared", nlohmann::json::array())) {
    std::cout << "  declared " << declared.get<std::string>() << '\n';
  }
  for (const auto& refused : reply.value("not_declared", nlohmann::json::array())) {
    std::cout << "  not declared: " << refused.get<std::string>() << '\n';
  }
  return 0;
}

}  // namespace

void add_asyncapi_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("asyncapi", "AsyncAPI 2.6 and 3.0 documents");
  command->require_subcommand(1);
  auto* inspect = command->add_subcommand(
      "inspect",
      "Print what a document would create (channels per broker, topic patterns, messages with "
      "one example each), or its errors; exit 1 on errors, 2 when the file cannot be read");
  auto file = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  inspect->add_option("file", *file, "The AsyncAPI document (YAML or JSON)")->required();
  inspect->add_option("--seed", *seed, "Seed of the synthesised examples")->capture_default_str();
  inspect->callback([file, seed, &exit_code] {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*file, ec)) {
      std::cerr << "mockforge: " << *file << ": no such file" << '\n';
      exit_code = 2;
      return;
    }
    const auto loaded = asyncapi::load(*file);
    if (!loaded.ok()) {
      for (const auto& error : loaded.errors) std::cerr << error.to_string() << '\n';
      std::cerr << loaded.errors.size() << " error(s)" << '\n';
      exit_code = 1;
      return;
    }
    const auto inspection = asyncapi::inspect(loaded.model, *seed);
    std::cout << inspection.text;
    for (const auto& error : inspection.schema_errors) std::cerr << error << '\n';
    exit_code = inspection.schema_errors.empty() ? 0 : 1;
  });

  auto* load = command->add_subcommand(
      "load",
      "Load a document into a running mockforge (admin API): its channels are declared and "
      "live traffic is validated against it");
  auto load_file = std::make_shared<std::string>();
  auto mode = std::make_shared<std::string>();
  auto api = std::make_shared<net::AdminApi>();
  load->add_option("file", *load_file, "The AsyncAPI document (YAML or JSON)")->required();
  load->add_option("--validate", *mode, "off, warn or reject (default: asyncapi.validate)")
      ->check(CLI::IsMember({"off", "warn", "reject"}));
  auto channels = std::make_shared<std::vector<std::string>>();
  load->add_option("--channel", *channels,
                   "CHANNEL=MODE: validate that channel (its id in the document) in MODE (off, "
                   "warn or reject) instead of the document's mode; repeatable")
      ->check([](const std::string& entry) -> std::string {
        const auto equals = entry.rfind('=');
        const auto m = equals == std::string::npos ? entry : entry.substr(equals + 1);
        if (equals == std::string::npos || equals == 0 ||
            (m != "off" && m != "warn" && m != "reject"))
          return "expected CHANNEL=MODE with MODE off, warn or reject";
        return "";
      });
  net::add_admin_call_options(*load, *api);
  load->callback([load_file, mode, channels, api, &exit_code] {
    try {
      exit_code = load_document(*api, *load_file, *mode, *channels);
    } catch (const std::exception& e) {
      std::cerr << "mockforge: " << e.what() << '\n';
      exit_code = 1;
    }
  });
}

}  // namespace mockforge::cli
