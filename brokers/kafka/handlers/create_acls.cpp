// CreateAcls (30): adds ACL bindings to the broker's AclStore. Needs ALTER on the cluster
// (else CLUSTER_AUTHORIZATION_FAILED per creation); SECURITY_DISABLED when kafka.authorizer is
// none; INVALID_REQUEST with Kafka's message for a binding that cannot be stored.
#include "mockforge/kafka/create_acls.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  CreateAclsRequest parsed;
  parsed.decode(body, request->version());
  AclStore& acls = request->broker.acls();
  const bool allowed = authorized_on_cluster(*request, acl::kAlter);
  CreateAclsResponse response;
  for (const auto& creation : parsed.creations) {
    auto& result = response.results.emplace_back();
    if (!acls.enabled()) {
      result.error_code = error::kSecurityDisabled;
      result.error_message = "No Authorizer is configured on the broker";
    } else if (!allowed) {
      result.error_code = error::kClusterAuthorizationFailed;
      result.error_message = "Cluster authorization failed.";
    } else {
      AclBinding binding;
      binding.resource_type = creation.resource_type;
      binding.resource_name = creation.resource_name;
      binding.pattern_type = creation.resource_pattern_type;
      binding.principal = creation.principal;
      binding.host = creation.host;
      binding.operation = creation.operation;
      binding.permission = creation.permission_type;
      if (auto invalid = AclStore::invalid_binding(binding)) {
        result.error_code = error::kInvalidRequest;
        result.error_message = *invalid;
      } else {
        acls.add(binding);
      }
    }
    request->count_error(result.error_code);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kCreateAclsHandler{30, 0, 3, &handle};

}  // namespace mockforge::kafka
