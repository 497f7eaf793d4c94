// One handler per packet a client may send (decode is done; each handler
// checks, acts and responds), registered in one table (table.cpp).
#pragma once

#include "brokers/mqtt/broker/client.h"
#include "brokers/mqtt/codec/packet.h"

namespace mockforge::mqtt {

void handle_connect(Client& client, Connect& connect);
void handle_publish(Client& client, Publish& publish);
void handle_puback(Client& client, PubAck& puback);
void handle_pubrec(Client& client, PubRec& pubrec);
void handle_pubrel(Client& client, PubRel& pubrel);
void handle_pubcomp(Client& client, PubComp& pubcomp);
void handle_subscribe(Client& client, Subscribe& subscribe);
void handle_unsubscribe(Client& client, Unsubscribe& unsubscribe);
void handle_pingreq(Client& client, PingReq& pingreq);
void handle_disconnect(Client& client, Disconnect& disconnect);
void handle_auth(Client& client, Auth& auth);

// Runs the handler of the packet's kind; packets only a server sends are a
// protocol error.
void dispatch_packet(Client& client, Packet& packet);

}  // namespace mockforge::mqtt
