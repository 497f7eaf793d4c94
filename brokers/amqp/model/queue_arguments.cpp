#include "brokers/amqp/model/queue_arguments.h"

#include <fmt/format.h>

#include "brokers/amqp/model/equivalence.h"

namespace mockforge::amqp {
namespace {

constexpr uint16_t kPreconditionFailed = 406;
constexpr uint16_t kNotImplemented = 540;

ModelResult<storage::QueueOptions> refuse(uint16_t code, std::string text) {
  return {std::nullopt, ModelError{code, std::move(text)}};
}

// RabbitMQ's wording: "invalid arg 'x-...' for queue 'q' in vhost '/': REASON",
// REASON as Erlang prints its error term.
std::string invalid_argument_text(std::string_view name, std::string_view resource,
                                  std::string_view why) {
  return fmt::format("PRECONDITION_FAILED - invalid arg '{}' for {}: {}", name, resource, why);
}

std::string not_an_integer(const FieldValue& value) {
  return fmt::format("\"expected integer, got {}\"", field_type_name(value));
}

std::string unacceptable_type(const FieldValue& value) {
  return fmt::format("{{unacceptable_type,{}}}", field_type_name(value));
}

}  // namespace

std::optional<int64_t> field_integer(const FieldValue& value) {
  return std::visit(
      [](const auto& held) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<T, uint64_t>) {
          if (held > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
          return static_cast<int64_t>(held);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(held);
        } else {
          return std::nullopt;
        }
      },
      value.value);
}

ModelResult<storage::QueueOptions> queue_options_from_arguments(const FieldTable& arguments,
                                                                std::string_view resource) {
  storage::QueueOptions options;
  for (const FieldTableEntry& entry : arguments.entries) {
    const std::string& name = entry.name;
    if (name == "x-dead-letter-strategy" || name == "x-queue-mode" ||
        name == "x-queue-master-locator" || name == "x-max-in-memory-length" ||
        name == "x-max-in-memory-bytes" || name == "x-delivery-limit") {
      return refuse(kNotImplemented,
                    fmt::format("NOT_IMPLEMENTED - queue argument '{}' is not supported", name));
    }
    auto invalid = [&](std::string_view why) {
      return refuse(kPreconditionFailed, invalid_argument_text(name, resource, why));
    };
    bool numeric = name == "x-message-ttl" || name == "x-max-length" ||
                   name == "x-max-length-bytes" || name == "x-max-priority";
    if (numeric) {
      std::optional<int64_t> number = field_integer(entry.value);
      if (!number) return invalid(not_an_integer(entry.value));
      if (*number < 0) return invalid(fmt::format("{{value_negative,{}}}", *number));
      if (name == "x-message-ttl") options.message_ttl = std::chrono::milliseconds(*number);
      if (name == "x-max-length") options.max_length = static_cast<uint64_t>(*number);
      if (name == "x-max-length-bytes") options.max_length_bytes = static_cast<uint64_t>(*number);
      if (name == "x-max-priority") {
        if (*number > 255) return invalid(fmt::format("{{max_value_exceeded,{}}}", *number));
        options.max_priority = static_cast<uint8_t>(*number);
      }
      continue;
    }
    if (name == "x-overflow") {
      const auto* mode = entry.value.get_if<std::string>();
      if (!mode) return invalid(unacceptable_type(entry.value));
      if (*mode == "drop-head") {
        options.overflow = storage::OverflowMode::kDropHead;
      } else if (*mode == "reject-publish") {
        options.overflow = storage::OverflowMode::kRejectPublish;
      } else if (*mode == "reject-publish-dlx") {
        return refuse(kNotImplemented,
                      "NOT_IMPLEMENTED - x-overflow 'reject-publish-dlx' is not supported");
      } else {
        return invalid("invalid_overflow");
      }
      continue;
    }
    if (name == "x-queue-type") {
      const auto* type = entry.value.get_if<std::string>();
      if (!type || *type != "classic") {
        return refuse(kNotImplemented,
                      "NOT_IMPLEMENTED - only classic queues are supported (x-queue-type)");
      }
    }
  }
  return {std::move(options), std::nullopt};
}

ModelResult<QueuePolicy> queue_policy_from_arguments(const FieldTable& arguments,
                                                     std::string_view resource) {
  QueuePolicy policy;
  auto invalid = [&](const std::string& name, std::string_view why) {
    return ModelResult<QueuePolicy>{
        std::nullopt, ModelError{kPreconditionFailed, invalid_argument_text(name, resource, why)}};
  };
  for (const FieldTableEntry& entry : arguments.entries) {
    const std::string& name = entry.name;
    if (name == "x-dead-letter-exchange" || name == "x-dead-letter-routing-key") {
      const auto* text = entry.value.get_if<std::string>();
      if (!text) return invalid(name, unacceptable_type(entry.value));
      if (name == "x-dead-letter-exchange") {
        policy.dead_letter_exchange = *text;
      } else {
        policy.dead_letter_routing_key = *text;
      }
    } else if (name == "x-expires") {
      std::optional<int64_t> number = field_integer(entry.value);
      if (!number) return invalid(name, not_an_integer(entry.value));
      if (*number == 0) return invalid(name, "{value_zero,0}");
      if (*number < 0) return invalid(name, fmt::format("{{value_negative,{}}}", *number));
      policy.expires = std::chrono::milliseconds(*number);
    } else if (name == "x-single-active-consumer") {
      const bool* flag = entry.value.get_if<bool>();
      if (!flag) return invalid(name, unacceptable_type(entry.value));
      policy.single_active_consumer = *flag;
    }
  }
  if (policy.dead_letter_routing_key && !policy.dead_letter_exchange) {
    return invalid("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined");
  }
  return {std::move(policy), std::nullopt};
}

}  // namespace mockforge::amqp
