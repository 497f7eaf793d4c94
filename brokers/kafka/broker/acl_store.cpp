#include "brokers/kafka/broker/acl_store.h"

#include <algorithm>

namespace mockforge::kafka {
namespace {

bool concrete_resource_type(int8_t type) { return type >= acl::kTopic && type <= acl::kUser; }

bool concrete_operation(int8_t operation) {
  return operation >= acl::kAll && operation <= acl::kDescribeTokens;
}

// The resource pattern of `binding` applies to the resource `name` (pattern type MATCH).
bool pattern_applies(const AclBinding& binding, std::string_view name) {
  if (binding.pattern_type == acl::kLiteral) {
    return binding.resource_name == name || binding.resource_name == acl::kWildcard;
  }
  if (binding.pattern_type == acl::kPrefixed) return name.starts_with(binding.resource_name);
  return false;
}

}  // namespace

AclStore::AclStore(bool enabled, std::vector<std::string> super_users,
                   std::vector<AclBinding> initial)
    : enabled_(enabled), super_users_(std::move(super_users)) {
  for (const AclBinding& binding : initial) add_initial(binding);
}

std::optional<std::string> AclStore::invalid_binding(const AclBinding& binding) {
  if (!concrete_resource_type(binding.resource_type)) return "Invalid resource type";
  if (binding.pattern_type != acl::kLiteral && binding.pattern_type != acl::kPrefixed) {
    return "Invalid pattern type: only LITERAL and PREFIXED ACLs can be created";
  }
  if (binding.resource_name.empty()) return "Invalid empty resource name specified";
  if (binding.resource_type == acl::kCluster && binding.resource_name != acl::kClusterName) {
    return "The only valid name for the CLUSTER resource is kafka-cluster";
  }
  const auto colon = binding.principal.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == binding.principal.size()) {
    return "Could not parse principal from `" + binding.principal + "`";
  }
  if (binding.host.empty()) return "Invalid empty host specified";
  if (!concrete_operation(binding.operation)) return "Invalid operation";
  if (binding.permission != acl::kAllow && binding.permission != acl::kDeny) {
    return "Invalid permission type";
  }
  return std::nullopt;
}

std::optional<std::string> AclStore::invalid_filter(const AclFilter& filter) {
  if (filter.resource_type == acl::kResourceUnknown || filter.resource_type > acl::kUser ||
      filter.resource_type < 0) {
    return "Invalid resource type filter";
  }
  if (filter.pattern_type == acl::kPatternUnknown || filter.pattern_type > acl::kPrefixed ||
      filter.pattern_type < 0) {
    return "Invalid pattern type filter";
  }
  if (filter.operation == acl::kOperationUnknown || filter.operation > acl::kDescribeTokens ||
      filter.operation < 0) {
    return "Invalid operation filter";
  }
  if (filter.permission == acl::kPermissionUnknown || filter.permission > acl::kAllow ||
      filter.permission < 0) {
    return "Invalid permission type filter";
  }
  return std::nullopt;
}

bool AclStore::matches(const AclFilter& filter, const AclBinding& binding) {
  if (filter.resource_type != acl::kResourceAny && filter.resource_type != binding.resource_type) {
    return false;
  }
  switch (filter.pattern_type) {
    case acl::kPatternAny:
      if (filter.resource_name && *filter.resource_name != binding.resource_name) return false;
      break;
    case acl::kPatternMatch:
      if (filter.resource_name && !pattern_applies(binding, *filter.resource_name)) return false;
      break;
    default:
      if (filter.pattern_type != binding.pattern_type) return false;
      if (filter.resource_name && *filter.resource_name != binding.resource_name) return false;
      break;
  }
  if (filter.principal && *filter.principal != binding.principal) return false;
  if (filter.host && *filter.host != binding.host) return false;
  if (filter.operation != acl::kOperationAny && filter.operation != binding.operation) return false;
  if (filter.permission != acl::kPermissionAny && filter.permission != binding.permission) {
    return false;
  }
  return true;
}

void AclStore::add(const AclBinding& binding) {
  std::lock_guard lock(mutex_);
  if (std::find(bindings_.begin(), bindings_.end(), binding) == bindings_.end()) {
    bindings_.push_back(binding);
  }
}

