// RabbitMQ's redeclare checks (queue.declare / exchange.declare of an existing
// name): which property or argument must match, when two values count as equal,
// and the reply text naming the first one that differs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

// The arguments RabbitMQ compares on a queue redeclare, in its order; other
// names (x-foo, ...) may differ.
std::span<const std::string_view> compared_queue_arguments();
// On an exchange redeclare only the alternate exchange is compared.
std::span<const std::string_view> compared_exchange_arguments();

// "inequivalent arg 'KEY' for RESOURCE: received 'NEW' but current is 'OLD'"
// (RESOURCE is e.g. "queue 'q' in vhost '/'"), without the reply-code prefix.
std::string inequivalent_field(std::string_view key, std::string_view resource,
                               std::string_view received, std::string_view current);

// The first of `keys` whose values differ, as RabbitMQ sees it: integer types
// compare by value (an 'I' 5 equals an 'l' 5), as do float and double; a
// missing value prints as "none", a value alone with its type.
std::optional<std::string> inequivalent_arguments(const FieldTable& current,
                                                  const FieldTable& received,
                                                  std::string_view resource,
                                                  std::span<const std::string_view> keys);

// A value as Erlang's ~p prints it in RabbitMQ's messages (strings bare).
std::string erlang_value(const FieldValue& value);
// RabbitMQ's name of a field type: signedint, long, longstr, bool, ...
std::string_view field_type_name(const FieldValue& value);

}  // namespace mockforge::amqp
