#include "brokers/amqp/codec/neutral_message.h"

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>

namespace mockforge::amqp {

FieldTable to_field_table(const std::vector<traffic::Header>& headers) {
  // As FieldTable::set would, a later header of a name replacing an earlier
  // one, but through an index: a Kafka record may carry a great many headers.
  FieldTable table;
  std::unordered_map<std::string_view, std::size_t> at;
  at.reserve(headers.size());
  table.entries.reserve(headers.size());
  for (const auto& header : headers) {
    FieldValue value = std::visit([](const auto& v) { return FieldValue(v); }, header.value);
    const auto [it, added] = at.try_emplace(header.name, table.entries.size());
    if (added) {
      table.entries.push_back(FieldTableEntry{header.name, std::move(value)});
    } else {
      table.entries[it->second].value = std::move(value);
    }
  }
  return table;
}

std::optional<traffic::HeaderValue> to_header_value(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::optional<traffic::HeaderValue> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          return static_cast<double>(v);
        } else if constexpr (std::is_integral_v<T>) {
          return static_cast<int64_t>(v);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return static_cast<int64_t>(v.seconds);
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          return v.bytes;
        } else {
          return std::nullopt;
        }
      },
      value.value);
}

BasicProperties to_basic_properties(const traffic::Message& message) {
  BasicProperties p;
  const auto& in = message.properties;
  p.content_type = in.content_type;
  p.content_encoding = in.content_encoding;
  if (!message.headers.empty()) p.headers = to_field_table(message.headers);
  p.delivery_mode = in.delivery_mode;
  p.priority = in.priority;
  p.correlation_id = in.correlation_id;
  p.reply_to = in.reply_to;
  p.expiration = in.expiration;
  p.message_id = in.message_id;
  if (message.timestamp_ms > 0) p.timestamp = static_cast<uint64_t>(message.timestamp_ms / 1000);
  p.type = in.type;
  p.user_id = in.user_id;
  p.app_id = in.app_id;
  return p;
}

void read_basic_properties(const BasicProperties& p, traffic::Message& message) {
  auto& q = message.properties;
  q.content_type = p.content_type;
  q.content_encoding = p.content_encoding;
  q.correlation_id = p.correlation_id;
  q.reply_to = p.reply_to;
  q.message_id = p.message_id;
  q.type = p.type;
  q.app_id = p.app_id;
  q.user_id = p.user_id;
  q.expiration = p.expiration;
  q.priority = p.priority;
  q.delivery_mode = p.delivery_mode;
  if (p.timestamp) message.timestamp_ms = static_cast<int64_t>(*p.timestamp) * 1000;
  if (p.headers) {
    for (const auto& entry : p.headers->entries) {
      if (auto value = to_header_value(entry.value))
        message.headers.push_back({entry.name, std::move(*value)});
    }
  }
}

}  // namespace mockforge::amqp
