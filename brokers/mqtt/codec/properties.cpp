#include "brokers/mqtt/codec/properties.h"

#include <array>
#include <string>

#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/property_wire.h"

namespace mockforge::mqtt {
namespace {

constexpr std::uint16_t bit(PropertyContext context) {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(context));
}

using C = PropertyContext;
using T = PropertyType;
using P = PropertyId;

constexpr std::uint16_t kMessageContexts = bit(C::publish) | bit(C::will);
constexpr std::uint16_t kReasonStringContexts =
    bit(C::connack) | bit(C::puback) | bit(C::pubrec) | bit(C::pubrel) | bit(C::pubcomp) |
    bit(C::suback) | bit(C::unsuback) | bit(C::disconnect) | bit(C::auth);
constexpr std::uint16_t kEveryContext = 0x3FFF;

constexpr std::array<PropertyInfo, 27> kProperties{{
    {P::payload_format_indicator, "Payload Format Indicator", T::byte, kMessageContexts},
    {P::message_expiry_interval, "Message Expiry Interval", T::four_byte_integer, kMessageContexts},
    {P::content_type, "Content Type", T::utf8_string, kMessageContexts},
    {P::response_topic, "Response Topic", T::utf8_string, kMessageContexts},
    {P::correlation_data, "Correlation Data", T::binary_data, kMessageContexts},
    {P::subscription_identifier, "Subscription Identifier", T::variable_byte_integer,
     bit(C::publish) | bit(C::subscribe)},
    {P::session_expiry_interval, "Session Expiry Interval", T::four_byte_integer,
     bit(C::connect) | bit(C::connack) | bit(C::disconnect)},
    {P::assigned_client_identifier, "Assigned Client Identifier", T::utf8_string, bit(C::connack)},
    {P::server_keep_alive, "Server Keep Alive", T::two_byte_integer, bit(C::connack)},
    {P::authentication_method, "Authentication Method", T::utf8_string,
     bit(C::connect) | bit(C::connack) | bit(C::auth)},
    {P::authentication_data, "Authentication Data", T::binary_data,
     bit(C::connect) | bit(C::connack) | bit(C::auth)},
    {P::request_problem_information, "Request Problem Information", T::byte, bit(C::connect)},
    {P::will_delay_interval, "Will Delay Interval", T::four_byte_integer, bit(C::will)},
    {P::request_response_information, "Request Response Information", T::byte, bit(C::connect)},
    {P::response_information, "Response Information", T::utf8_string, bit(C::connack)},
    {P::server_reference, "Server Reference", T::utf8_string, bit(C::connack) | bit(C::disconnect)},
    {P::reason_string, "Reason String", T::utf8_string, kReasonStringContexts},
    {P::receive_maximum, "Receive Maximum", T::two_byte_integer, bit(C::connect) | bit(C::connack)},
    {P::topic_alias_maximum, "Topic Alias Maximum", T::two_byte_integer,
     bit(C::connect) | bit(C::connack)},
    {P::topic_alias, "Topic Alias", T::two_byte_integer, bit(C::publish)},
    {P::maximum_qos, "Maximum QoS", T::byte, bit(C::connack)},
    {P::retain_available, "Retain Available", T::byte, bit(C::connack)},
    {P::user_property, "User Property", T::utf8_string_pair, kEveryContext},
    {P::maximum_packet_size, "Maximum Packet Size", T::four_byte_integer,
     bit(C::connect) | bit(C::connack)},
    {P::wildcard_subscription_available, "Wildcard Subscription Available", T::byte,
     bit(C::connack)},
    {P::subscription_identifier_available, "Subscription Identifier Available", T::byte,
     bit(C::connack)},
    {P::shared_subscription_available, "Shared Subscription Available", T::byte, bit(C::connack)},
}};

std::uint32_t integer_limit(PropertyType type) {
  switch (type) {
    case T::byte:
      return 0xFF;
    case T::two_byte_integer:
      return 0xFFFF;
    case T::four_byte_integer:
      return 0xFFFFFFFF;
    case T::variable_byte_integer:
      return kMaxRemainingLength;
    default:
      return 0;
  }
}

bool is_integer_type(PropertyType type) {
  return type == T::byte || type == T::two_byte_integer || type == T::four_byte_integer ||
         type == T::variable_byte_integer;
}

// Checks a value against the data type of its identifier.
bool value_matches_type(const PropertyInfo& info, const PropertyValue& value) {
  if (is_integer_type(info.type)) {
    const auto* number = std::get_if<std::uint32_t>(&value);
    return number != nullptr && *number <= integer_limit(info.type);
  }
  switch (info.type) {
    case T::utf8_string:
      return std::holds_alternative<std::string>(value);
    case T::binary_data:
      return std::holds_alternative<Bytes>(value);
    case T::utf8_string_pair:
      return std::holds_alternative<StringPair>(value);
    default:
      return false;
  }
}

// Range rules the spec states as "It is a Protocol Error to ...".
void check_value_range(const Property& property) {
  const auto* number = std::get_if<std::uint32_t>(&property.value);
  if (number == nullptr) return;
  const auto name = std::string(property_info(property.id).name);
  switch (property.id) {
    case P::payload_format_indicator:
    case P::request_problem_information:
    case P::request_response_information:
    case P::maximum_qos:
    case P::retain_available:
    case P::wildcard_subscription_available:
    case P::subscription_identifier_available:
    case P::shared_subscription_available:
      if (*number > 1) wire::fail(ReasonCode::protocol_error, name + " must be 0 or 1");
      break;
    case P::receive_maximum:
    case P::maximum_packet_size:
    case P::subscription_identifier:
      if (*number == 0) wire::fail(ReasonCode::protocol_error, name + " must not be 0");
      break;
    case P::topic_alias:
      if (*number == 0) wire::fail(ReasonCode::topic_alias_invalid, "Topic Alias must not be 0");
      break;
    default:
      break;
  }
}

}  // namespace

