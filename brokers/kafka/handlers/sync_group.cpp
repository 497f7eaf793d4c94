// SyncGroup (14): the leader's assignments go to every member once it has synced.
#include "mockforge/kafka/sync_group.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  SyncGroupRequest parsed;
  parsed.decode(body, request->version());
  const int16_t refused = authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)
                              ? request->check_group_coordinator(parsed.group_id)
                              : error::kGroupAuthorizationFailed;
  if (refused != 0) {
    SyncGroupResponse response;
    response.error_code = refused;
    request->count_error(refused);
    request->reply(response);
    return;
  }
  SyncParams params;
  params.group_id = parsed.group_id;
  params.member_id = parsed.member_id;
  params.generation_id = parsed.generation_id;
  params.protocol_type = parsed.protocol_type;
  params.protocol_name = parsed.protocol_name;
  for (auto& assignment : parsed.assignments) {
    params.assignments.emplace_back(assignment.member_id, std::move(assignment.assignment));
  }
  request->broker.groups().sync(std::move(params), GroupClock::now(), [request](SyncResult result) {
    request->scheduler->post([request, result = std::move(result)] {
      SyncGroupResponse response;
      response.error_code = result.error_code;
      response.protocol_type = result.protocol_type;
      response.protocol_name = result.protocol_name;
      response.assignment = result.assignment;
      request->count_error(response.error_code);
      request->reply(response);
    });
  });
}

}  // namespace

extern const HandlerSpec kSyncGroupHandler{14, 0, 5, &handle};

}  // namespace mockforge::kafka
