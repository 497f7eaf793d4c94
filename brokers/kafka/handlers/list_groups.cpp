// ListGroups (16): every group, optionally filtered by state (v4+).
#include "mockforge/kafka/list_groups.h"

#include <algorithm>

#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  ListGroupsRequest parsed;
  parsed.decode(body, request->version());
  ListGroupsResponse response;
  // DESCRIBE on the cluster lists every group; otherwise only the groups the principal may
  // describe, as Kafka does.
  const bool all_groups = authorized_on_cluster(*request, acl::kDescribe);
  for (const auto& group : request->broker.groups().list()) {
    // Each broker lists the groups it coordinates (kafka.brokers), as Kafka does.
    if (request->check_group_coordinator(group.group_id) != 0) continue;
    if (!all_groups && !authorized(*request, acl::kDescribe, acl::kGroup, group.group_id)) {
      continue;
    }
    std::string state(group_state_name(group.state));
    if (!parsed.states_filter.empty() &&
        std::find_if(parsed.states_filter.begin(), parsed.states_filter.end(),
                     [&](const std::string& wanted) {
                       return std::equal(
                           wanted.begin(), wanted.end(), state.begin(), state.end(),
                           [](char a, char b) { return std::tolower(a) == std::tolower(b); });
                     }) == parsed.states_filter.end()) {
      continue;
    }
    response.groups.push_back({group.group_id, group.protocol_type, state});
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kListGroupsHandler{16, 0, 4, &handle};

}  // namespace mockforge::kafka