const PropertyInfo* find_property_info(std::uint8_t id) {
  for (const auto& info : kProperties) {
    if (static_cast<std::uint8_t>(info.id) == id) return &info;
  }
  return nullptr;
}

const PropertyInfo& property_info(PropertyId id) {
  return *find_property_info(static_cast<std::uint8_t>(id));
}

std::span<const PropertyInfo> all_property_infos() { return kProperties; }

bool is_property_allowed(PropertyId id, PropertyContext context) {
  const auto* info = find_property_info(static_cast<std::uint8_t>(id));
  return info != nullptr && (info->contexts & bit(context)) != 0;
}

bool may_repeat(PropertyId id, PropertyContext context) {
  return id == P::user_property ||
         (id == P::subscription_identifier && context == PropertyContext::publish);
}

const Property* Properties::find(PropertyId id) const {
  for (const auto& entry : entries_) {
    if (entry.id == id) return &entry;
  }
  return nullptr;
}

bool Properties::contains(PropertyId id) const { return find(id) != nullptr; }

std::optional<std::uint32_t> Properties::integer(PropertyId id) const {
  const auto* entry = find(id);
  if (entry == nullptr) return std::nullopt;
  const auto* value = std::get_if<std::uint32_t>(&entry->value);
  return value != nullptr ? std::optional(*value) : std::nullopt;
}

std::optional<std::string_view> Properties::string(PropertyId id) const {
  const auto* entry = find(id);
  if (entry == nullptr) return std::nullopt;
  const auto* value = std::get_if<std::string>(&entry->value);
  return value != nullptr ? std::optional<std::string_view>(*value) : std::nullopt;
}

std::optional<std::span<const std::uint8_t>> Properties::binary(PropertyId id) const {
  const auto* entry = find(id);
  if (entry == nullptr) return std::nullopt;
  const auto* value = std::get_if<Bytes>(&entry->value);
  return value != nullptr ? std::optional<std::span<const std::uint8_t>>(*value) : std::nullopt;
}

std::vector<StringPair> Properties::user_properties() const {
  std::vector<StringPair> pairs;
  for (const auto& entry : entries_) {
    if (entry.id == P::user_property) pairs.push_back(std::get<StringPair>(entry.value));
  }
  return pairs;
}

std::vector<std::uint32_t> Properties::subscription_identifiers() const {
  std::vector<std::uint32_t> ids;
  for (const auto& entry : entries_) {
    if (entry.id == P::subscription_identifier) ids.push_back(std::get<std::uint32_t>(entry.value));
  }
  return ids;
}

void Properties::set(PropertyId id, PropertyValue value) {
  for (auto& entry : entries_) {
    if (entry.id == id) {
      entry.value = std::move(value);
      return;
    }
  }
  entries_.push_back({id, std::move(value)});
}

void Properties::add(PropertyId id, PropertyValue value) {
  entries_.push_back({id, std::move(value)});
}

