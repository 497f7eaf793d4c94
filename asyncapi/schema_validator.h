#pragma once

// JSON Schema validation through valijson (Debian's libvalijson-dev,
// header-only) and its nlohmann::json adapter. Draft 7 is what AsyncAPI
// schemas are (their extra keywords, such as discriminator, are ignored);
// draft 4 is there for the test suite and `application/schema+json;
// version=draft-04`. The schema is parsed once; validate() may be called
// from several threads.

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::asyncapi {

enum class Draft { kDraft4, kDraft7 };

struct Violation {
  std::string pointer;  // JSON pointer of the failing value ("" is the root)
  std::string message;  // valijson's description of the failed constraint
  std::string keyword;  // the schema keyword that failed ("type", "required", ...); "" if none
};

// The JSON Schema keyword a valijson description is about ("" when it names
// none).
std::string keyword_of(std::string_view description);

class SchemaValidator {
 public:
  // Throws std::runtime_error when valijson cannot parse the schema (for
  // example a `$ref` it cannot resolve: remote references are not fetched).
  explicit SchemaValidator(const nlohmann::json& schema, Draft draft = Draft::kDraft7);
  ~SchemaValidator();
  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;

  // Empty when `value` conforms.
  std::vector<Violation> validate(const nlohmann::json& value) const;
  bool valid(const nlohmann::json& value) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mockforge::asyncapi
