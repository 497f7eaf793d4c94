// Arbitrary bytes as an AsyncAPI document (YAML, or JSON when the input
// starts with '{'), as `mockforge asyncapi inspect`, `serve --asyncapi` and
// the asyncapi: fixtures read one: asyncapi::load, then inspect (examples
// synthesised from every message's schemas and checked with valijson), the
// declarations, and a Contract checking each example, and the input itself
// as a payload, on each channel's address. Bad input must come back as errors
// that say where and what (or, for a schema valijson cannot use, the
// Contract's std::runtime_error), never as a crash, another exception, or
// unbounded memory.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "asyncapi/contract.h"
#include "asyncapi/examples.h"
#include "asyncapi/inspect.h"
#include "asyncapi/model.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("mockforge-asyncapi-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

void check(const asyncapi::Contract& contract, const asyncapi::Channel& channel,
           std::string payload) {
  for (const auto protocol : channel.protocols) {
    traffic::Message message;
    message.protocol = protocol;
    message.destination =
        protocol == traffic::Protocol::kKafka ? channel.kafka_topic() : channel.address;
    message.routing_key = channel.address;
    message.payload = payload;
    (void)contract.check(message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto path = scratch() / (size > 0 && data[0] == '{' ? "doc.json" : "doc.yaml");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  const auto loaded = asyncapi::load(path);
  for (const auto& error : loaded.errors) {
    if (error.message.empty()) std::abort();
  }
  if (!loaded.ok()) return 0;
  (void)asyncapi::inspect(loaded.model, 1);
  (void)asyncapi::declarations(loaded.model);
  try {
    const asyncapi::Contract contract({loaded.model});
    for (const auto& channel : loaded.model.channels) {
      check(contract, channel, text);
      for (const auto& message : channel.messages) {
        const auto example = asyncapi::example_of(message, 2);
        check(
            contract, channel,
            example.example.payload.dump(-1, ' ', false, asyncapi::Json::error_handler_t::replace));
      }
    }
  } catch (const std::runtime_error&) {
    // A schema valijson cannot use: serve refuses the document with it.
  }
  return 0;
}
