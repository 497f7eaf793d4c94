#pragma once

// Example values for a JSON Schema (the payload and header schemas of
// asyncapi::Message), deterministic for a seed. Used by `asyncapi inspect`
// and as the message source for generated traffic.
//
// What is honoured: type (the first non-null one of a list), const, enum,
// the schema's own examples and default, properties (all of them, so
// required ones are always there) and required names without a property,
// items (schema or tuple) with minItems/maxItems, minimum/maximum with
// exclusive bounds (draft 4 booleans and draft 6+ numbers) and multipleOf,
// minLength/maxLength, formats date-time, date, time, uuid, email, uri, url,
// hostname, ipv4 and ipv6, pattern (literals, escapes \d \w \s, classes,
// groups with |, quantifiers ? * + {n} {n,m}; anything else is noted and the
// value does not follow the pattern), allOf (merged), oneOf and anyOf (one
// branch, picked by the seed). A note says where a value is known not to
// satisfy its schema. A keyword whose value has another type than JSON
// Schema gives it is ignored. An example is bounded: at most 1,000 items
// per array, 64 KiB per string, 100,000 values in all, 32 levels deep, and
// integers within 2^62 (beyond, the value is cut short and noted).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "asyncapi/model.h"

namespace mockforge::asyncapi {

struct Synthesised {
  Json value;
  std::vector<std::string> notes;  // "/path: why the value may not fit"
};

Synthesised synthesise(const Json& schema, uint64_t seed);

// One example of `message`: its index-th own example when it has examples
// (cycling), else a payload (and headers, when it has a header schema)
// synthesised from its schemas with seed + index.
struct MessageExample {
  Example example;
  bool synthesised = false;
  std::vector<std::string> notes;
};
MessageExample example_of(const Message& message, uint64_t seed, uint64_t index = 0);

}  // namespace mockforge::asyncapi
