#include <string>
#include <type_traits>
#include <variant>

#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

namespace {

// Packets a client may send map to their handler; the rest are server-only.
// (A flag, not a null check on the pointer: under ASan a function address
// is not a constant expression.)
template <typename T>
struct HandlerFor {
  static constexpr bool kHandled = false;
};
#define MOCKFORGE_MQTT_HANDLER(Type, function)                    \
  template <>                                                     \
  struct HandlerFor<Type> {                                       \
    static constexpr bool kHandled = true;                        \
    static constexpr void (*handler)(Client&, Type&) = &function; \
  };
MOCKFORGE_MQTT_HANDLER(Connect, handle_connect)
MOCKFORGE_MQTT_HANDLER(Publish, handle_publish)
MOCKFORGE_MQTT_HANDLER(PubAck, handle_puback)
MOCKFORGE_MQTT_HANDLER(PubRec, handle_pubrec)
MOCKFORGE_MQTT_HANDLER(PubRel, handle_pubrel)
MOCKFORGE_MQTT_HANDLER(PubComp, handle_pubcomp)
MOCKFORGE_MQTT_HANDLER(Subscribe, handle_subscribe)
MOCKFORGE_MQTT_HANDLER(Unsubscribe, handle_unsubscribe)
MOCKFORGE_MQTT_HANDLER(PingReq, handle_pingreq)
MOCKFORGE_MQTT_HANDLER(Disconnect, handle_disconnect)
MOCKFORGE_MQTT_HANDLER(Auth, handle_auth)
#undef MOCKFORGE_MQTT_HANDLER

}  // namespace

void dispatch_packet(Client& client, Packet& packet) {
  std::visit(
      [&client](auto& typed) {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (HandlerFor<T>::kHandled) {
          HandlerFor<T>::handler(client, typed);
        } else {
          client.fail(ReasonCode::protocol_error,
                      std::string(packet_type_name(packet_type(Packet(typed)))) +
                          " is sent by servers only");
        }
      },
      packet);
}

}  // namespace mockforge::mqtt
