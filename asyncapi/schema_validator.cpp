#include "asyncapi/schema_validator.h"

#define VALIJSON_USE_EXCEPTIONS 1
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/regex/pattern.h"

// valijson 1.0 runs `pattern` and the formats date, time and date-time through std::regex,
// whose matcher (libstdc++) recurses once per character of the subject: a payload with a
// string of some 40,000 characters overflowed an 8 MiB thread stack and killed the process,
// and a backtracking pattern could run for minutes. These two visits are replaced for the one
// adapter mockforge validates with (explicit specializations; this file is the only one that
// instantiates valijson's visitor): `pattern` runs on core/regex (heap state, bounded work),
// the formats are parsed by hand. `patternProperties` still matches property names with
// std::regex; SchemaValidator::validate() refuses names too long for that first.
namespace mockforge::asyncapi {
namespace {

// The compiled `pattern`s of the SchemaValidator whose validation runs on this thread (set
// under its lock).
struct CompiledPattern {
  std::optional<regex::Pattern> pattern;
  std::string error;  // why it does not compile
};
using PatternCache = std::unordered_map<std::string, CompiledPattern>;
thread_local PatternCache* current_patterns = nullptr;

const CompiledPattern& compiled(const std::string& text) {
  // Every validation runs through SchemaValidator::State::run, which sets current_patterns;
  // a per-thread cache keeps any other caller correct without a lock.
  thread_local PatternCache fallback;
  PatternCache& cache = current_patterns != nullptr ? *current_patterns : fallback;
  auto it = cache.find(text);
  if (it == cache.end()) {
    CompiledPattern entry;
    try {
      entry.pattern.emplace(text);
    } catch (const regex::PatternError& e) {
      entry.error = e.what();
    }
    it = cache.emplace(text, std::move(entry)).first;
  }
  return it->second;
}

// RFC 3339 section 5.6, which JSON Schema's date, time and date-time formats name.
bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

bool leap_year(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// full-date = YYYY-MM-DD, the day within the month's length.
bool full_date(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!digits(text, 0, 4, year) || !digits(text, 5, 2, month) || !digits(text, 8, 2, day))
    return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= kDays[month - 1] + (month == 2 && leap_year(year) ? 1 : 0);
}

// full-time = HH:MM:SS[.fraction](Z|+HH:MM|-HH:MM); second 60 (a leap second) is allowed.
bool full_time(std::string_view text) {
  int hour = 0, minute = 0, second = 0;
  if (text.size() < 9 || text[2] != ':' || text[5] != ':') return false;
  if (!digits(text, 0, 2, hour) || !digits(text, 3, 2, minute) || !digits(text, 6, 2, second))
    return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  std::size_t at = 8;
  if (at < text.size() && text[at] == '.') {
    const std::size_t start = ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start) return false;
  }
  const std::string_view offset = text.substr(at);
  if (offset == "Z" || offset == "z") return true;
  int offset_hour = 0, offset_minute = 0;
  return offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && offset[3] == ':' &&
         digits(offset, 1, 2, offset_hour) && digits(offset, 4, 2, offset_minute) &&
         offset_hour <= 23 && offset_minute <= 59;
}

bool date_time(std::string_view text) {
  return text.size() > 11 && (text[10] == 'T' || text[10] == 't') &&
         full_date(text.substr(0, 10)) && full_time(text.substr(11));
}

}  // namespace
}  // namespace mockforge::asyncapi

