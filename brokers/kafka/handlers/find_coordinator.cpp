// FindCoordinator (10): the broker coordinating a group (key type 0) or a transactional id (key
// type 1): the leader of the key's __consumer_offsets / __transaction_state partition, as Kafka
// places coordinators (broker/cluster.h); other key types get INVALID_REQUEST.
// COORDINATOR_NOT_AVAILABLE while that partition is offline or the coordinator is made
// unavailable through the admin API (a loading one is found: its requests answer
// COORDINATOR_LOAD_IN_PROGRESS).
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
  Cluster& cluster = request->broker.cluster();
  auto coordinator_of = [&](const std::string& key) {
    return parsed.key_type == 0 ? cluster.group_coordinator(key)
                                : cluster.transaction_coordinator(key);
  };
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
  const auto available = [&](const std::string& key) -> int16_t {
    if (coordinator_of(key) < 0) return error::kCoordinatorNotAvailable;
    return cluster.coordinator_error(parsed.key_type == 0 ? Cluster::CoordinatorType::kGroup
                                                          : Cluster::CoordinatorType::kTransaction,
                                     key, true);
  };
  if (request->version() >= 4) {
    for (const auto& key : parsed.coordinator_keys) {
      FindCoordinatorResponse::Coordinator coordinator;
      coordinator.key = key;
      coordinator.error_code = code_for(key);
      if (coordinator.error_code == error::kNone) coordinator.error_code = available(key);
      coordinator.error_message = std::nullopt;
      request->count_error(coordinator.error_code);
      if (coordinator.error_code == error::kNone) {
        coordinator.node_id = coordinator_of(key);
        coordinator.host = request->local_host;
        coordinator.port = request->advertised_port(coordinator.node_id);
      } else {
        coordinator.node_id = -1;
      }
      response.coordinators.push_back(std::move(coordinator));
    }
  } else {
    response.error_code = code_for(parsed.key);
    if (response.error_code == error::kNone) response.error_code = available(parsed.key);
    response.error_message = std::nullopt;
    const bool found = response.error_code == error::kNone;
    response.node_id = found ? coordinator_of(parsed.key) : -1;
    if (found) {
      response.host = request->local_host;
      response.port = request->advertised_port(response.node_id);
    }
    request->count_error(response.error_code);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kFindCoordinatorHandler{10, 0, 5, &handle};

}  // namespace mockforge::kafka
