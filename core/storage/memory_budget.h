// Byte accounting shared by every store of one Engine, and the shared context
// (budget + clock) that stores are constructed with.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "core/storage/common.h"

namespace mockforge::storage {

enum class MemoryCategory : uint8_t { kLogs, kQueues, kRetained, kSessions };
inline constexpr std::size_t kMemoryCategoryCount = 4;

// Lock-free accounting of stored bytes against an optional cap. A cap of 0
// means unlimited. Reservations that would exceed the cap are refused; the
// caller turns that into ErrorCode::kStorageFull.
class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t cap_bytes = 0, double near_cap_fraction = 0.9);

  // Reserves `bytes` if the total stays within the cap.
  bool try_reserve(MemoryCategory category, uint64_t bytes);
  // Reserves regardless of the cap (restoring a reset or a snapshot).
  void force_reserve(MemoryCategory category, uint64_t bytes);
  void release(MemoryCategory category, uint64_t bytes);

  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t used(MemoryCategory category) const;
  uint64_t cap() const { return cap_.load(std::memory_order_relaxed); }
  void set_cap(uint64_t cap_bytes);
  double near_cap_fraction() const { return near_cap_fraction_; }
  // True when a cap is set and usage is at or above cap * near_cap_fraction.
  bool near_cap() const;

 private:
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> cap_;
  double near_cap_fraction_;
  std::array<std::atomic<uint64_t>, kMemoryCategoryCount> used_by_category_{};
};

// What every store of one engine shares: the byte budget and the clock.
struct StorageContext {
  MemoryBudget budget;
  ClockFunction clock = [] { return Clock::now(); };
  // Kafka retention for topics that set no retention.bytes / retention.ms.
  std::optional<uint64_t> default_retention_bytes;
  std::optional<int64_t> default_retention_ms;

  TimePoint now() const { return clock(); }
  int64_t now_millis() const { return to_unix_millis(clock()); }
};

Error storage_full_error(MemoryCategory category, uint64_t requested, const MemoryBudget& budget);

}  // namespace mockforge::storage
