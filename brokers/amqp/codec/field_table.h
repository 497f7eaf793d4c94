// AMQP 0-9-1 field tables and field arrays, with every value type RabbitMQ
// uses. Entries keep their wire order and each value keeps its exact type tag,
// so a decoded table re-encodes byte for byte.
//
//   tag  C++ alternative   wire
//   t    bool              octet 0/1
//   b    int8_t            signed octet
//   B    uint8_t           octet
//   s    int16_t           signed short (RabbitMQ's meaning of 's')
//   u    uint16_t          short
//   I    int32_t           signed long
//   i    uint32_t          long
//   l    int64_t           signed long long
//   f    float             IEEE-754 single
//   d    double            IEEE-754 double
//   D    Decimal           scale octet + signed long
//   S    std::string       long string
//   A    FieldArray        long byte length + tagged values
//   T    Timestamp         long long seconds
//   F    FieldTable        nested table
//   V    Void              no value
//   x    ByteArray         long length + bytes
//   L    uint64_t          unsigned long long (0-9-1's long-long-uint; RabbitMQ accepts
//                          and relays it)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "brokers/amqp/codec/buffer.h"

namespace mockforge::amqp {

struct FieldValue;
struct FieldTableEntry;

struct Decimal {
  uint8_t scale = 0;
  int32_t value = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

struct Timestamp {
  uint64_t seconds = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

struct Void {
  friend bool operator==(const Void&, const Void&) = default;
};

// Raw bytes tagged 'x', kept apart from the 'S' long string.
struct ByteArray {
  std::string bytes;
  friend bool operator==(const ByteArray&, const ByteArray&) = default;
};

struct FieldArray {
  std::vector<FieldValue> values;
  friend bool operator==(const FieldArray&, const FieldArray&);
};

// FieldTableEntry holds a FieldValue, which may hold a FieldTable, so the
// entry type is incomplete here. std::vector allows that only until one of its
// members is used, so FieldTable's special members and empty() are declared
// here and defined below FieldTableEntry, where the entry type is complete.
struct FieldTable {
  std::vector<FieldTableEntry> entries;

  FieldTable();
  FieldTable(const FieldTable&);
  FieldTable(FieldTable&&) noexcept;
  FieldTable& operator=(const FieldTable&);
  FieldTable& operator=(FieldTable&&) noexcept;
  ~FieldTable();

  // The first entry named `name`, or nullptr.
  const FieldValue* find(std::string_view name) const;
  // Replaces the value of the first entry named `name`, or appends one.
  void set(std::string_view name, FieldValue value);
  bool empty() const;
  friend bool operator==(const FieldTable&, const FieldTable&);
};

using FieldValueVariant = std::variant<bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                                       int64_t, float, double, Decimal, std::string, FieldArray,
                                       Timestamp, FieldTable, Void, ByteArray, uint64_t>;

struct FieldValue {
  FieldValueVariant value;

  FieldValue() : value(Void{}) {}
  template <typename T>
  requires std::is_constructible_v<FieldValueVariant, T&&> &&
      (!std::is_same_v<std::remove_cvref_t<T>, FieldValue>)FieldValue(T&& v)
      : value(std::forward<T>(v)) {}                          // NOLINT: implicit by design
  FieldValue(const char* text) : value(std::string(text)) {}  // NOLINT: implicit by design

  // The wire type tag of this value, e.g. 'S' for a long string.
  char type_tag() const;
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&value);
  }
  friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

struct FieldTableEntry {
  std::string name;
  FieldValue value;
  friend bool operator==(const FieldTableEntry&, const FieldTableEntry&) = default;
};

inline FieldTable::FieldTable() = default;
inline FieldTable::FieldTable(const FieldTable&) = default;
inline FieldTable::FieldTable(FieldTable&&) noexcept = default;
inline FieldTable& FieldTable::operator=(const FieldTable&) = default;
inline FieldTable& FieldTable::operator=(FieldTable&&) noexcept = default;
inline FieldTable::~FieldTable() = default;
inline bool FieldTable::empty() const { return entries.empty(); }

// Nested tables and arrays deeper than this are refused with SYNTAX_ERROR.
inline constexpr int kMaxFieldNesting = 64;

// Table: 32-bit byte length, then (shortstr name, tag, value) entries.
void encode_field_table(ByteWriter& out, const FieldTable& table);
FieldTable decode_field_table(ByteReader& in);
// Array: 32-bit byte length, then (tag, value) items.
void encode_field_array(ByteWriter& out, const FieldArray& array);
FieldArray decode_field_array(ByteReader& in);
// A tag octet followed by the value.
void encode_field_value(ByteWriter& out, const FieldValue& value);
FieldValue decode_field_value(ByteReader& in);

}  // namespace mockforge::amqp
