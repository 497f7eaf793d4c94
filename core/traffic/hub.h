// The traffic hub: the one seam between the brokers and everything that
// publishes into them or watches what they accept (fixtures, responders, the
// control plane), in protocol-neutral terms (core/traffic/message.h).
//
//   Inbound: each broker attaches an Endpoint at start() and detaches it at
//   stop(). Hub::publish() hands messages to that broker's own delivery path,
//   exactly where a client's publish would go (MQTT routing with retained
//   messages and QoS, AMQP exchanges to queues and consumers, Kafka appends
//   that wake fetchers).
//
//   Observed: every publish a broker accepts, from a client or through
//   publish(), is passed to the observers with the sender's client id, and
//   is a publish event on events() while that has listeners.
//   Brokers check observed() (one relaxed atomic load) before building the
//   neutral message, so watching costs nothing while nobody watches.
//   Batch observers (observe_batches) get what was accepted as an
//   AcceptedBatch (core/traffic/batch.h) that they decode when they need to;
//   a broker that accepts a batch it has not decoded (Kafka) hands it over
//   as is, and it is decoded only if message observers or events want it.
//
// Observers run on the publishing thread (a connection's, or the caller of
// publish()) after the broker accepted the message and outside the hub's
// locks; they must be quick and thread-safe, and may call publish().
//
//   Gated: gates (AsyncAPI validation, contracts/) are consulted before a
//   broker accepts a client's publish, at the same points, and before
//   publish() hands messages to a broker; a gate that refuses a message keeps
//   it out, and the broker refuses it in its protocol's own way (MQTT 5
//   PUBACK/PUBREC 0x99, Kafka INVALID_RECORD, AMQP basic.nack). Brokers check
//   gated() (one relaxed atomic load) first, so no gate costs nothing.
//   Gates run on the publishing thread, outside the hub's locks; they must be
//   thread-safe and must not publish.
//
// Thread-safe throughout.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "core/traffic/batch.h"
#include "core/traffic/events.h"
#include "core/traffic/message.h"

namespace mockforge::traffic {

struct PublishResult {
  std::size_t accepted = 0;  // messages the broker took, in order
  std::string error;         // set: the first refused message's reason; later ones were not tried
  bool ok() const { return error.empty(); }
};

// What a broker offers the hub. Called from any thread.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Publishes through the broker's delivery path. All messages are of the
  // broker's protocol. Stops at the first refusal.
  virtual PublishResult publish(std::span<const Message> messages) = 0;
  // Declares a resource; "" on success, else why not. Declaring what exists
  // with the same definition succeeds and changes nothing.
  virtual std::string declare(const Resource& resource) = 0;
  // Whether declare(resource) would succeed, changing nothing: "" or why
  // not. A resource that does not exist yet passes if it could be created.
  virtual std::string check(const Resource& resource) = 0;
};

using Observer = std::function<void(const Message&)>;
using BatchObserver = std::function<void(const std::shared_ptr<const AcceptedBatch>&)>;
using ObserverToken = uint64_t;

// A gate's answer about one message.
struct Admission {
  bool refused = false;
  std::string reason;  // when refused: why, for the protocol's error message and logs
  static Admission accept() { return {}; }
  static Admission refuse(std::string why) { return {true, std::move(why)}; }
};
using Gate = std::function<Admission(const Message&)>;
using GateToken = uint64_t;

class Hub {
 public:
  Hub() = default;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Brokers: attach at start(), detach at stop(). A second attach for a
  // protocol replaces the first.
  void attach(Protocol protocol, std::shared_ptr<Endpoint> endpoint);
  void detach(Protocol protocol, const Endpoint* endpoint);
  bool attached(Protocol protocol) const;

  // Publishes through each message's broker, in order, then tells the
  // observers about every accepted one. Stops at the first refusal (an
  // unattached protocol is one, a gate's refusal another).
  PublishResult publish(std::span<const Message> messages);
  PublishResult publish(const Message& message) { return publish(std::span(&message, 1)); }
  // As publish(), without telling the observers or the event stream: what
  // fixtures seed is state, not traffic (the history, expectations,
  // responders, bridges and the tail never see it).
  PublishResult seed(std::span<const Message> messages);
  std::string declare(const Resource& resource);
  std::string check(const Resource& resource);

  ObserverToken observe(Observer observer);
  ObserverToken observe_batches(BatchObserver observer);
  bool unobserve(ObserverToken token);  // either kind
  // The hot-path check brokers make before building a message for accepted():
  // true while there are observers or event listeners.
  bool observed() const { return observer_count_.load(std::memory_order_relaxed) != 0; }
  // Brokers: a client's publish was accepted. Call only when observed().
  void accepted(const Message& message) const;
  // Brokers: a batch of a client's publishes was accepted. Call only when
  // observed(). Decodes it once if message observers or events want it.
  void accepted(const std::shared_ptr<const AcceptedBatch>& batch) const;

  // Gates, consulted in the order added; the first refusal wins.
  GateToken add_gate(Gate gate);
  bool remove_gate(GateToken token);
  // The hot-path check brokers make before building a message for admit().
  bool gated() const { return gate_count_.load(std::memory_order_relaxed) != 0; }
  // Brokers: whether a client's publish may be accepted. Call only when gated().
  Admission admit(const Message& message) const;

  // The event stream (core/traffic/events.h): brokers emit their
  // connections' lifecycle there; accepted() adds the publishes.
  Events& events() { return events_; }
  const Events& events() const { return events_; }

 private:
  PublishResult publish(std::span<const Message> messages, bool observe);

  using ObserverList = std::map<ObserverToken, std::shared_ptr<const Observer>>;
  using BatchObserverList = std::map<ObserverToken, std::shared_ptr<const BatchObserver>>;
  struct Observers {
    ObserverList messages;
    BatchObserverList batches;
  };
  using GateList = std::map<GateToken, std::shared_ptr<const Gate>>;
  std::shared_ptr<Endpoint> endpoint(Protocol protocol) const;
  std::shared_ptr<const Observers> observers() const;
  // The message observers and the event stream.
  void tell(const Observers& observers, const Message& message) const;

  mutable std::mutex mutex_;
  std::array<std::shared_ptr<Endpoint>, kProtocolCount> endpoints_;
  std::shared_ptr<const Observers> observers_ = std::make_shared<const Observers>();
  std::shared_ptr<const GateList> gates_ = std::make_shared<const GateList>();
  ObserverToken next_token_ = 1;
  std::atomic<std::size_t> gate_count_{0};
  std::atomic<std::size_t> observer_count_{0};  // observers and event listeners
  Events events_{&observer_count_};
};

}  // namespace mockforge::traffic
