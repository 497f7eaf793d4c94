#pragma once

// `mockforge asyncapi inspect`: a model as text, what mockforge would create
// and check, with one example per message (checked against its schema).

#include <cstdint>
#include <string>

#include "asyncapi/model.h"

namespace mockforge::asyncapi {

struct Inspection {
  std::string text;
  // Messages whose payload or header schema valijson could not parse; the
  // text names them. Inspection is then an error.
  std::vector<std::string> schema_errors;
};

Inspection inspect(const Model& model, uint64_t seed);

}  // namespace mockforge::asyncapi
