// The ACL on its own: Mosquitto acl_file syntax, %u/%c patterns, deny
// rules, and the topic filter relations the subscribe check rests on.

#include "brokers/mqtt/broker/access.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mockforge::mqtt {
namespace {

Identity user(std::string_view client_id, std::string_view name) { return {client_id, name}; }
Identity anonymous(std::string_view client_id) { return {client_id, std::nullopt}; }

TEST(MqttFilterRelations, Covers) {
  EXPECT_TRUE(filter_covers("#", "a/b"));
  EXPECT_TRUE(filter_covers("a/#", "a"));
  EXPECT_TRUE(filter_covers("a/#", "a/+/c"));
  EXPECT_TRUE(filter_covers("a/+", "a/b"));
  EXPECT_TRUE(filter_covers("a/+", "a/+"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
  EXPECT_FALSE(filter_covers("a/b", "a/+"));
  EXPECT_FALSE(filter_covers("a", "a/b"));
  EXPECT_FALSE(filter_covers("a/b", "a"));
  EXPECT_FALSE(filter_covers("#", "$SYS/x"));
  EXPECT_TRUE(filter_covers("$SYS/#", "$SYS/broker/uptime"));
}

TEST(MqttFilterRelations, Overlap) {
  EXPECT_TRUE(filters_overlap("#", "a/b"));
  EXPECT_TRUE(filters_overlap("a/+/c", "a/b/+"));
  EXPECT_TRUE(filters_overlap("a/#", "a"));
  EXPECT_TRUE(filters_overlap("+/b", "a/#"));
  EXPECT_FALSE(filters_overlap("a/+", "b/#"));
  EXPECT_FALSE(filters_overlap("a/+", "a/b/c"));
  EXPECT_FALSE(filters_overlap("#", "$SYS/broker/uptime"));
  EXPECT_FALSE(filters_overlap("+/broker", "$SYS/broker"));
  EXPECT_TRUE(filters_overlap("$SYS/#", "$SYS/broker/+"));
}

TEST(MqttAccessControl, EmptyAllowsEverything) {
  AccessControl acl = AccessControl::parse("# only a comment\n\n", "test");
  EXPECT_TRUE(acl.empty());
  EXPECT_TRUE(acl.may_publish(anonymous("c"), "a"));
  EXPECT_TRUE(acl.may_subscribe(anonymous("c"), "#"));
}

TEST(MqttAccessControl, UserSectionsAnonymousRulesAndAccessKinds) {
  const auto acl = AccessControl::parse(
      "topic read public/#\n"
      "user alice\n"
      "topic readwrite sensors/#\n"
      "topic deny sensors/secret\n"
      "topic write commands/+\n"
      "user bob\n"
      "topic alerts\n",
      "test");
  EXPECT_FALSE(acl.empty());
  // Rules before any `user` line are for clients without a user name.
  EXPECT_TRUE(acl.may_receive(anonymous("c"), "public/x"));
  EXPECT_FALSE(acl.may_publish(anonymous("c"), "public/x"));
  EXPECT_FALSE(acl.may_receive(user("c", "alice"), "public/x"));

  const auto alice = user("c1", "alice");
  EXPECT_TRUE(acl.may_publish(alice, "sensors/t"));
  EXPECT_TRUE(acl.may_receive(alice, "sensors/t"));
  EXPECT_FALSE(acl.may_publish(alice, "sensors/secret"));
  EXPECT_FALSE(acl.may_receive(alice, "sensors/secret"));
  EXPECT_TRUE(acl.may_publish(alice, "commands/go"));
  EXPECT_FALSE(acl.may_receive(alice, "commands/go"));
  EXPECT_FALSE(acl.may_publish(alice, "other"));

  EXPECT_TRUE(acl.may_subscribe(alice, "sensors/#"));
  EXPECT_TRUE(acl.may_subscribe(alice, "#"));  // overlaps sensors/#; deliveries are filtered
  EXPECT_FALSE(acl.may_subscribe(alice, "sensors/secret"));
  EXPECT_FALSE(acl.may_subscribe(alice, "commands/+"));  // write only
  EXPECT_FALSE(acl.may_subscribe(alice, "other/#"));

  // No access kind means readwrite.
  EXPECT_TRUE(acl.may_publish(user("c", "bob"), "alerts"));
  EXPECT_TRUE(acl.may_subscribe(user("c", "bob"), "alerts"));
  // A user without a section gets nothing.
  EXPECT_FALSE(acl.may_publish(user("c", "carol"), "alerts"));
}

TEST(MqttAccessControl, PatternsSubstituteWholeLevels) {
  const auto acl = AccessControl::parse(
      "pattern readwrite clients/%c/#\n"
      "pattern read users/%u/inbox\n",
      "test");
  EXPECT_TRUE(acl.may_publish(anonymous("dev1"), "clients/dev1/state"));
  EXPECT_FALSE(acl.may_publish(anonymous("dev1"), "clients/dev2/state"));
  EXPECT_TRUE(acl.may_subscribe(user("x", "alice"), "users/alice/inbox"));
  EXPECT_FALSE(acl.may_subscribe(user("x", "alice"), "users/bob/inbox"));
  // %u never applies to a client without a user name.
  EXPECT_FALSE(acl.may_receive(anonymous("x"), "users//inbox"));
  // Ids that would widen a pattern do not get it.
  EXPECT_FALSE(acl.may_publish(anonymous("#"), "clients/anything"));
  EXPECT_FALSE(acl.may_publish(anonymous("a/b"), "clients/a/b"));
}

TEST(MqttAccessControl, ClientSections) {
  const auto acl = AccessControl::parse("client sensor-7\ntopic write telemetry/7\n", "test");
  EXPECT_TRUE(acl.may_publish(user("sensor-7", "any"), "telemetry/7"));
  EXPECT_TRUE(acl.may_publish(anonymous("sensor-7"), "telemetry/7"));
  EXPECT_FALSE(acl.may_publish(anonymous("sensor-8"), "telemetry/7"));
}

TEST(MqttAccessControl, ParseErrorsNameTheLine) {
  try {
    AccessControl::parse("user a\ntopic maybe x\n", "acl.conf");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "acl.conf:2: unknown access 'maybe' (expected read, write, readwrite or deny)");
  }
  EXPECT_THROW(AccessControl::parse("topic read a/#/b\n", "t"), std::invalid_argument);
  EXPECT_THROW(AccessControl::parse("user\n", "t"), std::invalid_argument);
  EXPECT_THROW(AccessControl::parse("allow everything\n", "t"), std::invalid_argument);
}

}  // namespace
}  // namespace mockforge::mqtt
