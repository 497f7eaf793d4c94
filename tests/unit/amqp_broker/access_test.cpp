// AccessControl: users, vhosts and permission patterns from config.
#include "brokers/amqp/protocol/access.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mockforge::amqp {
namespace {

TEST(AmqpAccess, DefaultIsGuestOnSlash) {
  AccessControl access;
  EXPECT_TRUE(access.check_password("guest", "guest"));
  EXPECT_FALSE(access.check_password("guest", "other"));
  EXPECT_NE(access.permissions("guest", "/"), nullptr);
  EXPECT_EQ(access.permissions("guest", "v2"), nullptr);
  EXPECT_EQ(access.permissions("nobody", "/"), nullptr);
}

TEST(AmqpAccess, PermissionsAreUnanchoredRegexesPerUserAndVhost) {
  auto access =
      AccessControl::from_config({"a:x:y", "b:pw"}, {"/", "v2"}, {"a v2 ^cfg\\. pub ^$", "b /"});
  EXPECT_TRUE(access.check_password("a", "x:y"));  // the password follows the first colon
  EXPECT_EQ(access.permissions("a", "/"), nullptr);
  EXPECT_EQ(access.permissions("b", "v2"), nullptr);
  const VhostPermissions* granted = access.permissions("a", "v2");
  ASSERT_NE(granted, nullptr);
  EXPECT_TRUE(granted->of(Permission::kConfigure).matches("cfg.q"));
  EXPECT_FALSE(granted->of(Permission::kConfigure).matches("x.cfg.q"));
  EXPECT_TRUE(granted->of(Permission::kWrite).matches("to.pub.x"));  // unanchored
  EXPECT_FALSE(granted->of(Permission::kRead).matches("anything"));
  EXPECT_TRUE(access.permissions("b", "/")->of(Permission::kRead).matches("anything"));
}

TEST(AmqpAccess, NoPermissionEntriesGiveEveryoneEverything) {
  auto access = AccessControl::from_config({"a:1", "b:2"}, {"/", "v2"}, {});
  EXPECT_NE(access.permissions("a", "v2"), nullptr);
  EXPECT_NE(access.permissions("b", "/"), nullptr);
  EXPECT_EQ(access.permissions("a", "v3"), nullptr);
}

TEST(AmqpAccess, BadEntriesAreRefusedNamingThem) {
  EXPECT_THROW(AccessControl::from_config({"nocolon"}, {"/"}, {}), std::invalid_argument);
  EXPECT_THROW(AccessControl::from_config({"a:1"}, {""}, {}), std::invalid_argument);
  EXPECT_THROW(AccessControl::from_config({"a:1"}, {"/"}, {"b /"}), std::invalid_argument);
  EXPECT_THROW(AccessControl::from_config({"a:1"}, {"/"}, {"a v2"}), std::invalid_argument);
  EXPECT_THROW(AccessControl::from_config({"a:1"}, {"/"}, {"a / .* .*"}), std::invalid_argument);
  try {
    AccessControl::from_config({"a:1"}, {"/"}, {"a / ( .* .*"});
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("a / ( .* .*"), std::string::npos);
  }
}

TEST(AmqpAccess, LoopbackUsersLogInOnlyFromLoopback) {
  EXPECT_TRUE(is_loopback_peer("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback_peer("127.8.9.10:1"));
  EXPECT_TRUE(is_loopback_peer("[::1]:5000"));
  EXPECT_TRUE(is_loopback_peer("[::ffff:127.0.0.1]:5000"));
  EXPECT_FALSE(is_loopback_peer("192.0.2.2:5000"));
  EXPECT_FALSE(is_loopback_peer("[fd00::2]:5000"));
  EXPECT_FALSE(is_loopback_peer("[::ffff:10.0.0.1]:5000"));
  EXPECT_FALSE(is_loopback_peer("unknown"));

  AccessControl access;  // RabbitMQ's default: loopback_users = [guest]
  EXPECT_TRUE(access.may_log_in_from("guest", "127.0.0.1:4000"));
  EXPECT_FALSE(access.may_log_in_from("guest", "192.0.2.2:4000"));
  EXPECT_TRUE(access.may_log_in_from("other", "192.0.2.2:4000"));
  access.set_loopback_users({});
  EXPECT_TRUE(access.may_log_in_from("guest", "192.0.2.2:4000"));
  access.set_loopback_users({"other"});
  EXPECT_FALSE(access.may_log_in_from("other", "[fd00::2]:4000"));
}

TEST(AmqpAccess, UserTagsFromConfigAreListed) {
  auto access = AccessControl::from_config({"admin:pw", "app:pw"}, {"/"}, {},
                                           {"admin administrator management", "app impersonator"});
  EXPECT_TRUE(access.has_tag("admin", "administrator"));
  EXPECT_TRUE(access.has_tag("app", "impersonator"));
  EXPECT_FALSE(access.has_tag("app", "administrator"));
  EXPECT_TRUE(access.user_exists("app"));
  EXPECT_FALSE(access.user_exists("nobody"));
  for (const auto& user : access.users()) {
    if (user.name == "admin") {
      EXPECT_EQ(user.tags, (std::vector<std::string>{"administrator", "management"}));
    }
  }
  EXPECT_THROW(AccessControl::from_config({"a:1"}, {"/"}, {}, {"b monitoring"}),
               std::invalid_argument);
}

}  // namespace
}  // namespace mockforge::amqp
