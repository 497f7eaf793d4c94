// MQTT 5 reason codes, MQTT 3.1.1 CONNACK return codes, and the mappings the
// broker needs to answer a 3.1.1 client with what it decided in v5 terms.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

// Every MQTT 5.0 reason code (spec section 2.4). 0x00 has three names
// depending on the packet; the enum spells all three.
enum class ReasonCode : std::uint8_t {
  success = 0x00,
  normal_disconnection = 0x00,
  granted_qos_0 = 0x00,
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

// True for the byte values that the MQTT 5 spec defines as reason codes.
bool is_known_reason_code(std::uint8_t value);

// The spec's name for a reason code ("Malformed Packet"); for 0x00 it is
// "Success". Unknown values give "Unknown reason code".
std::string_view reason_code_name(ReasonCode code);

// True for reason codes 0x80 and above, which report failure.
constexpr bool is_error(ReasonCode code) { return static_cast<std::uint8_t>(code) >= 0x80; }

// Which reason codes a packet of the given type may carry (spec 3.x.2.1).
bool is_reason_code_allowed(PacketType packet, ReasonCode code);

// MQTT 3.1 / 3.1.1 CONNACK return codes.
enum class ConnectReturnCode : std::uint8_t {
  accepted = 0x00,
  unacceptable_protocol_version = 0x01,
  identifier_rejected = 0x02,
  server_unavailable = 0x03,
  bad_user_name_or_password = 0x04,
  not_authorized = 0x05,
};

std::string_view connect_return_code_name(ConnectReturnCode code);

// The 3.1.1 CONNACK return code that best conveys a v5 CONNACK reason code.
// Codes without a 3.1.1 counterpart become server_unavailable. (Note that for
// a malformed CONNECT a 3.1.1 server closes the connection without CONNACK.)
ConnectReturnCode to_v3_connect_return_code(ReasonCode code);

// The v5 reason code a 3.1.1 CONNACK return code stands for; nullopt for
// values 3.1.1 reserves (6..255).
std::optional<ReasonCode> from_v3_connect_return_code(std::uint8_t return_code);

// 3.1.1 SUBACK return codes are 0x00, 0x01, 0x02 (granted QoS) and 0x80
// (failure). Every v5 error code maps to 0x80.
inline constexpr std::uint8_t kV3SubackFailure = 0x80;
std::uint8_t to_v3_suback_return_code(ReasonCode code);

}  // namespace mockforge::mqtt
