// SaslAuthenticate (36): one SASL token each way. Success carries the server's token (SCRAM's
// verifier) and, from v1, session_lifetime_ms (KIP-368); failure SASL_AUTHENTICATION_FAILED with
// Kafka's message, after which RequestPipeline closes the connection.
#include "mockforge/kafka/sasl_authenticate.h"

#include <string_view>

#include "brokers/kafka/broker/sasl_session.h"
#include "brokers/kafka/handlers/handler.h"
#include "core/log/logging.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  SaslAuthenticateRequest parsed;
  parsed.decode(body, request->version());
  SaslSession& sasl = *request->sasl;
  const bool was_authenticated = sasl.state() == SaslSession::State::kAuthenticated;
  const auto token = std::string_view(reinterpret_cast<const char*>(parsed.auth_bytes.data()),
                                      parsed.auth_bytes.size());
  const SaslSession::Answer answer = sasl.authenticate(token, SaslSession::Clock::now());
  if (!was_authenticated && sasl.state() == SaslSession::State::kAuthenticated) {
    log::get("kafka")->debug("{} authenticated as {}", request->client_host, sasl.principal());
  }
  SaslAuthenticateResponse response;
  response.error_code = answer.error_code;
  response.error_message = answer.error_message;
  response.auth_bytes = Bytes(answer.token.begin(), answer.token.end());
  response.session_lifetime_ms = answer.session_lifetime_ms;
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kSaslAuthenticateHandler{36, 0, 2, &handle};

}  // namespace mockforge::kafka
