#include "brokers/amqp/service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_timer.hpp>

#include "brokers/amqp/control/amqp_control.h"
#include "brokers/amqp/protocol/broker_state.h"
#include "brokers/amqp/protocol/dead_letter.h"
#include "brokers/amqp/protocol/faults.h"
#include "brokers/amqp/protocol/traffic.h"
#include "brokers/amqp/session/session.h"
#include "core/config/config.h"
#include "core/log/logging.h"
#include "core/metrics/registry.h"
#include "core/net/connection.h"
#include "core/net/tls.h"
#include "core/net/transport.h"
#include "core/runtime/listener.h"
#include "core/storage/engine.h"

namespace mockforge::amqp {
namespace {

BrokerSettings settings_from(const config::Config& config) {
  BrokerSettings settings;
  settings.frame_max = static_cast<uint32_t>(config.amqp.frame_max);
  settings.channel_max = static_cast<uint16_t>(config.amqp.channel_max);
  settings.max_message_size = config.amqp.max_message_size;
  settings.heartbeat_seconds = static_cast<uint16_t>(
      std::chrono::duration_cast<std::chrono::seconds>(config.amqp.heartbeat_interval).count());
  settings.version = MOCKFORGE_AMQP_VERSION;
  settings.product = config.amqp.server_product;
  settings.product_version = config.amqp.server_version;
  settings.memory_high_watermark_percent =
      static_cast<uint32_t>(config.amqp.memory_high_watermark_percent);
  settings.close_on_unconfirmed_refusal =
      config.asyncapi.amqp_unconfirmed == config::AmqpUnconfirmedRefusal::close;
  settings.access = AccessControl::from_config(config.amqp.users, config.amqp.vhosts,
                                               config.amqp.permissions, config.amqp.user_tags);
  settings.access.set_loopback_users(config.amqp.loopback_users);
  settings.auth_mechanisms = config.amqp.auth_mechanisms;
  settings.cert_login_common_name =
      config.amqp.ssl_cert_login_from == config::AmqpCertLogin::common_name;
  return settings;
}

// Runs sweep_expired() on a timer armed for the earliest message expiry or
// x-expires deadline, so messages expire (and are dead-lettered) whether or
// not a consumer looks at the queue.
class Housekeeper : public std::enable_shared_from_this<Housekeeper> {
 public:
  Housekeeper(boost::asio::io_context& io, std::shared_ptr<BrokerState> broker)
      : strand_(boost::asio::make_strand(io)), timer_(strand_), broker_(std::move(broker)) {}

  // Thread-safe.
  void request(storage::TimePoint when) {
    boost::asio::post(strand_, [weak = weak_from_this(), when] {
      if (auto self = weak.lock()) self->arm(when);
    });
  }

  void stop() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

 private:
  void arm(storage::TimePoint when) {
    if (stopped_ || (armed_ && when >= timer_.expiry())) return;
    armed_ = true;
    timer_.expires_at(when);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (error) return;
      if (auto self = weak.lock()) self->run();
    });
  }

  void run() {
    armed_ = false;
    if (stopped_) return;
    const storage::TimePoint now = storage::Clock::now();
    std::optional<storage::TimePoint> next;
    for (Vhost* vhost : broker_->vhosts()) {
      auto due = sweep_expired(*broker_, *vhost, now);
      if (due && (!next || *due < *next)) next = due;
    }
    broker_->check_memory_alarm();
    if (broker_->memory_alarm()) {
      // RabbitMQ polls memory too: look again soon to clear the alarm.
      const storage::TimePoint again = now + std::chrono::milliseconds(100);
      if (!next || again < *next) next = again;
    }
    broker_->housekeeping_armed(next);
    if (next) arm(*next);
  }

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::system_timer timer_;
  std::shared_ptr<BrokerState> broker_;
  bool armed_ = false;
  bool stopped_ = false;
};

