#include "core/storage/memory_budget.h"

#include <fmt/format.h>

namespace mockforge::storage {
namespace {

std::string_view category_name(MemoryCategory category) {
  switch (category) {
    case MemoryCategory::kLogs:
      return "logs";
    case MemoryCategory::kQueues:
      return "queues";
    case MemoryCategory::kRetained:
      return "retained messages";
    case MemoryCategory::kSessions:
      return "session queues";
  }
  return "unknown";
}

}  // namespace

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kStorageFull:
      return "storage full";
    case ErrorCode::kInvalidName:
      return "invalid name";
    case ErrorCode::kUnknownTopic:
      return "unknown topic";
    case ErrorCode::kTopicAlreadyExists:
      return "topic already exists";
    case ErrorCode::kInvalidPartitions:
      return "invalid partitions";
    case ErrorCode::kInvalidConfig:
      return "invalid config";
    case ErrorCode::kOffsetOutOfRange:
      return "offset out of range";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kDeleted:
      return "deleted";
    case ErrorCode::kSnapshotIo:
      return "snapshot i/o error";
    case ErrorCode::kSnapshotCorrupt:
      return "snapshot corrupt";
    case ErrorCode::kSnapshotVersion:
      return "unsupported snapshot version";
  }
  return "unknown error";
}

uint64_t next_instance_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

MemoryBudget::MemoryBudget(uint64_t cap_bytes, double near_cap_fraction)
    : cap_(cap_bytes), near_cap_fraction_(near_cap_fraction) {}

bool MemoryBudget::try_reserve(MemoryCategory category, uint64_t bytes) {
  uint64_t current = used_.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t limit = cap();
    if (limit != 0 && (current + bytes > limit || current + bytes < current)) return false;
    if (used_.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed)) break;
  }
  used_by_category_[static_cast<std::size_t>(category)].fetch_add(bytes, std::memory_order_relaxed);
  return true;
}

void MemoryBudget::force_reserve(MemoryCategory category, uint64_t bytes) {
  used_.fetch_add(bytes, std::memory_order_relaxed);
  used_by_category_[static_cast<std::size_t>(category)].fetch_add(bytes, std::memory_order_relaxed);
}

void MemoryBudget::release(MemoryCategory category, uint64_t bytes) {
  used_.fetch_sub(bytes, std::memory_order_relaxed);
  used_by_category_[static_cast<std::size_t>(category)].fetch_sub(bytes, std::memory_order_relaxed);
}

uint64_t MemoryBudget::used(MemoryCategory category) const {
  return used_by_category_[static_cast<std::size_t>(category)].load(std::memory_order_relaxed);
}

void MemoryBudget::set_cap(uint64_t cap_bytes) { cap_.store(cap_bytes, std::memory_order_relaxed); }

bool MemoryBudget::near_cap() const {
  const uint64_t limit = cap();
  if (limit == 0) return false;
  return static_cast<double>(used()) >= static_cast<double>(limit) * near_cap_fraction_;
}

Error storage_full_error(MemoryCategory category, uint64_t requested, const MemoryBudget& budget) {
  return Error{ErrorCode::kStorageFull,
               fmt::format("storage full: storing {} bytes of {} would exceed the memory cap "
                           "({} of {} bytes used)",
                           requested, category_name(category), budget.used(), budget.cap())};
}

}  // namespace mockforge::storage
