#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka::testing {

// Bytes from hex text; spaces, newlines and '|' separators are ignored.
Bytes from_hex(std::string_view text);
std::string to_hex(const Bytes& bytes);

std::filesystem::path golden_dir();
Bytes read_file(const std::filesystem::path& path);

}  // namespace mockforge::kafka::testing
