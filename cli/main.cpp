#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"mockforge: Kafka, MQTT and AMQP brokers for integration tests", "mockforge"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("mockforge {} ({})", mockforge::version(),
                                                mockforge::git_revision()));
  int exit_code = 0;
  mockforge::cli::add_serve_command(app, exit_code);
  mockforge::cli::add_config_command(app, exit_code);
  mockforge::cli::add_mqtt_amqp_commands(app, exit_code);
  mockforge::cli::add_kafka_command(app, exit_code);
  mockforge::cli::add_fixtures_command(app, exit_code);
  mockforge::cli::add_expect_commands(app, exit_code);
  mockforge::cli::add_asyncapi_command(app, exit_code);
  mockforge::cli::add_tail_command(app, exit_code);
  mockforge::cli::add_faults_command(app, exit_code);
  mockforge::cli::add_bridges_command(app, exit_code);
  mockforge::cli::add_scenario_command(app, exit_code);
  mockforge::cli::add_certs_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
