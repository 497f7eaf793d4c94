#pragma once

#include <CLI/CLI.hpp>

namespace mockforge::cli {

// `mockforge amqp exchange|queue|publish|consume|get`.
void add_amqp_command(CLI::App& app, int& exit_code);

}  // namespace mockforge::cli
