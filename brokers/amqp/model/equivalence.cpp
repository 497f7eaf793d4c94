#include "brokers/amqp/model/equivalence.h"

#include <fmt/format.h>

#include <array>
#include <type_traits>

namespace mockforge::amqp {
namespace {

constexpr std::array<std::string_view, 21> kQueueArguments = {
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-single-active-consumer",
    "x-queue-type",
    "x-queue-master-locator",
    "x-quorum-initial-group-size",
    "x-delivery-limit",
    "x-dead-letter-strategy",
    "x-queue-leader-locator",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
    "x-max-age",
};
constexpr std::array<std::string_view, 1> kExchangeArguments = {"alternate-exchange"};

enum class TypeClass { kInteger, kFloat, kOther };

TypeClass type_class(const FieldValue& value) {
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return TypeClass::kOther;
        } else if constexpr (std::is_integral_v<T>) {
          return TypeClass::kInteger;
        } else if constexpr (std::is_floating_point_v<T>) {
          return TypeClass::kFloat;
        } else {
          return TypeClass::kOther;
        }
      },
      value.value);
}

// Integer values compared as integers across widths and signedness.
bool same_integer(const FieldValue& a, const FieldValue& b) {
  auto as_pair = [](const FieldValue& v) {
    return std::visit(
        [](const auto& x) -> std::pair<bool, uint64_t> {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            if constexpr (std::is_signed_v<T>) {
              if (x < 0) return {true, static_cast<uint64_t>(-(static_cast<int64_t>(x) + 1))};
            }
            return {false, static_cast<uint64_t>(x)};
          } else {
            return {false, 0};
          }
        },
        v.value);
  };
  return as_pair(a) == as_pair(b);
}

double as_double(const FieldValue& v) {
  if (const auto* f = v.get_if<float>()) return *f;
  if (const auto* d = v.get_if<double>()) return *d;
  return 0;
}

bool equivalent(const FieldValue& a, const FieldValue& b) {
  if (a == b) return true;
  TypeClass ca = type_class(a);
  if (ca != type_class(b)) return false;
  if (ca == TypeClass::kInteger) return same_integer(a, b);
  if (ca == TypeClass::kFloat) return as_double(a) == as_double(b);
  return false;
}

}  // namespace

std::span<const std::string_view> compared_queue_arguments() { return kQueueArguments; }

std::span<const std::string_view> compared_exchange_arguments() { return kExchangeArguments; }

std::string_view field_type_name(const FieldValue& value) {
  static constexpr std::string_view kNames[] = {
      "bool",        "byte",      "unsignedbyte", "short",  "unsignedshort", "signedint",
      "unsignedint", "long",      "float",        "double", "decimal",       "longstr",
      "array",       "timestamp", "table",        "void",   "binary",        "unsignedlong"};
  static_assert(std::size(kNames) == std::variant_size_v<FieldValueVariant>);
  return kNames[value.value.index()];
}

std::string erlang_value(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
          return std::to_string(static_cast<int>(v));
        } else if constexpr (std::is_integral_v<T> || std::is_floating_point_v<T>) {
          return fmt::format("{}", v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          return v.bytes;
        } else if constexpr (std::is_same_v<T, Decimal>) {
          return fmt::format("{{{},{}}}", v.scale, v.value);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return std::to_string(v.seconds);
        } else if constexpr (std::is_same_v<T, Void>) {
          return "undefined";
        } else if constexpr (std::is_same_v<T, FieldArray>) {
          std::string out = "[";
          for (const FieldValue& item : v.values) {
            if (out.size() > 1) out += ",";
            out += fmt::format("{{{},{}}}", field_type_name(item), erlang_value(item));
          }
          return out + "]";
        } else {
          std::string out = "[";
          for (const FieldTableEntry& entry : v.entries) {
            if (out.size() > 1) out += ",";
            out += fmt::format("{{<<\"{}\">>,{},{}}}", entry.name, field_type_name(entry.value),
                               erlang_value(entry.value));
          }
          return out + "]";
        }
      },
      value.value);
}

std::string inequivalent_field(std::string_view key, std::string_view resource,
                               std::string_view received, std::string_view current) {
  return fmt::format(
      "PRECONDITION_FAILED - inequivalent arg '{}' for {}: received {} but "
      "current is {}",
      key, resource, received, current);
}

std::optional<std::string> inequivalent_arguments(const FieldTable& current,
                                                  const FieldTable& received,
                                                  std::string_view resource,
                                                  std::span<const std::string_view> keys) {
  for (std::string_view key : keys) {
    const FieldValue* have = current.find(key);
    const FieldValue* want = received.find(key);
    if (!have && !want) continue;
    auto classic = [](const FieldValue* v) {
      const auto* text = v ? v->get_if<std::string>() : nullptr;
      return text && *text == "classic";
    };
    if (key == "x-queue-type" && ((!have && classic(want)) || (!want && classic(have)))) {
      continue;  // a classic queue need not say so
    }
    if (have && want) {
      if (equivalent(*have, *want)) continue;
      return inequivalent_field(key, resource, fmt::format("'{}'", erlang_value(*want)),
                                fmt::format("'{}'", erlang_value(*have)));
    }
    auto typed = [](const FieldValue* v) {
      return v ? fmt::format("the value '{}' of type '{}'", erlang_value(*v), field_type_name(*v))
               : std::string("none");
    };
    return inequivalent_field(key, resource, typed(want), typed(have));
  }
  return std::nullopt;
}

}  // namespace mockforge::amqp
