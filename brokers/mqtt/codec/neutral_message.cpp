#include "brokers/mqtt/codec/neutral_message.h"

namespace mockforge::mqtt {

Properties to_publish_properties(const traffic::Message& message, Expiry expiry) {
  Properties out;
  const auto& p = message.properties;
  if (p.payload_utf8) out.set(PropertyId::payload_format_indicator, uint32_t{*p.payload_utf8});
  if (p.message_expiry_seconds && expiry == Expiry::kInclude)
    out.set(PropertyId::message_expiry_interval, *p.message_expiry_seconds);
  if (p.content_type) out.set(PropertyId::content_type, *p.content_type);
  if (p.reply_to) out.set(PropertyId::response_topic, *p.reply_to);
  if (p.correlation_id) {
    out.set(PropertyId::correlation_data,
            Bytes(p.correlation_id->begin(), p.correlation_id->end()));
  }
  for (const auto& header : message.headers)
    out.add_user_property(header.name, traffic::header_text(header.value));
  return out;
}

void read_publish_properties(const Properties& in, traffic::Message& message) {
  auto& p = message.properties;
  if (auto v = in.integer(PropertyId::payload_format_indicator)) p.payload_utf8 = *v == 1;
  if (auto v = in.integer(PropertyId::message_expiry_interval)) p.message_expiry_seconds = *v;
  if (auto v = in.string(PropertyId::content_type)) p.content_type = std::string(*v);
  if (auto v = in.string(PropertyId::response_topic)) p.reply_to = std::string(*v);
  if (auto v = in.binary(PropertyId::correlation_data))
    p.correlation_id = std::string(v->begin(), v->end());
  for (auto& pair : in.user_properties())
    message.headers.push_back({std::move(pair.name), std::move(pair.value)});
}

}  // namespace mockforge::mqtt
