#include "brokers/amqp/model/routing.h"

#include <fmt/format.h>

#include <array>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "brokers/amqp/model/equivalence.h"

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

namespace {

struct XMatch {
  bool any = false;
  bool with_x = false;
};

XMatch parse_x_match(const FieldTable& binding_arguments) {
  XMatch mode;
  if (const FieldValue* value = binding_arguments.find("x-match")) {
    if (const auto* text = value->get_if<std::string>()) {
      mode.any = *text == "any" || *text == "any-with-x";
      mode.with_x = *text == "all-with-x" || *text == "any-with-x";
    }
  }
  return mode;
}

// A number as RabbitMQ compares it: integers exactly, against a float as a double.
struct Number {
  bool is_float = false;
  __int128 integer = 0;
  double real = 0;
};

std::optional<Number> number_of(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::optional<Number> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return std::nullopt;
        } else if constexpr (std::is_integral_v<T>) {
          return Number{false, static_cast<__int128>(v), 0};
        } else if constexpr (std::is_floating_point_v<T>) {
          return Number{true, 0, static_cast<double>(v)};
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return Number{false, static_cast<__int128>(v.seconds), 0};
        } else {
          return std::nullopt;
        }
      },
      value.value);
}

std::optional<std::string_view> bytes_of(const FieldValue& value) {
  if (const auto* text = value.get_if<std::string>()) return *text;
  if (const auto* bytes = value.get_if<ByteArray>()) return bytes->bytes;
  return std::nullopt;
}

bool same_header_value(const FieldValue& bound, const FieldValue& header) {
  if (auto a = number_of(bound)) {
    auto b = number_of(header);
    if (!b) return false;
    if (!a->is_float && !b->is_float) return a->integer == b->integer;
    const double x = a->is_float ? a->real : static_cast<double>(a->integer);
    const double y = b->is_float ? b->real : static_cast<double>(b->integer);
    return x == y;
  }
  if (auto a = bytes_of(bound)) {
    auto b = bytes_of(header);
    return b && *a == *b;
  }
  return bound == header;
}

// An Erlang term as RabbitMQ's ~p prints a field value in an error text.
std::string printed_term(const FieldValue& value) {
  if (auto bytes = bytes_of(value)) return fmt::format("<<\"{}\">>", *bytes);
  return erlang_value(value);
}

}  // namespace

bool headers_match(const FieldTable& binding_arguments, const FieldTable* message_headers) {
  const XMatch mode = parse_x_match(binding_arguments);
  // Many arguments against many headers look names up in an index of the
  // headers (each name's first entry, as FieldTable::find gives), not by a
  // scan per argument: a frame holds tens of thousands of each, and the scans
  // took seconds per publish.
  const std::size_t header_count = message_headers ? message_headers->entries.size() : 0;
  std::unordered_map<std::string_view, const FieldValue*> index;
  const bool indexed = binding_arguments.entries.size() * header_count > 1024;
  if (indexed) {
    index.reserve(header_count);
    for (const FieldTableEntry& header : message_headers->entries) {
      index.try_emplace(header.name, &header.value);
    }
  }
  const auto lookup = [&](const std::string& name) -> const FieldValue* {
    if (!indexed) return message_headers ? message_headers->find(name) : nullptr;
    const auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
  };
  bool any_matched = false;
  for (const FieldTableEntry& entry : binding_arguments.entries) {
    if (entry.name == "x-match" || (!mode.with_x && entry.name.starts_with("x-"))) continue;
    const FieldValue* value = lookup(entry.name);
    const bool matched =
        value != nullptr && (entry.value.get_if<Void>() || same_header_value(entry.value, *value));
    if (matched) any_matched = true;
    if (!matched && !mode.any) return false;
  }
  return mode.any ? any_matched : true;
}

std::optional<std::string> x_match_error(const FieldTable& binding_arguments) {
  const FieldValue* value = binding_arguments.find("x-match");
  if (value == nullptr) return std::nullopt;
  const auto* text = value->get_if<std::string>();
  if (text == nullptr) {
    return fmt::format(
        "PRECONDITION_FAILED - Invalid x-match field type {} (value {}); expected longstr",
        field_type_name(*value), printed_term(*value));
  }
  if (*text == "all" || *text == "any" || *text == "all-with-x" || *text == "any-with-x") {
    return std::nullopt;
  }
  return fmt::format(
      "PRECONDITION_FAILED - Invalid x-match field value {}; expected all, any, all-with-x, or "
      "any-with-x",
      printed_term(*value));
}

}  // namespace mockforge::amqp
