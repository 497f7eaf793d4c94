#include "brokers/amqp/model/routing.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::amqp {
namespace {

TEST(AmqpRouting, TopicStarMatchesExactlyOneWord) {
  EXPECT_TRUE(topic_matches("a.*.c", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.*.c", "a.c"));
  EXPECT_FALSE(topic_matches("a.*.c", "a.b.b.c"));
  EXPECT_FALSE(topic_matches("*", ""));
}

TEST(AmqpRouting, TopicHashMatchesZeroOrMoreWords) {
  EXPECT_TRUE(topic_matches("#", ""));
  EXPECT_TRUE(topic_matches("#", "a.b"));
  EXPECT_TRUE(topic_matches("a.#", "a"));
  EXPECT_TRUE(topic_matches("a.#", "a.b.c"));
  EXPECT_TRUE(topic_matches("a.#.z", "a.z"));
  EXPECT_TRUE(topic_matches("a.#.z", "a.b.c.z"));
  EXPECT_FALSE(topic_matches("a.#.z", "a.b.c"));
  EXPECT_TRUE(topic_matches("#.b.#", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.b", "a.b.c"));
}

TEST(AmqpRouting, TopicEmptyWordsAndLongKeys) {
  EXPECT_TRUE(topic_matches("a..c", "a..c"));
  EXPECT_TRUE(topic_matches("a.*.c", "a..c"));
  EXPECT_FALSE(topic_matches("", "a"));
  EXPECT_TRUE(topic_matches("", ""));
  // More words than the matcher keeps inline (16 words, 33 positions).
  std::string key = "w";
  for (int i = 1; i < 40; ++i) key += ".w" + std::to_string(i);
  EXPECT_TRUE(topic_matches("w.#.w39", key));
  EXPECT_TRUE(topic_matches("#.w20.#", key));
  EXPECT_FALSE(topic_matches("#.w40", key));
  std::string stars = "*";
  for (int i = 1; i < 40; ++i) stars += ".*";
  EXPECT_TRUE(topic_matches(stars, key));
  EXPECT_FALSE(topic_matches(stars + ".*", key));
}

TEST(AmqpRouting, TopicManyHashesStayPolynomial) {
  // Backtracking over 30 '#' against a 40-word key that cannot match would
  // take astronomically long; the matcher is linear in each.
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "#.";
  pattern += "nomatch";
  std::string key = "a";
  for (int i = 1; i < 40; ++i) key += ".a";
  EXPECT_FALSE(topic_matches(pattern, key));
  EXPECT_TRUE(topic_matches(pattern, key + ".nomatch"));
}

TEST(AmqpRouting, ManyArgumentsAgainstManyHeadersMatchAsFewDo) {
  // Past 1,024 pairs the headers are looked up through an index; the answer
  // is the scan's: a name's first header counts.
  FieldTable all;
  all.set("x-match", std::string("all"));
  FieldTable headers;
  for (int i = 0; i < 100; ++i) {
    all.set("k" + std::to_string(i), int32_t{i});
    headers.entries.push_back({"k" + std::to_string(i), FieldValue(int64_t{i})});
  }
  headers.entries.push_back({"k7", FieldValue(int32_t{-1})});  // a later duplicate
  EXPECT_TRUE(headers_match(all, &headers));
  FieldTable first_differs = headers;
  first_differs.entries.insert(first_differs.entries.begin(), {"k3", FieldValue(int32_t{-3})});
  EXPECT_FALSE(headers_match(all, &first_differs));
  FieldTable any = all;
  any.set("x-match", std::string("any"));
  any.set("absent", Void{});
  FieldTable none;
  for (int i = 0; i < 100; ++i) none.entries.push_back({"z" + std::to_string(i), Void{}});
  EXPECT_FALSE(headers_match(any, &none));
  none.entries.push_back({"absent", FieldValue(std::string("present"))});
  EXPECT_TRUE(headers_match(any, &none));
}

TEST(AmqpRouting, HeadersAllAndAny) {
  FieldTable all;
  all.set("x-match", std::string("all"));
  all.set("k", std::string("v"));
  all.set("n", int32_t{1});
  FieldTable any = all;
  any.set("x-match", std::string("any"));

  FieldTable both;
  both.set("k", std::string("v"));
  both.set("n", int32_t{1});
  FieldTable one;
  one.set("k", std::string("v"));

  EXPECT_TRUE(headers_match(all, &both));
  EXPECT_FALSE(headers_match(all, &one));
  EXPECT_TRUE(headers_match(any, &one));
  EXPECT_FALSE(headers_match(any, nullptr));
  FieldTable presence;
  presence.set("k", Void{});
  EXPECT_TRUE(headers_match(presence, &one));
}

TEST(AmqpRouting, HeadersWithXComparesXArgumentsButNeverXMatch) {
  FieldTable binding;
  binding.set("x-match", std::string("all-with-x"));
  binding.set("x-tenant", std::string("a"));
  FieldTable tenant;
  tenant.set("x-tenant", std::string("a"));
  tenant.set("x-match", std::string("something else"));
  FieldTable other;
  other.set("x-tenant", std::string("b"));
  EXPECT_TRUE(headers_match(binding, &tenant));
  EXPECT_FALSE(headers_match(binding, &other));
  binding.set("x-match", std::string("all"));  // x- arguments left out: nothing to compare
  EXPECT_TRUE(headers_match(binding, &other));
  binding.set("x-match", std::string("any"));  // and nothing matched
  EXPECT_FALSE(headers_match(binding, &tenant));
  binding.set("x-match", std::string("any-with-x"));
  EXPECT_TRUE(headers_match(binding, &tenant));
}

TEST(AmqpRouting, HeadersCompareNumbersByValueAndStringsByBytes) {
  FieldTable binding;
  binding.set("n", int32_t{5});
  auto header = [](FieldValue value) {
    FieldTable table;
    table.set("n", std::move(value));
    return table;
  };
  for (const FieldValue& five :
       {FieldValue(int8_t{5}), FieldValue(uint16_t{5}), FieldValue(int64_t{5}),
        FieldValue(uint64_t{5}), FieldValue(Timestamp{5}), FieldValue(5.0f), FieldValue(5.0)}) {
    const auto headers = header(five);
    EXPECT_TRUE(headers_match(binding, &headers)) << five.type_tag();
  }
  for (const FieldValue& not_five :
       {FieldValue(int64_t{6}), FieldValue(Decimal{0, 5}), FieldValue(std::string("5")),
        FieldValue(true), FieldValue(5.5)}) {
    const auto headers = header(not_five);
    EXPECT_FALSE(headers_match(binding, &headers)) << not_five.type_tag();
  }
  binding.set("n", uint64_t{1} << 63);  // beyond int64: exact
  auto big = header(int64_t{-1});
  EXPECT_FALSE(headers_match(binding, &big));
  binding.set("n", std::string("5"));
  auto bytes = header(ByteArray{"5"});
  EXPECT_TRUE(headers_match(binding, &bytes));
}

TEST(AmqpRouting, XMatchIsOneOfFourLongStrings) {
  FieldTable arguments;
  EXPECT_FALSE(x_match_error(arguments));
  for (const char* mode : {"all", "any", "all-with-x", "any-with-x"}) {
    arguments.set("x-match", std::string(mode));
    EXPECT_FALSE(x_match_error(arguments)) << mode;
  }
  arguments.set("x-match", std::string("ANY"));
  EXPECT_EQ(x_match_error(arguments),
            "PRECONDITION_FAILED - Invalid x-match field value <<\"ANY\">>; expected all, any, "
            "all-with-x, or any-with-x");
  arguments.set("x-match", int32_t{5});
  EXPECT_EQ(x_match_error(arguments),
            "PRECONDITION_FAILED - Invalid x-match field type signedint (value 5); expected "
            "longstr");
}

}  // namespace
}  // namespace mockforge::amqp
