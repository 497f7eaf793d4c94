#include "brokers/mqtt/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/broker/faults.h"
#include "brokers/mqtt/broker/traffic.h"
#include "brokers/mqtt/control/mqtt_control.h"
#include "brokers/mqtt/session/mqtt_connection.h"
#include "core/config/config.h"
#include "core/log/logging.h"
#include "core/net/connection.h"
#include "core/net/tls.h"
#include "core/net/transport.h"
#include "core/runtime/listener.h"
#include "core/storage/engine.h"

namespace mockforge::mqtt {

namespace {

// How long a new connection may take to send CONNECT.
constexpr std::chrono::seconds kConnectTimeout{10};
// How often sessions expire and delayed wills fire.
constexpr std::chrono::milliseconds kTickInterval{250};

BrokerOptions options_from(const config::MqttConfig& config) {
  BrokerOptions options;
  options.max_connections = static_cast<std::size_t>(config.max_connections);
  options.keep_alive_cap_secs = static_cast<uint16_t>(config.keep_alive_secs);
  options.receive_maximum = static_cast<uint16_t>(config.receive_maximum);
  options.topic_alias_maximum = static_cast<uint16_t>(config.topic_alias_maximum);
  options.maximum_qos = static_cast<QoS>(config.maximum_qos);
  options.retain_available = config.retain_available;
  options.wildcard_subscription_available = config.wildcard_subscription_available;
  options.subscription_identifiers_available = config.subscription_identifier_available;
  options.shared_subscription_available = config.shared_subscription_available;
  options.maximum_packet_size =
      static_cast<uint32_t>(std::min<uint64_t>(config.maximum_packet_size, kMaxPacketSize));
  options.max_queued_messages = static_cast<std::size_t>(config.max_queued_messages);
  options.metrics_topic_levels = static_cast<std::size_t>(config.metrics_topic_levels);

  options.auth_enabled = config.auth_enabled;
  for (const auto& entry : config.users) {
    const std::size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw std::invalid_argument("mqtt.users: expected name:password, got \"" + entry + "\"");
    }
    options.users[entry.substr(0, colon)] = entry.substr(colon + 1);
  }
  if (!config.password_file.empty()) {
    std::ifstream file(config.password_file);
    if (!file)
      throw std::invalid_argument("mqtt.password_file: cannot read " + config.password_file);
    std::stringstream text;
    text << file.rdbuf();
    options.hashed_users = parse_password_file(text.str(), config.password_file);
    for (const auto& [user, hash] : options.hashed_users) {
      if (options.users.contains(user)) {
        throw std::invalid_argument("mqtt.password_file: user '" + user +
                                    "' is also in mqtt.users");
      }
    }
  }
  if (options.auth_enabled && options.users.empty() && options.hashed_users.empty()) {
    throw std::invalid_argument(
        "mqtt.auth_enabled needs at least one entry in mqtt.users or mqtt.password_file");
  }
  options.use_identity_as_username = config.use_identity_as_username;
  options.use_subject_as_username = config.use_subject_as_username;
  auto acl = std::make_shared<AccessControl>();
  if (!config.acl_file.empty()) {
    std::ifstream file(config.acl_file);
    if (!file) throw std::invalid_argument("mqtt.acl_file: cannot read " + config.acl_file);
    std::stringstream text;
    text << file.rdbuf();
    acl->append(AccessControl::parse(text.str(), config.acl_file));
  }
  std::string inline_lines;
  for (const auto& line : config.acl) inline_lines += line + "\n";
  acl->append(AccessControl::parse(inline_lines, "mqtt.acl"));
  options.acl = std::move(acl);
  options.suback_refusal_unspecified = config.suback_refusal_unspecified;
  options.sys_interval = config.sys_interval;
  // fmt rather than operator+: GCC 12 at -O3 reports a false -Warray-bounds on
  // std::string concatenation with a literal.
  options.version = fmt::format("mockforge version {}", MOCKFORGE_VERSION);
  return options;
}

class MqttService : public runtime::Service {
 public:
  explicit MqttService(const runtime::ServiceContext& context)
      : context_(context),
        options_(options_from(context.config.mqtt)),
        max_unsent_bytes_(static_cast<std::size_t>(context.config.mqtt.max_unsent_bytes)),
        max_connection_unsent_bytes_(
            static_cast<std::size_t>(context.config.mqtt.max_connection_unsent_bytes)),
        metrics_(context.metrics, options_.metrics_topic_levels),
        broker_(options_, context.storage.retained(), context.storage.sessions(), &metrics_),
        tick_timer_(context.io),
        sys_timer_(context.io) {
    metrics_.observe_state([this] { return broker_.subscription_count(); },
                           [this] { return context_.storage.retained().size(); },
                           [this] { return context_.storage.sessions().size(); });
    broker_.set_traffic(&context_.traffic);
    if (context.faults != nullptr) {
      register_fault_resolver(*context.faults);
      broker_.set_fault_set(context.faults);
    }
    if (context.admin != nullptr)
      control::mount(*context.admin, make_control(broker_, context.storage));
  }

  ~MqttService() override = default;

  std::string name() const override { return "mqtt"; }

