#pragma once

// The "consumer" embedded protocol of the classic group protocol: the Subscription a member
// sends in JoinGroup, the Assignment the leader hands out in SyncGroup, and the `range`
// assignor as the Java client computes it.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka {

struct Subscription {
  std::vector<std::string> topics;
  std::optional<Bytes> user_data;
};

// topic -> partitions
using Assignment = std::map<std::string, std::vector<int32_t>>;

Bytes encode_subscription(const Subscription& subscription);
// Reads versions 0-3 (fields past user_data are ignored). Throws DecodeError.
Subscription decode_subscription(std::span<const uint8_t> data);

Bytes encode_assignment(const Assignment& assignment);
// An empty input is an empty assignment. Throws DecodeError.
Assignment decode_assignment(std::span<const uint8_t> data);

// Range assignor: per topic, members subscribed to it sorted by member id; each gets
// partitions/members consecutive partitions, the first partitions%members one more.
std::map<std::string, Assignment> range_assign(
    const std::map<std::string, Subscription>& members,
    const std::map<std::string, int32_t>& partition_counts);

}  // namespace mockforge::kafka
