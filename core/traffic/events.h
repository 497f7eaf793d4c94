// The event stream: what happens on the brokers' connections (connect,
// disconnect, subscribe, unsubscribe, publish, deliver, ack, nack, error)
// and what the process does to them (fault fired), in protocol-neutral
// terms, for the live tail (watch/tail.h) and anything else that listens.
//
// Any module emits: check active() (one relaxed atomic load) before building
// an Event, then emit() it. Nothing is built or copied while nobody listens.
//
//   if (events.active()) events.emit({.protocol = ..., .kind = EventKind::kConnect, ...});
//
// Listeners run on the emitting thread, outside the stream's lock; they must
// be quick and must never wait (a tail queues and drops). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/traffic/message.h"

namespace mockforge::traffic {

enum class EventKind : uint8_t {
  kConnect,
  kDisconnect,
  kSubscribe,
  kUnsubscribe,
  kPublish,
  kDeliver,
  kAck,
  kNack,
  kError,
  kFault,
};
inline constexpr std::size_t kEventKindCount = 10;

std::string_view to_string(EventKind kind);
std::optional<EventKind> parse_event_kind(std::string_view name);

struct Event {
  int64_t time_us = 0;  // Unix time in microseconds; emit() stamps it when 0
  Protocol protocol = Protocol::kKafka;
  EventKind kind = EventKind::kConnect;
  // Kafka client.id, MQTT client identifier, AMQP connection name or
  // "user#id"; "mockforge:<source>" for what the process injected.
  std::string client_id;
  std::string connection;  // the peer, "host:port" (empty when not a connection's)
  // Kafka topic, MQTT topic (or filter, for subscribe), AMQP queue.
  std::string topic;
  std::string exchange;              // AMQP publish (and deliver: where it was published)
  std::string routing_key;           // AMQP
  std::optional<int32_t> partition;  // Kafka
  std::optional<int64_t> offset;     // Kafka: deliver (first offset), ack (committed)
  std::optional<uint64_t> size;      // publish, deliver: payload bytes
  std::optional<uint64_t> count;     // deliver, ack, nack: messages, when more than one fits
  std::string preview;               // publish, deliver: the payload's first bytes
  std::string detail;                // reason, error text, QoS, consumer tag, fault rule
};

class Events {
 public:
  // The first kPreviewBytes of a payload, cut at a UTF-8 boundary when it
  // is text; other bytes as they are (the tail encodes them).
  static constexpr std::size_t kPreviewBytes = 64;
  static std::string preview(std::string_view payload);

  // `also_counted`, when given, is incremented while listeners exist (the
  // hub counts event listeners as observers of publishes).
  explicit Events(std::atomic<std::size_t>* also_counted = nullptr) : also_counted_(also_counted) {}
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  // The check every emitter makes first.
  bool active() const { return listener_count_.load(std::memory_order_relaxed) != 0; }
  // Stamps the time (when 0) and tells every listener. Call when active().
  void emit(Event event) const;

  using Listener = std::function<void(const Event&)>;
  uint64_t listen(Listener listener);
  bool unlisten(uint64_t token);

 private:
  using ListenerList = std::map<uint64_t, std::shared_ptr<const Listener>>;
  std::atomic<std::size_t>* also_counted_;
  mutable std::mutex mutex_;
  std::shared_ptr<const ListenerList> listeners_ = std::make_shared<const ListenerList>();
  uint64_t next_token_ = 1;
  std::atomic<std::size_t> listener_count_{0};
};

// Microseconds since the Unix epoch, now.
int64_t unix_micros_now();

}  // namespace mockforge::traffic
