// Feeds arbitrary bytes to the decoder of the "bridges" snapshot extension
// (restore_runtime_rules), which reads a snapshot file's contents: a JSON list of rules, each
// checked by Engine::add. It must not throw; what it added must capture as JSON that restores
// into a fresh engine without a problem, to the same capture.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bridges/engine.h"
#include "bridges/rules_json.h"
#include "core/metrics/registry.h"
#include "core/traffic/hub.h"
#include "tests/fuzz/quiet_logging.h"

using namespace mockforge;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  traffic::Hub hub;
  metrics::Registry registry;
  bridges::Engine engine(hub, registry);
  (void)bridges::restore_runtime_rules(engine, input);
  const std::string captured = bridges::capture_runtime_rules(engine);
  bridges::Engine again(hub, registry);
  if (!bridges::restore_runtime_rules(again, captured).empty()) std::abort();
  if (bridges::capture_runtime_rules(again) != captured) std::abort();
  return 0;
}
