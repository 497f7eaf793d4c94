// The key table generated from keys.def, value parsing and formatting per value type, and the
// non-YAML entry points (overrides, environment, printing, documentation rows).
#include "core/config/key_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <regex>
#include <type_traits>
#include <utility>

#include "core/config/config.h"
#include "core/config/edit_distance.h"
#include "core/config/kafka_acl.h"

namespace mockforge::config {
namespace detail {
namespace {

using Message = std::optional<std::string>;

// Whitespace-separated fields.
std::vector<std::string> split_fields(std::string_view text) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
    const std::size_t start = i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) ++i;
    if (i > start) fields.emplace_back(text.substr(start, i - start));
  }
  return fields;
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lowercase(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string expected_got(std::string_view expectation, std::string_view text) {
  return fmt::format("expected {}, got {}", expectation, double_quoted(text));
}

// Splits "123MiB" into 123 and "mib". Only plain decimal digits are accepted.
bool split_number_and_unit(std::string_view text, std::uint64_t& number, std::string& unit) {
  text = trim(text);
  const char* end = text.data() + text.size();
  auto [rest, error] = std::from_chars(text.data(), end, number);
  if (error != std::errc{} || rest == text.data()) return false;
  unit = lowercase(trim(std::string_view(rest, static_cast<std::size_t>(end - rest))));
  return true;
}

// ---- bool ----
std::string type_text(const BoolKey&) { return "bool"; }
std::string expectation(const BoolKey&) { return "true or false"; }
Message parse(const BoolKey& key, std::string_view text, bool& out) {
  const std::string word = lowercase(trim(text));
  if (word == "true" || word == "yes" || word == "on" || word == "1") {
    out = true;
  } else if (word == "false" || word == "no" || word == "off" || word == "0") {
    out = false;
  } else {
    return expected_got(expectation(key), text);
  }
  return std::nullopt;
}
std::string format(const BoolKey&, bool value) { return value ? "true" : "false"; }

// ---- integer ----
std::string range_text(const IntKey& key) {
  if (key.max == std::numeric_limits<std::int64_t>::max()) return fmt::format(">= {}", key.min);
  return fmt::format("{}-{}", key.min, key.max);
}
std::string type_text(const IntKey& key) { return "integer " + range_text(key); }
std::string expectation(const IntKey& key) { return "an integer " + range_text(key); }
Message parse(const IntKey& key, std::string_view text, std::int64_t& out) {
  const std::string_view digits = trim(text);
  std::int64_t value = 0;
  const char* end = digits.data() + digits.size();
  auto [rest, error] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || error != std::errc{} || rest != end || value < key.min || value > key.max) {
    return expected_got(expectation(key), text);
  }
  out = value;
  return std::nullopt;
}
std::string format(const IntKey&, std::int64_t value) { return std::to_string(value); }

// ---- port ----
std::string type_text(const PortKey&) { return "port"; }
std::string expectation(const PortKey&) { return "a port number 0-65535"; }
Message parse(const PortKey& key, std::string_view text, std::uint16_t& out) {
  std::int64_t value = 0;
  if (parse(IntKey(0, 65535), text, value)) return expected_got(expectation(key), text);
  out = static_cast<std::uint16_t>(value);
  return std::nullopt;
}
std::string format(const PortKey&, std::uint16_t value) { return std::to_string(value); }

// ---- string ----
std::string type_text(const StringKey&) { return "string"; }
std::string expectation(const StringKey&) { return "a string"; }
Message parse(const StringKey&, std::string_view text, std::string& out) {
  out = std::string(text);
  return std::nullopt;
}
std::string format(const StringKey&, const std::string& value) { return double_quoted(value); }

// ---- string list ----
std::string type_text(const StringListKey& key) {
  if (key.min_items == 0) return "string list";
  return fmt::format("string list (at least {})", key.min_items);
}
std::string expectation(const StringListKey&) { return "a list of strings"; }
Message check_item(const StringListKey& key, std::string_view item) {
  switch (key.items) {
    case ListItems::any:
      return std::nullopt;
    case ListItems::user_password: {
      const auto colon = item.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return "expected name:password, got " + double_quoted(item);
      }
      return std::nullopt;
    }
    case ListItems::vhost_name:
      if (item.empty() || item.size() > 255) {
        return "a vhost name is 1 to 255 bytes, got " + double_quoted(item);
      }
      return std::nullopt;
    case ListItems::kafka_principal: {
      const auto colon = item.find(':');
      if (!item.starts_with("User:") || colon + 1 == item.size()) {
        return "expected a Kafka principal User:name, got " + double_quoted(item);
      }
      return std::nullopt;
    }
    case ListItems::channel_mode: {
      const auto equals = item.rfind('=');
      const auto mode = equals == std::string_view::npos ? item : item.substr(equals + 1);
      if (equals == std::string_view::npos || equals == 0 ||
          (mode != "off" && mode != "warn" && mode != "reject")) {
        return "expected CHANNEL=MODE with MODE off, warn or reject, got " + double_quoted(item);
      }
      return std::nullopt;
    }
    case ListItems::rate_document: {
      const auto equals = item.find('=');
      const std::string rate(item.substr(0, equals == std::string_view::npos ? 0 : equals));
      char* end = nullptr;
      const double value = rate.empty() ? 0 : std::strtod(rate.c_str(), &end);
      if (equals == std::string_view::npos || equals + 1 == item.size() || rate.empty() ||
          end != rate.c_str() + rate.size() || !(value > 0) || value > 1e6) {
        return "expected RATE=FILE with RATE messages per second (a number > 0, at most "
               "1000000) and FILE an AsyncAPI document, got " +
               double_quoted(item);
      }
      return std::nullopt;
    }
    case ListItems::kafka_acl: {
      auto parsed = parse_kafka_acl(item);
      if (const auto* problem = std::get_if<std::string>(&parsed)) {
        return *problem + ", got " + double_quoted(item);
      }
      return std::nullopt;
    }
    case ListItems::kafka_sasl_mechanism:
      if (item != "PLAIN" && item != "SCRAM-SHA-256" && item != "SCRAM-SHA-512" &&
          item != "OAUTHBEARER") {
        return "expected a SASL mechanism mockforge serves (PLAIN, SCRAM-SHA-256, "
               "SCRAM-SHA-512, OAUTHBEARER), got " +
               double_quoted(item);
      }
      return std::nullopt;
    case ListItems::amqp_auth_mechanism:
      if (item != "PLAIN" && item != "AMQPLAIN" && item != "EXTERNAL") {
        return "expected an authentication mechanism mockforge serves (PLAIN, AMQPLAIN, "
               "EXTERNAL), got " +
               double_quoted(item);
      }
      return std::nullopt;
    case ListItems::amqp_user_tags:
      if (split_fields(item).size() < 2) {
        return "expected \"USER TAG [TAG...]\", got " + double_quoted(item);
      }
      return std::nullopt;
    case ListItems::amqp_permission: {
      const std::vector<std::string> fields = split_fields(item);
      if (fields.size() != 2 && fields.size() != 5) {
        return "expected \"USER VHOST [CONFIGURE WRITE READ]\", got " + double_quoted(item);
      }
      for (std::size_t i = 2; i < fields.size(); ++i) {
        try {
          std::regex(fields[i], std::regex::ECMAScript);
        } catch (const std::regex_error& error) {
          return fmt::format("bad regular expression {} in {}: {}", double_quoted(fields[i]),
                             double_quoted(item), error.what());
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}
Message check_items(const StringListKey& key, const std::vector<std::string>& items) {
  if (items.size() < key.min_items) {
    return fmt::format("expected at least {} entr{}, got {}", key.min_items,
                       key.min_items == 1 ? "y" : "ies", items.size());
  }
  for (const std::string& item : items) {
    if (auto error = check_item(key, item)) return error;
  }
  return std::nullopt;
}
Message parse(const StringListKey& key, std::string_view text, std::vector<std::string>& out) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = trim(text.substr(start, comma - start));
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  if (auto error = check_items(key, items)) return error;
  out = std::move(items);
  return std::nullopt;
}
std::string format(const StringListKey&, const std::vector<std::string>& value) {
  std::string result = "[";
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i > 0) result += ", ";
    result += double_quoted(value[i]);
  }
  return result + "]";
}

// ---- enum ----
template <typename Enum>
std::string names_text(const EnumKey<Enum>&) {
  std::string result;
  for (std::string_view name : EnumNames<Enum>::names) {
    if (!result.empty()) result += ", ";
    result += name;
  }
  return result;
}
template <typename Enum>
std::string type_text(const EnumKey<Enum>& key) {
  return "one of " + names_text(key);
}
template <typename Enum>
std::string expectation(const EnumKey<Enum>& key) {
  return "one of " + names_text(key);
}
template <typename Enum>
Message parse(const EnumKey<Enum>& key, std::string_view text, Enum& out) {
  const std::string word = lowercase(trim(text));
  const auto& names = EnumNames<Enum>::names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (word == names[i]) {
      out = static_cast<Enum>(i);
      return std::nullopt;
    }
  }
  std::string message = expected_got(expectation(key), text);
  if (auto suggestion = closest_match(word, std::vector<std::string>(names.begin(), names.end()))) {
    message += fmt::format(" (did you mean {}?)", double_quoted(*suggestion));
  }
  return message;
}
template <typename Enum>
std::string format(const EnumKey<Enum>&, Enum value) {
  return std::string(enum_name(value));
}

