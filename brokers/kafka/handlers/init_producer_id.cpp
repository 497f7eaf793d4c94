// InitProducerId (22): producer ids for idempotent producers. Transactions are refused.
#include "mockforge/kafka/init_producer_id.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  InitProducerIdRequest parsed;
  parsed.decode(body, request->version());
  InitProducerIdResponse response;
  if (parsed.transactional_id && !parsed.transactional_id->empty()) {
    response.error_code = error::kTransactionalIdAuthorizationFailed;
  } else {
    auto allocation = request->broker.producers().init(parsed.producer_id, parsed.producer_epoch);
    response.producer_id = allocation.producer_id;
    response.producer_epoch = allocation.epoch;
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kInitProducerIdHandler{22, 0, 4, &handle};

}  // namespace mockforge::kafka