constexpr const char* kSnapshotExtension = "amqp.topology";

// Every vhost's topology: count, then name and Vhost::encode_topology each.
std::string encode_topology(BrokerState& broker) {
  ByteWriter out;
  const auto vhosts = broker.vhosts();
  out.write_u32(static_cast<uint32_t>(vhosts.size()));
  for (Vhost* vhost : vhosts) {
    out.write_longstr(vhost->name());
    vhost->encode_topology(out);
  }
  return std::string(out.view());
}

void restore_topology(BrokerState& broker, std::string_view encoded) {
  try {
    ByteReader in(std::span(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()));
    for (uint32_t i = 0, count = in.read_u32(); i < count; ++i) {
      const std::string name = in.read_longstr();
      Vhost* vhost = broker.find_vhost(name);
      if (vhost == nullptr) {
        // The snapshot's vhost is not configured now: nothing can hold its topology.
        throw DecodeError(ReplyCode::kInternalError, "vhost '" + name + "' is not configured");
      }
      vhost->restore_topology(in);
    }
  } catch (const DecodeError& e) {
    log::get("amqp")->error("snapshot: AMQP topology not fully restored: {}", e.what());
  }
}

class AmqpService : public runtime::Service {
 public:
  explicit AmqpService(const runtime::ServiceContext& context)
      : context_(context),
        max_unsent_bytes_(static_cast<std::size_t>(context.config.amqp.max_unsent_bytes)),
        max_connection_unsent_bytes_(
            static_cast<std::size_t>(context.config.amqp.max_connection_unsent_bytes)),
        broker_(std::make_shared<BrokerState>(settings_from(context.config), context.storage,
                                              context.metrics)),
        queue_metrics_(register_queue_metrics()),
        housekeeper_(std::make_shared<Housekeeper>(context.io, broker_)),
        endpoint_(std::make_shared<TrafficEndpoint>(*broker_)) {
    broker_->set_traffic(&context.traffic);
    if (context.faults != nullptr) {
      register_fault_resolver(*context.faults);
      broker_->set_fault_set(context.faults);
    }
    broker_->set_housekeeping_hook(
        [weak = std::weak_ptr<Housekeeper>(housekeeper_)](storage::TimePoint when) {
          if (auto housekeeper = weak.lock()) housekeeper->request(when);
        });
    reset_observer_ = context.storage.add_reset_observer(
        [this](storage::StateChange) {
          for (Vhost* vhost : broker_->vhosts()) vhost->reset();
          endpoint_->redeclare();
          connections_.shutdown_all();
        },
        storage::kQueueParts);
    if (context.admin != nullptr) control::mount(*context.admin, make_control(broker_));
    // Exchanges, queue declarations and bindings live in the vhosts, not
    // storage: snapshots carry them (the restore observer above dropped them).
    context.storage.add_snapshot_extension(
        kSnapshotExtension,
        {[broker = broker_] { return encode_topology(*broker); },
         [broker = broker_](std::string_view encoded) { restore_topology(*broker, encoded); }});
  }

  ~AmqpService() override {
    context_.storage.remove_snapshot_extension(kSnapshotExtension);
    context_.storage.remove_reset_observer(reset_observer_);
    queue_metrics_.reset();
  }

  std::string name() const override { return "amqp"; }

  void start() override {
    const auto& config = context_.config;
    listener_ = std::make_unique<runtime::TcpListener>(
        context_.io, "amqp", config.server.bind, static_cast<uint16_t>(config.amqp.port),
        [this](runtime::Socket socket) { accept(std::move(socket), nullptr); });
    if (config.amqp.tls_port >= 0) {
      tls_listener_ = std::make_unique<runtime::TcpListener>(
          context_.io, "amqp_tls", config.server.bind, static_cast<uint16_t>(config.amqp.tls_port),
          [this](runtime::Socket socket) { accept(std::move(socket), context_.tls); });
    }
    listener_->start();
    if (tls_listener_) tls_listener_->start();
    context_.traffic.attach(traffic::Protocol::kAmqp, endpoint_);
  }

