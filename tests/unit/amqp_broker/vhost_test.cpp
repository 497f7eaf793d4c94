#include "brokers/amqp/model/vhost.h"

#include <gtest/gtest.h>

#include "core/storage/engine.h"

namespace mockforge::amqp {
namespace {

class AmqpVhostTest : public ::testing::Test {
 protected:
  storage::Engine engine;
  Vhost vhost{"/", engine.queues()};

  static Exchange exchange(std::string name, std::string type) {
    Exchange e;
    e.name = std::move(name);
    e.type = *parse_exchange_type(type);
    e.type_name = std::move(type);
    return e;
  }
};

TEST_F(AmqpVhostTest, PredeclaredExchangesAndReservedNames) {
  EXPECT_TRUE(vhost.declare_exchange(exchange("amq.topic", "topic"), true).ok());
  auto refused = vhost.declare_exchange(exchange("amq.mine", "direct"), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->reply_code, 403);
  auto missing = vhost.declare_exchange(exchange("nope", "direct"), true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error->reply_code, 404);
}

TEST_F(AmqpVhostTest, ABindingsArgumentsInAnotherOrderAreTheSameBinding) {
  ASSERT_TRUE(vhost.declare_exchange(exchange("h", "headers"), false).ok());
  ASSERT_TRUE(vhost.declare_queue("q", {}, false, 1).ok());
  FieldTable ab;
  ab.set("a", int32_t{1});
  ab.set("b", std::string("two"));
  FieldTable ba;
  ba.set("b", std::string("two"));
  ba.set("a", int32_t{1});
  FieldTable other_type;
  other_type.set("b", std::string("two"));
  other_type.set("a", int64_t{1});
  ASSERT_TRUE(vhost.bind_queue("q", "h", "", ab, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q", "h", "", ba, 1).ok());            // nothing new
  ASSERT_TRUE(vhost.unbind_queue("q", "h", "", other_type, 1).ok());  // not that one
  EXPECT_EQ(vhost.route("h", std::string(), &ab, false).value->size(), 1u);
  ASSERT_TRUE(vhost.unbind_queue("q", "h", "", ba, 1).ok());
  EXPECT_TRUE(vhost.route("h", std::string(), &ab, false).value->empty());
}

TEST_F(AmqpVhostTest, AChainOfExchangesAsLongAsClientsMakeItRoutes) {
  // A client bound e0 -> e1 -> ... -> e99999 -> q with exchange.bind: routing
  // recursed once per hop and overflowed the stack near 40,000.
  constexpr int kLength = 100000;
  for (int i = 0; i < kLength; ++i) {
    ASSERT_TRUE(vhost.declare_exchange(exchange("e" + std::to_string(i), "fanout"), false).ok());
  }
  for (int i = 0; i + 1 < kLength; ++i) {
    ASSERT_TRUE(
        vhost.bind_exchange("e" + std::to_string(i + 1), "e" + std::to_string(i), "", {}).ok());
  }
  ASSERT_TRUE(vhost.declare_queue("q", {}, false, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q", "e" + std::to_string(kLength - 1), "", {}, 1).ok());
  // And a loop back to the start, which routing visits once.
  ASSERT_TRUE(vhost.bind_exchange("e0", "e" + std::to_string(kLength - 1), "", {}).ok());
  const auto routed = vhost.route("e0", std::string("k"), nullptr, false);
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(*routed.value, std::set<std::string>{"q"});
}

TEST_F(AmqpVhostTest, AHeadersBindingNeedsAKnownXMatch) {
  ASSERT_TRUE(vhost.declare_exchange(exchange("h", "headers"), false).ok());
  ASSERT_TRUE(vhost.declare_exchange(exchange("d", "direct"), false).ok());
  ASSERT_TRUE(vhost.declare_queue("q", {}, false, 1).ok());
  FieldTable arguments;
  arguments.set("x-match", std::string("most"));
  auto refused = vhost.bind_queue("q", "h", "", arguments, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->reply_code, 406);
  EXPECT_FALSE(vhost.bind_exchange("d", "h", "", arguments).ok());
  EXPECT_TRUE(vhost.bind_queue("q", "d", "", arguments, 1).ok());  // direct: not read
}

TEST_F(AmqpVhostTest, InequivalentRedeclareIs406) {
  ASSERT_TRUE(vhost.declare_exchange(exchange("x", "direct"), false).ok());
  auto different = vhost.declare_exchange(exchange("x", "fanout"), false);
  ASSERT_FALSE(different.ok());
  EXPECT_EQ(different.error->reply_code, 406);
  ASSERT_TRUE(vhost.declare_queue("q", {}, false, 1).ok());
  auto durable = vhost.declare_queue("q", QueueDefinition{true, false, false, {}}, false, 1);
  ASSERT_FALSE(durable.ok());
  EXPECT_EQ(durable.error->reply_code, 406);
}

TEST_F(AmqpVhostTest, ExclusiveQueueIsLockedForOtherConnections) {
  ASSERT_TRUE(vhost.declare_queue("ex", QueueDefinition{false, true, false, {}}, false, 1).ok());
  auto other = vhost.declare_queue("ex", QueueDefinition{false, true, false, {}}, false, 2);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error->reply_code, 405);
  vhost.drop_connection(1);
  EXPECT_EQ(vhost.declare_queue("ex", {}, true, 2).error->reply_code, 404);
}

// Found by tests/differential: RabbitMQ checks a binding's names in this order: the
// default exchange (403), the source exchange (404), the destination (404), then the
// exclusive owner of a destination queue (405).
TEST_F(AmqpVhostTest, BindingErrorsComeInRabbitMqOrder) {
  auto both_missing = vhost.bind_queue("noq", "nox", "", {}, 1);
  ASSERT_FALSE(both_missing.ok());
  EXPECT_EQ(both_missing.error->text, "NOT_FOUND - no exchange 'nox' in vhost '/'");
  auto default_exchange = vhost.bind_queue("noq", "", "", {}, 1);
  ASSERT_FALSE(default_exchange.ok());
  EXPECT_EQ(default_exchange.error->reply_code, 403);
  auto unbind_default = vhost.unbind_queue("noq", "", "", {}, 1);
  ASSERT_FALSE(unbind_default.ok());
  EXPECT_EQ(unbind_default.error->reply_code, 403);
  EXPECT_TRUE(vhost.unbind_queue("noq", "nox", "", {}, 1).ok());
  auto exchanges_missing = vhost.bind_exchange("nodst", "nosrc", "", {});
  ASSERT_FALSE(exchanges_missing.ok());
  EXPECT_EQ(exchanges_missing.error->text, "NOT_FOUND - no exchange 'nosrc' in vhost '/'");
  EXPECT_EQ(vhost.bind_exchange("", "nosrc", "", {}).error->reply_code, 403);
}

// Found by tests/differential: RabbitMQ declares an exclusive queue as not durable.
TEST_F(AmqpVhostTest, ExclusiveQueueIsNeverDurable) {
  ASSERT_TRUE(vhost.declare_queue("ex", QueueDefinition{true, true, false, {}}, false, 1).ok());
  EXPECT_TRUE(vhost.declare_queue("ex", QueueDefinition{false, true, false, {}}, false, 1).ok());
  auto plain = vhost.declare_queue("ex2", QueueDefinition{false, true, true, {}}, false, 1);
  ASSERT_TRUE(plain.ok());
  auto redeclared = vhost.declare_queue("ex2", QueueDefinition{true, true, false, {}}, false, 1);
  ASSERT_FALSE(redeclared.ok());
  EXPECT_NE(redeclared.error->text.find("'auto_delete'"), std::string::npos);
}

TEST_F(AmqpVhostTest, ReservedQueueNameIsRefusedEvenWhenItExists) {
  auto named = vhost.declare_queue("amq.gen-x", {}, false, 1, true);
  ASSERT_TRUE(named.ok());
  auto again = vhost.declare_queue("amq.gen-x", {}, false, 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error->reply_code, 403);
  EXPECT_TRUE(vhost.declare_queue("amq.gen-x", {}, true, 1).ok());
}

TEST_F(AmqpVhostTest, RoutesThroughExchangeToExchangeBindings) {
  ASSERT_TRUE(vhost.declare_exchange(exchange("src", "topic"), false).ok());
  ASSERT_TRUE(vhost.declare_exchange(exchange("dst", "fanout"), false).ok());
  ASSERT_TRUE(vhost.declare_queue("q1", {}, false, 1).ok());
  ASSERT_TRUE(vhost.declare_queue("q2", {}, false, 1).ok());
  ASSERT_TRUE(vhost.bind_exchange("dst", "src", "a.#", {}).ok());
  ASSERT_TRUE(vhost.bind_queue("q1", "dst", "", {}, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q2", "src", "b", {}, 1).ok());
  EXPECT_EQ(*vhost.route("src", "a.x", nullptr).value, (std::set<std::string>{"q1"}));
  EXPECT_EQ(*vhost.route("src", "b", nullptr).value, (std::set<std::string>{"q2"}));
  EXPECT_EQ(*vhost.route("", "q2", nullptr).value, (std::set<std::string>{"q2"}));
  EXPECT_EQ(vhost.route("missing", "k", nullptr).error->reply_code, 404);
}

TEST_F(AmqpVhostTest, EveryRoutingKeyRoutesEachQueueOnce) {
  // Sender-selected distribution: the publish's key plus the CC/BCC keys.
  ASSERT_TRUE(vhost.declare_exchange(exchange("d", "direct"), false).ok());
  ASSERT_TRUE(vhost.declare_exchange(exchange("t", "topic"), false).ok());
  ASSERT_TRUE(vhost.declare_exchange(exchange("f", "fanout"), false).ok());
  for (const char* name : {"q1", "q2", "q3"})
    ASSERT_TRUE(vhost.declare_queue(name, {}, false, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q1", "d", "k1", {}, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q2", "d", "k2", {}, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q2", "d", "k3", {}, 1).ok());
  ASSERT_TRUE(vhost.bind_queue("q3", "t", "a.*", {}, 1).ok());
  ASSERT_TRUE(vhost.bind_exchange("t", "d", "k3", {}).ok());
  ASSERT_TRUE(vhost.bind_queue("q1", "f", "", {}, 1).ok());
  const std::vector<std::string> keys{"k1", "k2", "k3", "nothing"};
  EXPECT_EQ(*vhost.route("d", keys, nullptr).value, (std::set<std::string>{"q1", "q2"}));
  // Through the exchange-to-exchange binding the topic exchange matches on
  // every key too.
  const std::vector<std::string> topic_keys{"k3", "a.b"};
  EXPECT_EQ(*vhost.route("d", topic_keys, nullptr).value, (std::set<std::string>{"q2", "q3"}));
  const std::vector<std::string> default_keys{"q1", "q3", "missing", "q1"};
  EXPECT_EQ(*vhost.route("", default_keys, nullptr).value, (std::set<std::string>{"q1", "q3"}));
  EXPECT_EQ(*vhost.route("f", keys, nullptr).value, (std::set<std::string>{"q1"}));
}

TEST_F(AmqpVhostTest, InternalExchangeIsReachableOnlyThroughBindings) {
  Exchange internal = exchange("inner", "fanout");
  internal.internal = true;
  ASSERT_TRUE(vhost.declare_exchange(internal, false).ok());
  ASSERT_TRUE(vhost.declare_exchange(exchange("outer", "fanout"), false).ok());
  ASSERT_TRUE(vhost.declare_queue("q", {}, false, 1).ok());
  ASSERT_TRUE(vhost.bind_exchange("inner", "outer", "", {}).ok());
  ASSERT_TRUE(vhost.bind_queue("q", "inner", "", {}, 1).ok());
  EXPECT_EQ(vhost.route("inner", "", nullptr).error->reply_code, 403);
  EXPECT_EQ(*vhost.route("outer", "", nullptr).value, (std::set<std::string>{"q"}));
}

TEST_F(AmqpVhostTest, QueueArgumentsBecomeStorageOptions) {
  FieldTable arguments;
  arguments.set("x-max-length", int32_t{2});
  arguments.set("x-overflow", std::string("reject-publish"));
  ASSERT_TRUE(vhost.declare_queue("limited", {false, false, false, arguments}, false, 1).ok());
  auto options = engine.queues().find("/", "limited")->options();
  EXPECT_EQ(options.max_length, 2u);
  EXPECT_EQ(options.overflow, storage::OverflowMode::kRejectPublish);

  FieldTable quorum_only;
  quorum_only.set("x-delivery-limit", int32_t{3});
  auto refused = vhost.declare_queue("dl", {false, false, false, quorum_only}, false, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->reply_code, 406);
  EXPECT_EQ(refused.error->text,
            "PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue 'dl' in vhost '/' of "
            "queue type rabbit_classic_queue");

  FieldTable stream;
  stream.set("x-queue-type", std::string("stream"));
  auto not_implemented = vhost.declare_queue("s", {true, false, false, stream}, false, 1);
  ASSERT_FALSE(not_implemented.ok());
  EXPECT_EQ(not_implemented.error->reply_code, 540);

  FieldTable routing_key_only;
  routing_key_only.set("x-dead-letter-routing-key", std::string("k"));
  auto invalid = vhost.declare_queue("dl", {false, false, false, routing_key_only}, false, 1);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error->reply_code, 406);

  FieldTable dead_lettering;
  dead_lettering.set("x-dead-letter-exchange", std::string("dlx"));
  dead_lettering.set("x-dead-letter-routing-key", std::string("dead"));
  ASSERT_TRUE(vhost.declare_queue("dl", {false, false, false, dead_lettering}, false, 1).ok());
  auto target = vhost.dead_letter_target("dl");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->exchange, "dlx");
  EXPECT_EQ(target->routing_key, "dead");
  EXPECT_FALSE(vhost.dead_letter_target("limited"));
}

TEST_F(AmqpVhostTest, QuorumQueuesTakeTheirArgumentsAndMustBeDurable) {
  FieldTable quorum;
  quorum.set("x-queue-type", std::string("quorum"));
  quorum.set("x-delivery-limit", int64_t{4});
  quorum.set("x-dead-letter-strategy", std::string("at-least-once"));
  quorum.set("x-queue-leader-locator", std::string("balanced"));
  auto transient = vhost.declare_queue("qq", {false, false, false, quorum}, false, 1);
  ASSERT_FALSE(transient.ok());
  EXPECT_EQ(transient.error->text,
            "PRECONDITION_FAILED - invalid property 'non-durable' for queue 'qq' in vhost '/'");
  ASSERT_TRUE(vhost.declare_queue("qq", {true, false, false, quorum}, false, 1).ok());
  auto policy = vhost.queue_policy("qq");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->type, QueueType::kQuorum);
  EXPECT_EQ(policy->delivery_limit, 4u);
  EXPECT_EQ(policy->requeue_place(), storage::RequeuePlace::kOriginal);

  FieldTable unlimited;
  unlimited.set("x-queue-type", std::string("quorum"));
  unlimited.set("x-overflow", std::string("reject-publish-dlx"));  // drop-head in quorum queues
  ASSERT_TRUE(vhost.declare_queue("qq2", {true, false, false, unlimited}, false, 1).ok());
  EXPECT_EQ(vhost.queue_policy("qq2")->requeue_place(), storage::RequeuePlace::kBack);
  EXPECT_FALSE(vhost.queue_policy("qq2")->overflow_dead_letters);
  EXPECT_EQ(engine.queues().find("/", "qq2")->options().overflow, storage::OverflowMode::kDropHead);

  FieldTable priority = unlimited;
  priority.set("x-max-priority", int32_t{5});
  auto refused = vhost.declare_queue("qq3", {true, false, false, priority}, false, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->text,
            "PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue 'qq3' in vhost '/' of "
            "queue type rabbit_quorum_queue");

  FieldTable classic;
  classic.set("x-overflow", std::string("reject-publish-dlx"));
  classic.set("x-queue-mode", std::string("lazy"));
  ASSERT_TRUE(vhost.declare_queue("cq", {false, false, false, classic}, false, 1).ok());
  EXPECT_TRUE(vhost.queue_policy("cq")->overflow_dead_letters);
  EXPECT_EQ(engine.queues().find("/", "cq")->options().overflow,
            storage::OverflowMode::kRejectPublish);
  EXPECT_FALSE(vhost.queue_policy("missing"));
}

}  // namespace
}  // namespace mockforge::amqp
