// A bounded log of the messages the brokers accepted, of every protocol and
// source (clients, fixtures, responders), numbered in the order the hub saw
// them. It observes the traffic hub while it exists; reset() empties it
// (the server resets it with storage). Thread-safe.
//
// It keeps what the hub hands it as accepted batches (core/traffic/batch.h)
// and decodes them into messages only when queried or listened to: a Kafka
// produce batch costs a copy of its bytes, not a decode per record. The byte
// limit counts what the batches hold (a Kafka batch's bytes as produced).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/traffic/hub.h"

namespace mockforge::watch {

struct Recorded {
  uint64_t seq = 0;  // 1, 2, ... since the process started (not restarted by reset)
  traffic::Message message;
};

struct HistoryLimits {
  std::size_t max_messages = 10000;          // oldest dropped beyond this; 0: history off
  std::size_t max_payload_bytes = 64 << 20;  // and beyond this many bytes kept
};

class History {
 public:
  // Observes `hub` unless limits.max_messages is 0 (then it stays empty).
  History(traffic::Hub& hub, HistoryLimits limits = {});
  bool enabled() const { return limits_.max_messages > 0; }
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Messages with seq > after, oldest first, at most `limit` of them, that
  // `keep` accepts (all when keep is empty).
  std::vector<Recorded> since(uint64_t after, std::size_t limit = SIZE_MAX,
                              const std::function<bool(const traffic::Message&)>& keep = {}) const;
  // The seq of the newest message (0 before the first).
  uint64_t last_seq() const;
  // The seq the history starts after: what reset() or trimming dropped.
  uint64_t first_kept_after() const;
  std::size_t size() const;
  uint64_t dropped() const;  // trimmed by the limits since start

  // Forgets every message; what comes next keeps counting on.
  void reset();

  // Called after each recorded message, outside the history's lock, on the
  // publishing thread. Returns a token for unlisten().
  using Listener = std::function<void(const Recorded&)>;
  uint64_t listen(Listener listener);
  void unlisten(uint64_t token);

 private:
  void record(const std::shared_ptr<const traffic::AcceptedBatch>& batch);

  // The messages of one accepted batch numbered first_seq, first_seq + 1, ...;
  // the first `skip` of them were trimmed.
  struct Chunk {
    uint64_t first_seq = 0;
    std::shared_ptr<const traffic::AcceptedBatch> batch;
    std::size_t skip = 0;
    uint64_t last_seq() const { return first_seq + batch->size() - 1; }
  };

  traffic::Hub& hub_;
  traffic::ObserverToken observer_ = 0;
  HistoryLimits limits_;
  mutable std::mutex mutex_;
  std::deque<Chunk> chunks_;
  std::size_t count_ = 0;  // messages kept
  std::size_t bytes_ = 0;  // what the kept batches hold
  uint64_t next_seq_ = 1;
  uint64_t kept_after_ = 0;
  uint64_t dropped_ = 0;
  std::mutex listeners_mutex_;
  std::map<uint64_t, std::shared_ptr<const Listener>> listeners_;
  uint64_t next_listener_ = 1;
};

}  // namespace mockforge::watch
