#include "brokers/amqp/model/routing.h"

#include <vector>

namespace mockforge::amqp {
namespace {

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      words.push_back(text.substr(start));
      return words;
    }
    words.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
}

bool match_words(const std::vector<std::string_view>& pattern, std::size_t p,
                 const std::vector<std::string_view>& key, std::size_t k) {
  while (p < pattern.size()) {
    if (pattern[p] == "#") {
      // '#' swallows zero or more words; try every split.
      for (std::size_t skip = k; skip <= key.size(); ++skip) {
        if (match_words(pattern, p + 1, key, skip)) return true;
      }
      return false;
    }
    if (k >= key.size()) return false;
    if (pattern[p] != "*" && pattern[p] != key[k]) return false;
    ++p;
    ++k;
  }
  return k == key.size();
}

}  // namespace

bool topic_matches(std::string_view pattern, std::string_view routing_key) {
  std::vector<std::string_view> key_words;
  if (!routing_key.empty()) key_words = split_words(routing_key);
  std::vector<std::string_view> pattern_words;
  if (!pattern.empty()) pattern_words = split_words(pattern);
  return match_words(pattern_words, 0, key_words, 0);
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
