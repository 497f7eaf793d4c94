// FindCoordinator (10): this broker coordinates every group (key type 0) and every
// transactional id (key type 1); other key types get INVALID_REQUEST.
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
  bool known_type = parsed.key_type == 0 || parsed.key_type == 1;
  int16_t code = known_type ? error::kNone : error::kInvalidRequest;
  if (request->version() >= 4) {
    for (const auto& key : parsed.coordinator_keys) {
      FindCoordinatorResponse::Coordinator coordinator;
      coordinator.key = key;
      coordinator.error_code = code;
      coordinator.error_message = std::nullopt;
      if (known_type) {
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
    response.node_id = known_type ? node : -1;
    if (known_type) {
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
