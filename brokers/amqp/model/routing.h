// Routing rules of the exchange types: topic patterns and headers matching.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/amqp/codec/field_table.h"

namespace mockforge::amqp {

// The dot-separated words of a topic or routing key, without allocating for
// the usual handful of words. An empty text has no words.
class TopicWords {
 public:
  explicit TopicWords(std::string_view text);
  std::size_t size() const { return size_; }
  std::string_view operator[](std::size_t i) const {
    return i < kInline ? inline_[i] : overflow_[i - kInline];
  }

 private:
  static constexpr std::size_t kInline = 16;
  void add(std::string_view word);
  std::array<std::string_view, kInline> inline_;
  std::vector<std::string_view> overflow_;
  std::size_t size_ = 0;
};

// Topic pattern match: words separated by '.', '*' is exactly one word and
// '#' zero or more words. Matching many patterns against one key, split the
// key once.
bool topic_matches(std::string_view pattern, std::string_view routing_key);
bool topic_matches(std::string_view pattern, const TopicWords& routing_key);

// Headers exchange, as RabbitMQ 3.10: binding arguments against message
// headers. x-match "all" (the default) needs every argument to match, "any"
// at least one; both leave out arguments named "x-...", which "all-with-x"
// and "any-with-x" compare too (x-match itself never). A void argument value
// matches on presence alone. Values compare as RabbitMQ compares them:
// numbers by value whatever their width, sign or float type (a timestamp is
// a number), long strings and byte arrays by their bytes, anything else
// (decimals, booleans, arrays, tables) with its type.
bool headers_match(const FieldTable& binding_arguments, const FieldTable* message_headers);

// Why a binding to a headers exchange cannot have these arguments, in
// RabbitMQ's words (406 PRECONDITION_FAILED), or nullopt: x-match is a long
// string, one of the four above.
std::optional<std::string> x_match_error(const FieldTable& binding_arguments);

}  // namespace mockforge::amqp
