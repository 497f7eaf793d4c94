// Example messages synthesised from schemas: deterministic per seed, and
// valid against the schema they came from (checked with valijson).
#include "asyncapi/examples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <utility>

#include "asyncapi/inspect.h"
#include "asyncapi/schema_validator.h"

namespace mockforge::asyncapi {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::filesystem::path source_dir() {
  const char* dir = std::getenv("MOCKFORGE_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::path(".");
}

std::string violations_text(const std::vector<Violation>& violations) {
  std::string out;
  for (const auto& v : violations) out += "#" + v.pointer + ": " + v.message + "\n";
  return out;
}

// Every synthesised example of `model` conforms, for many seeds.
void expect_synthesised_examples_valid(const Model& model) {
  for (const auto& channel : model.channels) {
    for (const auto& message : channel.messages) {
      Message bare = message;
      bare.examples.clear();
      const SchemaValidator payload(message.payload);
      for (uint64_t seed = 1; seed <= 50; ++seed) {
        const auto example = example_of(bare, seed);
        ASSERT_TRUE(example.synthesised);
        EXPECT_THAT(example.notes, IsEmpty()) << message.id;
        const auto violations = payload.validate(example.example.payload);
        EXPECT_THAT(violations, IsEmpty()) << channel.id << " " << message.id << " seed " << seed
                                           << ": " << example.example.payload.dump() << "\n"
                                           << violations_text(violations);
        if (!message.headers.is_null()) {
          EXPECT_TRUE(SchemaValidator(message.headers).valid(example.example.headers))
              << example.example.headers.dump();
        }
      }
    }
  }
}

TEST(AsyncApiExamples, SynthesisedExamplesOfTheIotDocumentConform) {
  const auto loaded = load(source_dir() / "examples/iot-device-manager/asyncapi.yaml");
  ASSERT_TRUE(loaded.ok());
  expect_synthesised_examples_valid(loaded.model);
}

TEST(AsyncApiExamples, SynthesisedExamplesOfThe26DocumentConform) {
  const auto loaded = load(source_dir() / "tests/unit/asyncapi/documents/v26_brokers.yaml");
  ASSERT_TRUE(loaded.ok());
  expect_synthesised_examples_valid(loaded.model);
}

TEST(AsyncApiExamples, TheSameSeedGivesTheSameValue) {
  const auto schema = Json::parse(R"({"type":"object","properties":{
      "id":{"type":"string","format":"uuid"},"n":{"type":"integer"},
      "tags":{"type":"array","items":{"type":"string"}}}})");
  EXPECT_EQ(synthesise(schema, 7).value, synthesise(schema, 7).value);
  bool some_differ = false;
  for (uint64_t seed = 1; seed < 10; ++seed)
    some_differ |= synthesise(schema, seed).value != synthesise(schema, seed + 1).value;
  EXPECT_TRUE(some_differ);
}

TEST(AsyncApiExamples, FormatsBoundsAndCombinators) {
  const auto schema = Json::parse(R"({"type":"object","required":["extra"],"properties":{
      "when":{"type":"string","format":"date-time"},
      "id":{"type":"string","format":"uuid"},
      "mail":{"type":"string","format":"email"},
      "link":{"type":"string","format":"uri"},
      "ip":{"type":"string","format":"ipv4"},
      "code":{"type":"string","pattern":"^(AB|CD)-[0-9a-f]{4}\\.x?$"},
      "level":{"enum":["low","high"]},
      "fixed":{"const":{"a":1}},
      "ratio":{"type":"number","exclusiveMinimum":0,"maximum":1},
      "step":{"type":"integer","minimum":10,"maximum":100,"multipleOf":7},
      "either":{"oneOf":[{"type":"boolean"},{"type":"null"}]},
      "both":{"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}},
                        {"required":["b"],"properties":{"b":{"type":"string","minLength":3}}}]},
      "list":{"type":"array","minItems":2,"maxItems":4,"items":{"type":"integer","minimum":-3,"maximum":-1}}}})");
  const SchemaValidator validator(schema);
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const auto out = synthesise(schema, seed);
    const auto& v = out.value;
    EXPECT_THAT(out.notes, ::testing::ElementsAre(HasSubstr("/extra: required but has no")));
    EXPECT_TRUE(std::regex_match(v["when"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    EXPECT_TRUE(
        std::regex_match(v["id"].get<std::string>(),
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                    "[0-9a-f]{12}")))
        << v["id"];
    EXPECT_THAT(v["mail"].get<std::string>(), HasSubstr("@example.com"));
    EXPECT_TRUE(std::regex_match(v["ip"].get<std::string>(),
                                 std::regex(R"((\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}))")));
    EXPECT_TRUE(
        std::regex_match(v["code"].get<std::string>(), std::regex(R"(^(AB|CD)-[0-9a-f]{4}\.x?$)")))
        << v["code"];
    EXPECT_EQ(v["fixed"], Json::parse(R"({"a":1})"));
    EXPECT_EQ(v["step"].get<int64_t>() % 7, 0);
    const auto violations = validator.validate(v);
    EXPECT_THAT(violations, IsEmpty()) << v.dump() << "\n" << violations_text(violations);
  }
}

