#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace mockforge::cli {

// The flags every configuration-reading command accepts: --config FILE and
// one flag per config key that declares one in core/config/keys.def.
class ConfigFlags {
 public:
  explicit ConfigFlags(CLI::App& command);
  // The load request for what the user passed (file, environment, flags).
  config::LoadRequest request() const;

 private:
  struct Slot {
    const config::KeySpec* key;
    std::vector<std::string> values;  // takes_value flags
    bool present = false;             // sets_true / sets_false flags
    CLI::Option* option = nullptr;
  };
  std::string file_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace mockforge::cli
