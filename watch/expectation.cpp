#include "watch/expectation.h"

#include <fmt/format.h>

#include <stdexcept>

#include "brokers/amqp/model/routing.h"
#include "brokers/mqtt/codec/topic.h"
#include "core/json/payload.h"

namespace mockforge::watch {
namespace {

using nlohmann::json;
using Match = mockforge::regex::Pattern::Result;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw std::invalid_argument(fmt::format("{}: {}", field, why));
}

std::string need_string(const json& spec, const std::string& field) {
  if (!spec.is_string()) bad(field, "must be a string");
  return spec.get<std::string>();
}

void only_keys(const json& object, const std::string& where,
               std::initializer_list<const char*> keys) {
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (const char* key : keys) known = known || name == key;
    if (!known) bad(where.empty() ? name : where + "." + name, "unknown field");
  }
}

const std::optional<std::string>* property(const traffic::Properties& properties,
                                           const std::string& name) {
  if (name == "content_type") return &properties.content_type;
  if (name == "content_encoding") return &properties.content_encoding;
  if (name == "correlation_id") return &properties.correlation_id;
  if (name == "reply_to") return &properties.reply_to;
  if (name == "message_id") return &properties.message_id;
  if (name == "type") return &properties.type;
  if (name == "app_id") return &properties.app_id;
  if (name == "user_id") return &properties.user_id;
  if (name == "expiration") return &properties.expiration;
  return nullptr;
}

const std::pair<const char*, FieldCheck::Op> kOps[] = {
    {"equals", FieldCheck::Op::kEquals}, {"not_equals", FieldCheck::Op::kNotEquals},
    {"exists", FieldCheck::Op::kExists}, {"absent", FieldCheck::Op::kAbsent},
    {"gt", FieldCheck::Op::kGt},         {"gte", FieldCheck::Op::kGte},
    {"lt", FieldCheck::Op::kLt},         {"lte", FieldCheck::Op::kLte},
    {"regex", FieldCheck::Op::kRegex},   {"contains", FieldCheck::Op::kContains},
};

FieldCheck parse_check(const json& spec, const std::string& where) {
  if (!spec.is_object()) bad(where, "must be an object with \"path\" and one operator");
  FieldCheck check;
  if (!spec.contains("path")) bad(where + ".path", "missing");
  try {
    check.path = JsonPath::parse(need_string(spec["path"], where + ".path"));
  } catch (const std::invalid_argument& e) {
    bad(where + ".path", e.what());
  }
  int operators = 0;
  for (const auto& [name, value] : spec.items()) {
    if (name == "path") continue;
    bool known = false;
    for (const auto& [op_name, op] : kOps) {
      if (name != op_name) continue;
      known = true;
      ++operators;
      check.op = op;
      check.operand = value;
    }
    if (!known)
      bad(where + "." + name,
          "unknown operator (equals, not_equals, exists, absent, gt, gte, lt, lte, regex, "
          "contains)");
  }
  if (operators != 1) bad(where, "needs exactly one operator besides \"path\"");
  const bool numeric = check.op == FieldCheck::Op::kGt || check.op == FieldCheck::Op::kGte ||
                       check.op == FieldCheck::Op::kLt || check.op == FieldCheck::Op::kLte;
  if (numeric && !check.operand.is_number()) bad(where, "a comparison needs a number");
  if (check.op == FieldCheck::Op::kRegex) {
    try {
      check.pattern.emplace(need_string(check.operand, where + ".regex"));
    } catch (const mockforge::regex::PatternError& e) {
      bad(where + ".regex", std::string("invalid regular expression: ") + e.what());
    }
  }
  return check;
}

