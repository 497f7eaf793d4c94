#pragma once

#include <cstdint>
#include <span>

namespace mockforge::kafka {

// MurmurHash2 (32-bit, seed 0x9747b28c) exactly as the Java client's default partitioner
// computes it, including its signed arithmetic on the tail bytes.
int32_t murmur2(std::span<const uint8_t> key);

// The Java client's partition for a keyed record: (murmur2(key) & 0x7fffffff) % partition_count.
int32_t murmur2_partition(std::span<const uint8_t> key, int32_t partition_count);

}  // namespace mockforge::kafka
