// Registers the MQTT and AMQP client commands (one hook in main.cpp).
#include "cli/amqp/commands.h"
#include "cli/commands.h"
#include "cli/mqtt/commands.h"

namespace mockforge::cli {

void add_mqtt_amqp_commands(CLI::App& app, int& exit_code) {
  add_mqtt_command(app, exit_code);
  add_amqp_command(app, exit_code);
}

}  // namespace mockforge::cli
