// MQTT state: retained messages and persistent session records. The MQTT
// broker owns the protocol logic (wildcard matching, inflight handling); this
// only stores what must survive disconnects, resets and snapshots.
//
// Threading: RetainedStore and SessionStore each have one mutex for their map;
// every Session has its own mutex (lock order store -> session). Predicates and
// the session expiry hook run after locks are released.
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/small_mutex.h"
#include "core/storage/common.h"
#include "core/storage/compact_string.h"
#include "core/storage/id_key.h"
#include "core/storage/lazy_deque.h"
#include "core/storage/memory_budget.h"

namespace mockforge::storage {

struct RetainedMessage {
  Bytes payload;
  uint8_t qos = 0;
  Bytes properties;  // the broker's encoded MQTT 5 properties, opaque here
  TimePoint stored_at{};
  std::optional<TimePoint> expires_at;

  uint64_t stored_size() const { return byte_size(payload) + byte_size(properties); }
  bool expired(TimePoint now) const { return expires_at && *expires_at <= now; }
};

struct RetainedEntry {
  std::string topic;
  RetainedMessage message;
};

struct RetainedImage {
  std::vector<RetainedEntry> entries;  // sorted by topic
  ImageSource source;
};

class RetainedStore {
 public:
  explicit RetainedStore(StorageContext& context);
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  // Stores or replaces the retained message; an empty (or null) payload clears
  // the topic, as in MQTT. Errors: kStorageFull.
  Status set(std::string topic, RetainedMessage message);
  bool clear(std::string_view topic);
  // nullopt if absent or expired at `now`.
  std::optional<RetainedMessage> get(std::string_view topic, TimePoint now) const;
  // Unexpired entries whose topic satisfies `matches` (called outside the
  // lock), sorted by topic.
  std::vector<RetainedEntry> collect(const std::function<bool(std::string_view topic)>& matches,
                                     TimePoint now) const;
  // Removes entries expired at `now`; returns how many.
  std::size_t remove_expired(TimePoint now);

  std::size_t size() const;
  uint64_t stored_bytes() const;

  // Engine internals.
  RetainedImage capture() const;
  void restore(const RetainedImage& image);

 private:
  std::vector<RetainedEntry> entries_locked() const;

  StorageContext& context_;
  const uint64_t instance_id_ = next_instance_id();
  mutable std::mutex mutex_;
  uint64_t version_ = 0;
  std::map<std::string, RetainedMessage, std::less<>> messages_;
  uint64_t stored_bytes_ = 0;
};

struct SubscriptionOptions {
  uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  uint8_t retain_handling = 0;
  std::optional<uint32_t> subscription_identifier;

  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

using SubscriptionMap = std::map<std::string, SubscriptionOptions, std::less<>>;

struct OfflineMessage {
  std::string topic;
  Bytes payload;
  uint8_t qos = 0;
  bool retain = false;
  Bytes properties;
  std::optional<TimePoint> expires_at;

  uint64_t stored_size() const { return topic.size() + byte_size(payload) + byte_size(properties); }
};

enum class OfflineOverflow : uint8_t {
  kDropNewest,  // refuse the incoming message (Mosquitto's behaviour)
  kDropOldest,  // make room by discarding the oldest queued message
};

// MQTT "never expires" session expiry interval.
inline constexpr uint32_t kSessionNeverExpires = 0xFFFFFFFF;

struct SessionImage {
  std::string client_id;
  SubscriptionMap subscriptions;
  LazyDeque<OfflineMessage> offline;
  uint64_t dropped_count = 0;
  std::size_t offline_cap = 0;
  uint32_t expiry_interval_seconds = 0;
  std::optional<TimePoint> disconnected_at;
  Bytes broker_state;
  ImageSource source;
};

class Session {
 public:
  Session(StorageContext& context, std::string client_id, std::size_t offline_cap,
          OfflineOverflow overflow);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::string_view client_id() const { return client_id_.view(); }

  // True if the filter is new, false if its options were replaced.
  bool subscribe(std::string filter, SubscriptionOptions options);
  bool unsubscribe(std::string_view filter);
  SubscriptionMap subscriptions() const;

