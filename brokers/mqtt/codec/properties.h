// MQTT 5 properties (spec section 2.2.2): identifiers, their data types, the
// packets each may appear in, and an ordered property list that keeps the
// wire order (so User Properties stay in order and re-encoding is exact).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

enum class PropertyId : std::uint8_t {
  payload_format_indicator = 0x01,
  message_expiry_interval = 0x02,
  content_type = 0x03,
  response_topic = 0x08,
  correlation_data = 0x09,
  subscription_identifier = 0x0B,
  session_expiry_interval = 0x11,
  assigned_client_identifier = 0x12,
  server_keep_alive = 0x13,
  authentication_method = 0x15,
  authentication_data = 0x16,
  request_problem_information = 0x17,
  will_delay_interval = 0x18,
  request_response_information = 0x19,
  response_information = 0x1A,
  server_reference = 0x1C,
  reason_string = 0x1F,
  receive_maximum = 0x21,
  topic_alias_maximum = 0x22,
  topic_alias = 0x23,
  maximum_qos = 0x24,
  retain_available = 0x25,
  user_property = 0x26,
  maximum_packet_size = 0x27,
  wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29,
  shared_subscription_available = 0x2A,
};

enum class PropertyType {
  byte,
  two_byte_integer,
  four_byte_integer,
  variable_byte_integer,
  utf8_string,
  utf8_string_pair,
  binary_data,
};

// Where a property list occurs: each packet with properties, plus the Will
// Properties inside CONNECT.
enum class PropertyContext : std::uint8_t {
  connect,
  will,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  disconnect,
  auth,
};

struct PropertyInfo {
  PropertyId id;
  std::string_view name;
  PropertyType type;
  std::uint16_t contexts;  // bit (1 << PropertyContext) per allowed context
};

// The table entry for an identifier byte; nullptr for an unknown identifier.
const PropertyInfo* find_property_info(std::uint8_t id);
const PropertyInfo& property_info(PropertyId id);
std::span<const PropertyInfo> all_property_infos();

bool is_property_allowed(PropertyId id, PropertyContext context);
// User Property may always repeat; Subscription Identifier only in PUBLISH.
bool may_repeat(PropertyId id, PropertyContext context);

struct StringPair {
  std::string name;
  std::string value;
  bool operator==(const StringPair&) const = default;
};

// Integers of every width are held as uint32_t; strings as std::string;
// binary data as Bytes.
using PropertyValue = std::variant<std::uint32_t, std::string, Bytes, StringPair>;

struct Property {
  PropertyId id;
  PropertyValue value;
  bool operator==(const Property&) const = default;
};

class Properties {
 public:
  Properties() = default;
  Properties(std::initializer_list<Property> entries) : entries_(entries) {}

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const std::vector<Property>& entries() const { return entries_; }

  bool contains(PropertyId id) const;
  std::optional<std::uint32_t> integer(PropertyId id) const;
  std::optional<std::string_view> string(PropertyId id) const;
  std::optional<std::span<const std::uint8_t>> binary(PropertyId id) const;
  std::vector<StringPair> user_properties() const;
  std::vector<std::uint32_t> subscription_identifiers() const;

  // Replaces the first property with this id, or appends one.
  void set(PropertyId id, PropertyValue value);
  // Appends, for properties that may repeat.
  void add(PropertyId id, PropertyValue value);
  void add_user_property(std::string name, std::string value);
  void erase(PropertyId id);

  bool operator==(const Properties&) const = default;

 private:
  const Property* find(PropertyId id) const;
  std::vector<Property> entries_;
};

}  // namespace mockforge::mqtt
