#include "asyncapi/contract.h"

#include <fmt/format.h>

#include <charconv>

#include "core/json/payload.h"

namespace mockforge::asyncapi {

struct Contract::CompiledMessage {
  const Message* message = nullptr;
  SchemaValidator payload;
  std::unique_ptr<SchemaValidator> headers;
};

struct Contract::CompiledChannel {
  const Channel* channel = nullptr;
  std::vector<CompiledMessage> messages;
};

namespace {

using traffic::Protocol;

// The name `channel` matches `message` by, or nullopt when the message cannot
// be on the channel at all (another AMQP exchange).
std::optional<std::string> name_for(const Channel& channel, const traffic::Message& message) {
  if (message.protocol != Protocol::kAmqp) return message.destination;
  if (channel.amqp && channel.amqp->is == AmqpBinding::Is::kQueue) {
    if (!message.destination.empty()) return std::nullopt;  // only the default exchange
    return message.routing_key;
  }
  const std::string exchange =
      channel.amqp && channel.amqp->exchange ? channel.amqp->exchange->name : std::string();
  if (message.destination != exchange) return std::nullopt;
  return message.routing_key;
}

nlohmann::json typed(const std::string& text, const Json& property) {
  const std::string type =
      property.is_object() && property.contains("type") && property["type"].is_string()
          ? property["type"].get<std::string>()
          : "";
  if (type == "integer") {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  } else if (type == "number") {
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  } else if (type == "boolean") {
    if (text == "true") return true;
    if (text == "false") return false;
  }
  return text;
}

}  // namespace

nlohmann::json headers_json(const traffic::Message& message, const Json& schema) {
  auto out = nlohmann::json::object();
  const Json* properties =
      schema.is_object() && schema.contains("properties") ? &schema["properties"] : nullptr;
  for (const auto& header : message.headers) {
    if (const auto* text = std::get_if<std::string>(&header.value)) {
      const Json none;
      const Json& property =
          properties && properties->contains(header.name) ? (*properties)[header.name] : none;
      out[header.name] = typed(*text, property);
    } else if (const auto* integer = std::get_if<int64_t>(&header.value)) {
      out[header.name] = *integer;
    } else if (const auto* number = std::get_if<double>(&header.value)) {
      out[header.name] = *number;
    } else if (const auto* flag = std::get_if<bool>(&header.value)) {
      out[header.name] = *flag;
    }
  }
  return out;
}

Contract::Contract(std::vector<Model> models) : models_(std::move(models)) {
  for (const auto& model : models_) {
    for (const auto& channel : model.channels) {
      auto compiled = std::make_unique<CompiledChannel>();
      compiled->channel = &channel;
      for (const auto& message : channel.messages) {
        try {
          CompiledMessage m{&message, SchemaValidator(message.payload, message.draft), nullptr};
          if (!message.headers.is_null())
            m.headers = std::make_unique<SchemaValidator>(message.headers, message.draft);
          compiled->messages.push_back(std::move(m));
        } catch (const std::exception& e) {
          throw std::runtime_error(
              fmt::format("{}: the schema cannot be used: {}", message.pointer, e.what()));
        }
      }
      channels_.push_back(std::move(compiled));
    }
  }
}

Contract::~Contract() = default;

std::optional<Verdict> Contract::check(
    const traffic::Message& message,
    const std::function<bool(const std::string& channel_id)>& wanted) const {
  for (const auto& compiled : channels_) {
    const Channel& channel = *compiled->channel;
    const auto name = name_for(channel, message);
    if (!name || !channel.covers(message.protocol, *name)) continue;
    if (wanted && !wanted(channel.id)) return std::nullopt;
    Verdict verdict;
    verdict.channel = channel.id;
    if (compiled->messages.empty()) return verdict;  // the channel says nothing of its messages
    const auto parsed = json::parse_payload(message.payload);
    if (!parsed.ok()) {
      verdict.violations.push_back({"", parsed.error, ""});
      return verdict;
    }
    const auto& payload = parsed.value;
    // The first message whose payload schema accepts it; else the
    // violations against each message, named when there are several.
    std::vector<Violation> all;
    for (const auto& candidate : compiled->messages) {
      auto violations = candidate.payload.validate(payload);
      if (violations.empty()) {
        verdict.message_id = candidate.message->id;
        if (candidate.headers) {
          for (auto& v :
               candidate.headers->validate(headers_json(message, candidate.message->headers))) {
            v.pointer = "/headers" + v.pointer;
            verdict.violations.push_back(std::move(v));
          }
        }
        return verdict;
      }
      for (auto& v : violations) {
        if (compiled->messages.size() > 1)
          v.message = fmt::format("{} (as {})", v.message, candidate.message->id);
        all.push_back(std::move(v));
      }
    }
    verdict.violations = std::move(all);
    return verdict;
  }
  return std::nullopt;
}

}  // namespace mockforge::asyncapi
