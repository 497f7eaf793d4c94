// FindCoordinator (10): this broker coordinates every group (key type 0) and every
// transactional id (key type 1); other key types get INVALID_REQUEST.
#include "mockforge/kafka/find_coordinator.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  FindCoordinatorRequest parsed;
  parsed.decode(body, request->version());
  FindCoordinatorResponse response;
  int32_t node = request->broker.options().node_id;
  const bool known_type = parsed.key_type == 0 || parsed.key_type == 1;
  // DESCRIBE on the group or transactional id, as Kafka checks it.
  const auto code_for = [&](const std::string& key) -> int16_t {
    if (!known_type) return error::kInvalidRequest;
    if (parsed.key_type == 0) {
      return authorized(*request, acl::kDescribe, acl::kGroup, key)
                 ? error::kNone
                 : error::kGroupAuthorizationFailed;
    }
    return authorized(*request, acl::kDescribe, acl::kTransactionalId, key)
               ? error::kNone
               : error::kTransactionalIdAuthorizationFailed;
  };
  if (request->version() >= 4) {
    for (const auto& key : parsed.coordinator_keys) {
      FindCoordinatorResponse::Coordinator coordinator;
      coordinator.key = key;
      coordinator.error_code = code_for(key);
      coordinator.error_message = std::nullopt;
      request->count_error(coordinator.error_code);
      if (coordinator.error_code == error::kNone) {
        coordinator.node_id = node;
        coordinator.host = request->local_host;
        coordinator.port = request->local_port;
      } else {
        coordinator.node_id = -1;
      }
      response.coordinators.push_back(std::move(coordinator));
    }
  } else {
    response.error_code = code_for(parsed.key);
    response.error_message = std::nullopt;
    const bool found = response.error_code == error::kNone;
    response.node_id = found ? node : -1;
    if (found) {
      response.host = request->local_host;
      response.port = request->local_port;
    }
    request->count_error(response.error_code);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kFindCoordinatorHandler{10, 0, 5, &handle};

}  // namespace mockforge::kafka
