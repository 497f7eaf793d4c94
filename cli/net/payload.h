// Helpers the client commands share: message payloads from flags, files or
// stdin, key=value flags, and payloads rendered for JSON output.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/control/broker_control.h"

namespace mockforge::cli::net {

// The whole file; throws std::runtime_error naming the path.
std::string read_file(const std::string& path);
// Every line of `in` without its line ending (a last line without '\n' counts).
std::vector<std::string> read_lines(std::istream& in);
// "k=v" -> {k, v}; throws std::runtime_error naming `flag` when '=' is
// missing or the key is empty.
std::pair<std::string, std::string> split_key_value(std::string_view text, std::string_view flag);
using control::base64_encode;
// Whether `bytes` is well-formed UTF-8 (so it can go into JSON as a string).
using control::is_utf8;
// Sets json[key] to the text, or json[key + "_base64"] when it is not UTF-8.
void put_bytes(nlohmann::json& object, const std::string& key, std::string_view bytes);

}  // namespace mockforge::cli::net
