#pragma once

// The neutral message (core/traffic/message.h) in the CLI clients' terms, as
// `fixtures apply` sends it; shared with `scenario run` (cli/scenario).

#include "brokers/mqtt/codec/publish.h"
#include "cli/apply/apply.h"
#include "cli/mqtt/client.h"
#include "core/traffic/message.h"

namespace mockforge::cli::apply {

// --mqtt-url as MQTT 5 connect options (client id "mockforge-fixtures-apply").
// Throws std::runtime_error for a bad URL.
mqtt::ConnectOptions mqtt_options(const Targets& targets);

// An MQTT 5 PUBLISH: topic, QoS, retain, payload, and the v5 properties
// (payload format, expiry, content type, response topic, correlation data,
// headers as user properties).
::mockforge::mqtt::Publish mqtt_publish(const traffic::Message& message);

}  // namespace mockforge::cli::apply