TEST(AsyncApiExamples, KeywordsOfAnotherTypeAreIgnored) {
  // A draft 6+ exclusiveMinimum (a number) beside minimum was read as the
  // draft 4 boolean and threw, ending `asyncapi inspect` and serve.
  const auto valid = Json::parse(R"({"type":"object","properties":{
      "amount":{"type":"number","minimum":0,"exclusiveMinimum":0},
      "count":{"type":"integer","maximum":10,"exclusiveMaximum":10}}})");
  const SchemaValidator validator(valid);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto out = synthesise(valid, seed);
    EXPECT_THAT(out.notes, IsEmpty());
    EXPECT_GT(out.value["amount"].get<double>(), 0);
    EXPECT_LT(out.value["count"].get<int64_t>(), 10);
    EXPECT_THAT(validator.validate(out.value), IsEmpty()) << out.value.dump();
  }
  // Not JSON Schema: the keywords are ignored, nothing throws.
  const auto invalid = Json::parse(R"({"type":"object","properties":{
      "list":{"type":"array","minItems":"2","maxItems":[3]},
      "text":{"type":"string","format":5,"minLength":2.5,"maxLength":"x"},
      "flag":{"type":"number","minimum":1,"exclusiveMinimum":"yes"}}})");
  const auto out = synthesise(invalid, 1);
  EXPECT_TRUE(out.value["list"].is_array());
  EXPECT_TRUE(out.value["text"].is_string());
  EXPECT_GE(out.value["flag"].get<double>(), 1);
}

TEST(AsyncApiExamples, CombinatorsMergeIntoKeywordsOfAnotherType) {
  // `required: id` (not a list) and `properties: 5` with allOf/oneOf threw
  // nlohmann's type_error while merging.
  auto out = synthesise(
      Json::parse(R"({"type":"object","required":"id","allOf":[{"required":["id"]}]})"), 1);
  EXPECT_EQ(out.value["id"], "example");
  out = synthesise(
      Json::parse(R"({"properties":5,"oneOf":[{"properties":{"a":{"type":"integer"}}}]})"), 1);
  EXPECT_TRUE(out.value["a"].is_number_integer()) << out.value.dump();
}

TEST(AsyncApiExamples, HugeRequestsAreCutShortAndNoted) {
  auto out = synthesise(Json::parse(R"({"type":"string","minLength":1000000000000})"), 1);
  EXPECT_EQ(out.value.get<std::string>().size(), 64u * 1024u);
  EXPECT_THAT(out.notes, ::testing::ElementsAre(HasSubstr("the string is shorter")));

  out = synthesise(Json::parse(R"({"type":"array","minItems":1000000000,"items":{}})"), 1);
  EXPECT_EQ(out.value.size(), 1000u);
  EXPECT_THAT(out.notes, ::testing::ElementsAre(HasSubstr("the array is shorter")));

  // 1,000 arrays of 1,000 arrays: a million values, cut at 100,000.
  out = synthesise(Json::parse(R"({"type":"array","minItems":1000,"items":{"type":"array",
      "minItems":1000,"items":{"type":"array","minItems":1000,"items":{"type":"integer"}}}})"),
                   1);
  EXPECT_THAT(out.notes, ::testing::Contains(HasSubstr("100000 values; null written")));
  EXPECT_LE(out.value.dump().size(), 2'000'000u);

  // Bounds beyond what an int64_t holds, and spans wider than one.
  out = synthesise(Json::parse(R"({"type":"integer","minimum":1e30})"), 1);
  EXPECT_THAT(out.notes, ::testing::ElementsAre(HasSubstr("bounds beyond")));
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    out = synthesise(
        Json::parse(
            R"({"type":"integer","minimum":-1e19,"maximum":1e19,"multipleOf":9223372036854775807})"),
        seed);
    EXPECT_TRUE(out.value.is_number_integer());
    out = synthesise(Json::parse(R"({"type":"number","minimum":-1e308,"maximum":1e308,
        "multipleOf":1e-300})"),
                     seed);
    EXPECT_TRUE(std::isfinite(out.value.get<double>()));
  }
}

