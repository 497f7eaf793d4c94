// LeaveGroup (13): one member (v0-v2) or a batch of members by id or instance id (v3+).
#include "mockforge/kafka/leave_group.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  LeaveGroupRequest parsed;
  parsed.decode(body, request->version());
  LeaveGroupResponse response;
  auto& groups = request->broker.groups();
  const int16_t refused = authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)
                              ? request->check_group_coordinator(parsed.group_id)
                              : error::kGroupAuthorizationFailed;
  if (refused != 0) {
    response.error_code = refused;
  } else if (request->version() < 3) {
    response.error_code =
        groups.leave(parsed.group_id, parsed.member_id, std::nullopt, GroupClock::now());
  } else {
    for (const auto& member : parsed.members) {
      LeaveGroupResponse::MemberResponse result;
      result.member_id = member.member_id;
      result.group_instance_id = member.group_instance_id;
      result.error_code = groups.leave(parsed.group_id, member.member_id, member.group_instance_id,
                                       GroupClock::now());
      request->count_error(result.error_code);
      response.members.push_back(std::move(result));
    }
  }
  request->count_error(response.error_code);
  if (response.error_code == 0 && request->events_on()) {
    traffic::Event event;
    event.kind = traffic::EventKind::kUnsubscribe;
    event.detail = "left group '" + parsed.group_id + "'";
    request->emit_event(std::move(event));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kLeaveGroupHandler{13, 0, 5, &handle};

}  // namespace mockforge::kafka
