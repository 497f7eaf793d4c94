// History and expectations over a traffic hub fed directly (as brokers feed
// it when they accept a message).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "watch/expectations.h"
#include "watch/history.h"
#include "watch/json_path.h"

namespace mockforge::watch {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using traffic::Protocol;

traffic::Message kafka(std::string topic, std::string payload,
                       std::optional<std::string> key = {}) {
  traffic::Message message;
  message.protocol = Protocol::kKafka;
  message.destination = std::move(topic);
  message.payload = std::move(payload);
  message.key = std::move(key);
  message.client_id = "svc";
  return message;
}

traffic::Message mqtt(std::string topic, std::string payload) {
  traffic::Message message;
  message.protocol = Protocol::kMqtt;
  message.destination = std::move(topic);
  message.payload = std::move(payload);
  return message;
}

class WatchTest : public ::testing::Test {
 protected:
  void publish(const traffic::Message& message) {
    ASSERT_TRUE(hub.observed());
    hub.accepted(message);
  }
  Expectation parse(const std::string& text) { return Expectation::from_json(json::parse(text)); }

  traffic::Hub hub;
  History history{hub, HistoryLimits{5, 1 << 20}};
  Expectations expectations{history};
};

TEST(JsonPathTest, FindsNamesIndexesAndQuotedNames) {
  const auto document = json::parse(R"({"a": {"b c": [1, {"d": "x"}]}, "n": 3})");
  EXPECT_EQ(*JsonPath::parse("$.n").find(document), 3);
  EXPECT_EQ(*JsonPath::parse("$.a['b c'][1].d").find(document), "x");
  EXPECT_EQ(*JsonPath::parse("$.a[\"b c\"][-1].d").find(document), "x");
  EXPECT_EQ(JsonPath::parse("$.a.missing").find(document), nullptr);
  EXPECT_EQ(JsonPath::parse("$.n[0]").find(document), nullptr);
  EXPECT_EQ(JsonPath::parse("$").find(document), &document);
  EXPECT_THROW(JsonPath::parse("a.b"), std::invalid_argument);
  EXPECT_THROW(JsonPath::parse("$.a[x]"), std::invalid_argument);
  EXPECT_THROW(JsonPath::parse("$.a['x"), std::invalid_argument);
  EXPECT_THROW(JsonPath::parse("$."), std::invalid_argument);
  // Found by expectation_fuzzer: an index beyond 64 bits threw std::out_of_range from stoll,
  // past the callers that turn std::invalid_argument into "field: why".
  EXPECT_THROW(JsonPath::parse("$.a[99999999999999999999]"), std::invalid_argument);
  EXPECT_EQ(JsonPath::parse("$.a[-9223372036854775808]").find(document), nullptr);
}

TEST_F(WatchTest, HistoryKeepsTheNewestWithinItsLimitAndResetEmptiesIt) {
  for (int i = 0; i < 7; ++i) publish(kafka("t", std::to_string(i)));
  EXPECT_EQ(history.size(), 5u);
  EXPECT_EQ(history.dropped(), 2u);
  EXPECT_EQ(history.last_seq(), 7u);
  const auto tail = history.since(5);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, 6u);
  EXPECT_EQ(tail[0].message.payload, "5");
  EXPECT_EQ(history.since(0, 2).size(), 2u);
  history.reset();
  EXPECT_EQ(history.size(), 0u);
  publish(kafka("t", "after"));
  ASSERT_EQ(history.since(0).size(), 1u);
  EXPECT_EQ(history.since(0)[0].seq, 8u);
}

// A batch that counts how often it is decoded, as a Kafka produce batch would be.
class CountingBatch final : public traffic::AcceptedBatch {
 public:
  CountingBatch(std::vector<traffic::Message> messages, std::atomic<int>& decodes)
      : messages_(std::move(messages)), decodes_(decodes) {}
  std::size_t size() const override { return messages_.size(); }
  std::size_t bytes() const override { return 100; }
  std::vector<traffic::Message> messages() const override {
    ++decodes_;
    return messages_;
  }

