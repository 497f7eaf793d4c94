#pragma once

// Kafka ACLs: the bindings CreateAcls adds, the filters DescribeAcls and DeleteAcls match, and
// the authorizer every enforcing handler asks, with the rules of Kafka's AclAuthorizer:
// super users may do anything; otherwise a DENY that matches wins, then an ALLOW must match
// (no ACL on a resource means denied: allow.everyone.if.no.acl.found=false). ALLOW of READ,
// WRITE, DELETE or ALTER implies DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS.
// Thread-safe. No Asio.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/kafka_acl.h"

namespace mockforge::kafka {

// The wire values of Kafka's enums (org.apache.kafka.common.acl / resource).
namespace acl {
enum ResourceType : int8_t {
  kResourceUnknown = 0,
  kResourceAny = 1,
  kTopic = 2,
  kGroup = 3,
  kCluster = 4,
  kTransactionalId = 5,
  kDelegationToken = 6,
  kUser = 7,
};
enum PatternType : int8_t {
  kPatternUnknown = 0,
  kPatternAny = 1,
  kPatternMatch = 2,
  kLiteral = 3,
  kPrefixed = 4,
};
enum Operation : int8_t {
  kOperationUnknown = 0,
  kOperationAny = 1,
  kAll = 2,
  kRead = 3,
  kWrite = 4,
  kCreate = 5,
  kDelete = 6,
  kAlter = 7,
  kDescribe = 8,
  kClusterAction = 9,
  kDescribeConfigs = 10,
  kAlterConfigs = 11,
  kIdempotentWrite = 12,
  kCreateTokens = 13,
  kDescribeTokens = 14,
};
enum Permission : int8_t {
  kPermissionUnknown = 0,
  kPermissionAny = 1,
  kDeny = 2,
  kAllow = 3,
};
inline constexpr std::string_view kClusterName = "kafka-cluster";
inline constexpr std::string_view kWildcard = "*";
}  // namespace acl

struct AclBinding {
  int8_t resource_type = acl::kTopic;
  std::string resource_name;
  int8_t pattern_type = acl::kLiteral;
  std::string principal;  // "User:alice", "User:*"
  std::string host = "*";
  int8_t operation = acl::kRead;
  int8_t permission = acl::kAllow;
  bool operator==(const AclBinding&) const = default;
};

// An ACL of kafka.acls or a fixture file (checked there) as the store keeps it.
inline AclBinding binding_of(const config::KafkaAcl& acl) {
  return {acl.resource_type, acl.resource_name, acl.pattern_type, acl.principal,
          acl.host,          acl.operation,     acl.permission};
}

// DescribeAcls / DeleteAcls filters: null name, principal or host match any; ANY types match
// any; pattern MATCH matches the bindings that apply to the named resource.
struct AclFilter {
  int8_t resource_type = acl::kResourceAny;
  std::optional<std::string> resource_name;
  int8_t pattern_type = acl::kLiteral;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  int8_t operation = acl::kOperationAny;
  int8_t permission = acl::kPermissionAny;
};

class AclStore {
 public:
  // `initial`: the ACLs of kafka.acls, which a reset returns to.
  AclStore(bool enabled, std::vector<std::string> super_users,
           std::vector<AclBinding> initial = {});

  // kafka.authorizer: acl. When false the ACL APIs answer SECURITY_DISABLED and everything is
  // allowed.
  bool enabled() const { return enabled_; }

  // Why a binding cannot be stored (Kafka's INVALID_REQUEST messages); nullopt when it can.
  static std::optional<std::string> invalid_binding(const AclBinding& binding);
  // Why a filter is malformed (UNKNOWN values); nullopt when fine.
  static std::optional<std::string> invalid_filter(const AclFilter& filter);
  static bool matches(const AclFilter& filter, const AclBinding& binding);

  // Adds a valid binding (a duplicate is stored once).
  void add(const AclBinding& binding);
  std::vector<AclBinding> find(const AclFilter& filter) const;
  // Removes and returns the bindings the filter matches.
  std::vector<AclBinding> remove(const AclFilter& filter);
  // Drops every binding.
  void clear();
  // Adds a valid binding that a reset keeps (kafka.acls, fixture files).
  void add_initial(const AclBinding& binding);
  // Back to the initial bindings (kafka.acls and fixture files): CreateAcls' are dropped,
  // DeleteAcls' deletions undone.
  void reset();

  // May `principal` ("User:alice") from `host` do `operation` on the resource?
  // Always true when the authorizer is off.
  bool authorize(std::string_view principal, std::string_view host, acl::Operation operation,
                 acl::ResourceType resource_type, std::string_view resource_name) const;

  // May `principal` do `operation` on at least one resource of the type (Kafka's
  // authorizeByResourceType, KIP-679: an ALLOW, literal or prefixed, that no DENY covers; a
  // DENY of the literal wildcard refuses all)? Only `operation` and ALL count, no implied
  // operations. Always true when the authorizer is off.
  bool authorize_by_resource_type(std::string_view principal, std::string_view host,
                                  acl::Operation operation, acl::ResourceType resource_type) const;

 private:
  const bool enabled_;
  const std::vector<std::string> super_users_;
  mutable std::mutex mutex_;
  std::vector<AclBinding> initial_;
  std::vector<AclBinding> bindings_;
};

}  // namespace mockforge::kafka