  void start() override {
    const auto& bind = context_.config.server.bind;
    tcp_ = std::make_unique<runtime::TcpListener>(
        context_.io, "mqtt", bind, context_.config.mqtt.port, [this](runtime::Socket socket) {
          net::Connection::start(std::move(socket), limits(), tcp_connections_,
                                 make_mqtt_protocol_factory(broker_, max_unsent_bytes_));
        });
    ws_ = std::make_unique<runtime::TcpListener>(
        context_.io, "mqtt_ws", bind, context_.config.mqtt.ws_port, [this](runtime::Socket socket) {
          net::WebSocketOptions ws_options;
          ws_options.path = "/mqtt";
          ws_options.subprotocol = "mqtt";
          net::Connection::start(std::move(socket), ws_options, limits(), ws_connections_,
                                 make_mqtt_protocol_factory(broker_, max_unsent_bytes_));
        });
    const auto& mqtt = context_.config.mqtt;
    if (mqtt.tls_port >= 0) {
      tls_ = std::make_unique<runtime::TcpListener>(
          context_.io, "mqtt_tls", bind, static_cast<uint16_t>(mqtt.tls_port),
          [this](runtime::Socket socket) {
            net::Connection::start(std::move(socket), *context_.tls, limits(), tcp_connections_,
                                   make_mqtt_protocol_factory(broker_, max_unsent_bytes_));
          });
    }
    if (mqtt.wss_port >= 0) {
      wss_ = std::make_unique<runtime::TcpListener>(
          context_.io, "mqtt_wss", bind, static_cast<uint16_t>(mqtt.wss_port),
          [this](runtime::Socket socket) {
            net::WebSocketOptions ws_options;
            ws_options.path = "/mqtt";
            ws_options.subprotocol = "mqtt";
            net::Connection::start(std::move(socket), ws_options, *context_.tls, limits(),
                                   ws_connections_,
                                   make_mqtt_protocol_factory(broker_, max_unsent_bytes_));
          });
    }
    tcp_->start();
    ws_->start();
    if (tls_) tls_->start();
    if (wss_) wss_->start();
    endpoint_ = make_traffic_endpoint(broker_);
    context_.traffic.attach(traffic::Protocol::kMqtt, endpoint_);
    log::get("mqtt")->info("MQTT listening on port {} (WebSocket {})", tcp_->port(), ws_->port());
    schedule_tick();
    if (options_.sys_interval.count() > 0) {
      broker_.publish_sys(storage::Clock::now());
      schedule_sys();
    }
  }

  std::map<std::string, uint16_t> ports() const override {
    std::map<std::string, uint16_t> out;
    if (tcp_) out["mqtt"] = tcp_->port();
    if (ws_) out["mqtt_ws"] = ws_->port();
    if (tls_) out["mqtt_tls"] = tls_->port();
    if (wss_) out["mqtt_wss"] = wss_->port();
    return out;
  }

  void stop() override {
    if (endpoint_) context_.traffic.detach(traffic::Protocol::kMqtt, endpoint_.get());
    if (tcp_) tcp_->close();
    if (ws_) ws_->close();
    if (tls_) tls_->close();
    if (wss_) wss_->close();
    boost::asio::post(context_.io, [this] {
      stopping_ = true;
      tick_timer_.cancel();
      sys_timer_.cancel();
    });
    tcp_connections_.shutdown_all();
    ws_connections_.shutdown_all();
  }

  std::size_t active_connections() const override {
    return tcp_connections_.size() + ws_connections_.size();
  }

  // Every connected client's session went with the storage reset: they are
  // disconnected (v5: 0x98) unless asked to keep them.
  void reset(runtime::ResetConnections connections) override {
    broker_.reset(connections != runtime::ResetConnections::kKeep);
  }

 private:
  net::ConnectionLimits limits() const {
    net::ConnectionLimits limits;
    limits.max_buffered_bytes = std::max<std::size_t>(options_.maximum_packet_size, 1u << 16);
    // Reading stops past mqtt.max_connection_unsent_bytes of unsent output
    // (deliveries are held back from mqtt.max_unsent_bytes on: MqttProtocol).
    limits.max_outbound_bytes = max_connection_unsent_bytes_;
    limits.idle_timeout = kConnectTimeout;
    return limits;
  }

  void schedule_tick() {
    tick_timer_.expires_after(kTickInterval);
    tick_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || stopping_) return;
      broker_.tick(storage::Clock::now());
      schedule_tick();
    });
  }

  void schedule_sys() {
    sys_timer_.expires_after(options_.sys_interval);
    sys_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || stopping_) return;
      broker_.publish_sys(storage::Clock::now());
      schedule_sys();
    });
  }

  runtime::ServiceContext context_;
  BrokerOptions options_;
  std::size_t max_unsent_bytes_;             // mqtt.max_unsent_bytes, for each connection
  std::size_t max_connection_unsent_bytes_;  // mqtt.max_connection_unsent_bytes
  BrokerMetrics metrics_;
  Broker broker_;
  net::ConnectionSet tcp_connections_;
  net::ConnectionSet ws_connections_;
  std::unique_ptr<runtime::TcpListener> tcp_;
  std::unique_ptr<runtime::TcpListener> ws_;
  std::unique_ptr<runtime::TcpListener> tls_;  // mqtt.tls_port; its clients join tcp_connections_
  std::unique_ptr<runtime::TcpListener> wss_;  // mqtt.wss_port; its clients join ws_connections_
  std::shared_ptr<traffic::Endpoint> endpoint_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer sys_timer_;
  bool stopping_ = false;  // on the io threads only
};

}  // namespace

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context) {
  return std::make_unique<MqttService>(context);
}

}  // namespace mockforge::mqtt
