// The version-neutral MQTT broker core shared by every connection: the
// registry of connected clients, the subscription index, retained messages,
// persistent sessions (in storage) and routing. No sockets and no Asio:
// connections reach it through ClientLink, and time passes through tick().
//
// Threading: every method may be called from any connection's strand. The
// client registry and subscription index sit behind one mutex; deliveries
// to other clients go through ClientLink::deliver, which the session layer
// posts onto the target connection's strand. Storage objects lock themselves.
#pragma once

#include <atomic>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/mqtt/broker/message.h"
#include "brokers/mqtt/broker/metrics.h"
#include "brokers/mqtt/broker/options.h"
#include "core/storage/mqtt_state.h"

namespace mockforge::traffic {
class Hub;
class Events;
struct Message;
}  // namespace mockforge::traffic

namespace mockforge::faults {
class FaultSet;
}  // namespace mockforge::faults

namespace mockforge::mqtt {

// Outgoing QoS 1/2 messages not yet acknowledged when a client with a
// persistent session went away; redelivered first (DUP) on reconnect.
struct PendingOutbound {
  uint16_t packet_id = 0;  // 0: never sent, gets an id on reconnect
  bool released = false;   // QoS 2: PUBREC received, PUBREL is what is owed
  Delivery delivery;
};

struct SessionHandOver {
  std::vector<PendingOutbound> outbound;  // in packet-id order, then never-sent
  std::vector<uint16_t> inbound_qos2;     // ids received, waiting for PUBREL
};

// What the admin API shows of a connected client (ClientLink::describe).
struct ClientInfo {
  std::string client_id;
  uint8_t protocol_version = 0;  // 3 (3.1), 4 (3.1.1), 5
  uint16_t keep_alive_secs = 0;
  std::string address;    // the peer, "host:port"
  uint32_t inflight = 0;  // outbound QoS 1/2 messages not yet acknowledged
  uint32_t queued = 0;    // waiting for Receive Maximum room
};

// One subscription as the admin API lists it.
struct SubscriptionInfo {
  std::string client_id;
  std::string filter;
  std::string share_group;  // empty for a plain subscription
  storage::SubscriptionOptions options;
};

// What the broker needs of a connected client. Implementations run the
// calls on the client's own strand (or synchronously in unit tests).
class ClientLink {
 public:
  virtual ~ClientLink() = default;
  // A message routed to this client at `qos` (already downgraded).
  virtual void deliver(Delivery delivery) = 0;
  // Another connection took over this client id: say so and close.
  virtual void take_over() = 0;
  // A reset dropped this client's session: end the connection (v5:
  // DISCONNECT 0x98 Administrative action), without the will.
  virtual void session_dropped() = 0;
  // The connection this one took over is gone: its unacknowledged messages
  // and unreleased QoS 2 ids, to resend with DUP (ConnectResult::awaiting_hand_over).
  virtual void adopt(SessionHandOver hand_over) = 0;
  // A strong reference to this link, so that the broker can call it outside
  // its lock. While a client is registered the broker keeps only the link's
  // address: a link stays alive until Broker::disconnected() for its client.
  virtual std::shared_ptr<ClientLink> shared() = 0;
  // Broker::connect, under the broker's lock and before it registers the
  // link: the session the client registered with. The link keeps it; its
  // client id is the registration's key until Broker::disconnected() for
  // this link (so it must not change meanwhile).
  virtual void registered(std::shared_ptr<storage::Session> session) = 0;
  // That session's client id.
  virtual std::string_view registered_id() const = 0;
  // Any thread, while registered: what the admin API shows.
  virtual ClientInfo describe() const = 0;
};

struct ConnectResult {
  std::shared_ptr<storage::Session> session;
  bool session_present = false;
  SessionHandOver resumed;                      // state kept while offline
  std::vector<storage::OfflineMessage> queued;  // queued while offline
  // A connection of the same session was taken over: its in-flight state
  // arrives later through ClientLink::adopt.
  bool awaiting_hand_over = false;
};

// Counters behind $SYS/broker/...: every packet and byte both ways, and the
// application messages (PUBLISH) among them (publish bytes: payload bytes,
// as Mosquitto counts them).
struct BrokerStats {
  std::atomic<uint64_t> packets_received{0};
  std::atomic<uint64_t> packets_sent{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> publish_received{0};
  std::atomic<uint64_t> publish_sent{0};
  std::atomic<uint64_t> publish_dropped{0};
  std::atomic<uint64_t> publish_bytes_received{0};
  std::atomic<uint64_t> publish_bytes_sent{0};
  std::atomic<uint64_t> clients_maximum{0};
};

struct WillMessage {
  Message message;
  uint32_t delay_seconds = 0;
};

class Broker {
 public:
  Broker(BrokerOptions options, storage::RetainedStore& retained, storage::SessionStore& sessions,
         BrokerMetrics* metrics);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const BrokerOptions& options() const { return options_; }
  BrokerMetrics* metrics() const { return metrics_; }
  BrokerStats& stats() { return stats_; }
  // A message was dropped (counted in metrics and $SYS/broker/publish/messages/dropped).
  void dropped(std::string_view reason);
  // The fault rules packets are checked against (faults/); null: none. Set
  // before serving.
  void set_fault_set(faults::FaultSet* fault_set) { fault_set_ = fault_set; }
  faults::FaultSet* fault_set() const { return fault_set_; }

