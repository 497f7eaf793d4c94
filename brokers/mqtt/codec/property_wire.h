// Internal to the codec: reading and writing a v5 property list.
#pragma once

#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt::wire {

// Reads Property Length and the properties, rejecting unknown identifiers and
// identifiers not allowed in `context` (Malformed Packet), repeats that the
// spec forbids and out-of-range values (Protocol Error).
Properties read_properties(Reader& reader, PropertyContext context);

// Writes Property Length and the properties; throws EncodeError for a
// property not allowed in `context` or a value of the wrong type or range.
void append_properties(const Properties& properties, PropertyContext context, Bytes& out);

}  // namespace mockforge::mqtt::wire
