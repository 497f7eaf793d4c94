// Arbitrary bytes as a mockforge.yaml (config::apply_yaml_text) and as a
// fixture file (fixtures::load_fixture_text, then the cross-file checks),
// as `mockforge config validate` and `mockforge fixtures validate` read them.
// Bad input must come back as errors that say where and what, never as a
// crash or an exception. A document the config accepts must print
// (config::to_yaml) as YAML that parses back to the same Config; fixtures
// that load render their first message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "fixtures/fixture_set.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;

void fuzz_config(std::string_view text) {
  config::Config config;
  const auto errors = config::apply_yaml_text(config, text, "fuzz.yaml");
  for (const auto& error : errors) {
    if (error.message.empty() || error.origin != "fuzz.yaml") std::abort();
  }
  if (!errors.empty()) return;
  const std::string printed = config::to_yaml(config);
  config::Config again;
  if (!config::apply_yaml_text(again, printed, "printed.yaml").empty()) std::abort();
  if (!(again == config)) std::abort();
}

void fuzz_fixtures(std::string_view text, std::optional<traffic::Protocol> section) {
  auto loaded = fixtures::load_fixture_text(text, "fuzz.yaml", section);
  fixtures::check_references(loaded);
  for (const auto& error : loaded.errors) {
    if (error.message.empty() || error.file != "fuzz.yaml") std::abort();
  }
  if (!loaded.ok()) return;
  std::mt19937_64 random(1);
  for (const auto& fixture : loaded.fixtures) {
    fixtures::RenderContext context{random, 1};
    (void)fixture.render(context);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_config(text);
  // A sectioned file, or one protocol's bare fixtures (<protocol>.fixtures_dir).
  static constexpr std::optional<traffic::Protocol> kSections[] = {
      std::nullopt, traffic::Protocol::kKafka, traffic::Protocol::kMqtt, traffic::Protocol::kAmqp};
  fuzz_fixtures(text, kSections[size % 4]);
  return 0;
}
