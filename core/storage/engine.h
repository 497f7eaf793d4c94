// mockforge::storage::Engine — the one storage engine the Kafka, MQTT and AMQP
// brokers share: partitioned logs, queues, retained messages and MQTT session
// records, with a memory cap, reset to a marked initial state, and snapshots.
//
// Threading model: every storage object (Engine, LogStore, Topic, Partition,
// QueueRegistry, Queue, RetainedStore, SessionStore, Session) is safe to call
// from any thread. Each synchronises with its own mutex (one per partition,
// queue, session and store; memory accounting is lock-free) and there is no
// global lock on hot paths. Callbacks — data-arrival waiters, queue
// availability listeners, session expiry hooks, reset observers, retained
// predicates — are invoked after the invoking object's locks are released, so
// they may call back into storage. The one exception is a BatchMutator passed
// to Partition::append, which runs under the partition lock by design.
// The engine does no I/O except snapshot_to_file/restore_from_file, and never
// includes Boost.Asio: timers and deadlines belong to the brokers.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/storage/common.h"
#include "core/storage/log.h"
#include "core/storage/memory_budget.h"
#include "core/storage/mqtt_state.h"
#include "core/storage/queue.h"

namespace mockforge::storage {

struct EngineImage;

struct EngineOptions {
  uint64_t memory_cap_bytes = 0;   // 0: unlimited
  double near_cap_fraction = 0.9;  // near_memory_cap() threshold
  std::size_t session_offline_cap = 1000;
  OfflineOverflow session_offline_overflow = OfflineOverflow::kDropNewest;
  ClockFunction clock;  // defaults to the system clock; tests inject one
  // Kafka retention for topics that set none (nullopt: unlimited).
  std::optional<uint64_t> default_retention_bytes;
  std::optional<int64_t> default_retention_ms;
};

struct EngineStats {
  LogStats logs;
  QueueRegistryStats queues;
  std::size_t retained_count = 0;
  uint64_t retained_bytes = 0;
  SessionStoreStats sessions;
  uint64_t memory_used = 0;
  uint64_t memory_cap = 0;
  bool near_memory_cap = false;
};

enum class StateChange {
  kReset,     // reset() restored the marked initial state
  kRestored,  // restore_from_file() replaced the state
};
using ResetObserver = std::function<void(StateChange)>;
// The parts of the state, for resetting one protocol's data alone.
enum StatePart : unsigned {
  kLogParts = 1,       // Kafka
  kQueueParts = 2,     // AMQP
  kRetainedParts = 4,  // MQTT
  kSessionParts = 8,   // MQTT
  kAllParts = 15,
};
using ObserverToken = uint64_t;

// State a broker keeps outside storage that snapshots must carry (AMQP
// topology, Kafka consumer-group offsets): opaque bytes under a name.
struct SnapshotExtension {
  std::function<std::string()> capture;           // any thread
  std::function<void(std::string_view)> restore;  // see Engine::restore_extensions
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  LogStore& logs() { return logs_; }
  QueueRegistry& queues() { return queues_; }
  RetainedStore& retained() { return retained_; }
  SessionStore& sessions() { return sessions_; }
  const LogStore& logs() const { return logs_; }
  const QueueRegistry& queues() const { return queues_; }
  const RetainedStore& retained() const { return retained_; }
  const SessionStore& sessions() const { return sessions_; }

  // Records the current state (after fixtures have seeded it) as the state
  // reset() returns to. Cheap: buffers are shared, not copied.
  void mark_initial_state();
  // Restores the marked initial state (empty if none was marked). Objects that
  // exist in both keep their identity; others are marked deleted. Partition
  // waiters get kPartitionReset, then reset observers are told (kReset).
  // Unacked queue messages at mark time come back as ready, redelivered.
  void reset();
  // Restores only `parts` (a StatePart mask) of the marked initial state;
  // only observers of those parts are told.
  void reset(unsigned parts);
  // How long the last reset() took.
  std::chrono::microseconds last_reset_duration() const;

  // The observer is told of resets and restores touching any of `parts`.
  ObserverToken add_reset_observer(ResetObserver observer, unsigned parts = kAllParts);

  // Registers a snapshot extension: snapshot_to_file() writes what `capture`
  // returns; restore_from_file() keeps the file's bytes for `name` until
  // restore_extensions() hands them to `restore`. When a restored file
  // already holds bytes for `name` (a broker that starts after the start-up
  // restore), they are handed over now. One extension per name.
  void add_snapshot_extension(const std::string& name, SnapshotExtension extension);
  void remove_snapshot_extension(const std::string& name);
  // Hands the last restored file's extension bytes to their extensions
  // (after the brokers dropped their own state); each once.
  void restore_extensions();
  bool remove_reset_observer(ObserverToken token);

  // A versioned, checksummed snapshot (see snapshot.h) with every extension's
  // bytes. Each object is captured consistently; the whole is not one atomic cut.
  std::string snapshot() const;
  // Writes snapshot() to `path` (via a temporary file + rename).
  Status snapshot_to_file(const std::filesystem::path& path) const;
  // Validates the whole of `data` first; on any error the state is unchanged
  // and the error names `source_name`. Observers are told (kRestored). The
  // marked initial state is not changed; call mark_initial_state() to adopt it.
  Status restore(std::string_view data, std::string_view source_name);
  // restore() of the file's contents, named by its path.
  Status restore_from_file(const std::filesystem::path& path);

  MemoryBudget& memory() { return context_.budget; }
  const MemoryBudget& memory() const { return context_.budget; }
  bool near_memory_cap() const { return context_.budget.near_cap(); }
  EngineStats stats() const;
  const StorageContext& context() const { return context_; }

 private:
  EngineImage capture() const;
  void apply(const EngineImage& image, StateChange change, unsigned parts = kAllParts);

  StorageContext context_;
  LogStore logs_;
  QueueRegistry queues_;
  RetainedStore retained_;
  SessionStore sessions_;

  std::mutex apply_mutex_;  // serialises reset/restore with each other
  mutable std::mutex state_mutex_;
  std::shared_ptr<const EngineImage> initial_state_;
  std::chrono::microseconds last_reset_duration_{0};
  ObserverToken next_observer_token_ = 1;
  std::map<ObserverToken, std::pair<unsigned, std::shared_ptr<ResetObserver>>> observers_;
  std::map<std::string, SnapshotExtension> extensions_;
  std::map<std::string, std::string> pending_extensions_;  // restored, not yet handed over
};

}  // namespace mockforge::storage
