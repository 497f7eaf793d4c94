#include "faults/rule.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>

namespace mockforge::faults {

namespace {

using nlohmann::json;

const json* find(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

void check_fields(const json& object, const std::string& path,
                  const std::set<std::string>& allowed) {
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) {
      std::string known;
      for (const auto& name : allowed) known += (known.empty() ? "" : ", ") + name;
      throw RuleError(path.empty() ? key : path + "." + key,
                      "unknown field (known: " + known + ")");
    }
  }
}

std::string text_field(const json& value, const std::string& field) {
  if (!value.is_string()) throw RuleError(field, "expected a string");
  return value.get<std::string>();
}

int64_t whole_number(const json& value, const std::string& field, int64_t min, int64_t max) {
  int64_t number = 0;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    number = value.is_number_unsigned() ? static_cast<int64_t>(value.get<uint64_t>())
                                        : value.get<int64_t>();
  } else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
    number = static_cast<int64_t>(value.get<double>());
  } else {
    throw RuleError(field, "expected a whole number");
  }
  if (number < min || number > max) {
    throw RuleError(field,
                    "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return number;
}

std::chrono::milliseconds millis(const json& value, const std::string& field) {
  return std::chrono::milliseconds(whole_number(value, field, 0, 3'600'000));
}

// A code as a name or a number: numbers (and "0x97") kept as text too.
std::string code_text(const json& value, const std::string& field) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_string() && !value.get<std::string>().empty()) return value.get<std::string>();
  throw RuleError(field, "expected an error code: a name or a number");
}

ActionKind parse_kind(const std::string& text) {
  static const std::pair<const char*, ActionKind> kKinds[] = {
      {"error", ActionKind::kError},
      {"nack", ActionKind::kNack},
      {"channel_close", ActionKind::kChannelClose},
      {"connection_close", ActionKind::kConnectionClose},
      {"latency", ActionKind::kLatency},
      {"close", ActionKind::kClose},
      {"drop", ActionKind::kDrop},
      {"throttle", ActionKind::kThrottle},
      {"pause", ActionKind::kPause},
  };
  for (const auto& [name, kind] : kKinds) {
    if (text == name) return kind;
  }
  throw RuleError("action.type",
                  "unknown action '" + text +
                      "' (error, nack, channel_close, connection_close, latency, close, drop, "
                      "throttle, pause)");
}

Action parse_action(const json& spec) {
  if (!spec.is_object()) throw RuleError("action", "expected an object with a type");
  const json* type = find(spec, "type");
  if (!type) throw RuleError("action.type", "missing");
  Action action;
  action.kind = parse_kind(text_field(*type, "action.type"));
  switch (action.kind) {
    case ActionKind::kError:
    case ActionKind::kChannelClose:
    case ActionKind::kConnectionClose: {
      check_fields(spec, "action", {"type", "code", "text"});
      const json* code = find(spec, "code");
      if (!code) throw RuleError("action.code", "missing");
      action.code_text = code_text(*code, "action.code");
      if (const json* text = find(spec, "text")) action.text = text_field(*text, "action.text");
      if (action.kind == ActionKind::kError && find(spec, "text")) {
        throw RuleError("action.text", "only channel_close and connection_close take a text");
      }
      break;
    }
    case ActionKind::kLatency: {
      check_fields(spec, "action", {"type", "ms", "jitter_ms"});
      const json* ms = find(spec, "ms");
      if (!ms) throw RuleError("action.ms", "missing");
      action.latency = millis(*ms, "action.ms");
      if (const json* jitter = find(spec, "jitter_ms")) {
        action.jitter = millis(*jitter, "action.jitter_ms");
      }
      if (action.latency.count() == 0 && action.jitter.count() == 0) {
        throw RuleError("action.ms", "a latency of 0 ms with no jitter does nothing");
      }
      break;
    }
    case ActionKind::kThrottle: {
      check_fields(spec, "action", {"type", "rate_per_second"});
      const json* rate = find(spec, "rate_per_second");
      if (!rate) throw RuleError("action.rate_per_second", "missing");
      if (!rate->is_number() || rate->get<double>() <= 0 || rate->get<double>() > 1e6) {
        throw RuleError("action.rate_per_second", "must be a number > 0 and <= 1000000");
      }
      action.rate_per_second = rate->get<double>();
      break;
    }
    case ActionKind::kPause: {
      check_fields(spec, "action", {"type", "ms"});
      const json* ms = find(spec, "ms");
      if (!ms) throw RuleError("action.ms", "missing (how long to pause)");
      action.duration = millis(*ms, "action.ms");
      if (action.duration.count() == 0) throw RuleError("action.ms", "must be > 0");
      break;
    }
    case ActionKind::kNack:
    case ActionKind::kClose:
    case ActionKind::kDrop:
      check_fields(spec, "action", {"type"});
      break;
  }
  return action;
}

