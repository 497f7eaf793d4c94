// InitProducerId (22): producer ids for idempotent producers and, with a transactional id, the
// transaction coordinator's id and epoch (bumped on every init, fencing older producers).
// With ACLs, as Kafka 3.x: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
// without one (idempotent only) IDEMPOTENT_WRITE on the cluster or WRITE on some topic
// (CLUSTER_AUTHORIZATION_FAILED).
#include "mockforge/kafka/init_producer_id.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  InitProducerIdRequest parsed;
  parsed.decode(body, request->version());
  InitProducerIdResponse response;
  BrokerState& broker = request->broker;
  const int16_t coordinator = parsed.transactional_id
                                  ? request->check_transaction_coordinator(*parsed.transactional_id)
                                  : error::kNone;
  if (parsed.transactional_id && !may_write_transaction(*request, *parsed.transactional_id)) {
    response.error_code = error::kTransactionalIdAuthorizationFailed;
  } else if (!parsed.transactional_id && !authorized_on_cluster(*request, acl::kIdempotentWrite) &&
             !authorized_on_some(*request, acl::kWrite, acl::kTopic)) {
    response.error_code = error::kClusterAuthorizationFailed;
  } else if (coordinator != error::kNone) {
    response.error_code = coordinator;
  } else if (parsed.transactional_id) {
    auto result = broker.transactions().init_producer_id(*parsed.transactional_id,
                                                         parsed.transaction_timeout_ms,
                                                         parsed.producer_id, parsed.producer_epoch);
    // An open transaction of the previous epoch is aborted before the answer.
    if (result.aborted) broker.complete_transaction(*result.aborted);
    if (result.error_code == error::kNone) {
      broker.producers().set_epoch(result.producer_id, result.producer_epoch);
      response.producer_id = result.producer_id;
      response.producer_epoch = result.producer_epoch;
    } else if (result.error_code == error::kProducerFenced && request->version() < 4) {
      // PRODUCER_FENCED is answered from v4 on; older versions get INVALID_PRODUCER_EPOCH.
      result.error_code = error::kInvalidProducerEpoch;
    }
    response.error_code = result.error_code;
  } else {
    auto allocation = broker.producers().init(parsed.producer_id, parsed.producer_epoch);
    response.producer_id = allocation.producer_id;
    response.producer_epoch = allocation.epoch;
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kInitProducerIdHandler{22, 0, 4, &handle};

}  // namespace mockforge::kafka
