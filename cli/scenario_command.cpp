// mockforge scenario run DIR...: schedules and responders against real
// brokers (cli/scenario).
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/run_command.h"
#include "cli/scenario/scenario.h"

namespace mockforge::cli {
namespace {

std::atomic<bool> g_stop_scenario{false};
void on_stop_signal(int) { g_stop_scenario = true; }

struct ScenarioOptions {
  scenario::Options run;
  double timeout = 10;
  double duration = 0;
};

int run_scenario(ScenarioOptions& options) {
  fixtures::LoadedFixtures set;
  for (const auto& directory : options.run.directories)
    set.merge(fixtures::load_fixture_dir(directory, std::nullopt));
  fixtures::check_references(set);
  auto problems = set.errors;
  const auto refused = scenario::refusals(set, options.run);
  problems.insert(problems.end(), refused.begin(), refused.end());
  if (!problems.empty()) {
    for (const auto& error : problems) std::cerr << error.to_string() << "\n";
    std::cerr << "mockforge: the scenario did not start (" << problems.size() << " problem(s))\n";
    return 1;
  }
  options.run.targets.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options.timeout * 1000));
  options.run.duration = std::chrono::milliseconds(static_cast<int64_t>(options.duration * 1000));
  g_stop_scenario = false;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  scenario::run(options.run, g_stop_scenario, std::cout);
  return 0;
}

}  // namespace

void add_scenario_command(CLI::App& app, int& exit_code) {
  auto* scenario_cmd = app.add_subcommand(
      "scenario", "Play fixture files' schedules and responders against real brokers");
  scenario_cmd->require_subcommand(1);
  auto* run_cmd = scenario_cmd->add_subcommand(
      "run",
      "Seed real brokers (as fixtures apply), then run the auto-produce schedules and responders "
      "against them until SIGINT/SIGTERM or --duration");
  auto options = std::make_shared<ScenarioOptions>();
  if (const char* seed = std::getenv("MOCKFORGE_FIXTURES_RANDOM_SEED"))
    options->run.targets.random_seed = std::strtoull(seed, nullptr, 10);
  run_cmd->add_option("DIR", options->run.directories, "Directories of *.yaml fixture files")
      ->required();
  run_cmd->add_option("--kafka-bootstrap", options->run.targets.kafka_bootstrap,
                      "Kafka bootstrap servers, host:port[,host:port...]");
  run_cmd->add_option("--amqp-url", options->run.targets.amqp_url,
                      "amqp://user:password@host:port/vhost");
  run_cmd->add_option("--mqtt-url", options->run.targets.mqtt_url,
                      "mqtt://[user[:password]@]host[:port] (MQTT 5)");
  run_cmd->add_option("--kafka-group", options->run.kafka_group,
                      "Read the Kafka responders' topics as a member of this consumer group "
                      "(committed offsets; runners of one group share the partitions)");
  run_cmd
      ->add_option("--seed", options->run.targets.random_seed,
                   "Random seed of the templates, as fixtures.random_seed (default: "
                   "$MOCKFORGE_FIXTURES_RANDOM_SEED; 0 a new one)")
      ->capture_default_str();
  run_cmd->add_option("--duration", options->duration, "Seconds to run; 0 until SIGINT/SIGTERM")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run_cmd->add_option("--timeout", options->timeout, "Seconds to wait for each broker call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run_cmd->callback([options, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return run_scenario(*options); });
  });
}

}  // namespace mockforge::cli
