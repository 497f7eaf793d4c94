#include "brokers/mqtt/codec/topic.h"

#include "brokers/mqtt/codec/types.h"
#include "brokers/mqtt/codec/utf8.h"

namespace mockforge::mqtt {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

bool is_valid_text(std::string_view text) {
  return !text.empty() && text.size() <= kMaxFieldLength &&
         validate_mqtt_utf8(text) == Utf8Status::valid;
}

// Wildcard placement: '+' and '#' each occupy a whole level, '#' only the last.
bool has_valid_wildcards(std::string_view filter) {
  std::size_t level_start = 0;
  while (true) {
    const std::size_t level_end = filter.find('/', level_start);
    const std::string_view level =
        filter.substr(level_start, level_end == std::string_view::npos ? std::string_view::npos
                                                                       : level_end - level_start);
    if (level.find_first_of("+#") != std::string_view::npos) {
      if (level.size() != 1) return false;
      if (level == "#" && level_end != std::string_view::npos) return false;
    }
    if (level_end == std::string_view::npos) return true;
    level_start = level_end + 1;
  }
}

}  // namespace

bool is_valid_topic_name(std::string_view name) {
  return is_valid_text(name) && name.find_first_of("+#") == std::string_view::npos;
}

std::optional<TopicFilter> parse_topic_filter(std::string_view filter) {
  if (!is_valid_text(filter)) return std::nullopt;
  TopicFilter parsed{{}, filter};
  if (filter.starts_with(kSharePrefix)) {
    const std::string_view rest = filter.substr(kSharePrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    parsed.share_name = rest.substr(0, slash);
    parsed.filter = rest.substr(slash + 1);
    if (parsed.share_name.empty() ||
        parsed.share_name.find_first_of("+#") != std::string_view::npos || parsed.filter.empty()) {
      return std::nullopt;
    }
  }
  if (!has_valid_wildcards(parsed.filter)) return std::nullopt;
  return parsed;
}

bool is_valid_topic_filter(std::string_view filter) {
  return parse_topic_filter(filter).has_value();
}

bool topic_matches(std::string_view filter, std::string_view name) {
  if (!name.empty() && name.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;
  std::size_t n = 0;
  while (true) {
    const std::size_t filter_end = filter.find('/', f);
    const std::string_view filter_level = filter.substr(
        f, filter_end == std::string_view::npos ? std::string_view::npos : filter_end - f);
    if (filter_level == "#") return true;  // the rest, including the parent level
    if (n > name.size()) {
      return false;  // name exhausted but filter goes on
    }
    const std::size_t name_end = name.find('/', n);
    const std::string_view name_level =
        name.substr(n, name_end == std::string_view::npos ? std::string_view::npos : name_end - n);
    if (filter_level != "+" && filter_level != name_level) return false;
    const bool filter_done = filter_end == std::string_view::npos;
    const bool name_done = name_end == std::string_view::npos;
    if (filter_done && name_done) return true;
    if (filter_done) return false;
    f = filter_end + 1;
    n = name_done ? name.size() + 1 : name_end + 1;  // past the end: only "#" can follow
  }
}

}  // namespace mockforge::mqtt
