// PUBREL: the second half of an inbound QoS 2 flow. The message was routed
// at PUBLISH time; PUBREL releases the packet identifier.
#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

void handle_pubrel(Client& client, PubRel& pubrel) {
  PubComp pubcomp;
  pubcomp.packet_id = pubrel.packet_id;
  if (client.inbound_qos2().erase(pubrel.packet_id) == 0) {
    pubcomp.reason_code = ReasonCode::packet_identifier_not_found;
  }
  client.send(pubcomp);
}

}  // namespace mockforge::mqtt