namespace valijson {

using NlohmannVisitor = ValidationVisitor<adapters::NlohmannJsonAdapter>;

template <>
bool NlohmannVisitor::visit(const constraints::PatternConstraint& constraint) {
  if ((m_strictTypes && !m_target.isString()) || !m_target.maybeString()) return true;
  const auto& entry = mockforge::asyncapi::compiled(constraint.getPattern<std::allocator<char>>());
  std::string problem;
  if (!entry.pattern) {
    problem =
        "Failed to match regex specified by 'pattern' constraint: the pattern does not "
        "compile: " +
        entry.error;
  } else {
    const std::string subject = m_target.asString();
    switch (entry.pattern->search(subject)) {
      case mockforge::regex::Pattern::Result::kMatch:
        return true;
      case mockforge::regex::Pattern::Result::kNoMatch:
        problem = "Failed to match regex specified by 'pattern' constraint.";
        break;
      case mockforge::regex::Pattern::Result::kTooComplex:
        problem =
            "Failed to match regex specified by 'pattern' constraint: too complex to match "
            "against a string of " +
            std::to_string(subject.size()) + " bytes.";
        break;
    }
  }
  if (m_results) m_results->pushError(m_context, problem);
  return false;
}

template <>
bool NlohmannVisitor::visit(const constraints::FormatConstraint& constraint) {
  // Formats other than these three are not checked; none applies to a non-string.
  if (!m_target.isString()) return true;
  const std::string& format = constraint.getFormat();
  const std::string text = m_target.asString();
  bool valid = true;
  if (format == "date")
    valid = mockforge::asyncapi::full_date(text);
  else if (format == "time")
    valid = mockforge::asyncapi::full_time(text);
  else if (format == "date-time")
    valid = mockforge::asyncapi::date_time(text);
  if (!valid && m_results) m_results->pushError(m_context, "String should be a valid " + format);
  return valid;
}

}  // namespace valijson

namespace mockforge::asyncapi {
namespace {

// valijson's context ("<root>", "[name]", "[0]") as a JSON pointer.
std::string pointer_of(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']')
      token = token.substr(1, token.size() - 2);
    out += '/';
    for (char c : token) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string keyword_of(std::string_view description) {
  // valijson's descriptions (validation_visitor.hpp), longer prefixes first.
  static constexpr std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"Array contains more items than allowed", "additionalItems"},
      {"Cannot validate item #", "additionalItems"},
      {"Array should contain no fewer than", "minItems"},
      {"Array should contain no more than", "maxItems"},
      {"Elements at indexes #", "uniqueItems"},
      {"Expected number greater than or equal to", "minimum"},
      {"Expected number greater than", "exclusiveMinimum"},
      {"Expected number less than or equal to", "maximum"},
      {"Expected number less than", "exclusiveMaximum"},
      {"Failed to any values against subschema in 'contains'", "contains"},
      {"Failed to match against any enum values", "enum"},
      {"Failed to match expected value set by 'const'", "const"},
      {"Target value and comparison value are not equal", "const"},
      {"Failed to match regex specified by 'pattern'", "pattern"},
      {"Failed to validate against a conditional schema", "if"},
      {"Failed to validate against additional properties schema", "additionalProperties"},
      {"Object contains a property that could not be validated", "additionalProperties"},
      {"Failed to validate against any schemas allowed by anyOf", "anyOf"},
      {"Failed to validate against any child schemas allowed by oneOf", "oneOf"},
      {"Failed to validate against exactly one child schema", "oneOf"},
      {"Failed to validate against child schema #", "allOf"},
      {"Failed to validate against dependent schema", "dependencies"},
      {"Missing dependency '", "dependencies"},
      {"Failed to validate against schema associated with pattern '", "patternProperties"},
      {"Failed to validate against schema associated with property name '", "properties"},
      {"Failed to validate item #", "items"},
      {"Missing required property '", "required"},
      {"Object should have no fewer than", "minProperties"},
      {"Object should have no more than", "maxProperties"},
      {"String should be no fewer than", "minLength"},
      {"String should be no more than", "maxLength"},
      {"String should be a valid", "format"},
      {"Target should not validate against schema specified in 'not'", "not"},
      {"Value could not be converted", "multipleOf"},
      {"Value should be a multiple of", "multipleOf"},
      {"Value type not permitted by 'type'", "type"},
  };
  for (const auto& [prefix, keyword] : kPrefixes) {
    if (description.starts_with(prefix)) return std::string(keyword);
  }
  return "";
}

struct SchemaValidator::State {
  nlohmann::json document;  // the adapter refers into it while parsing
  valijson::Schema schema;
  // Whether the schema may use patternProperties (see kLongestPatternName).
  bool pattern_properties = false;
  // valijson's Validator caches compiled regexes in itself, and `patterns` the compiled
  // `pattern`s: one per call would recompile them, so calls share them under a lock.
  mutable std::mutex mutex;
  mutable valijson::Validator validator;
  mutable PatternCache patterns;

