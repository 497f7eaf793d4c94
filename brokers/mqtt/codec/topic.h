// Topic names, topic filters and shared subscriptions (spec 4.7, 4.8.2):
// pure functions for the broker's subscription tree and its checks.
#pragma once

#include <optional>
#include <string_view>

namespace mockforge::mqtt {

// A Topic Name (what PUBLISH carries): 1..65535 bytes of valid MQTT UTF-8
// with no '+' or '#'.
bool is_valid_topic_name(std::string_view name);

struct TopicFilter {
  std::string_view share_name;  // empty unless the filter is "$share/<name>/<filter>"
  std::string_view filter;      // the filter proper, without the "$share/<name>/" prefix
  bool is_shared() const { return !share_name.empty(); }
};

// Parses a Topic Filter (what SUBSCRIBE carries), including the shared form
// "$share/<ShareName>/<filter>". nullopt when invalid: empty, longer than
// 65535 bytes, not valid MQTT UTF-8, '+' not a whole level, '#' not a whole
// last level, or a share name that is empty or contains '/', '+' or '#'.
std::optional<TopicFilter> parse_topic_filter(std::string_view filter);
bool is_valid_topic_filter(std::string_view filter);

// Whether a (non-shared) Topic Filter matches a Topic Name: '+' matches one
// level, '#' the rest including the parent ("a/#" matches "a"), and a
// wildcard in the first level never matches a name starting with '$'.
// Both arguments are assumed valid.
bool topic_matches(std::string_view filter, std::string_view name);

}  // namespace mockforge::mqtt
