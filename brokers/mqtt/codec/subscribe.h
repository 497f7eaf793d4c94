// SUBSCRIBE (spec 3.8). Before v5 only the maximum QoS of each subscription is
// sent; the other subscription options are v5 only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

enum class RetainHandling : std::uint8_t {
  send_at_subscribe = 0,
  send_at_new_subscribe = 1,
  do_not_send = 2,
};

struct SubscriptionOptions {
  QoS max_qos = QoS::at_most_once;
  bool no_local = false;                                               // v5
  bool retain_as_published = false;                                    // v5
  RetainHandling retain_handling = RetainHandling::send_at_subscribe;  // v5
  bool operator==(const SubscriptionOptions&) const = default;
};

struct Subscription {
  std::string topic_filter;
  SubscriptionOptions options;
  bool operator==(const Subscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;  // v5 only
  std::vector<Subscription> subscriptions;
  bool operator==(const Subscribe&) const = default;
};

DecodeResult<Subscribe> decode_subscribe(const FixedHeader& header,
                                         std::span<const std::uint8_t> body,
                                         ProtocolVersion version,
                                         const DecodeOptions& options = {});
void encode(const Subscribe& packet, ProtocolVersion version, Bytes& out);

}  // namespace mockforge::mqtt
