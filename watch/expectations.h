// Waits for expectations (expectation.h) against the history: each is
// decided as soon as it can be (at least N: when the Nth match arrives;
// exactly N or none: failed as soon as one match too many arrives, met only
// when its window closes), or at its deadline. A failed verdict lists the
// closest misses in the window with the reasons each did not match.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "watch/expectation.h"
#include "watch/history.h"

namespace mockforge::watch {

class Expectations {
 public:
  explicit Expectations(History& history);
  ~Expectations();
  Expectations(const Expectations&) = delete;
  Expectations& operator=(const Expectations&) = delete;

  using Done = std::function<void(Verdict)>;
  // Starts watching. `done` runs exactly once: inline when the history
  // already decides it (then 0 is returned), later on a publishing thread,
  // or from expire(). The caller owns the deadline and calls expire() at it.
  uint64_t start(const Expectation& expectation, Done done);
  // The deadline of `id` passed: decides with what arrived. No-op when done.
  void expire(uint64_t id);
  // Blocks up to expectation.timeout for the verdict.
  Verdict wait(const Expectation& expectation);
  std::size_t pending() const;
  bool history_enabled() const { return history_.enabled(); }

 private:
  struct Pending {
    Expectation expectation;
    uint64_t window_after = 0;       // messages with seq > this count
    uint64_t evaluated_through = 0;  // seqs up to this were looked at
    uint64_t matched = 0;
    uint64_t window_messages = 0;
    std::vector<uint64_t> matched_seqs;
    // A sequence: the step being waited for, its matches so far, and the
    // seq that completed each earlier step.
    std::size_t step = 0;
    uint64_t step_matched = 0;
    std::vector<uint64_t> step_done_at;
    Done done;
  };

  void on_recorded(const Recorded& recorded);
  // Listens to the history while something is pending. Under mutex_.
  void update_listener();
  void look_at(Pending& pending, const Recorded& recorded) const;
  // A verdict when `pending` is decided (at its deadline, if `at_deadline`).
  std::optional<Verdict> decide(const Pending& pending, bool at_deadline) const;
  std::optional<Verdict> decide_sequence(const Pending& pending, bool at_deadline) const;
  // Up to five messages of (after, through] that `e` missed, closest first.
  std::vector<Miss> closest_misses(const Expectation& e, uint64_t after, uint64_t through) const;

  History& history_;
  uint64_t listener_ = 0;
  mutable std::mutex mutex_;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
};

}  // namespace mockforge::watch
