// `mockforge kafka cluster show|leader|stop|start`.
#pragma once

#include <CLI/CLI.hpp>

namespace mockforge::cli::kafka {

void add_cluster_command(CLI::App& kafka, int& exit_code);

}  // namespace mockforge::cli::kafka
