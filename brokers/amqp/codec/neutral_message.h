// The basic class's properties and field tables as the protocol-neutral
// message (core/traffic/message.h) carries them, both ways. One mapping for
// the broker's traffic seam and for the CLI clients that publish to or read
// from a real broker, so a message looks the same on either path.
#pragma once

#include <optional>
#include <vector>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/field_table.h"
#include "core/traffic/message.h"

namespace mockforge::amqp {

FieldTable to_field_table(const std::vector<traffic::Header>& headers);

// A field value as a neutral header: numbers, booleans and strings keep their
// type; timestamps become seconds; byte arrays become strings; nested tables,
// arrays, decimals and voids have no neutral form.
std::optional<traffic::HeaderValue> to_header_value(const FieldValue& value);

// The message's properties and headers; its timestamp (when set) in seconds.
BasicProperties to_basic_properties(const traffic::Message& message);

// Fills the message's properties and headers, and its timestamp when the
// properties carry one.
void read_basic_properties(const BasicProperties& properties, traffic::Message& message);

}  // namespace mockforge::amqp
