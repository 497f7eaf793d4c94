// Shared vocabulary of the storage engine: immutable byte buffers, the clock,
// typed errors and the Result/Status return types.
//
// Threading model (applies to every storage object): each object is safe to
// call from any thread. It synchronises internally with its own mutex (one per
// partition, queue, session, store); there is no global lock on hot paths.
// Callbacks the engine invokes (data-arrival waiters, availability listeners,
// expiry hooks, reset observers, predicates) always run after the object's
// locks are released, so they may call back into storage.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mockforge::storage {

// Immutable, shareable byte buffer. Batches, message bodies and payloads are
// stored this way so that reset and snapshots copy pointers, not bytes.
using Bytes = std::shared_ptr<const std::string>;

inline Bytes make_bytes(std::string data) {
  return std::make_shared<const std::string>(std::move(data));
}
inline std::size_t byte_size(const Bytes& bytes) { return bytes ? bytes->size() : 0; }

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using ClockFunction = std::function<TimePoint()>;

inline int64_t to_unix_millis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
inline TimePoint from_unix_millis(int64_t millis) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(millis)));
}

enum class ErrorCode {
  kStorageFull,         // the engine's memory cap would be exceeded
  kInvalidName,         // topic name not acceptable
  kUnknownTopic,        // no topic with that name or id
  kTopicAlreadyExists,  // create_topic on an existing name
  kInvalidPartitions,   // partition count <= 0 or not increasing
  kInvalidConfig,       // a config value that does not parse
  kOffsetOutOfRange,    // read/delete outside [log start, high watermark]
  kInvalidArgument,     // malformed request (e.g. record_count <= 0)
  kDeleted,             // the object was deleted (or dropped by reset)
  kSnapshotIo,          // snapshot file could not be read or written
  kSnapshotCorrupt,     // bad magic, checksum, truncation or structure
  kSnapshotVersion,     // snapshot written by an unsupported format version
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

// A value or an Error. Hot paths return this instead of throwing.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }
  ErrorCode code() const { return error().code; }

 private:
  std::variant<T, Error> state_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  ErrorCode code() const { return error_->code; }

 private:
  std::optional<Error> error_;
};

// Which live object (and which version of it) an image was captured from.
// Every mutation bumps an object's version, so when a reset finds the same
// object at the same version it can skip restoring it. Images read from a
// snapshot file have no source.
struct ImageSource {
  uint64_t instance = 0;  // 0: no live source
  uint64_t version = 0;

  bool is(uint64_t live_instance, uint64_t live_version) const {
    return instance != 0 && instance == live_instance && version == live_version;
  }
};

// A process-wide unique, non-zero id for a storage object.
uint64_t next_instance_id();

// Callbacks collected while a lock is held and run once it is released.
using DeferredCallbacks = std::vector<std::function<void()>>;

inline void run_deferred(DeferredCallbacks& callbacks) {
  for (auto& callback : callbacks) callback();
  callbacks.clear();
}

}  // namespace mockforge::storage
