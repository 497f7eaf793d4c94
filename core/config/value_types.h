// Value types of configuration keys, used by keys.def.
//
// Each *Key type below describes one kind of value: what C++ type the parsed value has
// (`value_type`), and which bounds apply. keys.def names one per key, e.g. `IntKey(1, 10000)`.
// They are used as template arguments, so they must stay structural (public, literal members).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::config {

enum class ValueKind {
  boolean,
  integer,
  port,
  string,
  string_list,
  enumeration,
  byte_size,
  duration
};

// Enumerations used by keys. Values must be 0..N-1 in declaration order, and
// EnumNames<E>::names spells them in the same order (those spellings are what users write).
enum class LogLevel { trace, debug, info, warn, error, critical, off };
enum class LogFormat { text, json };
enum class ValidationMode { off, warn, reject };
enum class AmqpUnconfirmedRefusal { drop, close };
enum class TlsVersion { tls1_2, tls1_3 };
enum class TlsClientAuth { none, optional, required };
enum class AmqpCertLogin { distinguished_name, common_name };
enum class KafkaAuthorizer { none, acl };

template <typename Enum>
struct EnumNames;

template <>
struct EnumNames<LogLevel> {
  static constexpr std::array<std::string_view, 7> names{"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};
};

template <>
struct EnumNames<LogFormat> {
  static constexpr std::array<std::string_view, 2> names{"text", "json"};
};

template <>
struct EnumNames<ValidationMode> {
  static constexpr std::array<std::string_view, 3> names{"off", "warn", "reject"};
};

template <>
struct EnumNames<AmqpUnconfirmedRefusal> {
  static constexpr std::array<std::string_view, 2> names{"drop", "close"};
};

template <>
struct EnumNames<TlsVersion> {
  static constexpr std::array<std::string_view, 2> names{"1.2", "1.3"};
};

template <>
struct EnumNames<TlsClientAuth> {
  static constexpr std::array<std::string_view, 3> names{"none", "optional", "required"};
};

template <>
struct EnumNames<AmqpCertLogin> {
  static constexpr std::array<std::string_view, 2> names{"distinguished_name", "common_name"};
};

template <>
struct EnumNames<KafkaAuthorizer> {
  static constexpr std::array<std::string_view, 2> names{"none", "acl"};
};

template <typename Enum>
constexpr std::string_view enum_name(Enum value) {
  return EnumNames<Enum>::names.at(static_cast<std::size_t>(value));
}

constexpr std::uint64_t kibibytes(std::uint64_t count) { return count << 10; }
constexpr std::uint64_t mebibytes(std::uint64_t count) { return count << 20; }
constexpr std::uint64_t gibibytes(std::uint64_t count) { return count << 30; }

using Duration = std::chrono::milliseconds;

// true/false (also yes/no, on/off, 1/0).
struct BoolKey {
  using value_type = bool;
};

// A decimal integer within [min, max].
struct IntKey {
  using value_type = std::int64_t;
  constexpr IntKey(std::int64_t min_value, std::int64_t max_value)
      : min(min_value), max(max_value) {}
  std::int64_t min;
  std::int64_t max;
};

// A TCP/UDP port 0-65535; 0 asks the OS for a free (ephemeral) port.
struct PortKey {
  using value_type = std::uint16_t;
};

// Any text.
struct StringKey {
  using value_type = std::string;
};

// What each entry of a string list must look like.
enum class ListItems {
  any,
  user_password,         // "name:password", a non-empty name before the first colon
  vhost_name,            // 1 to 255 bytes (an AMQP short string)
  amqp_permission,       // "USER VHOST [CONFIGURE WRITE READ]", the three being regular expressions
  kafka_sasl_mechanism,  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
  amqp_auth_mechanism,   // PLAIN, AMQPLAIN or EXTERNAL
  amqp_user_tags,        // "USER TAG [TAG...]"
  kafka_principal,       // "User:name", a Kafka principal
  channel_mode,          // "CHANNEL=MODE", MODE (after the last '=') off, warn or reject
  rate_document,         // "RATE=FILE", RATE (before the first '=') a number > 0, FILE non-empty
  kafka_acl,  // "PRINCIPAL PERMISSION OPERATION RESOURCE_TYPE NAME [PATTERN_TYPE [HOST]]"
};

// A YAML sequence, or (also in env vars and flags) a comma-separated list.
struct StringListKey {
  using value_type = std::vector<std::string>;
  constexpr explicit StringListKey(std::size_t min_items_required = 0,
                                   ListItems item_format = ListItems::any)
      : min_items(min_items_required), items(item_format) {}
  std::size_t min_items;
  ListItems items;
};

// One of EnumNames<Enum>::names, case-insensitive.
template <typename Enum>
struct EnumKey {
  using value_type = Enum;
};

// A byte count: 1048576, 512KiB, 64MiB, 1GiB (1024-based) or 10KB, 5MB (1000-based).
struct ByteSizeKey {
  using value_type = std::uint64_t;
  constexpr ByteSizeKey() = default;
  constexpr ByteSizeKey(std::uint64_t min_value, std::uint64_t max_value)
      : min(min_value), max(max_value) {}
  std::uint64_t min = 0;
  std::uint64_t max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
};

// A duration: 250ms, 30s, 5m, 2h; a bare number means seconds.
// (Bounds are stored as milliseconds so the type can be a template argument.)
struct DurationKey {
  using value_type = Duration;
  constexpr DurationKey() = default;
  constexpr DurationKey(Duration min_value, Duration max_value)
      : min_ms(min_value.count()), max_ms(max_value.count()) {}
  std::int64_t min_ms = 0;
  std::int64_t max_ms = std::chrono::milliseconds(std::chrono::hours(24 * 365)).count();
};

}  // namespace mockforge::config