void Properties::add_user_property(std::string name, std::string value) {
  entries_.push_back({P::user_property, StringPair{std::move(name), std::move(value)}});
}

void Properties::erase(PropertyId id) {
  std::erase_if(entries_, [id](const Property& entry) { return entry.id == id; });
}

namespace wire {

Properties read_properties(Reader& reader, PropertyContext context) {
  const std::uint32_t length = reader.variable_byte_integer("Property Length");
  if (length > reader.remaining()) {
    fail(ReasonCode::malformed_packet, "Property Length runs past the end of the packet");
  }
  Reader list(reader.take(length, "properties"), reader.options());
  Properties properties;
  std::uint64_t seen = 0;  // bit per identifier (all identifiers are below 64)
  while (!list.at_end()) {
    const std::uint32_t raw_id = list.variable_byte_integer("Property Identifier");
    const PropertyInfo* info =
        raw_id <= 0xFF ? find_property_info(static_cast<std::uint8_t>(raw_id)) : nullptr;
    if (info == nullptr) {
      fail(ReasonCode::malformed_packet, "unknown property identifier " + std::to_string(raw_id));
    }
    const std::string name(info->name);
    if ((info->contexts & bit(context)) == 0) {
      fail(ReasonCode::malformed_packet, name + " is not allowed in this packet");
    }
    const std::uint64_t mask = std::uint64_t{1} << raw_id;
    if ((seen & mask) != 0 && !may_repeat(info->id, context)) {
      fail(ReasonCode::protocol_error, name + " appears more than once");
    }
    seen |= mask;
    Property property{info->id, std::uint32_t{0}};
    switch (info->type) {
      case T::byte:
        property.value = std::uint32_t{list.byte(name)};
        break;
      case T::two_byte_integer:
        property.value = std::uint32_t{list.two_byte_integer(name)};
        break;
      case T::four_byte_integer:
        property.value = list.four_byte_integer(name);
        break;
      case T::variable_byte_integer:
        property.value = list.variable_byte_integer(name);
        break;
      case T::utf8_string:
        property.value = list.utf8_string(name);
        break;
      case T::binary_data:
        property.value = list.binary_data(name);
        break;
      case T::utf8_string_pair: {
        std::string key = list.utf8_string(name + " name");
        std::string value = list.utf8_string(name + " value");
        property.value = StringPair{std::move(key), std::move(value)};
        break;
      }
    }
    check_value_range(property);
    properties.add(property.id, std::move(property.value));
  }
  return properties;
}

void append_properties(const Properties& properties, PropertyContext context, Bytes& out) {
  Bytes encoded;
  for (const auto& property : properties.entries()) {
    const auto* info = find_property_info(static_cast<std::uint8_t>(property.id));
    if (info == nullptr) throw EncodeError("unknown property identifier");
    if ((info->contexts & bit(context)) == 0) {
      throw EncodeError(std::string(info->name) + " is not allowed in this packet");
    }
    if (!value_matches_type(*info, property.value)) {
      throw EncodeError(std::string(info->name) + " has a value of the wrong type or range");
    }
    append_variable_byte_integer(static_cast<std::uint8_t>(property.id), encoded);
    switch (info->type) {
      case T::byte:
        append_byte(static_cast<std::uint8_t>(std::get<std::uint32_t>(property.value)), encoded);
        break;
      case T::two_byte_integer:
        append_two_byte_integer(static_cast<std::uint16_t>(std::get<std::uint32_t>(property.value)),
                                encoded);
        break;
      case T::four_byte_integer:
        append_four_byte_integer(std::get<std::uint32_t>(property.value), encoded);
        break;
      case T::variable_byte_integer:
        append_variable_byte_integer(std::get<std::uint32_t>(property.value), encoded);
        break;
      case T::utf8_string:
        append_utf8_string(std::get<std::string>(property.value), encoded);
        break;
      case T::binary_data:
        append_binary_data(std::get<Bytes>(property.value), encoded);
        break;
      case T::utf8_string_pair: {
        const auto& pair = std::get<StringPair>(property.value);
        append_utf8_string(pair.name, encoded);
        append_utf8_string(pair.value, encoded);
        break;
      }
    }
  }
  append_variable_byte_integer(static_cast<std::uint32_t>(encoded.size()), out);
  out.insert(out.end(), encoded.begin(), encoded.end());
}

}  // namespace wire
}  // namespace mockforge::mqtt
