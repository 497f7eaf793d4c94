// FindCoordinator (10): this broker coordinates every group (key type 0); transactions are
// not served (key type 1 gets COORDINATOR_NOT_AVAILABLE).
#include "mockforge/kafka/find_coordinator.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  FindCoordinatorRequest parsed;
  parsed.decode(body, request->version());
  FindCoordinatorResponse response;
  int32_t node = request->broker.options().node_id;
  bool group_key = parsed.key_type == 0;
  int16_t code = group_key ? error::kNone : error::kCoordinatorNotAvailable;
  if (request->version() >= 4) {
    for (const auto& key : parsed.coordinator_keys) {
      FindCoordinatorResponse::Coordinator coordinator;
      coordinator.key = key;
      coordinator.error_code = code;
      coordinator.error_message = std::nullopt;
      if (group_key) {
        coordinator.node_id = node;
        coordinator.host = request->local_host;
        coordinator.port = request->local_port;
      } else {
        coordinator.node_id = -1;
      }
      response.coordinators.push_back(std::move(coordinator));
    }
  } else {
    response.error_code = code;
    response.error_message = std::nullopt;
    response.node_id = group_key ? node : -1;
    if (group_key) {
      response.host = request->local_host;
      response.port = request->local_port;
    }
  }
  request->count_error(code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kFindCoordinatorHandler{10, 0, 5, &handle};

}  // namespace mockforge::kafka
