// One client connection's protocol state: the CONNECT handshake, keep
// alive, packet identifiers, the QoS 1/2 flows both ways, Receive Maximum,
// topic aliases, the will, and the hand-over of session state on close.
// Frames and events in, packets out through ClientIo; no sockets, so unit
// tests drive it directly. Every call runs on the connection's executor.
//
// Memory: an idle client is the fields below and nothing else; QoS 1/2
// state, alias tables, the backlog, a will or a user name go in Extras,
// allocated when first needed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/packet.h"
#include "core/storage/lazy_deque.h"
#include "core/traffic/events.h"

namespace mockforge::mqtt {

// What the protocol state needs from its connection: Client is abstract, and
// the session layer (MqttProtocol) or a unit test derives from it. It is also
// the link the broker reaches the client through (ClientLink: deliver,
// take_over, adopt and shared run the client's deliver_now, taken_over and
// adopt_now on its executor), so that an idle client has one vtable pointer
// for both.
class ClientIo : public ClientLink {
 public:
  virtual ~ClientIo() = default;
  virtual void send_bytes(Bytes bytes) = 0;
  // Write what is queued, then close.
  virtual void close_connection(std::string reason) = 0;
  // Close when nothing was read for `timeout` (0: never).
  virtual void set_read_timeout(std::chrono::milliseconds timeout) = 0;
  // A link that runs Client::deliver / Client::taken_over on this
  // connection's executor, safe to call from any thread and after close.
  // The same link every time (the client asks again when it closes, to tell
  // the broker which registration ends); it must stay alive until then.
  virtual std::shared_ptr<ClientLink> make_link() = 0;
  // True while the connection's unsent output is over its limit (a slow
  // reader); QoS 0 messages are then dropped and counted, QoS 1/2 ones wait
  // in the backlog (max_queued_messages, then dropped) until the output is
  // written.
  virtual bool congested() const = 0;
  // Call Client::on_output_drained() on the executor once what is queued for
  // the socket has been written.
  virtual void notify_when_drained() {}
  // The peer's address, "host:port"; any thread.
  virtual std::string peer_address() const = 0;
  // Whether the connection came in on a TLS listener (mqtt.tls_port, mqtt.wss_port).
  virtual bool tls() const { return false; }
  // The CN of the client certificate the TLS handshake verified, if any.
  virtual std::optional<std::string> certificate_common_name() const { return std::nullopt; }
  // Its subject in RFC 2253 form (CN=...,O=...: the last RDN first).
  virtual std::optional<std::string> certificate_subject() const { return std::nullopt; }
  // A fault rule holds a packet: stop reading for `delay`, then run `resume`
  // on the executor (not when the connection closed meanwhile) and read on.
  virtual void hold_input(std::chrono::milliseconds delay, std::function<void()> resume) = 0;
  // A fault rule pauses deliveries: run `resume` on the executor after
  // `delay` (not when the connection closed meanwhile); reading goes on.
  virtual void run_after(std::chrono::milliseconds delay, std::function<void()> resume) = 0;
};

class Client : public ClientIo {
 public:
  explicit Client(Broker& broker);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Events from the connection.
  void on_frame(std::span<const uint8_t> frame);
  void on_framing_error(const DecodeError& error);
  void on_read_timeout();
  void on_server_shutdown();
  void on_closed();
  // notify_when_drained() was asked, and the output was written.
  void on_output_drained();
  // From the broker (through the link).
  void deliver_now(Delivery delivery);
  void taken_over();
  void session_dropped_now();
  void adopt_now(SessionHandOver hand_over);

  // The largest packet the broker accepts from this client.
  uint32_t maximum_inbound_packet_size() const { return broker_.options().maximum_packet_size; }

  // The event stream (core/traffic/events.h): check events_on() before
  // building anything for emit_event(), which fills in the client id and
  // the peer.
  bool events_on() const { return broker_.listening_events() != nullptr; }
  void emit_event(traffic::EventKind kind, std::string_view topic = {},
                  std::string_view detail = {}, const Bytes* payload = nullptr) const;

  // --- For the packet handlers (handlers/*.cpp) ---
  Broker& broker() { return broker_; }
  const BrokerOptions& options() const { return broker_.options(); }
  ProtocolVersion version() const { return version_; }
  bool v5() const { return is_v5(version_); }
  // CONNECT fixes the version every later packet (and a refusal) uses.
  void set_version(ProtocolVersion version) { version_ = version; }
  // Empty until CONNECT is accepted (the session keeps the one copy).
  std::string_view client_id() const;
  // Client id and user name, for the ACL.
  Identity identity() const;
  // The ACL, or null when everything is allowed.
  const AccessControl* acl() const;

  void send(const Packet& packet);
  // Ends the connection for a protocol violation: DISCONNECT with `code`
  // in v5, a plain close before. The will is sent.
  void fail(ReasonCode code, std::string reason);
  // Sends a CONNACK refusing the connection and closes.
  void refuse_connect(ReasonCode code, std::string reason);
  // Ends the connection after a client DISCONNECT.
  void client_disconnected(const Disconnect& disconnect);

