#include "brokers/amqp/codec/content_header.h"

namespace mockforge::amqp {
namespace {

constexpr uint16_t flag_bit(int property_index) {
  return static_cast<uint16_t>(1u << (15 - property_index));
}

constexpr uint16_t kContinuationBit = 1;
// Flag-word bits that name a property in the first word: 15 down to 2.
constexpr uint16_t kKnownPropertyBits = 0xfffc;
// Reasonable upper bound on continuation words; each is 2 bytes of a frame.
constexpr int kMaxFlagWords = 8;

void write_optional_shortstr(ByteWriter& out, const std::optional<std::string>& value) {
  if (value) out.write_shortstr(*value);
}

}  // namespace

uint16_t BasicProperties::property_flags() const {
  uint16_t flags = 0;
  const bool present[kBasicPropertyCount] = {content_type.has_value(), content_encoding.has_value(),
                                             headers.has_value(),      delivery_mode.has_value(),
                                             priority.has_value(),     correlation_id.has_value(),
                                             reply_to.has_value(),     expiration.has_value(),
                                             message_id.has_value(),   timestamp.has_value(),
                                             type.has_value(),         user_id.has_value(),
                                             app_id.has_value(),       cluster_id.has_value()};
  for (int i = 0; i < kBasicPropertyCount; ++i) {
    if (present[i]) flags |= flag_bit(i);
  }
  return flags;
}

void encode_content_header(ByteWriter& out, const ContentHeader& header) {
  if (header.flag_word_count < 1 || header.flag_word_count > kMaxFlagWords) {
    throw EncodeError("content header needs 1 to 8 property-flag words");
  }
  out.write_u16(header.class_id);
  out.write_u16(header.weight);
  out.write_u64(header.body_size);
  const uint16_t continuation = header.flag_word_count > 1 ? kContinuationBit : 0;
  out.write_u16(header.properties.property_flags() | continuation);
  for (int word = 2; word <= header.flag_word_count; ++word) {
    out.write_u16(word < header.flag_word_count ? kContinuationBit : 0);
  }
  const BasicProperties& p = header.properties;
  write_optional_shortstr(out, p.content_type);
  write_optional_shortstr(out, p.content_encoding);
  if (p.headers) encode_field_table(out, *p.headers);
  if (p.delivery_mode) out.write_u8(*p.delivery_mode);
  if (p.priority) out.write_u8(*p.priority);
  write_optional_shortstr(out, p.correlation_id);
  write_optional_shortstr(out, p.reply_to);
  write_optional_shortstr(out, p.expiration);
  write_optional_shortstr(out, p.message_id);
  if (p.timestamp) out.write_u64(*p.timestamp);
  write_optional_shortstr(out, p.type);
  write_optional_shortstr(out, p.user_id);
  write_optional_shortstr(out, p.app_id);
  write_optional_shortstr(out, p.cluster_id);
}

std::vector<uint8_t> encode_content_header(const ContentHeader& header) {
  ByteWriter out;
  encode_content_header(out, header);
  return out.take();
}

ContentHeader decode_content_header(std::span<const uint8_t> payload) {
  ByteReader in(payload);
  ContentHeader header;
  header.class_id = in.read_u16();
  if (header.class_id != kBasicClassId) {
    throw DecodeError(ReplyCode::kSyntaxError, "content header for class " +
                                                   std::to_string(header.class_id) +
                                                   ", only basic (60) carries content");
  }
  header.weight = in.read_u16();
  if (header.weight != 0) {
    throw DecodeError(ReplyCode::kSyntaxError, "content header weight must be zero");
  }
  header.body_size = in.read_u64();

  const uint16_t flags = in.read_u16();
  if ((flags & ~(kKnownPropertyBits | kContinuationBit)) != 0) {
    throw DecodeError(ReplyCode::kSyntaxError, "content header sets an unknown property flag");
  }
  header.flag_word_count = 1;
  bool more = (flags & kContinuationBit) != 0;
  while (more) {
    if (header.flag_word_count == kMaxFlagWords) {
      throw DecodeError(ReplyCode::kSyntaxError, "too many property-flag words");
    }
    const uint16_t extra = in.read_u16();
    if ((extra & ~kContinuationBit) != 0) {
      throw DecodeError(ReplyCode::kSyntaxError, "content header sets an unknown property flag");
    }
    ++header.flag_word_count;
    more = (extra & kContinuationBit) != 0;
  }

  auto has = [flags](int index) { return (flags & flag_bit(index)) != 0; };
  BasicProperties& p = header.properties;
  if (has(0)) p.content_type = in.read_shortstr();
  if (has(1)) p.content_encoding = in.read_shortstr();
  if (has(2)) p.headers = decode_field_table(in);
  if (has(3)) p.delivery_mode = in.read_u8();
  if (has(4)) p.priority = in.read_u8();
  if (has(5)) p.correlation_id = in.read_shortstr();
  if (has(6)) p.reply_to = in.read_shortstr();
  if (has(7)) p.expiration = in.read_shortstr();
  if (has(8)) p.message_id = in.read_shortstr();
  if (has(9)) p.timestamp = in.read_u64();
  if (has(10)) p.type = in.read_shortstr();
  if (has(11)) p.user_id = in.read_shortstr();
  if (has(12)) p.app_id = in.read_shortstr();
  if (has(13)) p.cluster_id = in.read_shortstr();
  in.expect_end("content header");
  return header;
}

}  // namespace mockforge::amqp
