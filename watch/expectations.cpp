#include "watch/expectations.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <memory>

namespace mockforge::watch {
namespace {

constexpr std::size_t kMaxMisses = 5;
constexpr std::size_t kMaxMatchedSeqs = 20;

}  // namespace

Expectations::Expectations(History& history) : history_(history) {}

Expectations::~Expectations() {
  std::lock_guard lock(mutex_);
  if (listener_ != 0) history_.unlisten(listener_);
}

void Expectations::update_listener() {
  // The history decodes what it records for listeners only: listen while
  // something is pending.
  if (pending_.empty() && listener_ != 0) {
    history_.unlisten(listener_);
    listener_ = 0;
  } else if (!pending_.empty() && listener_ == 0) {
    listener_ = history_.listen([this](const Recorded& recorded) { on_recorded(recorded); });
  }
}

void Expectations::look_at(Pending& pending, const Recorded& recorded) const {
  if (recorded.seq <= pending.evaluated_through || recorded.seq <= pending.window_after) return;
  pending.evaluated_through = recorded.seq;
  const auto& steps = pending.expectation.in_order;
  if (!steps.empty()) {
    ++pending.window_messages;
    if (pending.step >= steps.size()) return;
    const auto& step = steps[pending.step];
    if (recorded.message.protocol != step.protocol || !step.mismatches(recorded.message).empty())
      return;
    ++pending.matched;
    if (pending.matched_seqs.size() < kMaxMatchedSeqs) pending.matched_seqs.push_back(recorded.seq);
    if (++pending.step_matched >= step.n) {
      pending.step_done_at.push_back(recorded.seq);
      ++pending.step;
      pending.step_matched = 0;
    }
    return;
  }
  if (recorded.message.protocol != pending.expectation.protocol) return;
  ++pending.window_messages;
  if (!pending.expectation.mismatches(recorded.message).empty()) return;
  ++pending.matched;
  if (pending.matched_seqs.size() < kMaxMatchedSeqs) pending.matched_seqs.push_back(recorded.seq);
}

std::vector<Miss> Expectations::closest_misses(const Expectation& e, uint64_t after,
                                               uint64_t through) const {
  // The closest misses: messages of the protocol that met the most criteria.
  struct Ranked {
    int passed;
    Miss miss;
  };
  std::vector<Ranked> ranked;
  for (const auto& recorded : history_.since(after, SIZE_MAX, [&](const traffic::Message& message) {
         return message.protocol == e.protocol;
       })) {
    if (recorded.seq > through) break;
    int passed = 0;
    auto reasons = e.mismatches(recorded.message, &passed);
    if (reasons.empty()) continue;
    ranked.push_back(
        {passed, Miss{recorded.seq, recorded.message.destination, std::move(reasons)}});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.passed != b.passed) return a.passed > b.passed;
    return a.miss.seq > b.miss.seq;  // newer first among equals
  });
  std::vector<Miss> misses;
  for (std::size_t i = 0; i < ranked.size() && i < kMaxMisses; ++i) {
    misses.push_back(std::move(ranked[i].miss));
  }
  return misses;
}

std::optional<Verdict> Expectations::decide_sequence(const Pending& pending,
                                                     bool at_deadline) const {
  const auto& steps = pending.expectation.in_order;
  const bool met = pending.step >= steps.size();
  if (!met && !at_deadline) return std::nullopt;
  Verdict verdict;
  verdict.met = met;
  verdict.matched = pending.matched;
  verdict.matched_seqs = pending.matched_seqs;
  verdict.window_messages = pending.window_messages;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    verdict.steps.emplace_back(steps[i].describe(),
                               i < pending.step_done_at.size() ? pending.step_done_at[i] : 0);
  }
  if (met) {
    verdict.message = fmt::format("met: all {} steps in order; {} message(s) in the window",
                                  steps.size(), pending.window_messages);
    return verdict;
  }
  const auto& stalled = steps[pending.step];
  const uint64_t after = pending.step == 0 ? pending.window_after : pending.step_done_at.back();
  verdict.message = fmt::format(
      "not met within {} ms: step {} of {} ({}) saw {} of {} message(s) after {}",
      pending.expectation.timeout.count(), pending.step + 1, steps.size(), stalled.describe(),
      pending.step_matched, stalled.n,
      pending.step == 0 ? std::string("the window opened")
                        : fmt::format("step {} completed at seq {}", pending.step, after));
  if (pending.step > 0) {
    // The messages the stalled step wanted may have come, but too early.
    uint64_t early = 0;
    for (const auto& recorded : history_.since(pending.window_after)) {
      if (recorded.seq > after) break;
      if (recorded.message.protocol == stalled.protocol &&
          stalled.mismatches(recorded.message).empty())
        ++early;
    }
    if (early > 0) {
      verdict.message +=
          fmt::format("; {} matching message(s) came before step {} was complete (out of order)",
                      early, pending.step);
    }
  }
  verdict.closest_misses = closest_misses(stalled, after, pending.evaluated_through);
  return verdict;
}

