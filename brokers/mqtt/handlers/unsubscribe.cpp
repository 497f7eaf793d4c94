#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

void handle_unsubscribe(Client& client, Unsubscribe& unsubscribe) {
  Unsuback unsuback;
  unsuback.packet_id = unsubscribe.packet_id;
  for (const auto& filter : unsubscribe.topic_filters) {
    const bool existed = client.broker().unsubscribe(std::string(client.client_id()), filter);
    unsuback.reason_codes.push_back(existed ? ReasonCode::success
                                            : ReasonCode::no_subscription_existed);
    if (client.events_on()) {
      client.emit_event(traffic::EventKind::kUnsubscribe, filter,
                        existed ? "" : "no subscription existed");
    }
  }
  client.send(unsuback);
}

}  // namespace mockforge::mqtt