// Why the value at the check's path fails it; empty when it passes.
std::string check_value(const FieldCheck& check, const json* value) {
  const auto& path = check.path.text();
  using Op = FieldCheck::Op;
  if (check.op == Op::kAbsent) return value ? fmt::format("{} is present", path) : "";
  if (!value) return fmt::format("{} is missing", path);
  switch (check.op) {
    case Op::kExists:
      return "";
    case Op::kEquals:
      return *value == check.operand
                 ? ""
                 : fmt::format("{} is {}, expected {}", path, value->dump(), check.operand.dump());
    case Op::kNotEquals:
      return *value != check.operand ? "" : fmt::format("{} is {}", path, value->dump());
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte: {
      if (!value->is_number()) return fmt::format("{} is {}, not a number", path, value->dump());
      const double x = value->get<double>();
      const double y = check.operand.get<double>();
      const bool ok = check.op == Op::kGt    ? x > y
                      : check.op == Op::kGte ? x >= y
                      : check.op == Op::kLt  ? x < y
                                             : x <= y;
      const char* symbol = check.op == Op::kGt    ? ">"
                           : check.op == Op::kGte ? ">="
                           : check.op == Op::kLt  ? "<"
                                                  : "<=";
      return ok ? "" : fmt::format("{} is {}, expected {} {}", path, value->dump(), symbol, y);
    }
    case Op::kRegex:
      if (!value->is_string()) return fmt::format("{} is {}, not a string", path, value->dump());
      switch (check.pattern->search(value->get_ref<const std::string&>())) {
        case Match::kMatch:
          return "";
        case Match::kNoMatch:
          return fmt::format("{} is {}, which does not match /{}/", path, value->dump(),
                             check.pattern->text());
        case Match::kTooComplex:
          break;
      }
      return fmt::format("{} ({} bytes) could not be checked against /{}/: too complex to match",
                         path, value->get_ref<const std::string&>().size(), check.pattern->text());
    case Op::kContains:
      if (value->is_string() && check.operand.is_string()) {
        return value->get<std::string>().find(check.operand.get<std::string>()) != std::string::npos
                   ? ""
                   : fmt::format("{} is {}, which does not contain {}", path, value->dump(),
                                 check.operand.dump());
      }
      if (value->is_array()) {
        for (const auto& item : *value) {
          if (item == check.operand) return "";
        }
        return fmt::format("{} has no element {}", path, check.operand.dump());
      }
      return fmt::format("{} is {}, neither a string nor an array", path, value->dump());
    case Op::kAbsent:
      break;
  }
  return "";
}

std::string shorten(std::string_view text, std::size_t limit = 80) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

void parse_window(const json& spec, Expectation& e) {
  if (spec.contains("since")) {
    const auto& since = spec["since"];
    if (since == "reset") {
      e.since = Expectation::Since::kReset;
    } else if (since == "now") {
      e.since = Expectation::Since::kNow;
    } else if (since.is_number_unsigned()) {
      e.since = Expectation::Since::kSeq;
      e.since_seq = since.get<uint64_t>();
    } else {
      bad("since", "must be \"reset\", \"now\" or a history seq");
    }
  }
  if (spec.contains("timeout_ms")) {
    const auto& timeout = spec["timeout_ms"];
    if (!timeout.is_number_unsigned() || timeout.get<uint64_t>() > 600000) {
      bad("timeout_ms", "must be a whole number of milliseconds from 0 to 600000");
    }
    e.timeout = std::chrono::milliseconds(timeout.get<uint64_t>());
  }
}

}  // namespace