Match parse_match(const json& spec, traffic::Protocol protocol) {
  Match match;
  if (spec.is_null()) return match;
  if (!spec.is_object()) throw RuleError("match", "expected an object");
  auto optional_text = [&](const char* key) -> std::optional<std::string> {
    if (const json* value = find(spec, key)) return text_field(*value, std::string("match.") + key);
    return std::nullopt;
  };
  switch (protocol) {
    case traffic::Protocol::kKafka: {
      check_fields(spec, "match", {"api", "topic", "partition", "client_id"});
      if (const json* api = find(spec, "api")) {
        match.operation = api->is_number()
                              ? std::to_string(whole_number(*api, "match.api", 0, 32767))
                              : text_field(*api, "match.api");
      }
      match.topic = optional_text("topic");
      if (const json* partition = find(spec, "partition")) {
        match.partition =
            static_cast<int32_t>(whole_number(*partition, "match.partition", 0, INT32_MAX));
        if (!match.topic) throw RuleError("match.partition", "needs match.topic");
      }
      match.client = optional_text("client_id");
      break;
    }
    case traffic::Protocol::kMqtt:
      check_fields(spec, "match", {"packet", "topic", "client_id"});
      if (auto packet = optional_text("packet")) match.operation = *packet;
      match.topic = optional_text("topic");
      match.client = optional_text("client_id");
      break;
    case traffic::Protocol::kAmqp:
      check_fields(spec, "match", {"method", "exchange", "queue", "connection_name"});
      if (auto method = optional_text("method")) match.operation = *method;
      match.topic = optional_text("exchange");
      match.queue = optional_text("queue");
      match.client = optional_text("connection_name");
      break;
  }
  return match;
}

}  // namespace

std::string_view to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::kError:
      return "error";
    case ActionKind::kNack:
      return "nack";
    case ActionKind::kChannelClose:
      return "channel_close";
    case ActionKind::kConnectionClose:
      return "connection_close";
    case ActionKind::kLatency:
      return "latency";
    case ActionKind::kClose:
      return "close";
    case ActionKind::kDrop:
      return "drop";
    case ActionKind::kThrottle:
      return "throttle";
    case ActionKind::kPause:
      return "pause";
  }
  return "?";
}

Rule Rule::from_json(const json& spec) {
  if (!spec.is_object()) throw RuleError("", "a fault rule is a JSON object");
  check_fields(spec, "", {"name", "protocol", "match", "action", "times", "probability"});
  Rule rule;
  if (const json* name = find(spec, "name")) {
    rule.name = text_field(*name, "name");
    if (rule.name.empty()) throw RuleError("name", "must not be empty");
    for (const char c : rule.name) {
      if (c == '/' || c == '?' || c == '#' || c == '%' || static_cast<unsigned char>(c) < 0x21) {
        throw RuleError("name", "letters, digits and punctuation other than / ? # %, no spaces");
      }
    }
  }
  const json* protocol = find(spec, "protocol");
  if (!protocol) throw RuleError("protocol", "missing (kafka, mqtt or amqp)");
  const auto parsed = traffic::parse_protocol(text_field(*protocol, "protocol"));
  if (!parsed) throw RuleError("protocol", "must be kafka, mqtt or amqp");
  rule.protocol = *parsed;
  const json* match = find(spec, "match");
  rule.match = parse_match(match ? *match : json(), rule.protocol);
  const json* action = find(spec, "action");
  if (!action) throw RuleError("action", "missing");
  rule.action = parse_action(*action);
  if (const json* times = find(spec, "times")) {
    if (!times->is_string() || times->get<std::string>() != "always") {
      rule.times = static_cast<uint64_t>(whole_number(*times, "times", 1, INT64_MAX));
    }
  }
  if (const json* probability = find(spec, "probability")) {
    if (!probability->is_number() || probability->get<double>() <= 0 ||
        probability->get<double>() > 1) {
      throw RuleError("probability", "must be a number > 0 and <= 1");
    }
    rule.probability = probability->get<double>();
  }
  return rule;
}

json Rule::to_json() const {
  json match_json = json::object();
  const char* client_key = "client_id";
  switch (protocol) {
    case traffic::Protocol::kKafka:
      if (!match.operation.empty()) match_json["api"] = match.operation;
      if (match.topic) match_json["topic"] = *match.topic;
      if (match.partition) match_json["partition"] = *match.partition;
      break;
    case traffic::Protocol::kMqtt:
      if (!match.operation.empty()) match_json["packet"] = match.operation;
      if (match.topic) match_json["topic"] = *match.topic;
      break;
    case traffic::Protocol::kAmqp:
      if (!match.operation.empty()) match_json["method"] = match.operation;
      if (match.topic) match_json["exchange"] = *match.topic;
      if (match.queue) match_json["queue"] = *match.queue;
      client_key = "connection_name";
      break;
  }
  if (match.client) match_json[client_key] = *match.client;
  json action_json = {{"type", std::string(faults::to_string(action.kind))}};
  switch (action.kind) {
    case ActionKind::kError:
    case ActionKind::kChannelClose:
    case ActionKind::kConnectionClose:
      action_json["code"] = action.code;
      if (!action.text.empty()) action_json["text"] = action.text;
      break;
    case ActionKind::kLatency:
      action_json["ms"] = action.latency.count();
      if (action.jitter.count() > 0) action_json["jitter_ms"] = action.jitter.count();
      break;
    case ActionKind::kThrottle:
      action_json["rate_per_second"] = action.rate_per_second;
      break;
    case ActionKind::kPause:
      action_json["ms"] = action.duration.count();
      break;
    default:
      break;
  }
  json out = {{"name", name},
              {"protocol", std::string(traffic::to_string(protocol))},
              {"match", match_json},
              {"action", action_json},
              {"probability", probability}};
  out["times"] = times ? json(*times) : json("always");
  return out;
}

bool mqtt_filter_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;
  std::size_t t = 0;
  while (true) {
    const std::size_t f_end = std::min(filter.find('/', f), filter.size());
    const std::string_view level = filter.substr(f, f_end - f);
    if (level == "#") return true;
    if (t > topic.size()) return false;
    const std::size_t t_end = std::min(topic.find('/', t), topic.size());
    if (level != "+" && level != topic.substr(t, t_end - t)) return false;
    const bool filter_done = f_end == filter.size();
    const bool topic_done = t_end == topic.size();
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // "a/#" matches "a": the filter's next level is a lone #.
      return topic_done && filter.substr(f_end) == "/#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace mockforge::faults
