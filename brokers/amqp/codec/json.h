// Field tables and basic properties as JSON, for the admin API and the CLI.
// The caller decides how strings and byte arrays (which need not be UTF-8)
// are rendered.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

struct JsonBytes {
  std::function<nlohmann::json(std::string_view)> string;      // long strings
  std::function<nlohmann::json(std::string_view)> byte_array;  // 'x' values
};

// Numbers and booleans as themselves; a decimal as {scale, value}; a
// timestamp as seconds; void as null; nested tables and arrays recursively.
nlohmann::json field_value_json(const FieldValue& value, const JsonBytes& bytes);
nlohmann::json field_table_json(const FieldTable& table, const JsonBytes& bytes);
// The properties that are set, by their AMQP names in snake case.
nlohmann::json basic_properties_json(const BasicProperties& properties, const JsonBytes& bytes);

}  // namespace mockforge::amqp
