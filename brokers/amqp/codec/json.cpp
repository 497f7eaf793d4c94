#include "brokers/amqp/codec/json.h"

namespace mockforge::amqp {

nlohmann::json field_table_json(const FieldTable& table, const JsonBytes& bytes) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& entry : table.entries) out[entry.name] = field_value_json(entry.value, bytes);
  return out;
}

nlohmann::json field_value_json(const FieldValue& value, const JsonBytes& bytes) {
  return std::visit(
      [&bytes](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, FieldTable>) {
          return field_table_json(v, bytes);
        } else if constexpr (std::is_same_v<T, FieldArray>) {
          nlohmann::json array = nlohmann::json::array();
          for (const auto& item : v.values) array.push_back(field_value_json(item, bytes));
          return array;
        } else if constexpr (std::is_same_v<T, Decimal>) {
          return nlohmann::json{{"scale", v.scale}, {"value", v.value}};
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return v.seconds;
        } else if constexpr (std::is_same_v<T, Void>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          return bytes.byte_array(v.bytes);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return bytes.string(v);
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
          return static_cast<int>(v);
        } else {
          return v;
        }
      },
      value.value);
}

nlohmann::json basic_properties_json(const BasicProperties& p, const JsonBytes& bytes) {
  nlohmann::json out = nlohmann::json::object();
  auto put = [&out](const char* name, const auto& field) {
    if (field) out[name] = *field;
  };
  put("content_type", p.content_type);
  put("content_encoding", p.content_encoding);
  if (p.headers) out["headers"] = field_table_json(*p.headers, bytes);
  if (p.delivery_mode) out["delivery_mode"] = static_cast<int>(*p.delivery_mode);
  if (p.priority) out["priority"] = static_cast<int>(*p.priority);
  put("correlation_id", p.correlation_id);
  put("reply_to", p.reply_to);
  put("expiration", p.expiration);
  put("message_id", p.message_id);
  put("timestamp", p.timestamp);
  put("type", p.type);
  put("user_id", p.user_id);
  put("app_id", p.app_id);
  put("cluster_id", p.cluster_id);
  return out;
}

}  // namespace mockforge::amqp
