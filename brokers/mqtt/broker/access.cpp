#include "brokers/mqtt/broker/access.h"

#include <fmt/format.h>

#include <stdexcept>

#include "brokers/mqtt/codec/topic.h"

namespace mockforge::mqtt {

namespace {

std::vector<std::string_view> levels(std::string_view filter) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = filter.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(filter.substr(start));
      return out;
    }
    out.push_back(filter.substr(start, slash - start));
    start = slash + 1;
  }
}

bool is_wildcard(std::string_view level) { return level == "+" || level == "#"; }
bool is_dollar(std::string_view level) { return !level.empty() && level.front() == '$'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// The next space-separated word of `rest`, removed from it.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  const std::size_t space = rest.find_first_of(" \t");
  std::string_view word = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return word;
}

}  // namespace

bool filter_covers(std::string_view outer, std::string_view inner) {
  const auto o = levels(outer);
  const auto i = levels(inner);
  // A wildcard in the first level never matches '$' topics.
  if (is_wildcard(o[0]) && is_dollar(i[0])) return false;
  for (std::size_t n = 0;; ++n) {
    if (n < o.size() && o[n] == "#") return true;
    if (n >= i.size()) return n >= o.size();
    if (n >= o.size()) return false;
    if (i[n] == "#") return false;  // outer[n] is not '#'
    if (o[n] == "+") continue;
    if (i[n] == "+" || i[n] != o[n]) return false;
  }
}

bool filters_overlap(std::string_view a, std::string_view b) {
  const auto x = levels(a);
  const auto y = levels(b);
  if ((is_wildcard(x[0]) && is_dollar(y[0]) && !is_wildcard(y[0])) ||
      (is_wildcard(y[0]) && is_dollar(x[0]) && !is_wildcard(x[0]))) {
    return false;
  }
  for (std::size_t n = 0;; ++n) {
    const bool x_done = n >= x.size();
    const bool y_done = n >= y.size();
    if ((!x_done && x[n] == "#") || (!y_done && y[n] == "#")) return true;
    if (x_done || y_done) return x_done && y_done;
    if (x[n] == "+" || y[n] == "+") continue;
    if (x[n] != y[n]) return false;
  }
}

AccessControl AccessControl::parse(std::string_view text, std::string_view source) {
  AccessControl acl;
  std::vector<Rule>* section = &acl.anonymous_;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& what) {
      throw std::invalid_argument(fmt::format("{}:{}: {}", source, line_number, what));
    };
    std::string_view rest = line;
    const std::string_view keyword = next_word(rest);
    rest = trim(rest);
    if (keyword == "user" || keyword == "client") {
      if (rest.empty()) fail(fmt::format("'{}' needs a name", keyword));
      auto& table = keyword == "user" ? acl.users_ : acl.clients_;
      section = &table[std::string(rest)];
      continue;
    }
    if (keyword != "topic" && keyword != "pattern") {
      fail(fmt::format("unknown keyword '{}' (expected user, client, topic or pattern)", keyword));
    }
    Rule rule;
    rule.access = kRead | kWrite;
    std::string_view filter = rest;
    std::string_view after = rest;
    const std::string_view first = next_word(after);
    after = trim(after);
    if (!after.empty()) {
      if (first == "read") {
        rule.access = kRead;
      } else if (first == "write") {
        rule.access = kWrite;
      } else if (first == "readwrite") {
        rule.access = kRead | kWrite;
      } else if (first == "deny") {
        rule.access = kDeny;
      } else {
        fail(fmt::format("unknown access '{}' (expected read, write, readwrite or deny)", first));
      }
      filter = after;
    }
    if (filter.empty()) fail(fmt::format("'{}' needs a topic filter", keyword));
    const auto parsed = parse_topic_filter(filter);
    if (!parsed || parsed->is_shared()) fail(fmt::format("invalid topic filter '{}'", filter));
    rule.filter = std::string(filter);
    (keyword == "topic" ? *section : acl.patterns_).push_back(std::move(rule));
    acl.configured_ = true;
  }
  return acl;
}

void AccessControl::append(const AccessControl& other) {
  configured_ = configured_ || other.configured_;
  anonymous_.insert(anonymous_.end(), other.anonymous_.begin(), other.anonymous_.end());
  for (const auto& [name, rules] : other.users_) {
    auto& mine = users_[name];
    mine.insert(mine.end(), rules.begin(), rules.end());
  }
  for (const auto& [id, rules] : other.clients_) {
    auto& mine = clients_[id];
    mine.insert(mine.end(), rules.begin(), rules.end());
  }
  patterns_.insert(patterns_.end(), other.patterns_.begin(), other.patterns_.end());
}

std::vector<AccessControl::Rule> AccessControl::rules_for(const Identity& who) const {
  std::vector<Rule> out;
  if (!who.username) {
    out = anonymous_;
  } else if (auto it = users_.find(*who.username); it != users_.end()) {
    out = it->second;
  }
  if (auto it = clients_.find(who.client_id); it != clients_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  // A user name or client id with wildcards or '/' could widen a pattern.
  auto unsafe = [](std::string_view value) {
    return value.find_first_of("+#/") != std::string_view::npos;
  };
  for (const auto& pattern : patterns_) {
    std::string filter;
    bool usable = true;
    bool first = true;
    for (auto level : levels(pattern.filter)) {
      std::string_view value = level;
      if (level == "%c") {
        value = who.client_id;
        if (value.empty() || unsafe(value)) usable = false;
      } else if (level == "%u") {
        if (!who.username || who.username->empty() || unsafe(*who.username)) {
          usable = false;
        } else {
          value = *who.username;
        }
      }
      if (!usable) break;
      if (!first) filter += '/';
      first = false;
      filter += value;
    }
    if (usable) out.push_back({pattern.access, std::move(filter)});
  }
  return out;
}

bool AccessControl::may_publish(const Identity& who, std::string_view topic) const {
  if (!configured_) return true;
  bool granted = false;
  for (const auto& rule : rules_for(who)) {
    if (!topic_matches(rule.filter, topic)) continue;
    if (rule.access & kDeny) return false;
    if (rule.access & kWrite) granted = true;
  }
  return granted;
}

bool AccessControl::may_receive(const Identity& who, std::string_view topic) const {
  if (!configured_) return true;
  bool granted = false;
  for (const auto& rule : rules_for(who)) {
    if (!topic_matches(rule.filter, topic)) continue;
    if (rule.access & kDeny) return false;
    if (rule.access & kRead) granted = true;
  }
  return granted;
}

bool AccessControl::may_subscribe(const Identity& who, std::string_view filter) const {
  if (!configured_) return true;
  bool granted = false;
  for (const auto& rule : rules_for(who)) {
    if (rule.access & kDeny) {
      if (filter_covers(rule.filter, filter)) return false;
    } else if ((rule.access & kRead) && filters_overlap(rule.filter, filter)) {
      granted = true;
    }
  }
  return granted;
}

}  // namespace mockforge::mqtt
