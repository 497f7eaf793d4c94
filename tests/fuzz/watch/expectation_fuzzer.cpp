// The body of POST /__mockforge/api/expect: parsed (JSON, then the
// expectation and its JSON paths and regular expressions), and, when valid,
// matched against a few messages. Bad input must be a clean
// std::invalid_argument, never a crash.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "watch/expectation.h"

namespace {

mockforge::traffic::Message message(mockforge::traffic::Protocol protocol, std::string payload) {
  mockforge::traffic::Message out;
  out.protocol = protocol;
  out.destination = "orders/created";
  out.routing_key = "orders.created.eu";
  out.payload = std::move(payload);
  out.key = "o-1";
  out.headers.push_back({"source", int64_t{7}});
  out.properties.correlation_id = "c-1";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded()) return 0;
  try {
    const auto expectation = mockforge::watch::Expectation::from_json(spec);
    for (auto protocol : {mockforge::traffic::Protocol::kKafka, mockforge::traffic::Protocol::kMqtt,
                          mockforge::traffic::Protocol::kAmqp}) {
      int passed = 0;
      (void)expectation.mismatches(message(protocol, R"({"status":"ok","items":[1,{"a":2}]})"),
                                   &passed);
      (void)expectation.mismatches(message(protocol, text), &passed);
    }
    (void)expectation.describe();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
