#pragma once

// How every subcommand's callback runs its body: what the body returns is the
// exit code; an exception becomes one line on stderr, "PREFIX: what", and
// `failure_code`.

#include <exception>
#include <iostream>
#include <string_view>
#include <utility>

namespace mockforge::cli {

template <typename Body>
void run_command(int& exit_code, std::string_view prefix, Body&& body, int failure_code = 1) {
  try {
    exit_code = std::forward<Body>(body)();
  } catch (const std::exception& e) {
    std::cerr << prefix << ": " << e.what() << std::endl;
    exit_code = failure_code;
  }
}

}  // namespace mockforge::cli
