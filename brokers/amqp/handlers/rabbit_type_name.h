// RabbitMQ's name for a field value's type, as its errors about message
// headers and consumer arguments print it ("longstr", "signedint", ...).
#pragma once

#include <string_view>

#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

std::string_view rabbit_type_name(const FieldValue& value);

}  // namespace mockforge::amqp
