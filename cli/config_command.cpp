// `mockforge config validate FILE` and `mockforge config print`.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/config_flags.h"

namespace mockforge::cli {
namespace {

// The configuration as `config print` shows it by default: the admin token and
// the users' passwords as ***, so the output can go into a CI log.
config::Config without_secrets(config::Config config) {
  if (!config.admin.token.empty()) config.admin.token = "***";
  for (auto* users : {&config.mqtt.users, &config.amqp.users, &config.kafka.sasl_users}) {
    for (auto& entry : *users) {
      if (const auto colon = entry.find(':'); colon != std::string::npos) {
        entry = entry.substr(0, colon + 1) + "***";
      }
    }
  }
  return config;
}

}  // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("config", "Check or show the configuration");
  command->require_subcommand(1);

  auto* validate = command->add_subcommand("validate", "Check a mockforge.yaml; print every error");
  auto file = std::make_shared<std::string>();
  validate->add_option("file", *file, "The file to check")->required();
  validate->callback([file, &exit_code] {
    const auto errors = config::validate_file(*file);
    for (const auto& error : errors) std::cerr << error.to_string() << '\n';
    if (errors.empty()) std::cout << *file << ": valid\n";
    exit_code = errors.empty() ? 0 : 1;
  });

  auto* print = command->add_subcommand(
      "print", "Print the effective configuration (defaults, file, environment, flags)");
  auto flags = std::make_shared<ConfigFlags>(*print);
  auto describe = std::make_shared<bool>(false);
  auto show_sources = std::make_shared<bool>(false);
  print->add_flag("--describe", *describe, "Add each key's description as a comment");
  print->add_flag("--sources", *show_sources, "Mark values that do not come from the defaults");
  auto show_secrets = std::make_shared<bool>(false);
  print->add_flag("--show-secrets", *show_secrets,
                  "Print admin.token and the users' passwords (shown as *** otherwise)");
  print->callback([flags, describe, show_sources, show_secrets, &exit_code] {
    const auto loaded = config::load(flags->request());
    if (!loaded.ok()) {
      for (const auto& error : loaded.errors) std::cerr << error.to_string() << '\n';
      exit_code = 2;
      return;
    }
    config::PrintOptions options;
    options.with_descriptions = *describe;
    options.sources = *show_sources ? &loaded.sources : nullptr;
    std::cout << config::to_yaml(*show_secrets ? loaded.config : without_secrets(loaded.config),
                                 options);
    exit_code = 0;
  });
}

}  // namespace mockforge::cli
