#include "bridges/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "brokers/mqtt/codec/topic.h"
#include "core/log/logging.h"
#include "core/metrics/registry.h"

namespace mockforge::bridges {

using traffic::Protocol;

struct Rule {
  config::BridgeRule config;
  bool configured = false;
  std::optional<regex::Pattern> topic_regex;
  metrics::Counter* messages = nullptr;
  metrics::Counter* errors = nullptr;
  std::atomic<uint64_t> message_count{0};
  std::atomic<uint64_t> error_count{0};
  std::atomic<bool> in_error_burst{false};
  std::mutex last_error_mutex;
  std::string last_error;
};

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Protocol protocol_of(const std::string& name) { return *traffic::parse_protocol(name); }

// The hops a message took: ("mqtt", "name") per bridge it went through.
std::vector<std::pair<std::string, std::string>> hops_of(const traffic::Message& message) {
  std::vector<std::pair<std::string, std::string>> hops;
  for (const auto& header : message.headers) {
    if (header.name != kHopHeader) continue;
    for (const auto& hop : split(traffic::header_text(header.value), ',')) {
      const auto colon = hop.find(':');
      if (colon == std::string::npos) continue;
      hops.emplace_back(hop.substr(0, colon), hop.substr(colon + 1));
    }
  }
  return hops;
}

// Placeholders in `text` replaced; with `separator` set, '/' and '.' in the
// values become it (a topic name of the destination's protocol).
std::string expand(const std::string& text, const Captures& captures, char separator) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('{', i);
    if (open == std::string::npos) {
      out.append(text, i);
      break;
    }
    out.append(text, i, open - i);
    const auto close = text.find('}', open);
    const std::string name = text.substr(open + 1, close - open - 1);
    std::string value;
    if (name == "topic") {
      value = captures.topic;
    } else if (name == "routing_key") {
      value = captures.routing_key;
    } else if (name == "exchange") {
      value = captures.exchange;
    } else if (name == "key") {
      value = captures.key;
    } else {
      const auto index = static_cast<std::size_t>(name[0] - '1');
      if (index < captures.segments.size()) value = captures.segments[index];
    }
    if (separator != 0) {
      const char other = separator == '/' ? '.' : '/';
      std::replace(value.begin(), value.end(), other, separator);
    }
    out += value;
    i = close + 1;
  }
  return out;
}

}  // namespace

RuleError::RuleError(std::vector<std::string> errors)
    : std::runtime_error(errors.empty() ? "invalid bridge rule" : errors.front()),
      errors_(std::move(errors)) {}

bool amqp_topic_matches(const std::string& pattern, const std::string& routing_key) {
  if (pattern.empty()) return true;
  const auto words = split(pattern, '.');
  const auto key = split(routing_key, '.');
  // Positions in key reachable after each pattern word.
  std::vector<bool> reach(key.size() + 1, false);
  reach[0] = true;
  for (const auto& word : words) {
    std::vector<bool> next(key.size() + 1, false);
    for (std::size_t i = 0; i <= key.size(); ++i) {
      if (!reach[i]) continue;
      if (word == "#") {
        for (std::size_t j = i; j <= key.size(); ++j) next[j] = true;
      } else if (i < key.size() && (word == "*" || word == key[i])) {
        next[i + 1] = true;
      }
    }
    reach = std::move(next);
  }
  return reach[key.size()];
}

bool matches(const config::BridgeRule& rule, const traffic::Message& message, Captures* captures,
             const regex::Pattern* topic_regex) {
  const auto& from = rule.from;
  if (message.protocol != protocol_of(from.protocol)) return false;
  Captures c;
  switch (message.protocol) {
    case Protocol::kKafka:
      if (!from.topic.empty() && message.destination != from.topic) return false;
      if (!from.topic_prefix.empty() && !message.destination.starts_with(from.topic_prefix))
        return false;
      if (!from.topic_regex.empty()) {
        const auto result = topic_regex != nullptr
                                ? topic_regex->match(message.destination)
                                : regex::Pattern(from.topic_regex).match(message.destination);
        const bool hit = result == regex::Pattern::Result::kMatch;
        if (!hit) return false;
      }
      c.topic = message.destination;
      c.routing_key = message.destination;
      c.key = message.key.value_or("");
      c.segments = split(message.destination, '.');
      break;
    case Protocol::kMqtt:
      if (!mqtt::topic_matches(from.filter, message.destination)) return false;
      c.topic = message.destination;
      c.routing_key = message.destination;
      c.segments = split(message.destination, '/');
      break;
    case Protocol::kAmqp: {
      const std::string vhost = message.vhost.empty() ? "/" : message.vhost;
      if (!from.vhost.empty() && from.vhost != vhost) return false;
      if (!from.exchange.empty() && message.destination != from.exchange) return false;
      if (!amqp_topic_matches(from.routing_key, message.routing_key)) return false;
      c.topic = message.routing_key;
      c.routing_key = message.routing_key;
      c.exchange = message.destination;
      c.segments = split(message.routing_key, '.');
      break;
    }
  }
  if (captures != nullptr) *captures = std::move(c);
  return true;
}

