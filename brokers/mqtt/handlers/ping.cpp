#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

void handle_pingreq(Client& client, PingReq&) { client.send(PingResp{}); }

}  // namespace mockforge::mqtt