 private:
  std::vector<traffic::Message> messages_;
  std::atomic<int>& decodes_;
};

TEST_F(WatchTest, HistoryDecodesBatchesOnlyWhenQueriedAndTrimsInsideThem) {
  std::atomic<int> decodes = 0;
  auto batch = [&](int first, int count) {
    std::vector<traffic::Message> messages;
    for (int i = first; i < first + count; ++i) messages.push_back(kafka("t", std::to_string(i)));
    return std::make_shared<CountingBatch>(std::move(messages), decodes);
  };
  hub.accepted(batch(0, 3));
  hub.accepted(batch(3, 4));  // 7 messages, limit 5: the first batch keeps its last one
  EXPECT_EQ(decodes, 0);      // nobody looked: nothing was decoded
  EXPECT_EQ(history.size(), 5u);
  EXPECT_EQ(history.dropped(), 2u);
  EXPECT_EQ(history.first_kept_after(), 2u);
  auto all = history.since(0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].seq, 3u);
  EXPECT_EQ(all[0].message.payload, "2");
  EXPECT_EQ(all[4].seq, 7u);
  EXPECT_EQ(all[4].message.payload, "6");
  EXPECT_EQ(decodes, 2);
  // Only the batches after `after` are decoded.
  auto tail = history.since(5);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].message.payload, "5");
  EXPECT_EQ(decodes, 3);
  // A message observer or a pending expectation makes the hub decode at once.
  const auto token = hub.observe([](const traffic::Message&) {});
  hub.accepted(batch(7, 1));
  EXPECT_EQ(decodes, 4);
  hub.unobserve(token);
}

TEST_F(WatchTest, HistoryDropsWholeBatchesBeyondItsByteLimit) {
  traffic::Hub small_hub;
  History small{small_hub, HistoryLimits{100, 250}};
  std::atomic<int> decodes = 0;
  for (int i = 0; i < 4; ++i) {
    small_hub.accepted(std::make_shared<CountingBatch>(
        std::vector<traffic::Message>{kafka("t", "a"), kafka("t", "b")}, decodes));
  }
  EXPECT_EQ(small.size(), 4u);  // two batches of 100 bytes fit in 250
  EXPECT_EQ(small.dropped(), 4u);
  EXPECT_EQ(small.first_kept_after(), 4u);
  EXPECT_EQ(small.since(0).front().seq, 5u);
}

TEST_F(WatchTest, AnExpectationSeesMessagesOfBatchesThatArriveWhileItWaits) {
  std::atomic<int> decodes = 0;
  auto e = parse(R"({"protocol": "kafka", "topic": "t", "count": {"at_least": 3},
                     "timeout_ms": 5000})");
  std::thread producer([&] {
    while (expectations.pending() == 0) std::this_thread::yield();
    hub.accepted(std::make_shared<CountingBatch>(
        std::vector<traffic::Message>{kafka("t", "1"), kafka("t", "2"), kafka("t", "3")}, decodes));
  });
  auto verdict = expectations.wait(e);
  producer.join();
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched, 3u);
  // Once decided, the history stops decoding for it.
  hub.accepted(
      std::make_shared<CountingBatch>(std::vector<traffic::Message>{kafka("t", "4")}, decodes));
  EXPECT_EQ(decodes, 1);
}

