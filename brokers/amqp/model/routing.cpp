#include "brokers/amqp/model/routing.h"

#include <array>
#include <vector>

namespace mockforge::amqp {

TopicWords::TopicWords(std::string_view text) {
  if (text.empty()) return;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    add(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return;
    start = dot + 1;
  }
}

void TopicWords::add(std::string_view word) {
  if (size_ < kInline) {
    inline_[size_] = word;
  } else {
    overflow_.push_back(word);
  }
  ++size_;
}

bool topic_matches(std::string_view pattern, std::string_view routing_key) {
  return topic_matches(pattern, TopicWords(routing_key));
}

// Dynamic programming over (pattern word, key prefix): reach[k] says whether
// the pattern words so far match the first k key words. O(pattern x key),
// whatever the number of '#' (backtracking is exponential in it).
bool topic_matches(std::string_view pattern, const TopicWords& key) {
  const TopicWords words(pattern);
  const std::size_t n = key.size();
  std::array<bool, 33> inline_reach{};
  std::vector<bool> heap_reach;
  const bool small = n + 1 <= inline_reach.size();
  if (!small) heap_reach.assign(n + 1, false);
  auto run = [&](auto& r) {
    r[0] = true;
    for (std::size_t p = 0; p < words.size(); ++p) {
      const std::string_view word = words[p];
      if (word == "#") {
        for (std::size_t k = 1; k <= n; ++k) r[k] = r[k] || r[k - 1];
      } else {
        for (std::size_t k = n; k >= 1; --k) r[k] = r[k - 1] && (word == "*" || word == key[k - 1]);
        r[0] = false;
      }
    }
    return static_cast<bool>(r[n]);
  };
  return small ? run(inline_reach) : run(heap_reach);
}

bool headers_match(const FieldTable& binding_arguments, const FieldTable* message_headers) {
  bool match_any = false;
  if (const FieldValue* mode = binding_arguments.find("x-match")) {
    if (const auto* text = mode->get_if<std::string>()) match_any = (*text == "any");
  }
  bool any_matched = false;
  for (const FieldTableEntry& entry : binding_arguments.entries) {
    if (entry.name.starts_with("x-")) continue;
    const FieldValue* value = message_headers ? message_headers->find(entry.name) : nullptr;
    bool matched = value != nullptr && (entry.value.get_if<Void>() || *value == entry.value);
    if (matched) any_matched = true;
    if (!matched && !match_any) return false;
  }
  return match_any ? any_matched : true;
}

}  // namespace mockforge::amqp
