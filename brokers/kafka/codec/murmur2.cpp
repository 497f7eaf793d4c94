#include "brokers/kafka/codec/murmur2.h"

#include <stdexcept>

namespace mockforge::kafka {

int32_t murmur2(std::span<const uint8_t> key) {
  constexpr uint32_t kSeed = 0x9747b28cu;
  constexpr uint32_t kMultiplier = 0x5bd1e995u;
  constexpr int kShift = 24;
  const auto length = static_cast<uint32_t>(key.size());
  uint32_t hash = kSeed ^ length;
  const size_t blocks = key.size() / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const size_t at = i * 4;
    uint32_t k = static_cast<uint32_t>(key[at]) | static_cast<uint32_t>(key[at + 1]) << 8 |
                 static_cast<uint32_t>(key[at + 2]) << 16 |
                 static_cast<uint32_t>(key[at + 3]) << 24;
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash *= kMultiplier;
    hash ^= k;
  }
  const size_t tail = blocks * 4;
  // Java reads tail bytes as signed bytes and masks them, so the values are 0..255.
  switch (key.size() % 4) {
    case 3:
      hash ^= static_cast<uint32_t>(key[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      hash ^= static_cast<uint32_t>(key[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      hash ^= static_cast<uint32_t>(key[tail]);
      hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return static_cast<int32_t>(hash);
}

int32_t murmur2_partition(std::span<const uint8_t> key, int32_t partition_count) {
  if (partition_count <= 0) throw std::invalid_argument("partition count must be positive");
  return (murmur2(key) & 0x7fffffff) % partition_count;
}

}  // namespace mockforge::kafka