TEST_F(WatchTest, ParseErrorsNameTheField) {
  auto error_of = [&](const std::string& text) {
    try {
      parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of(R"({"topic": "t"})"), HasSubstr("protocol"));
  EXPECT_THAT(error_of(R"({"protocol": "nats"})"), HasSubstr("protocol"));
  EXPECT_THAT(error_of(R"({"protocol": "kafka", "topik": "t"})"),
              HasSubstr("topik: unknown field"));
  EXPECT_THAT(error_of(R"({"protocol": "kafka", "match": {"json": [{"path": "x", "equals": 1}]}})"),
              HasSubstr("match.json[0].path"));
  EXPECT_THAT(error_of(R"({"protocol": "kafka", "match": {"json": [{"path": "$.a", "gt": "x"}]}})"),
              HasSubstr("match.json[0]: a comparison needs a number"));
  EXPECT_THAT(error_of(R"({"protocol": "kafka", "match": {"regex": "("}})"),
              HasSubstr("match.regex"));
  EXPECT_THAT(error_of(R"({"protocol": "mqtt", "topic": "a/#/b"})"), HasSubstr("topic filter"));
  EXPECT_THAT(error_of(R"({"protocol": "mqtt", "match": {"key": "k"}})"), HasSubstr("match.key"));
  EXPECT_THAT(error_of(R"({"protocol": "kafka", "count": {"most": 2}})"), HasSubstr("count.most"));
  EXPECT_THAT(error_of(R"({"protocol": "amqp", "match": {"properties": {"colour": "x"}}})"),
              HasSubstr("match.properties.colour"));
}

TEST_F(WatchTest, AtLeastIsMetByHistoryAndExplainsMissesOtherwise) {
  publish(kafka("orders.confirmed", R"({"order_id": "o-1", "status": "pending"})", "o-1"));
  publish(kafka("orders.created", R"({"order_id": "o-2", "status": "confirmed"})", "o-2"));
  publish(mqtt("alerts/critical", "hot"));
  auto e = parse(R"({"protocol": "kafka", "topic": "orders.confirmed",
                     "match": {"json": [{"path": "$.status", "equals": "confirmed"}]},
                     "timeout_ms": 0})");
  auto verdict = expectations.wait(e);
  EXPECT_FALSE(verdict.met);
  EXPECT_EQ(verdict.matched, 0u);
  EXPECT_EQ(verdict.window_messages, 2u);
  ASSERT_EQ(verdict.closest_misses.size(), 2u);
  EXPECT_THAT(verdict.closest_misses[0].reasons[0], HasSubstr(R"($.status is "pending")"));
  EXPECT_THAT(verdict.closest_misses[1].reasons[0], HasSubstr("topic is 'orders.created'"));
  EXPECT_THAT(verdict.message, HasSubstr("0 of 2 kafka message(s)"));

  publish(kafka("orders.confirmed", R"({"order_id": "o-1", "status": "confirmed"})", "o-1"));
  verdict = expectations.wait(e);
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched_seqs, std::vector<uint64_t>{4});
}

TEST_F(WatchTest, AnswersWhenTheMatchArrivesNotAtTheTimeout) {
  auto e = parse(R"({"protocol": "mqtt", "topic": "alerts/+", "match": {"regex": "^hot"},
                     "since": "now", "timeout_ms": 60000})");
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    publish(mqtt("alerts/warm", "cold"));
    publish(mqtt("alerts/critical", "hot 85"));
  });
  const auto verdict = expectations.wait(e);
  later.join();
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched, 1u);
  EXPECT_EQ(expectations.pending(), 0u);
}

TEST_F(WatchTest, SinceNowIgnoresEarlierMessages) {
  publish(kafka("t", "old"));
  auto e = parse(R"({"protocol": "kafka", "topic": "t", "since": "now", "timeout_ms": 0})");
  EXPECT_FALSE(expectations.wait(e).met);
}

TEST_F(WatchTest, ExactlyAndNoneFailAsSoonAsOneTooManyArrives) {
  auto none = parse(R"({"protocol": "kafka", "topic": "t", "count": {"none": true},
                        "timeout_ms": 60000})");
  std::optional<Verdict> none_verdict;
  const auto id = expectations.start(none, [&](Verdict v) { none_verdict = std::move(v); });
  EXPECT_NE(id, 0u);
  EXPECT_FALSE(none_verdict.has_value());
  publish(kafka("other", "x"));
  EXPECT_FALSE(none_verdict.has_value());
  publish(kafka("t", "x"));
  ASSERT_TRUE(none_verdict.has_value());
  EXPECT_FALSE(none_verdict->met);

  auto exactly = parse(R"({"protocol": "kafka", "topic": "t", "count": {"exactly": 1},
                           "timeout_ms": 60000})");
  std::optional<Verdict> exact;
  const auto exact_id = expectations.start(exactly, [&](Verdict v) { exact = std::move(v); });
  EXPECT_FALSE(exact.has_value());  // one so far: met only when the window closes
  expectations.expire(exact_id);
  ASSERT_TRUE(exact.has_value());
  EXPECT_TRUE(exact->met);
  publish(kafka("t", "y"));
  exactly.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(expectations.wait(exactly).met);
}