  // Registers `link` as the connection of `client_id`, taking over (and
  // closing) any previous one; opens or resumes the session. A pending will
  // of the same client id is cancelled.
  ConnectResult connect(const std::string& client_id, bool clean_start,
                        uint32_t session_expiry_seconds, std::shared_ptr<ClientLink> link);
  // True if another client may connect (mqtt.max_connections).
  bool has_room_for(const std::string& client_id) const;

  // The connection `link` of `client_id` is gone. Ignored for a link that
  // was already taken over. Keeps the session (with `hand_over`) when its
  // expiry interval is non-zero, removes it otherwise; publishes or
  // schedules the will.
  // A taken-over connection's unacknowledged messages go to the new
  // connection when it continued the same `session`.
  // A QoS 1/2 delivery that reached `from` after its connection closed (the
  // broker had routed it there before it learnt of the close): to the
  // client's current connection if another took over, else into its
  // session's offline queue; dropped when the session ended with the
  // connection (clean session), as for any message to a client gone for good.
  void redeliver(const std::string& client_id, const ClientLink* from, Delivery delivery);
  void disconnected(const std::string& client_id, const ClientLink* link,
                    const storage::Session* session, uint32_t session_expiry_seconds,
                    SessionHandOver hand_over, std::optional<WillMessage> will);

  // Subscribes; returns true if the filter is new for this client.
  bool subscribe(const std::string& client_id, const std::string& filter,
                 storage::SubscriptionOptions options);
  bool unsubscribe(const std::string& client_id, const std::string& filter);
  // Retained messages matching a (non-shared) filter, unexpired, including
  // the current $SYS values.
  std::vector<storage::RetainedEntry> retained_matching(const std::string& filter) const;

  // Updates the $SYS/broker/... values and sends the changed ones to their
  // subscribers as retained messages. They are kept by the broker, not in
  // the retained store (so reset and snapshots leave them alone).
  void publish_sys(storage::TimePoint now);
  // The current $SYS values, topic -> payload.
  std::map<std::string, std::string> sys_values() const;

  // Routes a message to every matching subscription and stores it when it
  // is retained. Returns how many copies it was routed as (one per client for its
  // non-shared subscriptions, plus one per shared subscription), plus one when
  // the publisher's own No Local subscription matched and it got no copy.
  std::size_t publish(const Message& message);
  // A client's message (or its will): publish(), then the traffic observers
  // are told, if any watch.
  std::size_t publish_from_client(const Message& message);
  // The same with `as_traffic`, the message already built for the hub's gates.
  std::size_t publish_from_client(const Message& message, const traffic::Message& as_traffic);
  // Where publish_from_client() reports; null: nowhere. Set before serving.
  void set_traffic(traffic::Hub* hub) { traffic_ = hub; }
  traffic::Hub* traffic() const { return traffic_; }
  // The hub's event stream while anyone listens, else null: the check every
  // connection event makes first (one relaxed atomic load).
  traffic::Events* listening_events() const;

