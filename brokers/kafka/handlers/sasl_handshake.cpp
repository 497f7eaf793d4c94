// SaslHandshake (17): picks the connection's SASL mechanism. v1 is followed by SaslAuthenticate
// requests, v0 by raw size-prefixed tokens (RequestPipeline reads those). On a listener without
// SASL, Kafka's answer: ILLEGAL_SASL_STATE.
#include "mockforge/kafka/sasl_handshake.h"

#include "brokers/kafka/broker/sasl_session.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  SaslHandshakeRequest parsed;
  parsed.decode(body, request->version());
  SaslSession& sasl = *request->sasl;
  SaslHandshakeResponse response;
  response.error_code = sasl.handshake(parsed.mechanism, request->version());
  response.mechanisms = sasl.mechanisms();
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kSaslHandshakeHandler{17, 0, 1, &handle};

}  // namespace mockforge::kafka