TEST_F(WatchTest, HeadersPropertiesKeyAndClientId) {
  auto message = kafka("t", "{}", "k-1");
  message.headers.push_back({"source", int64_t{7}});
  publish(message);
  EXPECT_TRUE(expectations
                  .wait(parse(R"({"protocol": "kafka", "match": {"headers": {"source": "7"},
                                  "key": "k-1", "client_id": "svc"}, "timeout_ms": 0})"))
                  .met);
  const auto miss = expectations.wait(parse(
      R"({"protocol": "kafka", "match": {"headers": {"source": "8"}, "key": "k-2"}, "timeout_ms": 0})"));
  ASSERT_EQ(miss.closest_misses.size(), 1u);
  EXPECT_THAT(miss.closest_misses[0].reasons,
              ::testing::ElementsAre("key is 'k-1', not 'k-2'", "header source is '7', not '8'"));

  traffic::Message amqp;
  amqp.protocol = Protocol::kAmqp;
  amqp.destination = "notifications";
  amqp.routing_key = "notification.email.order";
  amqp.properties.correlation_id = "c-9";
  publish(amqp);
  EXPECT_TRUE(expectations
                  .wait(parse(R"({"protocol": "amqp", "exchange": "notifications",
                                  "routing_key": "notification.email.*",
                                  "match": {"properties": {"correlation_id": "c-9"}},
                                  "timeout_ms": 0})"))
                  .met);
  EXPECT_FALSE(expectations
                   .wait(parse(R"({"protocol": "amqp", "exchange": "notifications",
                                   "routing_key": "notification.sms.#", "timeout_ms": 0})"))
                   .met);
}

TEST_F(WatchTest, InOrderStepsMustArriveInSequenceAcrossProtocols) {
  const auto spec = R"({"in_order": [
      {"protocol": "kafka", "topic": "orders.created"},
      {"protocol": "mqtt", "topic": "alerts/#", "count": {"at_least": 2}},
      {"protocol": "kafka", "topic": "orders.shipped"}], "timeout_ms": 0})";
  auto e = parse(spec);
  ASSERT_EQ(e.in_order.size(), 3u);
  // The shipment comes before the alerts: out of order.
  publish(kafka("orders.created", "{}"));
  publish(kafka("orders.shipped", "{}"));
  publish(mqtt("alerts/a", "1"));
  publish(mqtt("alerts/b", "2"));
  auto verdict = expectations.wait(e);
  EXPECT_FALSE(verdict.met);
  ASSERT_EQ(verdict.steps.size(), 3u);
  EXPECT_EQ(verdict.steps[0].second, 1u);
  EXPECT_EQ(verdict.steps[1].second, 4u);
  EXPECT_EQ(verdict.steps[2].second, 0u);
  EXPECT_THAT(verdict.message, HasSubstr("step 3 of 3"));
  EXPECT_THAT(verdict.message, HasSubstr("1 matching message(s) came before step 2"));
  EXPECT_EQ(verdict.to_json()["steps"][2]["completed_at_seq"], nullptr);

  publish(kafka("orders.shipped", "{}"));
  verdict = expectations.wait(e);
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.steps[2].second, 5u);
  EXPECT_THAT(verdict.message, HasSubstr("all 3 steps in order"));
}

