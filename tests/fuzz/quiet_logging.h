// Logging off, once per fuzzing process: most inputs are refused, and each refusal would log.
#pragma once

#include "core/log/logging.h"

namespace mockforge::fuzz {

inline void quiet_logging() {
  static const bool quiet = [] {
    log::init("off", log::Format::kText);
    return true;
  }();
  (void)quiet;
}

}  // namespace mockforge::fuzz