  std::map<std::string, uint16_t> ports() const override {
    std::map<std::string, uint16_t> out;
    if (listener_) out["amqp"] = listener_->port();
    if (tls_listener_) out["amqp_tls"] = tls_listener_->port();
    return out;
  }

  void stop() override {
    context_.traffic.detach(traffic::Protocol::kAmqp, endpoint_.get());
    if (listener_) listener_->close();
    if (tls_listener_) tls_listener_->close();
    housekeeper_->stop();
    connections_.shutdown_all();
  }

  std::size_t active_connections() const override { return connections_.size(); }

  // Storage observers already reset the vhost and closed the connections
  // (320 CONNECTION_FORCED): their channels hold consumers and unacked
  // deliveries of what the reset dropped, so they are closed whatever
  // `connections` says (the AMQP reset alone refuses keep).
  void reset(runtime::ResetConnections) override {}

 private:
  // A client connection, over TLS (amqps) when `tls` is given.
  void accept(runtime::Socket socket, const net::TlsContext* tls) {
    auto max = context_.config.amqp.max_connections;
    if (max > 0 && connections_.size() >= static_cast<std::size_t>(max)) {
      log::get("amqp")->warn("refusing a connection: amqp.max_connections ({}) reached", max);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    net::ConnectionLimits limits;
    // Reading stops past amqp.max_connection_unsent_bytes of unsent output
    // (deliveries wait from amqp.max_unsent_bytes on: AmqpSession).
    limits.max_outbound_bytes = max_connection_unsent_bytes_;
    limits.keep_read_buffer = true;  // few, busy connections
    // The handshake timeout (RabbitMQ's 10 s): until tune-ok sets the
    // heartbeat timeout, each handshake frame must arrive within it.
    limits.idle_timeout = std::chrono::seconds(10);
    auto make_session = [this](net::Connection& connection) {
      return std::make_unique<AmqpSession>(connection, broker_, max_unsent_bytes_);
    };
    if (tls) {
      net::Connection::start(std::move(socket), *tls, limits, connections_, make_session);
    } else {
      net::Connection::start(std::move(socket), limits, connections_, make_session);
    }
  }

  std::shared_ptr<void> register_queue_metrics() {
    return context_.metrics.callback(
        "amqp_queue_messages", "Messages in AMQP queues, ready or unacknowledged",
        metrics::MetricType::kGauge, {"vhost", "queue", "state"}, [this] {
          std::vector<metrics::Sample> samples;
          for (const auto& queue : context_.storage.queues().list()) {  // every vhost
            auto stats = queue->stats();
            samples.push_back(
                {{queue->vhost(), queue->name(), "ready"}, static_cast<double>(stats.ready_count)});
            samples.push_back({{queue->vhost(), queue->name(), "unacked"},
                               static_cast<double>(stats.unacked_count)});
          }
          return samples;
        });
  }

  runtime::ServiceContext context_;
  std::size_t max_unsent_bytes_;             // amqp.max_unsent_bytes, for each connection
  std::size_t max_connection_unsent_bytes_;  // amqp.max_connection_unsent_bytes
  std::shared_ptr<BrokerState> broker_;
  net::ConnectionSet connections_;
  std::unique_ptr<runtime::TcpListener> listener_;
  std::unique_ptr<runtime::TcpListener> tls_listener_;  // amqp.tls_port
  std::shared_ptr<void> queue_metrics_;
  std::shared_ptr<Housekeeper> housekeeper_;
  storage::ObserverToken reset_observer_ = 0;
  std::shared_ptr<TrafficEndpoint> endpoint_;
};

}  // namespace

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context) {
  return std::make_unique<AmqpService>(context);
}

}  // namespace mockforge::amqp
