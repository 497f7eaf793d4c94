// The MQTT broker's side of fault injection (faults/): names for rules
// (packet types, reason codes). Client::apply_faults (client_faults.cpp),
// called where a packet is handled, is the one seam.
#pragma once

namespace mockforge::faults {
class FaultSet;
}

namespace mockforge::mqtt {

// Resolves MQTT rules: match.packet (a packet a client sends: connect,
// publish, puback, pubrec, pubrel, pubcomp, subscribe, unsubscribe, pingreq,
// disconnect, auth), action.code (a reason code of 0x80 or more, as a
// number, "0x97" or a name such as quota_exceeded) that the packet's answer
// may carry.
void register_fault_resolver(faults::FaultSet& faults);

}  // namespace mockforge::mqtt
