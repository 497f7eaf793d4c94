// `mockforge serve`: runs every enabled broker and the admin port until
// SIGINT or SIGTERM.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "core/log/logging.h"
#include "server/server.h"

namespace mockforge::cli {
namespace {

struct ServeOptions {
  std::shared_ptr<ConfigFlags> flags;
  std::string ready_file;
  std::optional<int64_t> seed;  // fixtures.random_seed, over the file and environment
};

log::Format log_format(const config::Config& config) {
  return config.log.format == config::LogFormat::json ? log::Format::kJson : log::Format::kText;
}

int run_serve(const ServeOptions& options) {
  auto request = options.flags->request();
  if (options.seed)
    request.flags.push_back({"fixtures.random_seed", std::to_string(*options.seed)});
  auto loaded = config::load(request);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::cerr << "mockforge: " << error.to_string() << '\n';
    return 2;
  }
  log::init(config::enum_name(loaded.config.log.level), log_format(loaded.config));
  auto logger = log::get("serve");

  // Signals are taken synchronously by this thread; every thread the server
  // starts inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reloads the TLS certificates
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Frame batches of a few hundred KiB are built and freed at high rates.
  // glibc's defaults hand such blocks back to the kernel after each use
  // (munmap, or trimming the heap), and then fault in zeroed pages again: in
  // the AMQP benchmark that was about a third of the broker's CPU time. Keep
  // blocks under 4 MiB on the heap, and up to 64 MiB of free heap mapped.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);

  Server server(loaded.config);
  try {
    server.start();
  } catch (const std::exception& e) {
    logger->error("{}", e.what());
    std::cerr << "mockforge: " << e.what() << '\n';
    return 1;
  }
  if (!options.ready_file.empty()) {
    try {
      server.write_ready_file(options.ready_file);
    } catch (const std::exception& e) {
      logger->error("{}", e.what());
      server.stop();
      return 1;
    }
  }
  int signal_number = 0;
  for (;;) {
    sigwait(&stop_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    try {
      if (!server.reload_tls()) logger->info("received SIGHUP; no TLS listener to reload");
    } catch (const std::exception& e) {
      logger->error("TLS reload failed, keeping the current certificates: {}", e.what());
    }
  }
  logger->info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("serve", "Run the brokers and the admin HTTP port");
  auto options = std::make_shared<ServeOptions>();
  options->flags = std::make_shared<ConfigFlags>(*command);
  command->add_option("--ready-file", options->ready_file,
                      "Write the bound ports as JSON to this file once every listener accepts");
  command->add_option("--seed", options->seed,
                      "Seed for template randomness (sets fixtures.random_seed): the same uuids, "
                      "faker values and jitter on every run and after every reset");
  command->callback([options, &exit_code] { exit_code = run_serve(*options); });
}

}  // namespace mockforge::cli
