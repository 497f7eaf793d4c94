#include "cli/net/payload.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mockforge::cli::net {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return content.str();
}

std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::pair<std::string, std::string> split_key_value(std::string_view text, std::string_view flag) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw std::runtime_error(std::string(flag) + " expects key=value, got '" + std::string(text) +
                             "'");
  }
  return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

void put_bytes(nlohmann::json& object, const std::string& key, std::string_view bytes) {
  if (is_utf8(bytes)) {
    object[key] = std::string(bytes);
  } else {
    object[key + "_base64"] = base64_encode(bytes);
  }
}

}  // namespace mockforge::cli::net
