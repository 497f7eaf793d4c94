// AddOffsetsToTxn (25): the group's offsets (sent next by TxnOffsetCommit) join the producer's
// transaction. With ACLs: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
// then READ on the group (GROUP_AUTHORIZATION_FAILED).
#include "mockforge/kafka/add_offsets_to_txn.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  AddOffsetsToTxnRequest parsed;
  parsed.decode(body, request->version());
  AddOffsetsToTxnResponse response;
  if (!may_write_transaction(*request, parsed.transactional_id)) {
    response.error_code = error::kTransactionalIdAuthorizationFailed;
  } else if (!authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)) {
    response.error_code = error::kGroupAuthorizationFailed;
  } else {
    response.error_code = request->check_transaction_coordinator(parsed.transactional_id);
  }
  if (response.error_code == error::kNone) {
    response.error_code = request->broker.transactions().add_offsets(
        parsed.transactional_id, parsed.producer_id, parsed.producer_epoch, parsed.group_id,
        TxnClock::now());
  }
  if (response.error_code == error::kProducerFenced && request->version() < 2) {
    response.error_code = error::kInvalidProducerEpoch;
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kAddOffsetsToTxnHandler{25, 0, 3, &handle};

}  // namespace mockforge::kafka