TEST(AsyncApiExamples, APatternBeyondTheSynthesiserIsNoted) {
  const auto out = synthesise(Json::parse(R"({"type":"string","pattern":"^(?!admin).+$"})"), 1);
  ASSERT_EQ(out.notes.size(), 1u);
  EXPECT_THAT(out.notes[0], HasSubstr("is beyond the synthesiser"));
}

TEST(AsyncApiExamples, DocumentExamplesComeFirst) {
  const auto loaded = load(source_dir() / "examples/iot-device-manager/asyncapi.yaml");
  ASSERT_TRUE(loaded.ok());
  const auto& telemetry = loaded.model.channels[0].messages[0];
  const auto example = example_of(telemetry, 1);
  EXPECT_FALSE(example.synthesised);
  EXPECT_EQ(example.example.name, "warm-sensor");
  EXPECT_EQ(example.example.payload["sensors"]["temperature"], 23.5);
}

TEST(AsyncApiValidator, ViolationsCarryThePointerOfTheFailingValue) {
  const SchemaValidator validator(Json::parse(R"({"type":"object","properties":{
      "sensors":{"type":"object","properties":{"temperature":{"type":"number","maximum":125}}}}})"));
  const auto violations =
      validator.validate(nlohmann::json::parse(R"({"sensors":{"temperature":500}})"));
  ASSERT_FALSE(violations.empty());
  bool found = false;
  for (const auto& v : violations) found |= v.pointer == "/sensors/temperature";
  EXPECT_TRUE(found) << violations_text(violations);
  EXPECT_TRUE(
      validator.validate(nlohmann::json::parse(R"({"sensors":{"temperature":5}})")).empty());
}

// RFC 3339's date, time and date-time, parsed by mockforge (valijson's std::regex versions
// overflowed the stack on long strings).
TEST(AsyncApiValidator, DateAndTimeFormatsFollowRfc3339) {
  const auto check = [](const char* format, const std::string& text) {
    const SchemaValidator validator(Json{{"type", "string"}, {"format", format}});
    return validator.validate(Json(text));
  };
  for (const char* good : {"2024-02-29", "2023-12-31", "0001-01-01"})
    EXPECT_TRUE(check("date", good).empty()) << good;
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-04-31", "24-01-01", "2024-1-01",
                          "2024-01-01T00:00:00Z", "02024-01-01", ""})
    EXPECT_FALSE(check("date", bad).empty()) << bad;
  for (const char* good : {"16:52:45Z", "23:59:60z", "00:00:00.123456+02:00", "08:30:00-05:30"})
    EXPECT_TRUE(check("time", good).empty()) << good;
  for (const char* bad : {"24:00:00Z", "16:60:00Z", "16:52:45", "16:52:45.Z", "16:52:45+2:00",
                          "16:52:45+02:60", "1:52:45Z"})
    EXPECT_FALSE(check("time", bad).empty()) << bad;
  EXPECT_TRUE(check("date-time", "2022-07-18T16:52:45.5Z").empty());
  EXPECT_TRUE(check("date-time", "2022-07-18t16:52:45+02:00").empty());
  EXPECT_FALSE(check("date-time", "2022-07-18 16:52:45Z").empty());
  const auto violations = check("date-time", "2022-02-30T00:00:00Z");
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].keyword, "format");
  // Formats apply to strings only.
  EXPECT_TRUE(SchemaValidator(Json{{"format", "date"}}).validate(Json(20240101)).empty());
}