Expectation Expectation::from_json(const nlohmann::json& spec) {
  if (!spec.is_object()) bad("expectation", "must be a JSON object");
  if (spec.contains("in_order")) return sequence_from_json(spec);
  only_keys(
      spec, "",
      {"protocol", "topic", "exchange", "routing_key", "match", "count", "since", "timeout_ms"});
  Expectation e;
  if (!spec.contains("protocol")) bad("protocol", "missing (kafka, mqtt or amqp)");
  const auto protocol = traffic::parse_protocol(need_string(spec["protocol"], "protocol"));
  if (!protocol) bad("protocol", "must be kafka, mqtt or amqp");
  e.protocol = *protocol;
  if (spec.contains("topic")) {
    if (e.protocol == traffic::Protocol::kAmqp)
      bad("topic", "AMQP expectations name an \"exchange\"");
    e.destination = need_string(spec["topic"], "topic");
    if (e.protocol == traffic::Protocol::kMqtt && !mqtt::is_valid_topic_filter(*e.destination)) {
      bad("topic", "not a valid MQTT topic filter");
    }
  }
  if (spec.contains("exchange")) {
    if (e.protocol != traffic::Protocol::kAmqp)
      bad("exchange", "only AMQP expectations name an exchange");
    e.destination = need_string(spec["exchange"], "exchange");
  }
  if (spec.contains("routing_key")) {
    if (e.protocol != traffic::Protocol::kAmqp) bad("routing_key", "only for AMQP");
    e.routing_key = need_string(spec["routing_key"], "routing_key");
  }
  if (spec.contains("match")) {
    const auto& match = spec["match"];
    if (!match.is_object()) bad("match", "must be an object");
    only_keys(match, "match", {"json", "regex", "headers", "properties", "key", "client_id"});
    if (match.contains("json")) {
      const auto& checks = match["json"];
      if (!checks.is_array()) bad("match.json", "must be a list of {\"path\", operator}");
      for (std::size_t i = 0; i < checks.size(); ++i) {
        e.json.push_back(parse_check(checks[i], fmt::format("match.json[{}]", i)));
      }
    }
    if (match.contains("regex")) {
      e.regex_text = need_string(match["regex"], "match.regex");
      try {
        e.regex.emplace(*e.regex_text);
      } catch (const mockforge::regex::PatternError& error) {
        bad("match.regex", std::string("invalid regular expression: ") + error.what());
      }
    }
    if (match.contains("headers")) {
      if (!match["headers"].is_object()) bad("match.headers", "must be an object of name: text");
      for (const auto& [name, value] : match["headers"].items()) {
        e.headers.emplace_back(name, need_string(value, "match.headers." + name));
      }
    }
    if (match.contains("properties")) {
      if (!match["properties"].is_object())
        bad("match.properties", "must be an object of name: text");
      for (const auto& [name, value] : match["properties"].items()) {
        if (!property(traffic::Properties{}, name)) {
          bad("match.properties." + name,
              "unknown property (content_type, content_encoding, correlation_id, reply_to, "
              "message_id, type, app_id, user_id, expiration)");
        }
        e.properties[name] = need_string(value, "match.properties." + name);
      }
    }
    if (match.contains("key")) {
      if (e.protocol != traffic::Protocol::kKafka)
        bad("match.key", "only Kafka messages have a key");
      e.key = need_string(match["key"], "match.key");
    }
    if (match.contains("client_id"))
      e.client_id = need_string(match["client_id"], "match.client_id");
  }
  if (spec.contains("count")) {
    const auto& count = spec["count"];
    if (!count.is_object() || count.size() != 1) {
      bad("count", "must be one of {\"at_least\": N}, {\"exactly\": N}, {\"none\": true}");
    }
    if (count.contains("at_least") || count.contains("exactly")) {
      const bool at_least = count.contains("at_least");
      const auto& n = at_least ? count["at_least"] : count["exactly"];
      if (!n.is_number_unsigned())
        bad(at_least ? "count.at_least" : "count.exactly", "must be a whole number >= 0");
      e.count = at_least ? Count::kAtLeast : Count::kExactly;
      e.n = n.get<uint64_t>();
    } else if (count.contains("none")) {
      if (count["none"] != true) bad("count.none", "must be true");
      e.count = Count::kNone;
      e.n = 0;
    } else {
      bad("count." + count.begin().key(), "unknown (at_least, exactly, none)");
    }
  }
  parse_window(spec, e);
  return e;
}

