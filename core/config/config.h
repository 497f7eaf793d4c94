// mockforge configuration: mockforge.yaml, MOCKFORGE_* environment variables and flags.
//
// Every key is one line in core/config/keys.def; the structs below and all parsing, overriding,
// printing and documentation checks are generated from that table.
//
// Precedence (later wins): built-in defaults < mockforge.yaml < MOCKFORGE_* environment < flags.
//
// Typical use by the CLI (cli/):
//
//   // `mockforge serve`: for each spec in keys() with a flag, register spec.flag with CLI11
//   // (flag_style tells how), collect what the user passed, then:
//   LoadResult result = load({.file = config_path, .flags = collected_flag_values});
//   if (!result.ok()) { for (auto& e : result.errors) std::cerr << e.to_string() << '\n'; ... }
//
//   // `mockforge config validate FILE`:  for (auto& e : validate_file(path)) print e.to_string()
//   // `mockforge config print`:          std::cout << to_yaml(result.config, {.sources = ...})
//
// Error text is `origin:line:column: key.path: message`, where origin is the file name, the
// environment variable, or the flag; line/column are omitted when there is none.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/bridges.h"
#include "core/config/value_types.h"

namespace mockforge::config {

// One struct per section: config.kafka.port, config.server.bind, ...
// Default member values are the table defaults, so `Config{}` is the default configuration.
#define MOCKFORGE_CONFIG_SECTION(section, StructName, description) struct StructName {
#define MOCKFORGE_CONFIG_KEY(section, name, type, default_value, flag, description) \
  decltype(type)::value_type name = default_value;
#define MOCKFORGE_CONFIG_END_SECTION(StructName)      \
  bool operator==(const StructName&) const = default; \
  }                                                   \
  ;
#include "core/config/keys.def"
#undef MOCKFORGE_CONFIG_SECTION
#undef MOCKFORGE_CONFIG_KEY
#undef MOCKFORGE_CONFIG_END_SECTION

struct Config {
#define MOCKFORGE_CONFIG_SECTION(section, StructName, description) StructName section;
#define MOCKFORGE_CONFIG_KEY(section, name, type, default_value, flag, description)
#define MOCKFORGE_CONFIG_END_SECTION(StructName)
#include "core/config/keys.def"
#undef MOCKFORGE_CONFIG_SECTION
#undef MOCKFORGE_CONFIG_KEY
#undef MOCKFORGE_CONFIG_END_SECTION
  // The top-level `bridges:` list (core/config/bridges.h); not a key of the table,
  // so it has no environment variable or flag.
  std::vector<BridgeRule> bridges = {};
  bool operator==(const Config&) const = default;
};

// Where a value came from, lowest precedence first.
enum class Source { default_value, file, environment, flag };

// How the CLI registers a key's flag.
enum class FlagStyle {
  none,         // the key has no flag
  takes_value,  // --kafka-port 1234 / --bind a,b (string lists: repeatable, join with ',')
  sets_false,   // --no-kafka: present means apply_override(key, "false", Source::flag)
  sets_true,    // present means apply_override(key, "true", Source::flag)
};

// Description of one key, generated from keys.def.
struct KeySpec {
  std::string path;          // "kafka.port"
  std::string section;       // "kafka"
  std::string name;          // "port"
  ValueKind kind;            //
  std::string type_text;     // for docs: "port", "integer 1-10000", "one of text, json", ...
  std::string expectation;   // for errors: "a port number 0-65535", ...
  std::string default_text;  // the default as written in YAML, e.g. "9092", "1GiB", "60s"
  std::string env_var;       // "MOCKFORGE_KAFKA_PORT"
  std::string flag;          // "--kafka-port", or empty
  FlagStyle flag_style;      //
  std::string description;   // one line
  std::vector<std::string> allowed_values;  // enum spellings; empty for other kinds
};

struct SectionSpec {
  std::string name;  // "kafka"
  std::string description;
};

// The table, in keys.def order.
std::span<const KeySpec> keys();
std::span<const SectionSpec> sections();
const KeySpec* find_key(std::string_view path);   // nullptr when unknown
const KeySpec* find_flag(std::string_view flag);  // "--kafka-port" -> kafka.port; nullptr if none

struct Error {
  std::string origin;  // file path, environment variable or flag
  int line = 0;        // 1-based; 0 when not applicable
  int column = 0;      // 1-based; 0 when not applicable
  std::string key;     // full key path, e.g. "kafka.port"; empty for YAML syntax errors
  std::string message;
  std::string to_string() const;  // mockforge.yaml:12:3: kafka.port: expected a port number ...
  bool operator==(const Error&) const = default;
};

// Path of each key whose value did not come from the defaults, and where it came from.
using ValueSources = std::map<std::string, Source, std::less<>>;

// Sets one key from text, validating it as the YAML parser does. A string list takes a
// comma-separated list. The error's origin is the key's env var for Source::environment and
// its flag (or "command line" when it has none) for Source::flag. Unknown keys are errors.
std::optional<Error> apply_override(Config& config, std::string_view key, std::string_view value,
                                    Source source);

// Reads MOCKFORGE_<SECTION>_<NAME> for every key. Variables that are not set are skipped.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& variable)>;
std::optional<std::string> process_environment(const std::string& variable);  // getenv
std::vector<Error> apply_environment(Config& config,
                                     const EnvironmentLookup& lookup = process_environment);

// Applies a YAML document on top of `config`. Collects every error in the document; keys with
// errors keep their previous value. An empty document or missing sections change nothing.
std::vector<Error> apply_yaml_file(Config& config, const std::filesystem::path& file);
std::vector<Error> apply_yaml_text(Config& config, std::string_view yaml, std::string_view origin);

// All errors in a file (for `mockforge config validate FILE`); empty when it is valid.
std::vector<Error> validate_file(const std::filesystem::path& file);

struct FlagValue {
  std::string key = {};    // key path, e.g. "kafka.port" (find_flag maps a flag to it)
  std::string value = {};  // "1234", "false", "a,b"
};

struct LoadRequest {
  std::optional<std::filesystem::path> file = {};  // none: defaults, env and flags only
  EnvironmentLookup environment = process_environment;
  std::vector<FlagValue> flags = {};  // applied in order
};

struct LoadResult {
  Config config;
  std::vector<Error> errors;
  ValueSources sources;
  bool ok() const { return errors.empty(); }
};

// defaults < file < environment < flags, collecting the errors of every layer.
LoadResult load(const LoadRequest& request);

// One key's value as it is written in YAML ("9092", "1GiB", "[\"127.0.0.1\", \"::1\"]").
std::string format_value(const Config& config, const KeySpec& key);

struct PrintOptions {
  bool with_descriptions = false;         // a comment line with the description above each key
  const ValueSources* sources = nullptr;  // if set, "# from ..." after values not from defaults
};

// The configuration as a mockforge.yaml with every key (for `mockforge config print`).
// Parsing the output again gives an equal Config.
std::string to_yaml(const Config& config, const PrintOptions& options = {});

// The Markdown table rows documenting every key and every flag, as docs/configuration.md
// must contain them (the doc test compares against these).
std::string key_table_row(const KeySpec& key);
std::string flag_table_row(const KeySpec& key);

}  // namespace mockforge::config