  // Runs `validate` with this schema's patterns, under the lock.
  template <typename Validate>
  bool run(Validate&& validate) const {
    std::lock_guard lock(mutex);
    current_patterns = &patterns;
    struct Restore {
      ~Restore() { current_patterns = nullptr; }
    } restore;
    return validate();
  }
};

namespace {

// valijson matches property names against patternProperties with std::regex, which recurses
// once per character: names longer than this are refused rather than matched (a few MiB of
// stack at most, under ASan too).
constexpr std::size_t kLongestPatternName = 1024;

bool mentions_pattern_properties(const nlohmann::json& schema) {
  if (schema.is_object()) {
    for (const auto& [key, value] : schema.items()) {
      if (key == "patternProperties" && value.is_object()) return true;
      if (mentions_pattern_properties(value)) return true;
    }
  } else if (schema.is_array()) {
    for (const auto& item : schema)
      if (mentions_pattern_properties(item)) return true;
  }
  return false;
}

// The first property name longer than kLongestPatternName, as a violation.
std::optional<Violation> overlong_name(const nlohmann::json& value, const std::string& pointer) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      if (key.size() > kLongestPatternName) {
        return Violation{pointer,
                         "Property name of " + std::to_string(key.size()) +
                             " bytes is longer than the " + std::to_string(kLongestPatternName) +
                             " that mockforge matches against 'patternProperties'.",
                         "patternProperties"};
      }
      std::string escaped;
      for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      if (auto found = overlong_name(member, pointer + "/" + escaped)) return found;
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      if (auto found = overlong_name(value[i], pointer + "/" + std::to_string(i))) return found;
  }
  return std::nullopt;
}

// The size of the first patternProperties pattern longer than kLongestPatternName, or 0:
// valijson compiles them with std::regex, whose compiler recurses once per term (a pattern
// of 90,000 characters overflowed the stack).
std::size_t overlong_pattern(const nlohmann::json& schema) {
  if (schema.is_object()) {
    for (const auto& [key, value] : schema.items()) {
      if (key == "patternProperties" && value.is_object()) {
        for (const auto& [pattern, member] : value.items()) {
          if (pattern.size() > kLongestPatternName) return pattern.size();
        }
      }
      if (const auto found = overlong_pattern(value)) return found;
    }
  } else if (schema.is_array()) {
    for (const auto& item : schema)
      if (const auto found = overlong_pattern(item)) return found;
  }
  return 0;
}

}  // namespace

SchemaValidator::SchemaValidator(const nlohmann::json& schema, Draft draft)
    : state_(std::make_unique<State>()) {
  if (const auto size = overlong_pattern(schema)) {
    throw std::runtime_error("a 'patternProperties' pattern of " + std::to_string(size) +
                             " bytes is longer than the " + std::to_string(kLongestPatternName) +
                             " that mockforge compiles");
  }
  state_->document = schema;
  valijson::SchemaParser parser(draft == Draft::kDraft4 ? valijson::SchemaParser::kDraft4
                                                        : valijson::SchemaParser::kDraft7);
  const valijson::adapters::NlohmannJsonAdapter adapter(state_->document);
  parser.populateSchema(adapter, state_->schema);
  state_->pattern_properties = mentions_pattern_properties(state_->document);
}

SchemaValidator::~SchemaValidator() = default;
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;

std::vector<Violation> SchemaValidator::validate(const nlohmann::json& value) const {
  std::vector<Violation> out;
  if (state_->pattern_properties) {
    if (auto violation = overlong_name(value, "")) {
      out.push_back(std::move(*violation));
      return out;
    }
  }
  const valijson::adapters::NlohmannJsonAdapter target(value);
  valijson::ValidationResults results;
  const bool ok =
      state_->run([&] { return state_->validator.validate(state_->schema, target, &results); });
  if (ok) return out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    out.push_back({pointer_of(error.context), error.description, keyword_of(error.description)});
  }
  if (out.empty()) out.push_back({"", "does not match the schema", ""});
  return out;
}

bool SchemaValidator::valid(const nlohmann::json& value) const {
  if (state_->pattern_properties && overlong_name(value, "")) return false;
  const valijson::adapters::NlohmannJsonAdapter target(value);
  return state_->run([&] { return state_->validator.validate(state_->schema, target, nullptr); });
}

}  // namespace mockforge::asyncapi
