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
// `asyncapi inspect`, without a server.
void add_asyncapi_command(CLI::App& app, int& exit_code);
// `tail` (the live event stream) and `inject`, on the admin API.
void add_tail_command(CLI::App& app, int& exit_code);
// `faults add|list|remove|clear`, on the admin API.
void add_faults_command(CLI::App& app, int& exit_code);
// `bridges add|list|remove`, on the admin API.
void add_bridges_command(CLI::App& app, int& exit_code);
// `scenario run`: schedules and responders against real brokers.
void add_scenario_command(CLI::App& app, int& exit_code);
// `certs generate DIR`: test certificates for the TLS listeners.
void add_certs_command(CLI::App& app, int& exit_code);

}  // namespace mockforge::cli
