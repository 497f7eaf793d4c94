// The AMQP broker's side of fault injection (faults/): names for rules
// (methods, reply codes). AmqpConnection::apply_faults (faults.cpp), called
// where a channel method is handled, is the one seam.
#pragma once

namespace mockforge::faults {
class FaultSet;
}

namespace mockforge::amqp {

// Resolves AMQP rules: match.method (a client method of the channel, exchange,
// queue, basic, confirm or tx classes, "basic.publish"), action.code (a reply
// code by number or name, such as 406 or PRECONDITION_FAILED: a channel
// error for channel_close, a connection error for connection_close). nack
// matches basic.publish only.
void register_fault_resolver(faults::FaultSet& faults);

}  // namespace mockforge::amqp
