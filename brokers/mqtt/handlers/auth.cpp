// AUTH: enhanced authentication is not offered (no method is accepted at
// CONNECT), so an AUTH packet is always out of place.
#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

void handle_auth(Client& client, Auth&) {
  client.fail(ReasonCode::protocol_error, "AUTH without an authentication method in CONNECT");
}

}  // namespace mockforge::mqtt