// ---- byte size ----
struct UnitScale {
  std::string_view unit;
  std::uint64_t scale;
};
constexpr UnitScale kByteUnits[] = {
    {"", 1},
    {"b", 1},
    {"kib", std::uint64_t{1} << 10},
    {"mib", std::uint64_t{1} << 20},
    {"gib", std::uint64_t{1} << 30},
    {"tib", std::uint64_t{1} << 40},
    {"kb", 1000},
    {"mb", 1000 * 1000},
    {"gb", 1000 * 1000 * 1000},
    {"tb", std::uint64_t{1000} * 1000 * 1000 * 1000},
};
std::string format_bytes(std::uint64_t value) {
  constexpr std::pair<std::string_view, int> kBinaryUnits[] = {
      {"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}};
  for (auto [unit, shift] : kBinaryUnits) {
    const std::uint64_t scale = std::uint64_t{1} << shift;
    if (value != 0 && value % scale == 0) return fmt::format("{}{}", value / scale, unit);
  }
  return std::to_string(value);
}
bool bytes_bounded(const ByteSizeKey& key) { return key.min != 0 || key.max != ByteSizeKey{}.max; }
std::string type_text(const ByteSizeKey& key) {
  if (!bytes_bounded(key)) return "byte size";
  return fmt::format("byte size {}-{}", format_bytes(key.min), format_bytes(key.max));
}
std::string expectation(const ByteSizeKey& key) {
  if (!bytes_bounded(key)) return "a byte size such as 512KiB, 64MiB or 1GiB";
  return fmt::format("a byte size {}-{} such as 64MiB", format_bytes(key.min),
                     format_bytes(key.max));
}
Message parse(const ByteSizeKey& key, std::string_view text, std::uint64_t& out) {
  std::uint64_t number = 0;
  std::string unit;
  if (split_number_and_unit(text, number, unit)) {
    for (const auto& [name, scale] : kByteUnits) {
      std::uint64_t value = 0;
      if (name == unit && !__builtin_mul_overflow(number, scale, &value) && value >= key.min &&
          value <= key.max) {
        out = value;
        return std::nullopt;
      }
    }
  }
  return expected_got(expectation(key), text);
}
std::string format(const ByteSizeKey&, std::uint64_t value) { return format_bytes(value); }

// ---- duration ----
constexpr UnitScale kDurationUnits[] = {
    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000},
};
std::string format_duration_ms(std::int64_t ms) {
  constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {{"h", 3600 * 1000}, {"s", 1000}};
  if (ms == 0) return "0s";
  for (auto [unit, scale] : kUnits) {
    if (ms % scale == 0) return fmt::format("{}{}", ms / scale, unit);
  }
  return fmt::format("{}ms", ms);
}
bool duration_bounded(const DurationKey& key) {
  return key.min_ms != 0 || key.max_ms != DurationKey{}.max_ms;
}
std::string type_text(const DurationKey& key) {
  if (!duration_bounded(key)) return "duration";
  return fmt::format("duration {}-{}", format_duration_ms(key.min_ms),
                     format_duration_ms(key.max_ms));
}
std::string expectation(const DurationKey& key) {
  if (!duration_bounded(key)) return "a duration such as 500ms, 30s, 5m or 1h";
  return fmt::format("a duration {}-{} such as 30s", format_duration_ms(key.min_ms),
                     format_duration_ms(key.max_ms));
}
Message parse(const DurationKey& key, std::string_view text, Duration& out) {
  std::uint64_t number = 0;
  std::string unit;
  if (split_number_and_unit(text, number, unit)) {
    for (const auto& [name, scale] : kDurationUnits) {
      std::uint64_t ms = 0;
      if (name == unit && !__builtin_mul_overflow(number, scale, &ms) &&
          ms <= static_cast<std::uint64_t>(key.max_ms) &&
          static_cast<std::int64_t>(ms) >= key.min_ms) {
        out = Duration(static_cast<std::int64_t>(ms));
        return std::nullopt;
      }
    }
  }
  return expected_got(expectation(key), text);
}
std::string format(const DurationKey&, Duration value) { return format_duration_ms(value.count()); }

template <typename Descriptor>
constexpr ValueKind kind_of() {
  if constexpr (std::is_same_v<Descriptor, BoolKey>) return ValueKind::boolean;
  if constexpr (std::is_same_v<Descriptor, IntKey>) return ValueKind::integer;
  if constexpr (std::is_same_v<Descriptor, PortKey>) return ValueKind::port;
  if constexpr (std::is_same_v<Descriptor, StringKey>) return ValueKind::string;
  if constexpr (std::is_same_v<Descriptor, StringListKey>) return ValueKind::string_list;
  if constexpr (std::is_same_v<Descriptor, ByteSizeKey>) return ValueKind::byte_size;
  if constexpr (std::is_same_v<Descriptor, DurationKey>) return ValueKind::duration;
  return ValueKind::enumeration;
}

template <typename Descriptor>
std::vector<std::string> allowed_values(const Descriptor&) {
  return {};
}
template <typename Enum>
std::vector<std::string> allowed_values(const EnumKey<Enum>&) {
  const auto& names = EnumNames<Enum>::names;
  return {names.begin(), names.end()};
}

std::string env_var_for(std::string_view path) {
  std::string name = "MOCKFORGE_";
  for (char c : path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

FlagStyle flag_style_for(ValueKind kind, std::string_view flag) {
  if (flag.empty()) return FlagStyle::none;
  if (kind != ValueKind::boolean) return FlagStyle::takes_value;
  return flag.starts_with("--no-") ? FlagStyle::sets_false : FlagStyle::sets_true;
}

struct BuiltKey {
  KeySpec spec;
  AssignText assign_text;
  AssignItems assign_items;
  CheckItem check_item;
  FormatValue format;
};

// (Not `Config{}` inside make_key: that crashes g++ 12.)
const Config& default_config() {
  static const Config defaults;
  return defaults;
}

// The functions that read and write one key's struct member.
template <auto kSection, auto kMember, auto kDescriptor>
struct MemberBinding {
  static Message assign_text(Config& config, std::string_view text) {
    auto& field = (config.*kSection).*kMember;
    auto value = field;
    if (auto error = parse(kDescriptor, text, value)) return error;
    field = std::move(value);
    return std::nullopt;
  }
  static Message assign_items(Config& config, const std::vector<std::string>& items) {
    if (auto error = check_items(kDescriptor, items)) return error;
    (config.*kSection).*kMember = items;
    return std::nullopt;
  }
  static Message check_item(std::string_view item) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(kDescriptor)>, StringListKey>) {
      return detail::check_item(kDescriptor, item);
    } else {
      return std::nullopt;
    }
  }
  static std::string format_value(const Config& config) {
    return format(kDescriptor, (config.*kSection).*kMember);
  }
};

template <auto kSection, auto kMember, auto kDescriptor>
BuiltKey make_key(std::string_view section, std::string_view name, std::string_view flag,
                  std::string_view description) {
  using Descriptor = std::remove_cvref_t<decltype(kDescriptor)>;
  using Binding = MemberBinding<kSection, kMember, kDescriptor>;
  BuiltKey key;
  KeySpec& spec = key.spec;
  spec.path = fmt::format("{}.{}", section, name);
  spec.section = section;
  spec.name = name;
  spec.kind = kind_of<Descriptor>();
  spec.type_text = type_text(kDescriptor);
  spec.expectation = expectation(kDescriptor);
  spec.env_var = env_var_for(spec.path);
  spec.flag = flag;
  spec.flag_style = flag_style_for(spec.kind, flag);
  spec.description = description;
  spec.allowed_values = allowed_values(kDescriptor);
  key.assign_text = &Binding::assign_text;
  if constexpr (std::is_same_v<Descriptor, StringListKey>) {
    key.assign_items = &Binding::assign_items;
    key.check_item = &Binding::check_item;
  } else {
    key.assign_items = nullptr;
    key.check_item = nullptr;
  }
  key.format = &Binding::format_value;
  spec.default_text = key.format(default_config());
  return key;
}

struct Table {
  std::vector<KeySpec> specs;
  std::vector<KeyEntry> entries;
  std::vector<SectionSpec> sections;
};

Table build_table() {
  Table table;
  std::vector<BuiltKey> built;
#define MOCKFORGE_CONFIG_SECTION(section, StructName, description) \
  table.sections.push_back(SectionSpec{#section, description});
#define MOCKFORGE_CONFIG_KEY(section, name, type, default_value, flag, description)     \
  built.push_back(make_key<&Config::section, &decltype(Config::section)::name, (type)>( \
      #section, #name, flag, description));
#define MOCKFORGE_CONFIG_END_SECTION(StructName)
#include "core/config/keys.def"
#undef MOCKFORGE_CONFIG_SECTION
#undef MOCKFORGE_CONFIG_KEY
#undef MOCKFORGE_CONFIG_END_SECTION
  table.specs.reserve(built.size());
  for (BuiltKey& key : built) table.specs.push_back(std::move(key.spec));
  for (std::size_t i = 0; i < built.size(); ++i) {
    table.entries.push_back(KeyEntry{&table.specs[i], built[i].assign_text, built[i].assign_items,
                                     built[i].check_item, built[i].format});
  }
  return table;
}

const Table& table() {
  static const Table instance = build_table();
  return instance;
}

std::string normalized(std::string_view word) {
  std::string result;
  for (char c : word) {
    if (c != '_' && c != '-')
      result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return result;
}

// How far `wanted` (normalized) is from a candidate: the edit distance to the whole candidate or
// to one of its trailing words ("partitions" for "default_partitions"), whichever is closer;
// limit + 1 for anything further than limit.
std::size_t distance_to_candidate(const std::string& wanted, std::string_view candidate,
                                  std::size_t limit) {
  std::size_t best = edit_distance(wanted, normalized(candidate), limit);
  for (std::size_t underscore = candidate.find('_'); underscore != std::string_view::npos;
       underscore = candidate.find('_', underscore + 1)) {
    const std::string tail = normalized(candidate.substr(underscore + 1));
    if (tail.size() >= 4) best = std::min(best, edit_distance(wanted, tail, limit));
  }
  return best;
}

}  // namespace

std::vector<Error> check_relations(const Config& config, const ValueSources& sources,
                                   std::string_view file_origin,
                                   const DocumentPositions* positions) {
  // Where the value of `path` (its entry `item`, when given) came from.
  const auto locate = [&](const std::string& path, std::optional<std::size_t> item) {
    Error error;
    error.key = path;
    auto source = sources.find(path);
    const Source from = source == sources.end() ? Source::default_value : source->second;
    const KeySpec* key = find_key(path);
    switch (from) {
      case Source::file:
        error.origin = std::string(file_origin);
        if (positions != nullptr) {
          Position at;
          if (auto keyed = positions->keys.find(path); keyed != positions->keys.end()) {
            at = keyed->second;
          }
          if (auto items = positions->items.find(path);
              item && items != positions->items.end() && *item < items->second.size()) {
            at = items->second[*item];
          }
          error.line = at.line;
          error.column = at.column;
        }
        break;
      case Source::environment:
        error.origin = key->env_var;
        break;
      case Source::flag:
        error.origin = key->flag.empty() ? "command line" : key->flag;
        break;
      case Source::default_value:
        error.origin = "default";
        break;
    }
    return error;
  };
  std::vector<Error> errors;
  const AmqpConfig& amqp = config.amqp;
  const auto listed = [](const std::vector<std::string>& list, std::string_view wanted,
                         bool before_colon) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& entry) {
      return before_colon ? std::string_view(entry).substr(0, entry.find(':')) == wanted
                          : entry == wanted;
    });
  };
  for (std::size_t i = 0; i < amqp.permissions.size(); ++i) {
    const std::vector<std::string> fields = split_fields(amqp.permissions[i]);
    if (fields.size() < 2) continue;  // reported as a malformed entry
    if (!listed(amqp.users, fields[0], true)) {
      Error error = locate("amqp.permissions", i);
      error.message = fmt::format("no user {} in amqp.users (entry {})", double_quoted(fields[0]),
                                  double_quoted(amqp.permissions[i]));
      errors.push_back(std::move(error));
    }
    if (!listed(amqp.vhosts, fields[1], false)) {
      Error error = locate("amqp.permissions", i);
      error.message = fmt::format("no vhost {} in amqp.vhosts (entry {})", double_quoted(fields[1]),
                                  double_quoted(amqp.permissions[i]));
      errors.push_back(std::move(error));
    }
  }
  for (std::size_t i = 0; i < amqp.user_tags.size(); ++i) {
    const std::vector<std::string> fields = split_fields(amqp.user_tags[i]);
    if (fields.size() < 2) continue;  // reported as a malformed entry
    if (!listed(amqp.users, fields[0], true)) {
      Error error = locate("amqp.user_tags", i);
      error.message = fmt::format("no user {} in amqp.users (entry {})", double_quoted(fields[0]),
                                  double_quoted(amqp.user_tags[i]));
      errors.push_back(std::move(error));
    }
  }
  if (config.mqtt.auth_enabled && config.mqtt.users.empty() && config.mqtt.password_file.empty()) {
    Error error = locate("mqtt.auth_enabled", std::nullopt);
    error.message = "needs at least one entry in mqtt.users";
    errors.push_back(std::move(error));
  }
  if (config.mqtt.use_identity_as_username && config.tls.client_auth != TlsClientAuth::required) {
    Error error = locate("mqtt.use_identity_as_username", std::nullopt);
    error.message = "needs tls.client_auth: required";
    errors.push_back(std::move(error));
  }
  if (config.admin.tls_only && config.admin.tls_port < 0) {
    Error error = locate("admin.tls_only", std::nullopt);
    error.message = "needs admin.tls_port";
    errors.push_back(std::move(error));
  }
  if (config.mqtt.use_subject_as_username && config.tls.client_auth != TlsClientAuth::required) {
    Error error = locate("mqtt.use_subject_as_username", std::nullopt);
    error.message = "needs tls.client_auth: required";
    errors.push_back(std::move(error));
  }
  if (config.kafka.racks.size() > static_cast<std::size_t>(config.kafka.brokers)) {
    Error error = locate("kafka.racks", std::nullopt);
    error.message = fmt::format("lists {} racks for {} broker(s) (kafka.brokers)",
                                config.kafka.racks.size(), config.kafka.brokers);
    errors.push_back(std::move(error));
  }
  for (const auto& [key, port] : {std::pair<const char*, int64_t>{"kafka.port", config.kafka.port},
                                  {"kafka.tls_port", config.kafka.tls_port}}) {
    if (port > 0 && port + config.kafka.brokers - 1 > 65535) {
      Error error = locate(key, std::nullopt);
      error.message =
          fmt::format("{} + {} brokers goes past port 65535", port, config.kafka.brokers);
      errors.push_back(std::move(error));
    }
  }
  const bool password_mechanism =
      std::any_of(config.kafka.sasl_mechanisms.begin(), config.kafka.sasl_mechanisms.end(),
                  [](const std::string& mechanism) { return mechanism != "OAUTHBEARER"; });
  if (password_mechanism && config.kafka.sasl_users.empty()) {
    Error error = locate("kafka.sasl_mechanisms", std::nullopt);
    error.message = "needs at least one entry in kafka.sasl_users";
    errors.push_back(std::move(error));
  }
  if (!config.kafka.acls.empty() && config.kafka.authorizer != KafkaAuthorizer::acl) {
    Error error = locate("kafka.acls", std::nullopt);
    error.message = "needs kafka.authorizer: acl (without an authorizer ACLs are not enforced)";
    errors.push_back(std::move(error));
  }
  return errors;
}

std::span<const KeyEntry> key_entries() { return table().entries; }

const KeyEntry* find_entry(std::string_view path) {
  for (const KeyEntry& entry : key_entries()) {
    if (entry.spec->path == path) return &entry;
  }
  return nullptr;
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const std::string wanted = normalized(word);
  const std::size_t allowed = std::min<std::size_t>(3, 1 + wanted.size() / 6);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    const std::string other = normalized(candidate);
    std::size_t distance = distance_to_candidate(wanted, candidate, allowed);
    const bool contains =
        std::min(wanted.size(), other.size()) >= 4 &&
        (other.find(wanted) != std::string::npos || wanted.find(other) != std::string::npos);
    if (contains) distance = std::min(distance, allowed);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string unknown_key_message(std::string_view path) {
  const std::size_t dot = path.find('.');
  const std::string section(path.substr(0, dot));
  std::vector<std::string> section_names;
  bool section_known = false;
  for (const SectionSpec& spec : sections()) {
    section_names.push_back(spec.name);
    section_known = section_known || spec.name == section;
  }
  if (dot == std::string_view::npos || !section_known) {
    if (auto suggestion = closest_match(section, section_names)) {
      return fmt::format("unknown section, did you mean {}?", double_quoted(*suggestion));
    }
    return fmt::format("unknown section; sections are {}", fmt::join(section_names, ", "));
  }
  const std::string name(path.substr(dot + 1));
  std::vector<std::string> names_in_section;
  std::vector<std::string> same_name_elsewhere;
  for (const KeySpec& key : keys()) {
    if (key.section == section) names_in_section.push_back(key.name);
    if (key.name == name) same_name_elsewhere.push_back(key.path);
  }
  if (same_name_elsewhere.size() == 1) {
    return fmt::format("unknown key, did you mean {}?", double_quoted(same_name_elsewhere[0]));
  }
  if (auto suggestion = closest_match(name, names_in_section)) {
    return fmt::format("unknown key, did you mean {}?", double_quoted(section + "." + *suggestion));
  }
  return fmt::format("unknown key; {} keys are {}", section, fmt::join(names_in_section, ", "));
}

std::string double_quoted(std::string_view text) {
  std::string result = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        result += "\\\"";
        break;
      case '\\':
        result += "\\\\";
        break;
      case '\n':
        result += "\\n";
        break;
      case '\t':
        result += "\\t";
        break;
      case '\r':
        result += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          result += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          result += c;
        }
    }
  }
  return result + "\"";
}

}  // namespace detail

