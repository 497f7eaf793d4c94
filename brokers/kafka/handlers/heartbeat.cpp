// Heartbeat (12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
#include "mockforge/kafka/heartbeat.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  HeartbeatRequest parsed;
  parsed.decode(body, request->version());
  HeartbeatResponse response;
  response.error_code = authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)
                            ? request->check_group_coordinator(parsed.group_id)
                            : error::kGroupAuthorizationFailed;
  if (response.error_code == 0) {
    response.error_code = request->broker.groups().heartbeat(
        parsed.group_id, parsed.member_id, parsed.generation_id, GroupClock::now());
  } else if (response.error_code == error::kCoordinatorLoadInProgress) {
    // A loading coordinator answers heartbeats blindly with NONE, as Kafka does;
    // the member's session is kept alive meanwhile.
    request->broker.groups().heartbeat(parsed.group_id, parsed.member_id, parsed.generation_id,
                                       GroupClock::now());
    response.error_code = error::kNone;
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kHeartbeatHandler{12, 0, 4, &handle};

}  // namespace mockforge::kafka