std::optional<Verdict> Expectations::decide(const Pending& pending, bool at_deadline) const {
  if (!pending.expectation.in_order.empty()) return decide_sequence(pending, at_deadline);
  const auto& e = pending.expectation;
  bool met;
  bool decided;
  switch (e.count) {
    case Expectation::Count::kAtLeast:
      met = pending.matched >= e.n;
      decided = met || at_deadline;
      break;
    case Expectation::Count::kExactly:
      met = pending.matched == e.n;
      decided = pending.matched > e.n || at_deadline;
      if (pending.matched > e.n) met = false;
      break;
    case Expectation::Count::kNone:
    default:
      met = pending.matched == 0;
      decided = !met || at_deadline;
      break;
  }
  if (!decided) return std::nullopt;
  Verdict verdict;
  verdict.met = met;
  verdict.matched = pending.matched;
  verdict.matched_seqs = pending.matched_seqs;
  verdict.window_messages = pending.window_messages;
  const auto window = fmt::format("{} of {} {} message(s) in the window matched", pending.matched,
                                  pending.window_messages, traffic::to_string(e.protocol));
  if (met) {
    verdict.message = fmt::format("met: {}; {}", e.describe(), window);
    return verdict;
  }
  verdict.message =
      fmt::format("not met: expected {} within {} ms; {}", e.describe(), e.timeout.count(), window);
  if (pending.matched > 0 && e.count != Expectation::Count::kAtLeast) return verdict;  // too many
  verdict.closest_misses = closest_misses(e, pending.window_after, pending.evaluated_through);
  return verdict;
}

uint64_t Expectations::start(const Expectation& expectation, Done done) {
  std::optional<Verdict> verdict;
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    Pending pending;
    pending.expectation = expectation;
    switch (expectation.since) {
      case Expectation::Since::kReset:
        pending.window_after = history_.first_kept_after();
        break;
      case Expectation::Since::kNow:
        pending.window_after = history_.last_seq();
        break;
      case Expectation::Since::kSeq:
        pending.window_after = expectation.since_seq;
        break;
    }
    // Listening before reading the history, under mutex_: on_recorded() for
    // anything newer waits, and then sees evaluated_through, so no message
    // is counted twice or missed. Every seq up to `through` is in since().
    if (listener_ == 0) {
      listener_ = history_.listen([this](const Recorded& recorded) { on_recorded(recorded); });
    }
    const uint64_t through = history_.last_seq();
    for (const auto& recorded : history_.since(pending.window_after)) look_at(pending, recorded);
    pending.evaluated_through = std::max(pending.evaluated_through, through);
    verdict = decide(pending, expectation.timeout.count() == 0);
    if (!verdict) {
      id = next_id_++;
      pending.done = std::move(done);
      pending_.emplace(id, std::move(pending));
    }
    update_listener();
  }
  if (verdict) done(std::move(*verdict));
  return id;
}

void Expectations::on_recorded(const Recorded& recorded) {
  std::vector<std::pair<Done, Verdict>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      look_at(it->second, recorded);
      if (auto verdict = decide(it->second, false)) {
        finished.emplace_back(std::move(it->second.done), std::move(*verdict));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (!finished.empty()) update_listener();
  }
  for (auto& [done, verdict] : finished) done(std::move(verdict));
}

void Expectations::expire(uint64_t id) {
  std::optional<std::pair<Done, Verdict>> finished;
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    finished.emplace(std::move(it->second.done), *decide(it->second, true));
    pending_.erase(it);
    update_listener();
  }
  finished->first(std::move(finished->second));
}

Verdict Expectations::wait(const Expectation& expectation) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable ready;
    std::optional<Verdict> verdict;
  };
  auto shared = std::make_shared<Shared>();
  const auto id = start(expectation, [shared](Verdict verdict) {
    std::lock_guard lock(shared->mutex);
    shared->verdict = std::move(verdict);
    shared->ready.notify_all();
  });
  std::unique_lock lock(shared->mutex);
  if (!shared->ready.wait_for(lock, expectation.timeout,
                              [&] { return shared->verdict.has_value(); })) {
    lock.unlock();
    expire(id);
    lock.lock();
    shared->ready.wait(lock, [&] { return shared->verdict.has_value(); });
  }
  return std::move(*shared->verdict);
}

std::size_t Expectations::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace mockforge::watch
