// The AMQP 0-9-1 connection state machine, free of sockets: frames in (as
// cut by frame_boundary()), bytes out through ConnectionOutput.
//
// Handshake: protocol header -> start / start-ok (amqp.auth_mechanisms: PLAIN,
// AMQPLAIN, EXTERNAL with a verified TLS client certificate) -> tune /
// tune-ok -> open / open-ok. Then channel.open/close here, and every other
// method through the handler table (handlers/). A handler throws AmqpError;
// channel-scoped codes close the channel, the others the connection.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "brokers/amqp/codec/command_assembler.h"
#include "brokers/amqp/codec/frame.h"
#include "brokers/amqp/protocol/broker_state.h"
#include "brokers/amqp/protocol/channel.h"
#include "brokers/amqp/protocol/output.h"
#include "core/traffic/events.h"

namespace mockforge::amqp {

// Thrown by handlers: close the channel or the connection with this code.
class AmqpError : public std::runtime_error {
 public:
  AmqpError(ReplyCode code, const std::string& text) : std::runtime_error(text), code_(code) {}
  AmqpError(uint16_t code, const std::string& text)
      : std::runtime_error(text),
        code_(reply_code_from_value(code).value_or(ReplyCode::kInternalError)) {}
  ReplyCode code() const { return code_; }

 private:
  ReplyCode code_;
};

// Where the next frame ends in the unread bytes.
struct FrameBoundary {
  enum class Kind { kNeedMore, kComplete, kTooLarge };
  Kind kind = Kind::kNeedMore;
  std::size_t length = 0;  // kComplete: frame length; kNeedMore: total bytes needed
};

// What the admin API shows of a connection and its channels. The connection
// keeps a copy under a mutex, refreshed when a channel opens or closes and
// on basic.qos, basic.consume, basic.cancel, confirm.select and tx.select
// (not on publishes, acks or deliveries), so any thread may read it.
struct ChannelSummary {
  uint16_t number = 0;
  uint16_t prefetch_count = 0;         // basic.qos global=false
  uint16_t global_prefetch_count = 0;  // basic.qos global=true
  bool confirm = false;
  bool transactional = false;
  std::size_t consumers = 0;
};
struct ConnectionSummary {
  uint64_t id = 0;
  std::string address;  // the peer
  std::string user;
  std::string vhost;
  // From the client properties (connection_name, product, version, platform).
  std::string name;
  std::string product;
  std::string version;
  std::string platform;
  std::vector<ChannelSummary> channels;
};

class AmqpConnection : public std::enable_shared_from_this<AmqpConnection> {
 public:
  AmqpConnection(BrokerState& broker, std::shared_ptr<ConnectionOutput> output);
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  FrameBoundary frame_boundary(std::span<const uint8_t> unread) const;
  void on_frame(std::span<const uint8_t> frame);
  // frame_boundary() said kTooLarge.
  void on_oversize_frame();
  void on_heartbeat_timeout();
  void on_server_shutdown();
  // The socket is gone: requeue, drop consumers and exclusive queues.
  void on_closed();
  // The output that was congested has been written: deliveries go on.
  void on_output_drained();

  // --- for handlers ---
  uint64_t id() const { return id_; }
  // Any thread.
  ConnectionSummary summary() const;
  BrokerState& broker() { return broker_; }
  Vhost& vhost() { return *vhost_; }
  uint32_t frame_max() const { return frame_max_; }
  const std::string& user() const { return user_; }
  // Who published, for the traffic observers: the client's connection_name
  // property, else "user#connection-id".
  std::string client_id() const {
    return client_name_.empty() ? user_ + "#" + std::to_string(id_) : client_name_;
  }
  // Throws AmqpError 403 unless the user's permission on this vhost matches
  // the exchange or queue name (the default exchange as "amq.default").
  enum class ResourceKind { kExchange, kQueue };
  void check_access(Permission permission, ResourceKind kind, const std::string& name) const;
  void send_method(uint16_t channel, const Method& method);
  // A content method with its header (encoded content header payload) and body.
  void send_content(uint16_t channel, const Method& method, std::span<const uint8_t> header_payload,
                    std::string_view body);
  // Publisher confirms: an ack is owed and sent, coalesced with the channel's
  // other owed acks into one basic.ack with multiple set, once this
  // connection's current input is handled (RabbitMQ coalesces too). A nack
  // goes out at once, after the acks owed before it.
  void confirm_publish(Channel& channel, uint64_t seq, bool ack);
  // Delivers ready messages to the channel's consumers within their prefetch.
  void pump(Channel& channel);
  // Runs pump() later on this connection's strand (from any thread).
  void schedule_pump(uint16_t channel);
  // Unregisters a consumer (listener and vhost registration).
  void drop_consumer(Channel& channel, const std::string& tag);
  // Settles one unacked delivery: ack, requeue or drop.
  enum class Settle { kAck, kRequeue, kDrop };
  void settle(Channel& channel, uint64_t delivery_tag, Settle how);
  // Returns an unacked delivery to its queue as its type does (DeliveryRules):
  // in place or behind the others, or dead-lettered past its delivery limit.
  void requeue_delivery(const UnackedDelivery& delivery);
  // Thread-safe: the consumer's queue was deleted; cancels it on this strand.
  void consumer_queue_deleted(uint16_t channel, const std::string& tag);
  Channel* find_channel(uint16_t number);
  // Thread-safe: the broker's memory alarm was raised or cleared.
  void memory_alarm_changed();
  // Thread-safe: a direct reply-to reply for this connection's channel;
  // delivered on this strand if the channel still has its reply consumer.
  void deliver_direct_reply(uint16_t channel, std::string routing_key,
                            storage::Bytes header_payload, storage::Bytes body);
  // Tells the housekeeping timer about the queue's earliest message expiry.
  void hint_expiry(storage::Queue& queue);
  // The event stream (core/traffic/events.h): check events_on() before
  // building anything for emit_event(), which fills in the client id and
  // the peer. `queue` is the event's topic; `message` gives exchange,
  // routing key, size and preview.
  bool events_on() const { return broker_.listening_events() != nullptr; }
  void emit_event(traffic::EventKind kind, std::string_view queue = {},
                  std::string_view detail = {}, const storage::Message* message = nullptr) const;

