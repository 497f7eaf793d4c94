#include "brokers/amqp/model/queue_arguments.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>

#include "brokers/amqp/model/equivalence.h"

namespace mockforge::amqp {
namespace {

constexpr uint16_t kPreconditionFailed = 406;
constexpr uint16_t kNotImplemented = 540;

template <typename T>
ModelResult<T> refuse(uint16_t code, std::string text) {
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

// The arguments each queue type takes (RabbitMQ 3.10's capabilities).
constexpr std::array<std::string_view, 13> kClassicArguments = {"x-expires",
                                                                "x-message-ttl",
                                                                "x-dead-letter-exchange",
                                                                "x-dead-letter-routing-key",
                                                                "x-max-length",
                                                                "x-max-length-bytes",
                                                                "x-max-priority",
                                                                "x-overflow",
                                                                "x-queue-mode",
                                                                "x-queue-version",
                                                                "x-single-active-consumer",
                                                                "x-queue-type",
                                                                "x-queue-master-locator"};
constexpr std::array<std::string_view, 15> kQuorumArguments = {"x-expires",
                                                               "x-message-ttl",
                                                               "x-dead-letter-exchange",
                                                               "x-dead-letter-routing-key",
                                                               "x-dead-letter-strategy",
                                                               "x-max-length",
                                                               "x-max-length-bytes",
                                                               "x-max-in-memory-length",
                                                               "x-max-in-memory-bytes",
                                                               "x-overflow",
                                                               "x-single-active-consumer",
                                                               "x-queue-type",
                                                               "x-quorum-initial-group-size",
                                                               "x-delivery-limit",
                                                               "x-queue-leader-locator"};
// Defined by RabbitMQ for stream queues only.
constexpr std::array<std::string_view, 3> kStreamOnlyArguments = {
    "x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool defined_by_rabbitmq(std::string_view name) {
  return contains(kClassicArguments, name) || contains(kQuorumArguments, name) ||
         contains(kStreamOnlyArguments, name);
}

// The string value of one of `allowed`, or the reason it is not.
std::optional<std::string> check_choice(const FieldValue& value,
                                        std::initializer_list<std::string_view> allowed,
                                        std::string_view reason) {
  const auto* text = value.get_if<std::string>();
  if (!text) return unacceptable_type(value);
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    return std::string(reason);
  }
  return std::nullopt;
}

// The value check RabbitMQ applies to an argument whatever the queue type.
std::optional<std::string> check_value(const FieldTableEntry& entry) {
  const std::string& name = entry.name;
  const FieldValue& value = entry.value;
  if (name == "x-message-ttl" || name == "x-max-length" || name == "x-max-length-bytes" ||
      name == "x-max-priority" || name == "x-max-in-memory-length" ||
      name == "x-max-in-memory-bytes") {
    std::optional<int64_t> number = field_integer(value);
    if (!number) return not_an_integer(value);
    if (*number < 0) return fmt::format("{{value_negative,{}}}", *number);
    if (name == "x-max-priority" && *number > 255) {
      return fmt::format("{{max_value_exceeded,{}}}", *number);
    }
    return std::nullopt;
  }
  if (name == "x-quorum-initial-group-size") {
    std::optional<int64_t> number = field_integer(value);
    if (!number) return not_an_integer(value);
    if (*number == 0) return std::string("{value_zero,0}");
    if (*number < 0) return fmt::format("{{value_negative,{}}}", *number);
    return std::nullopt;
  }
  if (name == "x-overflow") {
    return check_choice(value, {"drop-head", "reject-publish", "reject-publish-dlx"},
                        "invalid_overflow");
  }
  if (name == "x-queue-mode") {
    const auto* mode = value.get_if<std::string>();
    if (!mode) return unacceptable_type(value);
    if (*mode != "default" && *mode != "lazy") {
      return fmt::format("\"unsupported queue mode '{}'\"", *mode);
    }
    return std::nullopt;
  }
  if (name == "x-queue-version") {
    std::optional<int64_t> number = field_integer(value);
    if (!number) return not_an_integer(value);
    if (*number != 1 && *number != 2) {
      return fmt::format("\"unsupported queue version '{}'\"", *number);
    }
    return std::nullopt;
  }
  if (name == "x-queue-type") {
    const auto* type = value.get_if<std::string>();
    if (!type) return unacceptable_type(value);
    if (*type != "classic" && *type != "quorum" && *type != "stream") {
      return fmt::format("\"unsupported queue type '{}'\"", *type);
    }
  }
  return std::nullopt;
}

QueueType queue_type(const FieldTable& arguments) {
  const FieldValue* type = arguments.find("x-queue-type");
  const auto* text = type ? type->get_if<std::string>() : nullptr;
  return text && *text == "quorum" ? QueueType::kQuorum : QueueType::kClassic;
}

}  // namespace

std::optional<ModelError> server_named_queue_error(const FieldTable& arguments) {
  const FieldValue* type = arguments.find("x-queue-type");
  const auto* text = type ? type->get_if<std::string>() : nullptr;
  if (!text || (*text != "quorum" && *text != "stream")) return std::nullopt;
  return ModelError{kPreconditionFailed,
                    fmt::format("PRECONDITION_FAILED - Cannot declare a server-named queue for "
                                "type rabbit_{}_queue",
                                *text)};
}

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
  using Result = ModelResult<storage::QueueOptions>;
  for (const FieldTableEntry& entry : arguments.entries) {
    if (auto why = check_value(entry)) {
      return refuse<storage::QueueOptions>(kPreconditionFailed,
                                           invalid_argument_text(entry.name, resource, *why));
    }
  }
  if (const FieldValue* type = arguments.find("x-queue-type");
      type && type->get_if<std::string>() && *type->get_if<std::string>() == "stream") {
    return refuse<storage::QueueOptions>(
        kNotImplemented, "NOT_IMPLEMENTED - stream queues are not supported (x-queue-type)");
  }
  const QueueType type = queue_type(arguments);
  for (const FieldTableEntry& entry : arguments.entries) {
    if (!defined_by_rabbitmq(entry.name)) continue;
    const bool taken = type == QueueType::kQuorum ? contains(kQuorumArguments, entry.name)
                                                  : contains(kClassicArguments, entry.name);
    if (!taken) {
      return refuse<storage::QueueOptions>(
          kPreconditionFailed,
          fmt::format("PRECONDITION_FAILED - invalid arg '{}' for {} of queue type {}", entry.name,
                      resource,
                      type == QueueType::kQuorum ? "rabbit_quorum_queue" : "rabbit_classic_queue"));
    }
  }
  // Checked by the queue type itself, so after the type's arguments. (RabbitMQ 3.10 fails
  // with 541 INTERNAL_ERROR on an unknown x-queue-master-locator; this is a 406.)
  auto refused_choice = [&](std::string_view name, std::initializer_list<std::string_view> allowed,
                            std::string_view reason) -> std::optional<std::string> {
    const FieldValue* value = arguments.find(name);
    auto why = value ? check_choice(*value, allowed, reason) : std::nullopt;
    if (!why) return std::nullopt;
    return invalid_argument_text(name, resource, *why);
  };
  if (auto text = refused_choice("x-dead-letter-strategy", {"at-most-once", "at-least-once"},
                                 "invalid_dlx_strategy")) {
    return refuse<storage::QueueOptions>(kPreconditionFailed, std::move(*text));
  }
  if (auto text = refused_choice("x-queue-leader-locator", {"client-local", "balanced"},
                                 "invalid_queue_locator_arg")) {
    return refuse<storage::QueueOptions>(kPreconditionFailed, std::move(*text));
  }
  if (auto text =
          refused_choice("x-queue-master-locator", {"min-masters", "client-local", "random"},
                         "invalid_queue_locator_arg")) {
    return refuse<storage::QueueOptions>(kPreconditionFailed, std::move(*text));
  }
  storage::QueueOptions options;
  for (const FieldTableEntry& entry : arguments.entries) {
    const std::string& name = entry.name;
    if (name == "x-message-ttl") {
      options.message_ttl = std::chrono::milliseconds(*field_integer(entry.value));
    } else if (name == "x-max-length") {
      options.max_length = static_cast<uint64_t>(*field_integer(entry.value));
    } else if (name == "x-max-length-bytes") {
      options.max_length_bytes = static_cast<uint64_t>(*field_integer(entry.value));
    } else if (name == "x-max-priority") {
      options.max_priority = static_cast<uint8_t>(*field_integer(entry.value));
    } else if (name == "x-overflow") {
      const std::string& mode = *entry.value.get_if<std::string>();
      // Quorum queues in RabbitMQ 3.10 take reject-publish-dlx as drop-head.
      options.overflow =
          mode == "reject-publish" || (mode == "reject-publish-dlx" && type == QueueType::kClassic)
              ? storage::OverflowMode::kRejectPublish
              : storage::OverflowMode::kDropHead;
    }
  }
  return Result{std::move(options), std::nullopt};
}