std::span<const KeySpec> keys() { return detail::table().specs; }

std::span<const SectionSpec> sections() { return detail::table().sections; }

const KeySpec* find_key(std::string_view path) {
  const detail::KeyEntry* entry = detail::find_entry(path);
  return entry ? entry->spec : nullptr;
}

const KeySpec* find_flag(std::string_view flag) {
  for (const KeySpec& key : keys()) {
    if (!key.flag.empty() && key.flag == flag) return &key;
  }
  return nullptr;
}

std::string Error::to_string() const {
  std::string result = origin;
  if (line > 0) {
    result += fmt::format(":{}", line);
    if (column > 0) result += fmt::format(":{}", column);
  }
  result += ": ";
  if (!key.empty()) result += key + ": ";
  return result + message;
}

namespace {

std::string override_origin(const KeySpec* key, Source source) {
  switch (source) {
    case Source::environment:
      return key ? key->env_var : "environment";
    case Source::flag:
      return key && !key->flag.empty() ? key->flag : "command line";
    case Source::file:
      return "file";
    case Source::default_value:
      return "default";
  }
  return "override";
}

std::optional<Error> apply_override_recording(Config& config, std::string_view key,
                                              std::string_view value, Source source,
                                              ValueSources* sources) {
  const detail::KeyEntry* entry = detail::find_entry(key);
  if (entry == nullptr) {
    return Error{override_origin(nullptr, source), 0, 0, std::string(key),
                 detail::unknown_key_message(key)};
  }
  if (auto message = entry->assign_text(config, value)) {
    return Error{override_origin(entry->spec, source), 0, 0, entry->spec->path, *message};
  }
  if (sources != nullptr) (*sources)[entry->spec->path] = source;
  return std::nullopt;
}

std::vector<Error> apply_environment_recording(Config& config, const EnvironmentLookup& lookup,
                                               ValueSources* sources) {
  std::vector<Error> errors;
  for (const KeySpec& key : keys()) {
    if (std::optional<std::string> value = lookup(key.env_var)) {
      if (auto error =
              apply_override_recording(config, key.path, *value, Source::environment, sources)) {
        errors.push_back(std::move(*error));
      }
    }
  }
  return errors;
}

std::string source_comment(const KeySpec& key, Source source) {
  switch (source) {
    case Source::file:
      return "from the config file";
    case Source::environment:
      return "from " + key.env_var;
    case Source::flag:
      return "from " + (key.flag.empty() ? std::string("the command line") : key.flag);
    case Source::default_value:
      return "default";
  }
  return "";
}

std::string markdown_cell(std::string_view text) {
  std::string result;
  for (char c : text) {
    if (c == '|') result += '\\';
    result += c;
  }
  return result;
}

}  // namespace