traffic::Message render(const config::BridgeRule& rule, const traffic::Message& message,
                        const Captures& captures) {
  const auto& to = rule.to;
  traffic::Message out;
  out.protocol = protocol_of(to.protocol);
  out.payload = message.payload;
  out.properties = message.properties;
  out.timestamp_ms = message.timestamp_ms;
  out.client_id = "mockforge:bridge:" + rule.name;
  // Expiry: MQTT's interval in seconds <-> AMQP's expiration in milliseconds.
  if (out.protocol == Protocol::kAmqp && !out.properties.expiration &&
      out.properties.message_expiry_seconds) {
    out.properties.expiration =
        std::to_string(uint64_t{*out.properties.message_expiry_seconds} * 1000);
  }
  if (out.protocol == Protocol::kMqtt && !out.properties.message_expiry_seconds &&
      out.properties.expiration) {
    try {
      const auto ms = std::stoull(*out.properties.expiration);
      out.properties.message_expiry_seconds =
          static_cast<uint32_t>(std::min<uint64_t>((ms + 999) / 1000, 0xFFFFFFFFu));
    } catch (const std::exception&) {
    }
  }
  std::string hops;
  for (const auto& header : message.headers) {
    if (header.name == kHopHeader) {
      hops += (hops.empty() ? "" : ",") + traffic::header_text(header.value);
      continue;
    }
    out.headers.push_back(header);
  }
  hops += (hops.empty() ? "" : ",") + std::string(traffic::to_string(message.protocol)) + ":" +
          rule.name;
  out.headers.push_back({kHopHeader, hops});
  switch (out.protocol) {
    case Protocol::kKafka:
      out.destination = expand(to.topic, captures, '.');
      if (out.destination.empty()) throw std::runtime_error("the Kafka topic rendered empty");
      // "{key}" of a record without a key is no key (not an empty one).
      if (to.key && !(*to.key == "{key}" && message.protocol == Protocol::kKafka && !message.key))
        out.key = expand(*to.key, captures, 0);
      out.partition = to.partition;
      break;
    case Protocol::kMqtt:
      out.destination = expand(to.topic, captures, '/');
      if (out.destination.empty() || out.destination.find_first_of("+#") != std::string::npos)
        throw std::runtime_error("not an MQTT topic name: \"" + out.destination + "\"");
      out.qos = static_cast<uint8_t>(to.qos);
      out.retain = to.retain;
      break;
    case Protocol::kAmqp:
      out.destination = expand(to.exchange, captures, '.');
      out.routing_key = expand(to.routing_key, captures, '.');
      out.vhost = to.vhost;
      break;
  }
  return out;
}

Engine::Engine(traffic::Hub& hub, metrics::Registry& metrics)
    : hub_(hub),
      metrics_(metrics),
      rules_(std::make_shared<const std::vector<std::shared_ptr<Rule>>>()) {}

Engine::~Engine() { stop(); }