std::vector<std::string> Expectation::mismatches(const traffic::Message& message,
                                                 int* passed) const {
  std::vector<std::string> reasons;
  int ok = 0;
  auto note = [&](std::string reason) {
    if (reason.empty()) {
      ++ok;
    } else {
      reasons.push_back(std::move(reason));
    }
  };
  if (message.protocol != protocol) {
    note(fmt::format("protocol is {}", traffic::to_string(message.protocol)));
  }
  if (destination) {
    bool hit;
    if (protocol == traffic::Protocol::kMqtt) {
      hit = mqtt::is_valid_topic_name(message.destination) &&
            mqtt::topic_matches(*destination, message.destination);
    } else {
      hit = message.destination == *destination;
    }
    // A message on the expected destination is the closer miss: it counts twice.
    if (hit) ++ok;
    note(hit ? ""
             : fmt::format("{} is '{}', not '{}'",
                           protocol == traffic::Protocol::kAmqp ? "exchange" : "topic",
                           message.destination, *destination));
  }
  if (routing_key) {
    note(amqp::topic_matches(*routing_key, message.routing_key)
             ? ""
             : fmt::format("routing key '{}' does not match '{}'", message.routing_key,
                           *routing_key));
  }
  if (key) {
    note(message.key == key ? ""
                            : fmt::format("key is {}, not '{}'",
                                          message.key ? "'" + *message.key + "'" : "absent", *key));
  }
  if (client_id) {
    note(message.client_id == *client_id
             ? ""
             : fmt::format("sent by '{}', not '{}'", message.client_id, *client_id));
  }
  for (const auto& [name, expected] : headers) {
    const traffic::Header* found = nullptr;
    for (const auto& header : message.headers) {
      if (header.name == name) found = &header;
    }
    if (!found) {
      note(fmt::format("header {} is missing", name));
    } else {
      const auto text = traffic::header_text(found->value);
      note(text == expected ? ""
                            : fmt::format("header {} is '{}', not '{}'", name, text, expected));
    }
  }
  for (const auto& [name, expected] : properties) {
    const auto* value = property(message.properties, name);
    note(*value == expected ? ""
                            : fmt::format("{} is {}, not '{}'", name,
                                          *value ? "'" + **value + "'" : "absent", expected));
  }
  if (regex) {
    switch (regex->search(message.payload)) {
      case Match::kMatch:
        note("");
        break;
      case Match::kNoMatch:
        note(
            fmt::format("payload '{}' does not match /{}/", shorten(message.payload), *regex_text));
        break;
      case Match::kTooComplex:
        note(
            fmt::format("payload of {} bytes could not be checked against /{}/: too complex to "
                        "match",
                        message.payload.size(), *regex_text));
        break;
    }
  }
  if (!json.empty()) {
    const auto parsed = mockforge::json::parse_payload(message.payload);
    const auto& document = parsed.value;
    if (!parsed.ok()) {
      note(fmt::format("{}: '{}'", parsed.error, shorten(message.payload)));
    } else {
      for (const auto& check : json) note(check_value(check, check.path.find(document)));
    }
  }
  if (passed) *passed = ok;
  return reasons;
}

Expectation Expectation::sequence_from_json(const nlohmann::json& spec) {
  only_keys(spec, "", {"in_order", "since", "timeout_ms"});
  const auto& steps = spec["in_order"];
  if (!steps.is_array() || steps.empty() || steps.size() > kMaxSteps) {
    bad("in_order", fmt::format("must be a list of 1 to {} expectations", kMaxSteps));
  }
  Expectation e;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto where = fmt::format("in_order[{}]", i);
    const auto& step = steps[i];
    if (!step.is_object()) bad(where, "must be a JSON object");
    for (const char* window : {"since", "timeout_ms", "in_order"}) {
      if (step.contains(window)) bad(where + "." + window, "set it once, beside in_order");
    }
    try {
      e.in_order.push_back(from_json(step));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(where + "." + error.what());
    }
    if (e.in_order.back().count != Count::kAtLeast || e.in_order.back().n == 0) {
      bad(where + ".count", "a step of in_order takes {\"at_least\": N} with N >= 1");
    }
  }
  parse_window(spec, e);
  return e;
}

std::string Expectation::describe() const {
  if (!in_order.empty()) {
    std::string text = "in order:";
    for (std::size_t i = 0; i < in_order.size(); ++i) {
      text += fmt::format(" ({}) {}", i + 1, in_order[i].describe());
    }
    return text;
  }
  std::string count_text = count == Count::kNone      ? "no message"
                           : count == Count::kExactly ? fmt::format("exactly {} message(s)", n)
                                                      : fmt::format("at least {} message(s)", n);
  std::string where = destination ? fmt::format(" on {}", *destination) : "";
  if (routing_key) where += fmt::format(" with routing key {}", *routing_key);
  return fmt::format("{} {}{}", count_text, traffic::to_string(protocol), where);
}

nlohmann::json Verdict::to_json() const {
  auto misses = nlohmann::json::array();
  for (const auto& miss : closest_misses) {
    misses.push_back(
        {{"seq", miss.seq}, {"destination", miss.destination}, {"reasons", miss.reasons}});
  }
  nlohmann::json out = {{"met", met},
                        {"matched", matched},
                        {"matched_seqs", matched_seqs},
                        {"window_messages", window_messages},
                        {"message", message},
                        {"closest_misses", misses}};
  if (!steps.empty()) {
    auto list = nlohmann::json::array();
    for (const auto& [description, seq] : steps) {
      list.push_back({{"expect", description},
                      {"completed_at_seq", seq == 0 ? nlohmann::json() : nlohmann::json(seq)}});
    }
    out["steps"] = std::move(list);
  }
  return out;
}

}  // namespace mockforge::watch