// Payloads are what the service under test sent. With valijson's std::regex each of these
// killed the process (its matcher recursed once per character).
TEST(AsyncApiValidator, LongStringsAreCheckedWithoutOverflowingTheStack) {
  const std::string digits(1 << 20, '1');
  const SchemaValidator validator(Json::parse(R"({"type":"object","properties":{
      "id":{"type":"string","pattern":"^[0-9]+$"},
      "when":{"type":"string","format":"date-time"},
      "day":{"type":"string","format":"date"}}})"));
  // (pointer, keyword) of each failure; valijson adds the enclosing `properties` one.
  const auto failures = [&](const Json& value) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& v : validator.validate(value)) out.emplace(v.pointer, v.keyword);
    return out;
  };
  using Failure = std::pair<std::string, std::string>;
  EXPECT_TRUE(validator.validate(Json{{"id", digits}}).empty());
  EXPECT_THAT(failures(Json{{"id", digits + "x"}}), ::testing::Contains(Failure{"/id", "pattern"}));
  EXPECT_THAT(failures(Json{{"when", digits + "-01-01T00:00:00." + digits + "Z"}}),
              ::testing::Contains(Failure{"/when", "format"}));
  EXPECT_FALSE(validator.valid(Json{{"day", digits + "-01-01"}}));
  EXPECT_TRUE(validator.valid(Json{{"when", "2022-07-18T16:52:45." + digits + "Z"}}));

  // A pattern that backtracks from every start: refused with a reason, in bounded time.
  const SchemaValidator backtracking(Json{{"type", "string"}, {"pattern", "1.*x"}});
  const auto violations = backtracking.validate(Json(digits));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].keyword, "pattern");
}

TEST(AsyncApiValidator, OverlongPropertyNamesAreRefusedWherePatternPropertiesApply) {
  const SchemaValidator validator(Json::parse(R"({"type":"object",
      "patternProperties":{"^x-[a-z]+$":{"type":"string"}}})"));
  EXPECT_TRUE(validator.validate(Json{{"x-trace", "t"}}).empty());
  EXPECT_FALSE(validator.validate(Json{{"x-trace", 1}}).empty());
  const std::string name = "x-" + std::string(100000, 'a');
  const auto violations = validator.validate(Json{{"outer", {{name, "t"}}}});
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].keyword, "patternProperties");
  EXPECT_EQ(violations[0].pointer, "/outer");
  EXPECT_FALSE(validator.valid(Json{{name, "t"}}));
  // Without patternProperties in the schema, long names are any other names.
  EXPECT_TRUE(SchemaValidator(Json{{"type", "object"}}).valid(Json{{name, "t"}}));
}

TEST(AsyncApiValidator, OverlongPatternPropertiesPatternsAreRefusedAtCompile) {
  // valijson compiles them with std::regex, recursing once per term.
  Json schema = {{"type", "object"}, {"patternProperties", Json::object()}};
  schema["patternProperties"][std::string(1024, 'a')] = Json::object();
  EXPECT_NO_THROW(SchemaValidator{schema});
  schema["patternProperties"][std::string(90000, 'a')] = Json::object();
  try {
    SchemaValidator validator(Json{{"allOf", Json::array({schema})}});
    FAIL() << "a 90,000-byte pattern compiled";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("pattern of 90000 bytes is longer than the 1024"));
  }
}

TEST(AsyncApiInspect, PrintsChannelsPatternsAndExamples) {
  const auto loaded = load(source_dir() / "tests/unit/asyncapi/documents/v26_brokers.yaml");
  ASSERT_TRUE(loaded.ok());
  const auto inspection = inspect(loaded.model, 3);
  EXPECT_THAT(inspection.schema_errors, IsEmpty());
  const auto& text = inspection.text;
  EXPECT_THAT(text, HasSubstr("mqtt: topic filter 'factory/+/line/+/measured', qos 1"));
  EXPECT_THAT(text, HasSubstr("kafka topic 'orders.created.v1', 3 partition(s), "
                              "cleanup.policy=delete,compact, retention.ms=604800000"));
  EXPECT_THAT(text, HasSubstr("amqp exchange 'orders' (topic, durable)"));
  EXPECT_THAT(text, HasSubstr("binding key 'orders.*.shipped'"));
  EXPECT_THAT(text, HasSubstr("amqp queue 'billing-requests' (durable)"));
  EXPECT_THAT(text, HasSubstr("example ('small-order' from the document)"));
  EXPECT_THAT(text, HasSubstr("example (synthesised, seed 3)"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("does not conform")));
  EXPECT_THAT(text, HasSubstr("web: http"));
}

}  // namespace
}  // namespace mockforge::asyncapi
