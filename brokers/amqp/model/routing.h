// Routing rules of the exchange types: topic patterns and headers matching.
#pragma once

#include <string_view>

#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

// Topic pattern match: words separated by '.', '*' is exactly one word and
// '#' zero or more words.
bool topic_matches(std::string_view pattern, std::string_view routing_key);

// Headers exchange: binding arguments against message headers. x-match "all"
// (default) needs every non "x-" argument to match, "any" at least one. A
// void argument value matches on presence alone.
bool headers_match(const FieldTable& binding_arguments, const FieldTable* message_headers);

}  // namespace mockforge::amqp