void Engine::add(const config::BridgeRule& rule, bool configured) {
  std::vector<std::string> errors;
  for (const auto& [field, why] : config::check_bridge_rule(rule))
    errors.push_back(field + ": " + why);
  if (!errors.empty()) throw RuleError(std::move(errors));
  auto compiled = std::make_shared<Rule>();
  compiled->config = rule;
  compiled->configured = configured;
  if (!rule.from.topic_regex.empty()) compiled->topic_regex.emplace(rule.from.topic_regex);
  compiled->messages =
      &metrics_
           .counter("mockforge_bridge_messages_total",
                    "Messages a bridge copied into its destination broker.", {"bridge"})
           .with({rule.name});
  compiled->errors = &metrics_
                          .counter("mockforge_bridge_errors_total",
                                   "Messages a bridge matched but could not copy (the "
                                   "destination refused them or they did not render).",
                                   {"bridge"})
                          .with({rule.name});
  std::lock_guard lock(mutex_);
  for (const auto& existing : *rules_) {
    if (existing->config.name == rule.name)
      throw RuleError({"name: a bridge named \"" + rule.name + "\" exists"});
  }
  auto next = std::make_shared<std::vector<std::shared_ptr<Rule>>>(*rules_);
  next->push_back(std::move(compiled));
  rules_ = std::move(next);
  watch_locked();
}

bool Engine::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<std::vector<std::shared_ptr<Rule>>>(*rules_);
  const auto gone = std::remove_if(next->begin(), next->end(),
                                   [&](const auto& rule) { return rule->config.name == name; });
  if (gone == next->end()) return false;
  next->erase(gone, next->end());
  rules_ = std::move(next);
  watch_locked();
  return true;
}

std::vector<Status> Engine::list() const {
  std::shared_ptr<const std::vector<std::shared_ptr<Rule>>> rules;
  {
    std::lock_guard lock(mutex_);
    rules = rules_;
  }
  std::vector<Status> out;
  for (const auto& rule : *rules) {
    Status status{
        rule->config, rule->configured, rule->message_count.load(), rule->error_count.load(), {}};
    std::lock_guard lock(rule->last_error_mutex);
    status.last_error = rule->last_error;
    out.push_back(std::move(status));
  }
  return out;
}

void Engine::start() {
  std::lock_guard lock(mutex_);
  started_ = true;
  watch_locked();
}

void Engine::stop() {
  std::lock_guard lock(mutex_);
  started_ = false;
  watch_locked();
}

// Watches the hub while started with rules: without any, brokers need not
// build the neutral message of each publish for the bridges.
void Engine::watch_locked() {
  const bool want = started_ && !rules_->empty();
  if (want && token_ == 0) {
    token_ = hub_.observe([this](const traffic::Message& message) { on_message(message); });
  } else if (!want && token_ != 0) {
    hub_.unobserve(token_);
    token_ = 0;
  }
}

void Engine::on_message(const traffic::Message& message) {
  if (paused_.load(std::memory_order_relaxed)) return;
  std::shared_ptr<const std::vector<std::shared_ptr<Rule>>> rules;
  {
    std::lock_guard lock(mutex_);
    rules = rules_;
  }
  if (rules->empty()) return;
  std::optional<std::vector<std::pair<std::string, std::string>>> hops;
  for (const auto& rule : *rules) {
    Captures captures;
    if (!matches(rule->config, message, &captures,
                 rule->topic_regex ? &*rule->topic_regex : nullptr))
      continue;
    if (!hops) hops = hops_of(message);
    const bool loops = std::any_of(hops->begin(), hops->end(), [&](const auto& hop) {
      return hop.second == rule->config.name || hop.first == rule->config.to.protocol;
    });
    if (loops) continue;
    std::string error;
    try {
      const auto copy = render(rule->config, message, captures);
      if (auto result = hub_.publish(copy); !result.ok()) error = result.error;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) {
      rule->message_count.fetch_add(1, std::memory_order_relaxed);
      rule->messages->inc();
      rule->in_error_burst.store(false, std::memory_order_relaxed);
      continue;
    }
    rule->error_count.fetch_add(1, std::memory_order_relaxed);
    rule->errors->inc();
    {
      std::lock_guard lock(rule->last_error_mutex);
      rule->last_error = error;
    }
    // Logged once per burst: again only after a copy went through.
    if (!rule->in_error_burst.exchange(true)) {
      log::get("bridges")->warn(
          "bridge {}: the {} broker refused a copy of a message from {} ({}); further refusals "
          "are counted in mockforge_bridge_errors_total and not logged until one succeeds",
          rule->config.name, rule->config.to.protocol, message.destination, error);
    }
  }
}

}  // namespace mockforge::bridges
