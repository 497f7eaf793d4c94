// The live tail: readers of the event stream (core/traffic/events.h), each
// with its filters and a bounded queue. The brokers never wait for a
// reader: an event that finds its reader's queue full is dropped and
// counted (per reader, for the reader to be told, and in
// mockforge_tail_dropped_total). The admin route serves readers as
// Server-Sent Events (watch/tail_api.h). Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/traffic/events.h"

namespace mockforge::metrics {
class Counter;
}

namespace mockforge::watch {

struct TailFilter {
  std::optional<traffic::Protocol> protocol;
  std::string client;  // the client id, exactly; empty: any
  // A topic, queue, exchange or routing key, exactly; with MQTT wildcards
  // ('+', '#') it matches topics as a subscription would. Empty: any.
  std::string topic;
  std::set<traffic::EventKind> kinds;  // empty: every kind

  bool matches(const traffic::Event& event) const;
  // Why `topic` is not a usable filter, "" when it is.
  std::string check() const;
};

class TailReader {
 public:
  ~TailReader();
  TailReader(const TailReader&) = delete;
  TailReader& operator=(const TailReader&) = delete;

  // Called (any thread) when the queue gets something after being empty,
  // or an event is dropped. Set it before events matter.
  void set_wake(std::function<void()> wake);
  struct Taken {
    std::vector<traffic::Event> events;
    uint64_t dropped = 0;  // events dropped since the last take()
  };
  Taken take(std::size_t max);
  // Stops listening; take() then drains what is queued.
  void close();
  uint64_t dropped_total() const;

 private:
  friend class Tail;
  TailReader(TailFilter filter, std::size_t capacity, metrics::Counter* dropped_metric);
  void offer(const traffic::Event& event);

  const TailFilter filter_;
  const std::size_t capacity_;
  metrics::Counter* dropped_metric_;
  traffic::Events* events_ = nullptr;
  uint64_t token_ = 0;
  mutable std::mutex mutex_;
  std::deque<traffic::Event> queue_;
  uint64_t dropped_since_take_ = 0;
  uint64_t dropped_total_ = 0;
  std::function<void()> wake_;
  bool wake_pending_ = false;  // woken, not taken since: no need to wake again
};

class Tail {
 public:
  // `dropped_metric` (may be null) counts every dropped event.
  Tail(traffic::Events& events, metrics::Counter* dropped_metric);
  // A reader that listens until close() or its destruction; at most
  // `capacity` events wait in its queue.
  std::shared_ptr<TailReader> open(TailFilter filter, std::size_t capacity);

 private:
  traffic::Events& events_;
  metrics::Counter* dropped_metric_;
};

}  // namespace mockforge::watch
