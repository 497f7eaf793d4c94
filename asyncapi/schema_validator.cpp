#include "asyncapi/schema_validator.h"

#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

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
  // valijson's Validator caches compiled regexes in itself: one per call
  // would recompile them, so calls share one under a lock.
  mutable std::mutex mutex;
  mutable valijson::Validator validator;
};

SchemaValidator::SchemaValidator(const nlohmann::json& schema, Draft draft)
    : state_(std::make_unique<State>()) {
  state_->document = schema;
  valijson::SchemaParser parser(draft == Draft::kDraft4 ? valijson::SchemaParser::kDraft4
                                                        : valijson::SchemaParser::kDraft7);
  const valijson::adapters::NlohmannJsonAdapter adapter(state_->document);
  parser.populateSchema(adapter, state_->schema);
}

SchemaValidator::~SchemaValidator() = default;
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;

std::vector<Violation> SchemaValidator::validate(const nlohmann::json& value) const {
  const valijson::adapters::NlohmannJsonAdapter target(value);
  valijson::ValidationResults results;
  bool ok = false;
  {
    std::lock_guard lock(state_->mutex);
    ok = state_->validator.validate(state_->schema, target, &results);
  }
  std::vector<Violation> out;
  if (ok) return out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    out.push_back({pointer_of(error.context), error.description, keyword_of(error.description)});
  }
  if (out.empty()) out.push_back({"", "does not match the schema", ""});
  return out;
}

bool SchemaValidator::valid(const nlohmann::json& value) const {
  const valijson::adapters::NlohmannJsonAdapter target(value);
  std::lock_guard lock(state_->mutex);
  return state_->validator.validate(state_->schema, target, nullptr);
}

}  // namespace mockforge::asyncapi