std::vector<AclBinding> AclStore::find(const AclFilter& filter) const {
  std::lock_guard lock(mutex_);
  std::vector<AclBinding> found;
  for (const AclBinding& binding : bindings_) {
    if (matches(filter, binding)) found.push_back(binding);
  }
  return found;
}

std::vector<AclBinding> AclStore::remove(const AclFilter& filter) {
  std::lock_guard lock(mutex_);
  std::vector<AclBinding> removed;
  std::erase_if(bindings_, [&](const AclBinding& binding) {
    if (!matches(filter, binding)) return false;
    removed.push_back(binding);
    return true;
  });
  return removed;
}

void AclStore::clear() {
  std::lock_guard lock(mutex_);
  bindings_.clear();
}

void AclStore::add_initial(const AclBinding& binding) {
  std::lock_guard lock(mutex_);
  if (std::find(initial_.begin(), initial_.end(), binding) == initial_.end()) {
    initial_.push_back(binding);
  }
  if (std::find(bindings_.begin(), bindings_.end(), binding) == bindings_.end()) {
    bindings_.push_back(binding);
  }
}

void AclStore::reset() {
  std::lock_guard lock(mutex_);
  bindings_ = initial_;
}

bool AclStore::authorize(std::string_view principal, std::string_view host,
                         acl::Operation operation, acl::ResourceType resource_type,
                         std::string_view resource_name) const {
  if (!enabled_) return true;
  if (std::find(super_users_.begin(), super_users_.end(), principal) != super_users_.end()) {
    return true;
  }
  const auto applies = [&](const AclBinding& binding) {
    return binding.resource_type == resource_type && pattern_applies(binding, resource_name) &&
           (binding.principal == principal || binding.principal == "User:*") &&
           (binding.host == host || binding.host == acl::kWildcard);
  };
  // The operations an ALLOW of which allows `operation` (Kafka's implied operations).
  std::vector<int8_t> allowing = {acl::kAll, operation};
  if (operation == acl::kDescribe) {
    allowing.insert(allowing.end(), {acl::kRead, acl::kWrite, acl::kDelete, acl::kAlter});
  }
  if (operation == acl::kDescribeConfigs) allowing.push_back(acl::kAlterConfigs);

  std::lock_guard lock(mutex_);
  bool allowed = false;
  for (const AclBinding& binding : bindings_) {
    if (!applies(binding)) continue;
    if (binding.permission == acl::kDeny &&
        (binding.operation == acl::kAll || binding.operation == operation)) {
      return false;  // DENY wins
    }
    if (binding.permission == acl::kAllow &&
        std::find(allowing.begin(), allowing.end(), binding.operation) != allowing.end()) {
      allowed = true;
    }
  }
  return allowed;
}

bool AclStore::authorize_by_resource_type(std::string_view principal, std::string_view host,
                                          acl::Operation operation,
                                          acl::ResourceType resource_type) const {
  if (!enabled_) return true;
  if (std::find(super_users_.begin(), super_users_.end(), principal) != super_users_.end()) {
    return true;
  }
  std::vector<const AclBinding*> allowed;
  std::vector<const AclBinding*> denied;
  std::lock_guard lock(mutex_);
  for (const AclBinding& binding : bindings_) {
    if (binding.resource_type != resource_type) continue;
    if (binding.principal != principal && binding.principal != "User:*") continue;
    if (binding.host != host && binding.host != acl::kWildcard) continue;
    if (binding.operation != operation && binding.operation != acl::kAll) continue;
    (binding.permission == acl::kDeny ? denied : allowed).push_back(&binding);
  }
  // A DENY of the literal wildcard denies every resource of the type.
  for (const AclBinding* deny : denied) {
    if (deny->pattern_type == acl::kLiteral && deny->resource_name == acl::kWildcard) return false;
  }
  const auto covered = [&](const AclBinding& allow) {
    for (const AclBinding* deny : denied) {
      if (deny->pattern_type == acl::kPrefixed &&
          std::string_view(allow.resource_name).starts_with(deny->resource_name)) {
        return true;
      }
      if (allow.pattern_type == acl::kLiteral && deny->pattern_type == acl::kLiteral &&
          deny->resource_name == allow.resource_name) {
        return true;
      }
    }
    return false;
  };
  for (const AclBinding* allow : allowed) {
    if (!covered(*allow)) return true;
  }
  return false;
}

}  // namespace mockforge::kafka
