#include "core/config/bridges.h"

#include "core/regex/pattern.h"

namespace mockforge::config {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// MQTT topic filter rules: '#' alone and last, '+' alone in its level.
std::string check_filter(const std::string& filter) {
  if (filter.empty()) return "an MQTT topic filter, not empty";
  std::size_t start = 0;
  while (true) {
    const auto end = filter.find('/', start);
    const std::string level =
        filter.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (level.find('#') != std::string::npos && (level != "#" || end != std::string::npos))
      return "'#' must be a whole level and the last one";
    if (level.find('+') != std::string::npos && level != "+") return "'+' must be a whole level";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

// AMQP topic pattern: words separated by '.', '*' and '#' whole words.
std::string check_pattern(const std::string& pattern) {
  if (pattern.empty()) return {};
  std::size_t start = 0;
  while (true) {
    const auto end = pattern.find('.', start);
    const std::string word =
        pattern.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if ((word.find('#') != std::string::npos && word != "#") ||
        (word.find('*') != std::string::npos && word != "*"))
      return "'*' and '#' must be whole words of the pattern";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

bool is_protocol(const std::string& name) {
  return name == "kafka" || name == "mqtt" || name == "amqp";
}

void check_source(const BridgeSide& side, std::vector<BridgeFieldError>& errors) {
  const auto unused = [&](bool set, const char* field) {
    if (set) {
      errors.emplace_back(std::string("from.") + field,
                          "not a field of a " + side.protocol + " source");
    }
  };
  unused(side.key.has_value(), "key");
  unused(side.partition.has_value(), "partition");
  unused(side.qos != 0, "qos");
  unused(side.retain, "retain");
  if (side.protocol == "kafka") {
    const int given = !side.topic.empty() + !side.topic_prefix.empty() + !side.topic_regex.empty();
    if (given != 1) {
      errors.emplace_back("from.topic",
                          "a kafka source needs exactly one of topic, "
                          "topic_prefix, topic_regex");
    }
    if (!side.topic_regex.empty()) {
      try {
        regex::Pattern{side.topic_regex};
      } catch (const regex::PatternError& e) {
        errors.emplace_back("from.topic_regex",
                            std::string("not a regular expression: ") + e.what());
      }
    }
    unused(!side.filter.empty(), "filter");
    unused(!side.exchange.empty(), "exchange");
    unused(!side.routing_key.empty(), "routing_key");
    unused(!side.vhost.empty(), "vhost");
  } else if (side.protocol == "mqtt") {
    if (auto why = check_filter(side.filter); !why.empty()) errors.emplace_back("from.filter", why);
    unused(!side.topic.empty(), "topic");
    unused(!side.topic_prefix.empty(), "topic_prefix");
    unused(!side.topic_regex.empty(), "topic_regex");
    unused(!side.exchange.empty(), "exchange");
    unused(!side.routing_key.empty(), "routing_key");
    unused(!side.vhost.empty(), "vhost");
  } else {  // amqp
    if (auto why = check_pattern(side.routing_key); !why.empty())
      errors.emplace_back("from.routing_key", why);
    unused(!side.topic.empty(), "topic");
    unused(!side.topic_prefix.empty(), "topic_prefix");
    unused(!side.topic_regex.empty(), "topic_regex");
    unused(!side.filter.empty(), "filter");
  }
}

void check_target(const BridgeSide& side, std::vector<BridgeFieldError>& errors) {
  const auto unused = [&](bool set, const char* field) {
    if (set) {
      errors.emplace_back(std::string("to.") + field,
                          "not a field of a " + side.protocol + " destination");
    }
  };
  const auto tmpl = [&](const std::string& text, const char* field, bool required) {
    if (required && text.empty()) {
      errors.emplace_back(std::string("to.") + field,
                          "required for a " + side.protocol + " destination");
      return;
    }
    if (auto why = check_bridge_template(text); !why.empty())
      errors.emplace_back(std::string("to.") + field, why);
  };
  unused(!side.topic_prefix.empty(), "topic_prefix");
  unused(!side.topic_regex.empty(), "topic_regex");
  unused(!side.filter.empty(), "filter");
  if (side.protocol == "kafka") {
    tmpl(side.topic, "topic", true);
    if (side.key) tmpl(*side.key, "key", false);
    if (side.partition && *side.partition < 0)
      errors.emplace_back("to.partition", "a partition number, 0 or more");
    unused(!side.exchange.empty(), "exchange");
    unused(!side.routing_key.empty(), "routing_key");
    unused(!side.vhost.empty(), "vhost");
    unused(side.qos != 0, "qos");
    unused(side.retain, "retain");
  } else if (side.protocol == "mqtt") {
    tmpl(side.topic, "topic", true);
    if (side.qos < 0 || side.qos > 2) errors.emplace_back("to.qos", "0, 1 or 2");
    unused(side.key.has_value(), "key");
    unused(side.partition.has_value(), "partition");
    unused(!side.exchange.empty(), "exchange");
    unused(!side.routing_key.empty(), "routing_key");
    unused(!side.vhost.empty(), "vhost");
  } else {  // amqp
    tmpl(side.exchange, "exchange", false);
    tmpl(side.routing_key, "routing_key", false);
    unused(!side.topic.empty(), "topic");
    unused(side.key.has_value(), "key");
    unused(side.partition.has_value(), "partition");
    unused(side.qos != 0, "qos");
    unused(side.retain, "retain");
  }
}

}  // namespace

std::string check_bridge_template(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '}') return "a '}' without its '{'";
    if (text[i] != '{') {
      ++i;
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string::npos) return "a '{' without its '}'";
    const std::string name = text.substr(i + 1, close - i - 1);
    const bool digit = name.size() == 1 && name[0] >= '1' && name[0] <= '9';
    if (!digit && name != "topic" && name != "routing_key" && name != "exchange" && name != "key")
      return "unknown placeholder {" + name +
             "}; use {topic}, {routing_key}, {exchange}, {key} "
             "or {1}..{9}";
    i = close + 1;
  }
  return {};
}

std::vector<BridgeFieldError> check_bridge_rule(const BridgeRule& rule) {
  std::vector<BridgeFieldError> errors;
  if (!valid_name(rule.name)) {
    errors.emplace_back("name", "1 to 100 letters, digits, '.', '_' or '-'");
  }
  bool sides_ok = true;
  if (!is_protocol(rule.from.protocol)) {
    errors.emplace_back("from.protocol", "one of kafka, mqtt, amqp");
    sides_ok = false;
  }
  if (!is_protocol(rule.to.protocol)) {
    errors.emplace_back("to.protocol", "one of kafka, mqtt, amqp");
    sides_ok = false;
  }
  if (!sides_ok) return errors;
  check_source(rule.from, errors);
  check_target(rule.to, errors);
  return errors;
}

}  // namespace mockforge::config
