// Internal to core/config: the generated key table with the functions that read and write each
// key's struct member, shared by the parsers.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"

namespace mockforge::config::detail {

// Each returns an error message (without key or origin) or nullopt on success.
using AssignText = std::optional<std::string> (*)(Config&, std::string_view text);
using AssignItems = std::optional<std::string> (*)(Config&, const std::vector<std::string>& items);
using CheckItem = std::optional<std::string> (*)(std::string_view item);
using FormatValue = std::string (*)(const Config&);

struct KeyEntry {
  const KeySpec* spec;
  AssignText assign_text;
  AssignItems assign_items;  // string lists only, else nullptr
  CheckItem check_item;      // string lists only (one entry's format), else nullptr
  FormatValue format;
};

std::span<const KeyEntry> key_entries();
const KeyEntry* find_entry(std::string_view path);

// The closest candidate, if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "unknown key, did you mean ..." for a path that is not a key ("kafka.prot"), or
// "unknown section, ..." when its first part (or the whole, without a dot) is not a section.
std::string unknown_key_message(std::string_view path);

// Where a YAML document wrote each key it set, and each entry of a list given as a sequence
// (1-based line and column).
struct Position {
  int line = 0;
  int column = 0;
};
struct DocumentPositions {
  std::map<std::string, Position, std::less<>> keys;
  std::map<std::string, std::vector<Position>, std::less<>> items;
};

// Applies a YAML document; records the path of every key it sets in `sources` and where it
// was written in `positions`, when not null.
std::vector<Error> apply_yaml(Config& config, std::string_view yaml, std::string_view origin,
                              ValueSources* sources, DocumentPositions* positions = nullptr);
std::vector<Error> apply_yaml_file(Config& config, const std::filesystem::path& file,
                                   ValueSources* sources, DocumentPositions* positions = nullptr);

// Checks that involve more than one key, on the final values: each amqp.permissions entry
// names a user of amqp.users and a vhost of amqp.vhosts; mqtt.auth_enabled has mqtt.users.
// An error names the origin of the value at fault (as `sources` says): for the file,
// `file_origin` with the line and column from `positions`.
std::vector<Error> check_relations(const Config& config, const ValueSources& sources,
                                   std::string_view file_origin,
                                   const DocumentPositions* positions);

// `"text"` with quotes, backslashes and control characters escaped (also valid YAML).
std::string double_quoted(std::string_view text);

}  // namespace mockforge::config::detail
