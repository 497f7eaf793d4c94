// DescribeAcls (29): the ACL bindings a filter matches, grouped by resource pattern. Needs
// DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED); SECURITY_DISABLED when
// kafka.authorizer is none; INVALID_REQUEST for a filter with UNKNOWN values.
#include "mockforge/kafka/describe_acls.h"

#include <map>
#include <tuple>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  DescribeAclsRequest parsed;
  parsed.decode(body, request->version());
  AclStore& acls = request->broker.acls();
  DescribeAclsResponse response;
  AclFilter filter;
  filter.resource_type = parsed.resource_type_filter;
  filter.resource_name = parsed.resource_name_filter;
  filter.pattern_type = parsed.pattern_type_filter;
  filter.principal = parsed.principal_filter;
  filter.host = parsed.host_filter;
  filter.operation = parsed.operation;
  filter.permission = parsed.permission_type;
  if (!acls.enabled()) {
    response.error_code = error::kSecurityDisabled;
    response.error_message = "No Authorizer is configured on the broker";
  } else if (!authorized_on_cluster(*request, acl::kDescribe)) {
    response.error_code = error::kClusterAuthorizationFailed;
    response.error_message = "Cluster authorization failed.";
  } else if (auto invalid = AclStore::invalid_filter(filter)) {
    response.error_code = error::kInvalidRequest;
    response.error_message = *invalid;
  } else {
    std::map<std::tuple<int8_t, std::string, int8_t>, std::size_t> index;
    for (const AclBinding& binding : acls.find(filter)) {
      const auto key =
          std::make_tuple(binding.resource_type, binding.resource_name, binding.pattern_type);
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, response.resources.size()).first;
        auto& resource = response.resources.emplace_back();
        resource.resource_type = binding.resource_type;
        resource.resource_name = binding.resource_name;
        resource.pattern_type = binding.pattern_type;
      }
      auto& description = response.resources[it->second].acls.emplace_back();
      description.principal = binding.principal;
      description.host = binding.host;
      description.operation = binding.operation;
      description.permission_type = binding.permission;
    }
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeAclsHandler{29, 0, 3, &handle};

}  // namespace mockforge::kafka