std::optional<Error> apply_override(Config& config, std::string_view key, std::string_view value,
                                    Source source) {
  return apply_override_recording(config, key, value, source, nullptr);
}

std::optional<std::string> process_environment(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<Error> apply_environment(Config& config, const EnvironmentLookup& lookup) {
  return apply_environment_recording(config, lookup, nullptr);
}

std::vector<Error> apply_yaml_file(Config& config, const std::filesystem::path& file) {
  return detail::apply_yaml_file(config, file, nullptr);
}

std::vector<Error> apply_yaml_text(Config& config, std::string_view yaml, std::string_view origin) {
  return detail::apply_yaml(config, yaml, origin, nullptr);
}

std::vector<Error> validate_file(const std::filesystem::path& file) {
  Config scratch;
  ValueSources sources;
  detail::DocumentPositions positions;
  std::vector<Error> errors = detail::apply_yaml_file(scratch, file, &sources, &positions);
  for (Error& error : detail::check_relations(scratch, sources, file.string(), &positions)) {
    errors.push_back(std::move(error));
  }
  return errors;
}

LoadResult load(const LoadRequest& request) {
  LoadResult result;
  detail::DocumentPositions positions;
  if (request.file) {
    result.errors =
        detail::apply_yaml_file(result.config, *request.file, &result.sources, &positions);
  }
  if (request.environment) {
    for (Error& error :
         apply_environment_recording(result.config, request.environment, &result.sources)) {
      result.errors.push_back(std::move(error));
    }
  }
  for (const FlagValue& flag : request.flags) {
    if (auto error = apply_override_recording(result.config, flag.key, flag.value, Source::flag,
                                              &result.sources)) {
      result.errors.push_back(std::move(*error));
    }
  }
  for (Error& error :
       detail::check_relations(result.config, result.sources,
                               request.file ? request.file->string() : std::string(), &positions)) {
    result.errors.push_back(std::move(error));
  }
  return result;
}

std::string format_value(const Config& config, const KeySpec& key) {
  const detail::KeyEntry* entry = detail::find_entry(key.path);
  return entry ? entry->format(config) : std::string();
}

std::string to_yaml(const Config& config, const PrintOptions& options) {
  std::string out = "# mockforge configuration: effective values of every key\n";
  for (const SectionSpec& section : sections()) {
    out += fmt::format("\n{}:\n", section.name);
    for (const detail::KeyEntry& entry : detail::key_entries()) {
      const KeySpec& key = *entry.spec;
      if (key.section != section.name) continue;
      if (options.with_descriptions) out += fmt::format("  # {}\n", key.description);
      out += fmt::format("  {}: {}", key.name, entry.format(config));
      if (options.sources != nullptr) {
        if (auto found = options.sources->find(key.path); found != options.sources->end()) {
          out += "  # " + source_comment(key, found->second);
        }
      }
      out += '\n';
    }
  }
  if (!config.bridges.empty()) {
    out += "\nbridges:\n";
    const auto side = [&out](const char* name, const BridgeSide& s) {
      out += fmt::format("    {}:\n      protocol: {}\n", name, detail::double_quoted(s.protocol));
      const auto text = [&out](const char* field, const std::string& value) {
        if (!value.empty())
          out += fmt::format("      {}: {}\n", field, detail::double_quoted(value));
      };
      text("topic", s.topic);
      text("topic_prefix", s.topic_prefix);
      text("topic_regex", s.topic_regex);
      text("filter", s.filter);
      text("exchange", s.exchange);
      text("routing_key", s.routing_key);
      text("vhost", s.vhost);
      if (s.key) out += fmt::format("      key: {}\n", detail::double_quoted(*s.key));
      if (s.partition) out += fmt::format("      partition: {}\n", *s.partition);
      if (s.qos != 0) out += fmt::format("      qos: {}\n", s.qos);
      if (s.retain) out += "      retain: true\n";
    };
    for (const BridgeRule& rule : config.bridges) {
      out += fmt::format("  - name: {}\n", detail::double_quoted(rule.name));
      side("from", rule.from);
      side("to", rule.to);
    }
  }
  return out;
}

std::string key_table_row(const KeySpec& key) {
  return fmt::format("| `{}` | {} | `{}` | `{}` | {} | {} |", key.path,
                     markdown_cell(key.type_text), markdown_cell(key.default_text), key.env_var,
                     key.flag.empty() ? std::string() : fmt::format("`{}`", key.flag),
                     markdown_cell(key.description));
}

std::string flag_table_row(const KeySpec& key) {
  std::string effect;
  switch (key.flag_style) {
    case FlagStyle::sets_false:
      effect = fmt::format("sets `{}` to false", key.path);
      break;
    case FlagStyle::sets_true:
      effect = fmt::format("sets `{}` to true", key.path);
      break;
    case FlagStyle::takes_value:
      effect = fmt::format("sets `{}`; value: {}", key.path, markdown_cell(key.type_text));
      if (key.kind == ValueKind::string_list) effect += ", repeatable or comma-separated";
      break;
    case FlagStyle::none:
      break;
  }
  return fmt::format("| `{}` | {} |", key.flag, effect);
}

}  // namespace mockforge::config
