// The MQTT 5 PUBLISH properties as the protocol-neutral message
// (core/traffic/message.h) carries them, both ways: payload format, content
// type, response topic (reply_to), correlation data, message expiry and user
// properties (headers). One mapping for the broker's traffic seam and for
// the CLI clients that publish to or read from a real broker.
#pragma once

#include "brokers/mqtt/codec/properties.h"
#include "core/traffic/message.h"

namespace mockforge::mqtt {

enum class Expiry { kInclude, kOmit };

// With Expiry::kOmit the message expiry interval is left out (the broker
// keeps expiry as a deadline beside the properties).
Properties to_publish_properties(const traffic::Message& message, Expiry expiry);

// Fills the message's properties and headers from PUBLISH properties.
void read_publish_properties(const Properties& properties, traffic::Message& message);

}  // namespace mockforge::mqtt
