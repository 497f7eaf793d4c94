// PUBACK, PUBREC and PUBCOMP: a client acknowledging the broker's PUBLISH.
#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

void handle_puback(Client& client, PubAck& puback) { client.on_puback(puback.packet_id); }
void handle_pubrec(Client& client, PubRec& pubrec) { client.on_pubrec(pubrec); }
void handle_pubcomp(Client& client, PubComp& pubcomp) { client.on_pubcomp(pubcomp.packet_id); }

}  // namespace mockforge::mqtt