  // Applies an accepted CONNECT: registers with the broker and resumes the
  // session. Returns whether a session was present.
  struct Accepted {
    std::string client_id;
    bool clean_start = true;
    uint32_t session_expiry = 0;
    std::optional<WillMessage> will;
    uint16_t keep_alive_secs = 0;
    uint16_t receive_maximum = 65535;
    uint32_t maximum_packet_size = kMaxPacketSize;
    uint16_t topic_alias_maximum = 0;  // the client's: server -> client aliases
    std::optional<std::string> username;
  };
  bool accept(Accepted accepted);
  // After the CONNACK: resend what was in flight and queued.
  void resume();
  bool connected() const { return connected_; }
  // ClientLink: the broker hands the client its session as it registers it.
  void registered(std::shared_ptr<storage::Session> session) final {
    session_ = std::move(session);
  }
  std::string_view registered_id() const final { return session_->client_id(); }
  ClientInfo describe() const final;
  bool connect_seen() const { return connect_seen_; }
  uint32_t session_expiry() const { return extras_ ? extras_->session_expiry : 0; }
  void set_session_expiry(uint32_t seconds) {
    if (seconds != 0 || extras_) extras().session_expiry = seconds;
  }

  // Inbound QoS 2 ids received, waiting for PUBREL (exactly-once).
  std::set<uint16_t>& inbound_qos2() { return extras().inbound_qos2; }
  // Inbound topic aliases.
  std::map<uint16_t, std::string>& topic_aliases() { return extras().topic_aliases; }
  // Outbound acknowledgements.
  void on_puback(uint16_t packet_id);
  void on_pubrec(const PubRec& pubrec);
  void on_pubcomp(uint16_t packet_id);

 private:
  struct Inflight {
    Delivery delivery;
    bool released = false;  // QoS 2: PUBREC came, waiting for PUBCOMP
  };

  // False when the message was dropped (over the client's Maximum Packet Size).
  bool send_publish(uint16_t packet_id, const Delivery& delivery, bool dup);
  // Sends `hand_over`'s in-flight messages with DUP (PUBREL for released
  // QoS 2) under their packet ids, and returns the never-sent ones.
  std::vector<Delivery> resend_inflight(SessionHandOver& hand_over);
  void pump_backlog();
  // deliver_now() past the checks and the fault seam: sends, or queues in
  // the backlog for Receive Maximum room.
  // `from_backlog`: the backlog's first, which goes before the rest of it.
  void send_or_queue(Delivery delivery, bool from_backlog = false);
  // The output is congested: QoS 1/2 wait for it to be written.
  void await_drain();
  // Sends a QoS 1/2 delivery under a new packet id, in flight until acknowledged.
  void send_inflight(Delivery delivery);
  // The fault seam (client_faults.cpp): true when a rule took the packet.
  bool apply_faults(Packet& packet);
  // The seam's delivery side: true when a rule paused or dropped the
  // delivery (a paused one waits in the backlog until the window ends).
  bool apply_delivery_faults(Delivery& delivery);
  void hold_delivery(Delivery delivery);
  bool deliveries_paused() const { return extras_ && extras_->deliveries_paused; }
  uint16_t next_packet_id();
  void end(std::string reason);

  // Between accept() and resume(): what the session kept while offline.
  struct Resumption {
    SessionHandOver resumed;
    std::vector<storage::OfflineMessage> queued;
  };
  // Everything an idle client does without, in one allocation made on first
  // use: QoS 1/2 flows, alias tables, the backlog, a will, a user name.
  struct Extras {
    std::map<uint16_t, Inflight> inflight;  // outbound QoS 1/2 by packet id
    std::set<uint16_t> inbound_qos2;
    std::map<uint16_t, std::string> topic_aliases;                  // inbound
    std::map<std::string, uint16_t, std::less<>> outbound_aliases;  // topic -> alias
    storage::LazyDeque<Delivery> backlog;  // waiting for Receive Maximum room
    std::optional<WillMessage> will;
    std::optional<std::string> username;
    std::unique_ptr<Resumption> resumption;  // null when there is nothing
    std::string close_reason;  // why the broker ended it, kept while events are listened to
    uint32_t session_expiry = 0;
    uint32_t maximum_packet_size = kMaxPacketSize;  // the client's (v5)
    uint16_t receive_maximum = 65535;               // the client's (v5)
    uint16_t topic_alias_maximum = 0;               // the client's (v5): server -> client aliases
    uint16_t last_packet_id = 0;
    bool deliveries_paused = false;  // a fault rule's pause window is open
    // QoS 1/2 deliveries wait in the backlog until the connection's output,
    // over its cap (congested()), has been written (on_output_drained).
    bool awaiting_drain = false;
  };
  Extras& extras();
  std::size_t inflight_count() const { return extras_ ? extras_->inflight.size() : 0; }
  bool inflight_contains(uint16_t packet_id) const {
    return extras_ && extras_->inflight.contains(packet_id);
  }
  bool backlog_empty() const { return !extras_ || extras_->backlog.empty(); }
  // Publishes the in-flight and backlog sizes for describe() (other threads).
  void note_flow_counts();

  uint16_t receive_maximum() const { return extras_ ? extras_->receive_maximum : 65535; }

  Broker& broker_;
  std::shared_ptr<storage::Session> session_;
  std::unique_ptr<Extras> extras_;
  ProtocolVersion version_ = ProtocolVersion::v5;  // until CONNECT says otherwise
  bool connect_seen_ = false;
  bool connected_ = false;
  bool ending_ = false;
  bool send_will_ = true;
  // Until the connection this one took over hands its in-flight state over,
  // QoS 1/2 deliveries wait in the backlog (so packet ids cannot collide).
  bool awaiting_hand_over_ = false;
  uint16_t keep_alive_secs_ = 0;
  // For describe(): written on the client's executor, read from any thread.
  std::atomic<uint16_t> inflight_seen_{0};
  std::atomic<uint32_t> queued_seen_{0};
};

}  // namespace mockforge::mqtt
