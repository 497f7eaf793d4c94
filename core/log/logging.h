#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

namespace mockforge::log {

enum class Format { kText, kJson };

// Configures the default sink (stderr). Level names: trace, debug, info,
// warn, error, critical, off. Throws std::invalid_argument on a bad name.
void init(std::string_view level, Format format);

// A named logger sharing the process sink and level.
std::shared_ptr<spdlog::logger> get(std::string_view name);

}  // namespace mockforge::log
