// DeleteGroups (42): removes empty groups and their committed offsets; NON_EMPTY_GROUP while
// members remain, GROUP_ID_NOT_FOUND for unknown groups.
#include "mockforge/kafka/delete_groups.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  DeleteGroupsRequest parsed;
  parsed.decode(body, request->version());
  DeleteGroupsResponse response;
  for (const auto& group_id : parsed.groups_names) {
    int16_t code = authorized(*request, acl::kDelete, acl::kGroup, group_id)
                       ? request->check_group_coordinator(group_id)
                       : error::kGroupAuthorizationFailed;
    if (code == 0) code = request->broker.groups().delete_group(group_id);
    request->count_error(code);
    response.results.push_back({group_id, code});
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDeleteGroupsHandler{42, 0, 2, &handle};

}  // namespace mockforge::kafka
