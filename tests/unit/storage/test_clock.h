// A manual clock for storage tests, safe to read from several threads.
#pragma once

#include <atomic>
#include <chrono>

#include "core/storage/common.h"

namespace mockforge::storage::testing {

class ManualClock {
 public:
  explicit ManualClock(int64_t start_millis = 1'700'000'000'000) : millis_(start_millis) {}

  TimePoint now() const { return from_unix_millis(millis_.load()); }
  int64_t now_millis() const { return millis_.load(); }
  void advance(std::chrono::milliseconds delta) { millis_ += delta.count(); }
  ClockFunction function() {
    return [this] { return now(); };
  }

 private:
  std::atomic<int64_t> millis_;
};

}  // namespace mockforge::storage::testing
