// The ACL store and authorizer without sockets: Kafka's AclAuthorizer rules (super users,
// DENY wins, no ACL means denied, implied DESCRIBE), literal, prefixed and wildcard patterns,
// and the filters of DescribeAcls/DeleteAcls.
#include "brokers/kafka/broker/acl_store.h"

#include <gtest/gtest.h>

namespace mockforge::kafka {
namespace {

AclBinding binding(std::string principal, int8_t operation, std::string name,
                   int8_t pattern = acl::kLiteral, int8_t permission = acl::kAllow,
                   int8_t type = acl::kTopic, std::string host = "*") {
  AclBinding b;
  b.resource_type = type;
  b.resource_name = std::move(name);
  b.pattern_type = pattern;
  b.principal = std::move(principal);
  b.host = std::move(host);
  b.operation = operation;
  b.permission = permission;
  return b;
}

TEST(AclStoreTest, DisabledAllowsEverything) {
  AclStore store(false, {});
  EXPECT_TRUE(store.authorize("User:x", "1.2.3.4", acl::kWrite, acl::kTopic, "t"));
}

TEST(AclStoreTest, NoAclMeansDeniedAndSuperUsersMayDoAnything) {
  AclStore store(true, {"User:admin"});
  EXPECT_FALSE(store.authorize("User:alice", "h", acl::kRead, acl::kTopic, "t"));
  EXPECT_TRUE(store.authorize("User:admin", "h", acl::kRead, acl::kTopic, "t"));
}

TEST(AclStoreTest, LiteralPrefixedAndWildcardPatterns) {
  AclStore store(true, {});
  store.add(binding("User:alice", acl::kWrite, "orders"));
  store.add(binding("User:alice", acl::kRead, "shared-", acl::kPrefixed));
  store.add(binding("User:*", acl::kDescribe, "*"));
  EXPECT_TRUE(store.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "orders"));
  EXPECT_FALSE(store.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "orders2"));
  EXPECT_TRUE(store.authorize("User:alice", "h", acl::kRead, acl::kTopic, "shared-x"));
  EXPECT_FALSE(store.authorize("User:alice", "h", acl::kRead, acl::kTopic, "share"));
  EXPECT_TRUE(store.authorize("User:bob", "h", acl::kDescribe, acl::kTopic, "anything"));
  EXPECT_FALSE(store.authorize("User:bob", "h", acl::kDescribe, acl::kGroup, "anything"));
}

TEST(AclStoreTest, DenyWinsAndImpliedDescribe) {
  AclStore store(true, {});
  store.add(binding("User:*", acl::kAll, "t"));
  store.add(binding("User:bob", acl::kWrite, "t", acl::kLiteral, acl::kDeny));
  EXPECT_TRUE(store.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "t"));
  EXPECT_FALSE(store.authorize("User:bob", "h", acl::kWrite, acl::kTopic, "t"));
  EXPECT_TRUE(store.authorize("User:bob", "h", acl::kRead, acl::kTopic, "t"));

  AclStore implied(true, {});
  implied.add(binding("User:alice", acl::kRead, "r"));
  implied.add(binding("User:alice", acl::kAlterConfigs, "c"));
  EXPECT_TRUE(implied.authorize("User:alice", "h", acl::kDescribe, acl::kTopic, "r"));
  EXPECT_FALSE(implied.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "r"));
  EXPECT_TRUE(implied.authorize("User:alice", "h", acl::kDescribeConfigs, acl::kTopic, "c"));
}

TEST(AclStoreTest, HostMustMatch) {
  AclStore store(true, {});
  store.add(
      binding("User:alice", acl::kRead, "t", acl::kLiteral, acl::kAllow, acl::kTopic, "10.0.0.1"));
  EXPECT_TRUE(store.authorize("User:alice", "10.0.0.1", acl::kRead, acl::kTopic, "t"));
  EXPECT_FALSE(store.authorize("User:alice", "127.0.0.1", acl::kRead, acl::kTopic, "t"));
}

TEST(AclStoreTest, FiltersFindAndRemove) {
  AclStore store(true, {});
  store.add(binding("User:alice", acl::kWrite, "orders"));
  store.add(binding("User:alice", acl::kWrite, "orders"));  // stored once
  store.add(binding("User:alice", acl::kRead, "ord", acl::kPrefixed));
  store.add(binding("User:bob", acl::kRead, "g", acl::kLiteral, acl::kAllow, acl::kGroup));
  AclFilter all;
  all.pattern_type = acl::kPatternAny;
  EXPECT_EQ(store.find(all).size(), 3u);
  AclFilter match;
  match.resource_type = acl::kTopic;
  match.resource_name = "orders";
  match.pattern_type = acl::kPatternMatch;
  EXPECT_EQ(store.find(match).size(), 2u);
  AclFilter literal;
  literal.resource_name = "orders";
  EXPECT_EQ(store.find(literal).size(), 1u);
  AclFilter bob = all;
  bob.principal = "User:bob";
  EXPECT_EQ(store.remove(bob).size(), 1u);
  EXPECT_EQ(store.find(all).size(), 2u);
  store.clear();
  EXPECT_TRUE(store.find(all).empty());
}