ModelResult<QueuePolicy> queue_policy_from_arguments(const FieldTable& arguments,
                                                     std::string_view resource) {
  QueuePolicy policy;
  policy.type = queue_type(arguments);
  auto invalid = [&](const std::string& name, std::string_view why) {
    return refuse<QueuePolicy>(kPreconditionFailed, invalid_argument_text(name, resource, why));
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
    } else if (name == "x-delivery-limit" && policy.type == QueueType::kQuorum) {
      // RabbitMQ 3.10 does not check this value: what is not a count is no limit.
      if (std::optional<int64_t> number = field_integer(entry.value); number && *number >= 0) {
        policy.delivery_limit = static_cast<uint32_t>(std::min<int64_t>(*number, UINT32_MAX));
      }
    } else if (name == "x-overflow" && policy.type == QueueType::kClassic) {
      const auto* mode = entry.value.get_if<std::string>();
      policy.overflow_dead_letters = mode && *mode == "reject-publish-dlx";
    }
  }
  if (policy.dead_letter_routing_key && !policy.dead_letter_exchange) {
    return invalid("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined");
  }
  return {std::move(policy), std::nullopt};
}

std::optional<ModelError> queue_flags_error(const QueueDefinition& definition,
                                            std::string_view resource) {
  if (queue_type(definition.arguments) != QueueType::kQuorum) return std::nullopt;
  // In RabbitMQ's order (an exclusive queue is also non-durable).
  std::string_view property;
  if (definition.auto_delete) {
    property = "auto-delete";
  } else if (definition.exclusive) {
    property = "exclusive-owner";
  } else if (!definition.durable) {
    property = "non-durable";
  } else {
    return std::nullopt;
  }
  return ModelError{kPreconditionFailed, fmt::format("PRECONDITION_FAILED - invalid property '{}' "
                                                     "for {}",
                                                     property, resource)};
}

}  // namespace mockforge::amqp
