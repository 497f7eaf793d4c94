// The event stream (core/traffic/events.h) and the live tail's readers
// (watch/tail.h): filters, the bounded queue that drops instead of waiting,
// the wake-up protocol, and the hub's publish events.
#include "watch/tail.h"

#include <gtest/gtest.h>

#include "core/metrics/registry.h"
#include "core/traffic/hub.h"

namespace mockforge::watch {
namespace {

using traffic::Event;
using traffic::EventKind;
using traffic::Protocol;

Event event(Protocol protocol, EventKind kind, std::string client, std::string topic) {
  Event out;
  out.protocol = protocol;
  out.kind = kind;
  out.client_id = std::move(client);
  out.topic = std::move(topic);
  return out;
}

TEST(Events, InactiveUntilSomeoneListensAndCountsAsAHubObserver) {
  traffic::Hub hub;
  EXPECT_FALSE(hub.events().active());
  EXPECT_FALSE(hub.observed());
  std::vector<Event> seen;
  const auto token = hub.events().listen([&](const Event& e) { seen.push_back(e); });
  EXPECT_TRUE(hub.events().active());
  // Brokers build a message for accepted() only when observed().
  EXPECT_TRUE(hub.observed());
  hub.events().emit(event(Protocol::kMqtt, EventKind::kConnect, "c1", ""));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_GT(seen[0].time_us, 0);  // stamped
  EXPECT_TRUE(hub.events().unlisten(token));
  EXPECT_FALSE(hub.events().active());
  EXPECT_FALSE(hub.observed());
}

TEST(Events, AnAcceptedPublishIsAPublishEventWithSizeAndPreview) {
  traffic::Hub hub;
  std::vector<Event> seen;
  hub.events().listen([&](const Event& e) { seen.push_back(e); });
  traffic::Message message;
  message.protocol = Protocol::kAmqp;
  message.destination = "orders";
  message.routing_key = "order.created";
  message.payload = std::string(100, 'x');
  message.client_id = "svc";
  hub.accepted(message);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventKind::kPublish);
  EXPECT_EQ(seen[0].exchange, "orders");
  EXPECT_EQ(seen[0].routing_key, "order.created");
  EXPECT_EQ(seen[0].size, 100u);
  EXPECT_EQ(seen[0].preview, std::string(traffic::Events::kPreviewBytes, 'x'));
}

TEST(Events, PreviewNeverSplitsAUtf8Character) {
  // 63 ASCII bytes then a 3-byte character: the cut at 64 would split it.
  const std::string text = std::string(63, 'a') + "\xE2\x82\xAC" + "tail";
  EXPECT_EQ(traffic::Events::preview(text), std::string(63, 'a'));
  EXPECT_EQ(traffic::Events::preview("short"), "short");
}

TEST(EventKinds, NamesRoundTrip) {
  for (std::size_t i = 0; i < traffic::kEventKindCount; ++i) {
    const auto kind = static_cast<EventKind>(i);
    EXPECT_EQ(traffic::parse_event_kind(traffic::to_string(kind)), kind);
  }
  EXPECT_FALSE(traffic::parse_event_kind("published"));
}

TEST(TailFilter, ProtocolClientKindsAndTopicsWithMqttWildcards) {
  TailFilter filter;
  filter.protocol = Protocol::kMqtt;
  filter.topic = "sensors/+/temp";
  EXPECT_TRUE(filter.matches(event(Protocol::kMqtt, EventKind::kPublish, "a", "sensors/1/temp")));
  EXPECT_FALSE(filter.matches(event(Protocol::kMqtt, EventKind::kPublish, "a", "sensors/1/hum")));
  EXPECT_FALSE(filter.matches(event(Protocol::kKafka, EventKind::kPublish, "a", "sensors/1/temp")));
  // A subscribe's topic is the filter itself: equal text matches.
  EXPECT_TRUE(filter.matches(event(Protocol::kMqtt, EventKind::kSubscribe, "a", "sensors/+/temp")));

  TailFilter by_client;
  by_client.client = "billing";
  by_client.kinds = {EventKind::kAck, EventKind::kNack};
  EXPECT_TRUE(by_client.matches(event(Protocol::kAmqp, EventKind::kAck, "billing", "q")));
  EXPECT_FALSE(by_client.matches(event(Protocol::kAmqp, EventKind::kDeliver, "billing", "q")));
  EXPECT_FALSE(by_client.matches(event(Protocol::kAmqp, EventKind::kAck, "shipping", "q")));

  TailFilter by_exchange;
  by_exchange.topic = "orders";
  auto amqp = event(Protocol::kAmqp, EventKind::kPublish, "svc", "");
  amqp.exchange = "orders";
  EXPECT_TRUE(by_exchange.matches(amqp));
  amqp.exchange = "audit";
  amqp.routing_key = "orders";
  EXPECT_TRUE(by_exchange.matches(amqp));
  amqp.routing_key = "audit";
  EXPECT_FALSE(by_exchange.matches(amqp));

  TailFilter bad;
  bad.topic = "a/#/b";
  EXPECT_NE(bad.check(), "");
}

TEST(Tail, AFullQueueDropsAndCountsInsteadOfWaiting) {
  traffic::Hub hub;
  metrics::Registry registry;
  auto& dropped = registry.counter("mockforge_tail_dropped_total", "help").get();
  Tail tail(hub.events(), &dropped);
  auto reader = tail.open({}, 2);
  int wakes = 0;
  reader->set_wake([&] { ++wakes; });
  for (int i = 0; i < 5; ++i) {
    hub.events().emit(event(Protocol::kKafka, EventKind::kPublish, "p", std::to_string(i)));
  }
  // One wake for the first event; the rest waited for the reader to take.
  EXPECT_EQ(wakes, 1);
  auto taken = reader->take(100);
  ASSERT_EQ(taken.events.size(), 2u);
  EXPECT_EQ(taken.events[0].topic, "0");
  EXPECT_EQ(taken.events[1].topic, "1");
  EXPECT_EQ(taken.dropped, 3u);
  EXPECT_EQ(dropped.value(), 3.0);
  EXPECT_EQ(reader->dropped_total(), 3u);
  // Drained: the next event wakes again.
  hub.events().emit(event(Protocol::kKafka, EventKind::kPublish, "p", "5"));
  EXPECT_EQ(wakes, 2);
  taken = reader->take(100);
  EXPECT_EQ(taken.events.size(), 1u);
  EXPECT_EQ(taken.dropped, 0u);
}

TEST(Tail, ReadersFilterIndependentlyAndStopListeningWhenClosed) {
  traffic::Hub hub;
  Tail tail(hub.events(), nullptr);
  TailFilter only_amqp;
  only_amqp.protocol = Protocol::kAmqp;
  auto amqp_reader = tail.open(only_amqp, 10);
  auto all_reader = tail.open({}, 10);
  hub.events().emit(event(Protocol::kAmqp, EventKind::kConnect, "a", ""));
  hub.events().emit(event(Protocol::kMqtt, EventKind::kConnect, "m", ""));
  EXPECT_EQ(amqp_reader->take(10).events.size(), 1u);
  EXPECT_EQ(all_reader->take(10).events.size(), 2u);
  amqp_reader->close();
  all_reader.reset();  // destroying a reader closes it too
  EXPECT_FALSE(hub.events().active());
}

}  // namespace
}  // namespace mockforge::watch