TEST(AclStoreTest, InvalidBindingsAndFilters) {
  EXPECT_FALSE(AclStore::invalid_binding(binding("User:a", acl::kRead, "t")));
  EXPECT_TRUE(AclStore::invalid_binding(binding("alice", acl::kRead, "t")));
  EXPECT_TRUE(AclStore::invalid_binding(binding("User:a", acl::kOperationAny, "t")));
  EXPECT_TRUE(AclStore::invalid_binding(binding("User:a", acl::kRead, "t", acl::kPatternMatch)));
  EXPECT_TRUE(AclStore::invalid_binding(
      binding("User:a", acl::kAlter, "c", acl::kLiteral, acl::kAllow, acl::kCluster)));
  EXPECT_FALSE(AclStore::invalid_binding(
      binding("User:a", acl::kAlter, "kafka-cluster", acl::kLiteral, acl::kAllow, acl::kCluster)));
  AclFilter filter;
  EXPECT_FALSE(AclStore::invalid_filter(filter));
  filter.operation = acl::kOperationUnknown;
  EXPECT_TRUE(AclStore::invalid_filter(filter));
}

// Kafka's authorizeByResourceType (InitProducerId without a transactional id): an ALLOW on
// some resource of the type that no DENY covers.
TEST(AclStoreTest, AuthorizeByResourceType) {
  AclStore store(true, {"User:admin"});
  EXPECT_TRUE(store.authorize_by_resource_type("User:admin", "h", acl::kWrite, acl::kTopic));
  EXPECT_FALSE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  // DESCRIBE is not WRITE, and no operation is implied here.
  store.add(binding("User:alice", acl::kDescribe, "t"));
  EXPECT_FALSE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  store.add(binding("User:alice", acl::kWrite, "orders"));
  EXPECT_TRUE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  EXPECT_FALSE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kGroup));
  // A DENY of the literal, or of a prefix of it, covers it.
  store.add(binding("User:alice", acl::kWrite, "ord", acl::kPrefixed, acl::kDeny));
  EXPECT_FALSE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  store.add(binding("User:*", acl::kAll, "events-", acl::kPrefixed));
  EXPECT_TRUE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  // A DENY of the wildcard denies every topic.
  store.add(binding("User:alice", acl::kWrite, "*", acl::kLiteral, acl::kDeny));
  EXPECT_FALSE(store.authorize_by_resource_type("User:alice", "h", acl::kWrite, acl::kTopic));
  EXPECT_TRUE(store.authorize_by_resource_type("User:bob", "h", acl::kWrite, acl::kTopic));
  AclStore off(false, {});
  EXPECT_TRUE(off.authorize_by_resource_type("User:x", "h", acl::kWrite, acl::kTopic));
}

// kafka.acls and fixture ACLs are initial: a reset returns to them.
TEST(AclStoreTest, ResetReturnsToTheInitialAcls) {
  AclStore store(true, {}, {binding("User:alice", acl::kWrite, "orders")});
  store.add_initial(binding("User:bob", acl::kRead, "g", acl::kLiteral, acl::kAllow, acl::kGroup));
  EXPECT_TRUE(store.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "orders"));
  AclFilter all;
  all.pattern_type = acl::kPatternAny;
  store.remove(all);
  store.add(binding("User:carol", acl::kRead, "t"));
  EXPECT_FALSE(store.authorize("User:alice", "h", acl::kWrite, acl::kTopic, "orders"));
  store.reset();
  auto found = store.find(all);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].principal, "User:alice");
  EXPECT_EQ(found[1].principal, "User:bob");
}

TEST(AclStoreTest, BindingsFromConfigEntries) {
  auto parsed = config::parse_kafka_acl("User:alice allow Write TOPIC app- PREFIXED 10.0.0.1");
  ASSERT_TRUE(std::holds_alternative<config::KafkaAcl>(parsed));
  EXPECT_EQ(binding_of(std::get<config::KafkaAcl>(parsed)),
            binding("User:alice", acl::kWrite, "app-", acl::kPrefixed, acl::kAllow, acl::kTopic,
                    "10.0.0.1"));
  parsed = config::parse_kafka_acl("User:a DENY IDEMPOTENT_WRITE CLUSTER kafka-cluster");
  ASSERT_TRUE(std::holds_alternative<config::KafkaAcl>(parsed));
  EXPECT_EQ(binding_of(std::get<config::KafkaAcl>(parsed)),
            binding("User:a", acl::kIdempotentWrite, "kafka-cluster", acl::kLiteral, acl::kDeny,
                    acl::kCluster));
  for (const char* bad : {"User:a ALLOW WRITE TOPIC", "a ALLOW WRITE TOPIC t",
                          "User:a ALLOW SCRIBBLE TOPIC t", "User:a ALLOW ALTER CLUSTER c",
                          "User:a ALLOW READ TOPIC t MATCH", "User:a ALLOW READ TOPIC t L h x"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(config::parse_kafka_acl(bad))) << bad;
  }
}

}  // namespace
}  // namespace mockforge::kafka