TEST_F(WatchTest, InOrderIsDecidedWhenTheLastStepArrives) {
  auto e = parse(R"({"in_order": [{"protocol": "mqtt", "topic": "a"},
                                  {"protocol": "mqtt", "topic": "b"}],
                     "since": "now", "timeout_ms": 60000})");
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    publish(mqtt("b", "too early"));
    publish(mqtt("a", "first"));
    publish(mqtt("b", "second"));
  });
  const auto verdict = expectations.wait(e);
  later.join();
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched, 2u);
}

TEST_F(WatchTest, InOrderParseErrorsNameTheStep) {
  auto error_of = [&](const std::string& text) {
    try {
      parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of(R"({"in_order": []})"), HasSubstr("in_order: must be a list"));
  EXPECT_THAT(error_of(R"({"in_order": [{"protocol": "kafka"}], "topic": "t"})"),
              HasSubstr("topic: unknown field"));
  EXPECT_THAT(error_of(R"({"in_order": [{"protocol": "kafka"}, {"protocol": "x"}]})"),
              HasSubstr("in_order[1].protocol"));
  EXPECT_THAT(error_of(R"({"in_order": [{"protocol": "kafka", "count": {"none": true}}]})"),
              HasSubstr("in_order[0].count"));
  EXPECT_THAT(error_of(R"({"in_order": [{"protocol": "kafka", "timeout_ms": 5}]})"),
              HasSubstr("in_order[0].timeout_ms: set it once"));
}

// Payloads come from the service under test: a long one must not take the process down.
// std::regex recursed once per character and overflowed the stack at about 40,000.
TEST_F(WatchTest, RegexesOverLongPayloadsAnswerWithoutCrashing) {
  const std::string digits(200000, '7');  // two fit the history's 1 MiB
  publish(kafka("big", digits));
  publish(kafka("big", R"({"note": ")" + digits + R"("})"));
  auto verdict = expectations.wait(parse(
      R"({"protocol": "kafka", "topic": "big", "match": {"regex": "^7+$"}, "timeout_ms": 0})"));
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched_seqs, std::vector<uint64_t>{1});
  verdict = expectations.wait(parse(R"({"protocol": "kafka", "topic": "big",
      "match": {"json": [{"path": "$.note", "regex": "^[0-9]+$"}]}, "timeout_ms": 0})"));
  EXPECT_TRUE(verdict.met);
  EXPECT_EQ(verdict.matched_seqs, std::vector<uint64_t>{2});
  // A pattern that backtracks on every start: an answer, with the reason.
  verdict = expectations.wait(parse(
      R"({"protocol": "kafka", "topic": "big", "match": {"regex": "7.*x"}, "timeout_ms": 0})"));
  EXPECT_FALSE(verdict.met);
  ASSERT_FALSE(verdict.closest_misses.empty());
  EXPECT_THAT(verdict.closest_misses[0].reasons[0],
              ::testing::AnyOf(HasSubstr("too complex"), HasSubstr("does not match")));
}

// A payload nested a megabyte deep: printing the value at a path recursed once per level
// and ended the process. Deeper than 512 levels, a payload is not evaluated as JSON.
TEST_F(WatchTest, DeeplyNestedPayloadsAreMissesWithTheReason) {
  const std::size_t depth = 200000;
  publish(kafka("deep", R"({"a": )" + std::string(depth, '[') + std::string(depth, ']') + "}"));
  publish(kafka("deep", R"({"a": [[["x"]]]})"));
  const auto verdict = expectations.wait(parse(R"({"protocol": "kafka", "topic": "deep",
      "match": {"json": [{"path": "$.a", "equals": 1}]}, "timeout_ms": 0})"));
  EXPECT_FALSE(verdict.met);
  ASSERT_EQ(verdict.closest_misses.size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& miss : verdict.closest_misses) reasons.push_back(miss.reasons.at(0));
  EXPECT_THAT(reasons, ::testing::Contains(HasSubstr("deeper than 512 levels")));
  EXPECT_THAT(reasons, ::testing::Contains(HasSubstr(R"($.a is [[["x"]]])")));
}

}  // namespace
}  // namespace mockforge::watch
