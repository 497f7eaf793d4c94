#include "brokers/amqp/codec/field_table.h"

#include <type_traits>

namespace mockforge::amqp {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// C++20 deduces aggregate template arguments by itself, but clang before 17
// does not implement that, so spell the guide out.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void encode_value_body(ByteWriter& out, const FieldValue& value, int depth);
FieldValue decode_tagged_value(ByteReader& in, int depth);

void check_depth(int depth) {
  if (depth > kMaxFieldNesting) {
    throw DecodeError(ReplyCode::kSyntaxError, "field tables or arrays nested deeper than " +
                                                   std::to_string(kMaxFieldNesting));
  }
}

void encode_table(ByteWriter& out, const FieldTable& table, int depth) {
  if (depth > kMaxFieldNesting) throw EncodeError("field tables nested too deeply");
  const std::size_t length = out.begin_u32_length();
  for (const auto& entry : table.entries) {
    out.write_shortstr(entry.name);
    out.write_u8(static_cast<uint8_t>(entry.value.type_tag()));
    encode_value_body(out, entry.value, depth);
  }
  out.end_u32_length(length);
}

void encode_array(ByteWriter& out, const FieldArray& array, int depth) {
  if (depth > kMaxFieldNesting) throw EncodeError("field arrays nested too deeply");
  const std::size_t length = out.begin_u32_length();
  for (const auto& value : array.values) {
    out.write_u8(static_cast<uint8_t>(value.type_tag()));
    encode_value_body(out, value, depth);
  }
  out.end_u32_length(length);
}

void encode_value_body(ByteWriter& out, const FieldValue& value, int depth) {
  std::visit(Overloaded{
                 [&](bool v) { out.write_u8(v ? 1 : 0); },
                 [&](int8_t v) { out.write_i8(v); },
                 [&](uint8_t v) { out.write_u8(v); },
                 [&](int16_t v) { out.write_i16(v); },
                 [&](uint16_t v) { out.write_u16(v); },
                 [&](int32_t v) { out.write_i32(v); },
                 [&](uint32_t v) { out.write_u32(v); },
                 [&](int64_t v) { out.write_i64(v); },
                 [&](float v) { out.write_f32(v); },
                 [&](double v) { out.write_f64(v); },
                 [&](const Decimal& v) {
                   out.write_u8(v.scale);
                   out.write_i32(v.value);
                 },
                 [&](const std::string& v) { out.write_longstr(v); },
                 [&](const FieldArray& v) { encode_array(out, v, depth + 1); },
                 [&](const Timestamp& v) { out.write_u64(v.seconds); },
                 [&](const FieldTable& v) { encode_table(out, v, depth + 1); },
                 [&](const Void&) {},
                 [&](const ByteArray& v) { out.write_longstr(v.bytes); },
                 [&](uint64_t v) { out.write_u64(v); },
             },
             value.value);
}

FieldTable decode_table(ByteReader& in, int depth) {
  check_depth(depth);
  ByteReader body = in.read_sub_reader(in.read_u32());
  FieldTable table;
  while (!body.empty()) {
    FieldTableEntry entry;
    entry.name = body.read_shortstr();
    entry.value = decode_tagged_value(body, depth);
    table.entries.push_back(std::move(entry));
  }
  return table;
}

FieldArray decode_array(ByteReader& in, int depth) {
  check_depth(depth);
  ByteReader body = in.read_sub_reader(in.read_u32());
  FieldArray array;
  while (!body.empty()) array.values.push_back(decode_tagged_value(body, depth));
  return array;
}

FieldValue decode_tagged_value(ByteReader& in, int depth) {
  const uint8_t tag = in.read_u8();
  switch (tag) {
    case 't': {
      const uint8_t octet = in.read_u8();
      if (octet > 1) {
        throw DecodeError(ReplyCode::kSyntaxError,
                          "boolean field value " + std::to_string(octet) + " is neither 0 nor 1");
      }
      return FieldValue(octet == 1);
    }
    case 'b':
      return FieldValue(in.read_i8());
    case 'B':
      return FieldValue(in.read_u8());
    case 's':
      return FieldValue(in.read_i16());
    case 'u':
      return FieldValue(in.read_u16());
    case 'I':
      return FieldValue(in.read_i32());
    case 'i':
      return FieldValue(in.read_u32());
    case 'l':
      return FieldValue(in.read_i64());
    case 'f':
      return FieldValue(in.read_f32());
    case 'd':
      return FieldValue(in.read_f64());
    case 'D': {
      Decimal decimal;
      decimal.scale = in.read_u8();
      decimal.value = in.read_i32();
      return FieldValue(decimal);
    }
    case 'S':
      return FieldValue(in.read_longstr());
    case 'A':
      return FieldValue(decode_array(in, depth + 1));
    case 'T':
      return FieldValue(Timestamp{in.read_u64()});
    case 'F':
      return FieldValue(decode_table(in, depth + 1));
    case 'V':
      return FieldValue(Void{});
    case 'x':
      return FieldValue(ByteArray{in.read_longstr()});
    case 'L':
      return FieldValue(in.read_u64());
    default:
      throw DecodeError(ReplyCode::kSyntaxError,
                        "unknown field value type tag " + std::to_string(tag));
  }
}

}  // namespace

bool operator==(const FieldArray& a, const FieldArray& b) { return a.values == b.values; }

bool operator==(const FieldTable& a, const FieldTable& b) { return a.entries == b.entries; }

const FieldValue* FieldTable::find(std::string_view name) const {
  for (const auto& entry : entries) {
    if (entry.name == name) return &entry.value;
  }
  return nullptr;
}

void FieldTable::set(std::string_view name, FieldValue value) {
  for (auto& entry : entries) {
    if (entry.name == name) {
      entry.value = std::move(value);
      return;
    }
  }
  entries.push_back(FieldTableEntry{std::string(name), std::move(value)});
}

char FieldValue::type_tag() const {
  static constexpr char kTags[] = {'t', 'b', 'B', 's', 'u', 'I', 'i', 'l', 'f',
                                   'd', 'D', 'S', 'A', 'T', 'F', 'V', 'x', 'L'};
  static_assert(sizeof(kTags) == std::variant_size_v<FieldValueVariant>);
  return kTags[value.index()];
}

void encode_field_table(ByteWriter& out, const FieldTable& table) { encode_table(out, table, 0); }

FieldTable decode_field_table(ByteReader& in) { return decode_table(in, 0); }

void encode_field_array(ByteWriter& out, const FieldArray& array) { encode_array(out, array, 0); }

FieldArray decode_field_array(ByteReader& in) { return decode_array(in, 0); }

void encode_field_value(ByteWriter& out, const FieldValue& value) {
  out.write_u8(static_cast<uint8_t>(value.type_tag()));
  encode_value_body(out, value, 0);
}

FieldValue decode_field_value(ByteReader& in) { return decode_tagged_value(in, 0); }

}  // namespace mockforge::amqp
