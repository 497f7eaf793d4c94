// DeleteAcls (31): removes the ACL bindings each filter matches and returns them. Needs ALTER on
// the cluster (else CLUSTER_AUTHORIZATION_FAILED per filter); SECURITY_DISABLED when
// kafka.authorizer is none; INVALID_REQUEST for a filter with UNKNOWN values.
#include "mockforge/kafka/delete_acls.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  DeleteAclsRequest parsed;
  parsed.decode(body, request->version());
  AclStore& acls = request->broker.acls();
  const bool allowed = authorized_on_cluster(*request, acl::kAlter);
  DeleteAclsResponse response;
  for (const auto& wire : parsed.filters) {
    auto& result = response.filter_results.emplace_back();
    AclFilter filter;
    filter.resource_type = wire.resource_type_filter;
    filter.resource_name = wire.resource_name_filter;
    filter.pattern_type = wire.pattern_type_filter;
    filter.principal = wire.principal_filter;
    filter.host = wire.host_filter;
    filter.operation = wire.operation;
    filter.permission = wire.permission_type;
    if (!acls.enabled()) {
      result.error_code = error::kSecurityDisabled;
      result.error_message = "No Authorizer is configured on the broker";
    } else if (!allowed) {
      result.error_code = error::kClusterAuthorizationFailed;
      result.error_message = "Cluster authorization failed.";
    } else if (auto invalid = AclStore::invalid_filter(filter)) {
      result.error_code = error::kInvalidRequest;
      result.error_message = *invalid;
    } else {
      for (const AclBinding& binding : acls.remove(filter)) {
        auto& matching = result.matching_acls.emplace_back();
        matching.resource_type = binding.resource_type;
        matching.resource_name = binding.resource_name;
        matching.pattern_type = binding.pattern_type;
        matching.principal = binding.principal;
        matching.host = binding.host;
        matching.operation = binding.operation;
        matching.permission_type = binding.permission;
      }
    }
    request->count_error(result.error_code);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDeleteAclsHandler{31, 0, 3, &handle};

}  // namespace mockforge::kafka
