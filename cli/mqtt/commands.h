#pragma once

#include <CLI/CLI.hpp>

namespace mockforge::cli {

// `mockforge mqtt publish|subscribe|stats`.
void add_mqtt_command(CLI::App& app, int& exit_code);

}  // namespace mockforge::cli
