#include "brokers/amqp/model/routing.h"

#include <array>
#include <vector>

namespace mockforge::amqp {
namespace {

// The dot-separated words of a topic or routing key, without allocating for
// the usual handful of words. An empty text has no words.
class Words {
 public:
  explicit Words(std::string_view text) {
    if (text.empty()) return;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = text.find('.', start);
      add(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) return;
      start = dot + 1;
    }
  }
  std::size_t size() const { return size_; }
  std::string_view operator[](std::size_t i) const {
    return i < kInline ? inline_[i] : overflow_[i - kInline];
  }

 private:
  static constexpr std::size_t kInline = 16;
  void add(std::string_view word) {
    if (size_ < kInline) {
      inline_[size_] = word;
    } else {
      overflow_.push_back(word);
    }
    ++size_;
  }
  std::array<std::string_view, kInline> inline_;
  std::vector<std::string_view> overflow_;
  std::size_t size_ = 0;
};

}  // namespace

// Dynamic programming over (pattern word, key prefix): reach[k] says whether
// the pattern words so far match the first k key words. O(pattern x key),
// whatever the number of '#' (backtracking is exponential in it).
bool topic_matches(std::string_view pattern, std::string_view routing_key) {
  const Words key(routing_key);
  const Words words(pattern);
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
