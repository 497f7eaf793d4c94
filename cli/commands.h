#pragma once

#include <CLI/CLI.hpp>

namespace mockforge::cli {

// Each registers a subcommand on `app`; its callback runs the command and
// sets `exit_code`.
void add_serve_command(CLI::App& app, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);
void add_mqtt_amqp_commands(CLI::App& app, int& exit_code);
void add_kafka_command(CLI::App& app, int& exit_code);
// `fixtures ...`, and `fixtures load` under the kafka, mqtt and amqp commands
// (so it runs after those are added).
void add_fixtures_command(CLI::App& app, int& exit_code);
// `expect` and `history`, on the admin API.
void add_expect_commands(CLI::App& app, int& exit_code);

}  // namespace mockforge::cli
