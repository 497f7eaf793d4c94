// EndTxn (26): commits or aborts the producer's transaction: a control record (commit or abort
// marker) is appended to every partition in it before the answer, and on commit the offsets
// staged by TxnOffsetCommit become the groups' committed offsets. With ACLs: WRITE on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
#include "mockforge/kafka/end_txn.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  EndTxnRequest parsed;
  parsed.decode(body, request->version());
  EndTxnResponse response;
  if (!may_write_transaction(*request, parsed.transactional_id)) {
    response.error_code = error::kTransactionalIdAuthorizationFailed;
  } else if (int16_t code = request->check_transaction_coordinator(parsed.transactional_id);
             code != 0) {
    response.error_code = code;
  } else {
    auto result = request->broker.transactions().end_transaction(
        parsed.transactional_id, parsed.producer_id, parsed.producer_epoch, parsed.committed);
    if (result.completion)
      request->broker.complete_transaction(*result.completion, request->client_id());
    response.error_code = result.error_code;
  }
  if (response.error_code == error::kProducerFenced && request->version() < 2) {
    response.error_code = error::kInvalidProducerEpoch;
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kEndTxnHandler{26, 0, 3, &handle};

}  // namespace mockforge::kafka