  // Expires sessions and sends wills whose delay ended.
  void tick(storage::TimePoint now);

  std::size_t connected_clients() const;
  std::size_t subscription_count() const;
  // Connected clients by client id, and every subscription (plain and
  // shared) by filter, for the admin API.
  std::vector<ClientInfo> clients() const;
  std::vector<SubscriptionInfo> subscriptions() const;
  bool is_connected(std::string_view client_id) const;
  // Removes an offline client's session; false if it is connected or has none.
  bool remove_offline_session(const std::string& client_id);

  // Fixtures: the persistent session of `client_id` as if it had subscribed
  // and gone away now, expiring after `expiry_seconds` (so a client that
  // connects with clean start 0 finds it: session present, subscriptions
  // active, `queued` delivered first). "" or why not: refused while the client
  // is connected, or when it has a session with other subscriptions (one
  // with the same ones is left as it is). With `dry_run`, only checks.
  std::string declare_session(const std::string& client_id, uint32_t expiry_seconds,
                              const storage::SubscriptionMap& subscriptions,
                              const std::vector<Message>& queued, bool dry_run);

  // After a storage reset: forget protocol-only state (pending wills,
  // hand-overs) and rebuild the subscription index from storage. The reset
  // dropped every connected client's session: with `disconnect_clients`
  // they are disconnected (ClientLink::session_dropped), otherwise they stay
  // connected without subscriptions. Returns how many were disconnected.
  std::size_t reset(bool disconnect_clients = true);

 private:
  faults::FaultSet* fault_set_ = nullptr;
  struct Subscriber {
    std::string client_id;
    storage::SubscriptionOptions options;
  };
  struct SharedGroup {
    std::vector<Subscriber> members;
    std::size_t next = 0;
  };
  struct PendingWill {
    WillMessage will;
    storage::TimePoint due;
  };

  void index_add_locked(const std::string& client_id, const std::string& filter,
                        const storage::SubscriptionOptions& options);
  void index_remove_locked(const std::string& client_id, const std::string& filter);
  void remove_session_locked(const std::string& client_id);
  void rebuild_index_locked();
  void send_will(const WillMessage& will);
  // Routes without storing (publish() stores retained messages first).
  std::size_t route(const Message& message);
  storage::TimePoint now() const;

  const BrokerOptions options_;
  storage::RetainedStore& retained_;
  storage::SessionStore& sessions_;
  BrokerMetrics* metrics_;
  traffic::Hub* traffic_ = nullptr;

  // Connected clients, found by client id: the address of each one's link
  // (ClientLink::shared() for a strong reference), keyed by the id of the
  // session it registered with (ClientLink::registered_id()). An
  // open-addressing set of 8-byte entries.
  struct LinkIds {
    static std::string_view id(std::string_view client_id) { return client_id; }
    static std::string_view id(const ClientLink* link) { return link->registered_id(); }
  };
  using ByClientId = storage::IdKey<LinkIds>;
  mutable std::mutex mutex_;
  boost::unordered_flat_set<ClientLink*, ByClientId, ByClientId> links_;
  // filter -> client id -> options (plain subscriptions).
  std::map<std::string, std::map<std::string, storage::SubscriptionOptions>> plain_;
  // "group\nfilter" -> members, served round-robin.
  std::map<std::string, SharedGroup> shared_;
  std::map<std::string, SessionHandOver> hand_overs_;
  std::map<std::string, PendingWill> pending_wills_;
  std::map<std::string, std::string> sys_;  // $SYS topic -> payload last published
  // Mosquitto's $SYS/broker/load/.../1min: one-minute moving averages of the
  // counters' per-minute rates, updated by publish_sys() (its thread only).
  struct Load {
    uint64_t last_count = 0;
    double per_minute = 0;
  };
  std::map<std::string, Load> loads_;  // "messages/received", ...
  std::optional<storage::TimePoint> last_load_update_;

  BrokerStats stats_;
  const storage::TimePoint started_ = storage::Clock::now();
};

}  // namespace mockforge::mqtt