  // Queues a message for delivery on reconnect. True if queued; false if the
  // cap made it drop (the incoming one for kDropNewest). Every drop counts.
  // Errors: kStorageFull, kDeleted.
  Result<bool> enqueue_offline(OfflineMessage message);
  // Takes all queued messages (oldest first), leaving the queue empty.
  std::vector<OfflineMessage> take_offline();
  std::size_t offline_count() const;
  uint64_t dropped_count() const;
  void set_offline_cap(std::size_t cap);
  std::size_t offline_cap() const;

  void set_expiry_interval(uint32_t seconds);
  uint32_t expiry_interval() const;
  void mark_disconnected(TimePoint when);
  void mark_connected();
  std::optional<TimePoint> disconnected_at() const;
  // Disconnected and the expiry interval has passed.
  bool expired(TimePoint now) const;

  // Opaque broker state kept with the session (e.g. inflight packet ids).
  void set_broker_state(Bytes state);
  Bytes broker_state() const;
  bool deleted() const;

  // Engine internals.
  SessionImage capture() const;
  void restore(const SessionImage& image);
  void mark_deleted();

 private:
  // What many sessions never use (a connected clean-session client has no
  // subscription at first and never an offline queue), allocated on first
  // use: an MQTT broker keeps one Session per connected client.
  struct Data {
    SubscriptionMap subscriptions;
    LazyDeque<OfflineMessage> offline;
    uint64_t offline_bytes = 0;
    uint64_t dropped_count = 0;
    Bytes broker_state;
    TimePoint disconnected_at{};  // while disconnected_
  };
  Data& data_locked();
  void release_offline_locked();

  StorageContext& context_;
  const CompactString client_id_;  // inline up to 23 characters
  const uint64_t instance_id_ = next_instance_id();
  uint64_t version_ = 0;  // bumped by every change
  std::size_t offline_cap_;
  std::unique_ptr<Data> data_;
  uint32_t expiry_interval_seconds_ = 0;
  mutable SmallMutex mutex_;
  const OfflineOverflow overflow_;
  bool disconnected_ = false;
  bool deleted_ = false;
};

struct SessionStoreStats {
  std::size_t session_count = 0;
  uint64_t offline_messages = 0;
  uint64_t dropped_messages = 0;
};

class SessionStore {
 public:
  struct OpenResult {
    std::shared_ptr<Session> session;
    bool created = false;  // false: an existing session was resumed
  };
  using ExpiryHook = std::function<void(const std::string& client_id)>;

  SessionStore(StorageContext& context, std::size_t default_offline_cap,
               OfflineOverflow overflow = OfflineOverflow::kDropNewest);
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Finds or creates the session for `client_id`.
  OpenResult open(std::string client_id);
  std::shared_ptr<Session> find(std::string_view client_id) const;
  bool remove(std::string_view client_id);
  std::vector<std::string> client_ids() const;
  std::size_t size() const;

  // Removes sessions expired at `now`, calls the expiry hook for each (outside
  // the lock) and returns their client ids.
  std::vector<std::string> remove_expired(TimePoint now);
  void set_expiry_hook(ExpiryHook hook);
  SessionStoreStats stats() const;

  // Engine internals.
  std::vector<SessionImage> capture() const;
  void restore(const std::vector<SessionImage>& images);

 private:
  StorageContext& context_;
  const std::size_t default_offline_cap_;
  const OfflineOverflow overflow_;

  mutable std::mutex mutex_;
  // The sessions, found by client id (their own: one copy per session), in
  // an open-addressing set of pointers: no node allocated per session.
  struct SessionIds {
    static std::string_view id(std::string_view client_id) { return client_id; }
    static std::string_view id(const std::shared_ptr<Session>& session) {
      return session->client_id();
    }
  };
  using ById = IdKey<SessionIds>;
  using Sessions = boost::unordered_flat_set<std::shared_ptr<Session>, ById, ById>;
  Sessions sessions_;
  std::shared_ptr<ExpiryHook> expiry_hook_;
};

}  // namespace mockforge::storage