 private:
  enum class State {
    kAwaitHeader,
    kAwaitStartOk,
    kAwaitTuneOk,
    kAwaitOpen,
    kOpen,
    kClosing,
    kClosed
  };

  void on_command(Command& command);
  void on_connection_method(Command& command);
  void on_channel_method(Command& command);
  void handle_start_ok(const ConnectionStartOk& start_ok);
  void handle_tune_ok(const ConnectionTuneOk& tune_ok);
  void handle_open(const ConnectionOpen& open);
  void handle_update_secret(const ConnectionUpdateSecret& update);
  void dispatch(Channel& channel, Command& command);
  // The fault seam (faults.cpp): true when a rule took the method.
  bool apply_faults(Channel& channel, Command& command);
  // A fault rule's hold is over: handles what waited, in order.
  void release_fault_hold();
  // The seam's delivery side: true when a rule (basic.deliver) paused the
  // consumer; the channel is pumped again when the window ends.
  bool apply_delivery_faults(Channel& channel, Consumer& consumer);
  void close_channel_with_error(Channel& channel, ReplyCode code, const std::string& text,
                                MethodId method);
  void close_connection(ReplyCode code, const std::string& text, MethodId method = {});
  void release_channel(Channel& channel);
  void release_all_channels();
  void send_connection_start();
  // Sends the acks owed on one channel, or on all of them (before anything
  // that ends a channel or the connection, and from the posted flush).
  void flush_confirms(Channel& channel);
  void flush_confirms();
  void apply_memory_alarm();

  // Output batching: while a batch is open (a frame being handled, a pump),
  // frames are appended to batch_ and handed to the socket in one send when
  // the outermost batch closes, instead of one send (and one buffer) each.
  class OutputBatch;
  // Appends frames through `write`, into the open batch or a buffer sent at once.
  template <class Write>
  void emit(Write&& write);
  void flush_batch();
  // Sends what is batched, then closes the socket after writing it.
  void close_output(std::string reason);
  // A basic.deliver with its content header and body, encoded in place.
  // `quorum`: from a quorum queue, so a redelivery carries x-delivery-count.
  void write_delivery(ByteWriter& out, uint16_t channel, std::string_view consumer_tag,
                      uint64_t delivery_tag, const storage::Message& message, bool quorum);

  // Refreshes (or drops) the channel's entry in summary_.
  void note_channel(const Channel& channel);
  void forget_channel(uint16_t number);

  BrokerState& broker_;
  std::shared_ptr<ConnectionOutput> output_;
  mutable std::mutex summary_mutex_;
  ConnectionSummary summary_;
  const uint64_t id_;
  State state_ = State::kAwaitHeader;
  FrameSplitter splitter_;
  CommandAssembler assembler_;
  Vhost* vhost_ = nullptr;
  std::string user_;
  std::optional<ClientCertificate> client_certificate_;  // a verified TLS client certificate
  std::string offered_mechanisms_;                       // in connection.start
  std::string client_name_;                              // client property connection_name
  const VhostPermissions* permissions_ = nullptr;        // owned by broker_.access()
  uint32_t frame_max_;
  uint16_t channel_max_;
  bool consumer_cancel_notify_ = false;
  bool blocked_capability_ = false;  // the client announced connection.blocked
  bool blocked_sent_ = false;
  bool has_published_ = false;  // RabbitMQ notifies publishing connections only
  // Channel commands held from the first publish under a memory alarm until
  // it clears (RabbitMQ stops reading from a blocked publisher).
  std::deque<Command> held_;
  // A fault rule holds the first of held_ (latency, throttle, pause), and
  // whether that one was checked already when it is handled.
  bool fault_hold_ = false;
  bool fault_checked_ = false;
  bool released_ = false;
  std::map<uint16_t, Channel> channels_;
  ByteWriter batch_;
  int batch_depth_ = 0;
  // Pumps asked for from any thread (queue listeners run on the publisher's
  // thread); one posted task serves every channel asked for until it runs.
  void run_scheduled_pumps();
  std::mutex pump_mutex_;
  std::vector<uint16_t> pump_requests_;
  bool pump_posted_ = false;
  // Channels owing confirms, and whether the flush is posted.
  std::vector<uint16_t> confirm_channels_;
  bool confirm_flush_posted_ = false;
  // Deliveries stopped for a congested output (a client that does not
  // read); on_output_drained() pumps every channel again.
  bool awaiting_drain_ = false;
};

}  // namespace mockforge::amqp
