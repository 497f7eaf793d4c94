#include "brokers/mqtt/handlers/handlers.h"
#include "core/storage/mqtt_state.h"

namespace mockforge::mqtt {

void handle_disconnect(Client& client, Disconnect& disconnect) {
  if (auto expiry = disconnect.properties.integer(PropertyId::session_expiry_interval)) {
    // A session that was to end with the connection cannot be revived here.
    if (client.session_expiry() == 0 && *expiry != 0) {
      client.fail(ReasonCode::protocol_error, "Session Expiry Interval set on DISCONNECT after 0");
      return;
    }
    client.set_session_expiry(*expiry);
  }
  client.client_disconnected(disconnect);
}

}  // namespace mockforge::mqtt
