// The Kafka runtime::Service: listener, connections, the group-coordinator
// clock, scrape-time metrics, reset.
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/traffic.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/control/kafka_control.h"
#include "brokers/kafka/faults/kafka_faults.h"
#include "brokers/kafka/service.h"
#include "brokers/kafka/session/kafka_session.h"
#include "core/config/config.h"
#include "core/log/logging.h"
#include "core/net/tls.h"
#include "core/net/transport.h"
#include "core/runtime/listener.h"
#include "core/sasl/oauthbearer.h"
#include "core/sasl/users.h"
#include "core/storage/engine.h"

namespace mockforge::kafka {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::chrono::milliseconds kGroupTick{20};
constexpr const char* kSnapshotExtension = "kafka.group_offsets";

// `users`: set to the SASL user store, which fixture files add to (null when SASL is off).
BrokerOptions options_from(const config::Config& config, std::shared_ptr<sasl::UserStore>& users) {
  BrokerOptions options;
  options.auto_create_topics = config.kafka.auto_create_topics;
  options.default_partitions = static_cast<int32_t>(config.kafka.default_partitions);
  options.max_frame_bytes = static_cast<std::size_t>(config.kafka.max_frame_bytes);
  options.group_initial_rebalance_delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      config.kafka.group_initial_rebalance_delay);
  options.transaction_max_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.kafka.transaction_max_timeout);
  options.sasl.mechanisms = config.kafka.sasl_mechanisms;
  if (options.sasl.enabled()) {
    // The configuration refuses password mechanisms without users; fixture files may add more.
    users = std::make_shared<sasl::UserStore>(config.kafka.sasl_users,
                                              static_cast<int>(config.kafka.sasl_scram_iterations));
    options.sasl.users = users;
  }
  options.sasl.session_lifetime =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.kafka.sasl_session_lifetime);
  const auto& mechanisms = config.kafka.sasl_mechanisms;
  if (std::find(mechanisms.begin(), mechanisms.end(), "OAUTHBEARER") != mechanisms.end()) {
    auto oauthbearer = std::make_shared<sasl::OAuthBearerOptions>();
    oauthbearer->principal_claim = config.kafka.sasl_oauthbearer_principal_claim;
    oauthbearer->scope_claim = config.kafka.sasl_oauthbearer_scope_claim;
    oauthbearer->required_scope = config.kafka.sasl_oauthbearer_required_scope;
    oauthbearer->audience = config.kafka.sasl_oauthbearer_audience;
    oauthbearer->issuer = config.kafka.sasl_oauthbearer_issuer;
    oauthbearer->allowed_clock_skew = std::chrono::duration_cast<std::chrono::milliseconds>(
        config.kafka.sasl_oauthbearer_clock_skew);
    options.sasl.oauthbearer = std::move(oauthbearer);
  }
  options.authorizer.enabled = config.kafka.authorizer == config::KafkaAuthorizer::acl;
  options.authorizer.super_users = config.kafka.super_users;
  return options;
}

class KafkaService : public runtime::Service {
 public:
  explicit KafkaService(const runtime::ServiceContext& context)
      : io_(context.io),
        addresses_(context.config.server.bind),
        port_(context.config.kafka.port),
        tls_port_(context.config.kafka.tls_port),
        tls_(context.tls),
        broker_(std::make_shared<BrokerState>(options_from(context.config, users_), context.storage,
                                              context.metrics)),
        traffic_(context.traffic),
        tick_timer_(context.io),
        storage_(context.storage) {
    register_scrape_metrics(context.metrics);
    broker_->set_traffic(&traffic_);
    if (context.faults != nullptr) {
      register_fault_resolver(*context.faults);
      broker_->set_fault_set(context.faults);
    }
    if (context.admin != nullptr) {
      control::mount(*context.admin,
                     make_control(broker_, [this] { connections_.shutdown_all(); }));
    }
    // Committed offsets live in the coordinator, not storage: snapshots carry them.
    storage_.add_snapshot_extension(
        kSnapshotExtension, {[broker = broker_] { return broker->groups().encode_offsets(); },
                             [broker = broker_](std::string_view encoded) {
                               // Transactions are not in snapshots: restored
                               // logs start with none open or aborted.
                               broker->transactions().reset();
                               try {
                                 broker->groups().restore_offsets(encoded);
                               } catch (const DecodeError& e) {
                                 log::get("kafka")->error(
                                     "snapshot: consumer-group offsets not restored: {}", e.what());
                               }
                             }});
  }

  ~KafkaService() override {
    storage_.remove_snapshot_extension(kSnapshotExtension);
    scrape_handles_.clear();
  }

  std::string name() const override { return "kafka"; }

  void start() override {
    listener_ = std::make_unique<runtime::TcpListener>(
        io_, "kafka", addresses_, port_,
        [this](runtime::Socket socket) { accept(std::move(socket), *listener_, nullptr); });
    if (tls_port_ >= 0) {
      // Kafka's SSL listener: clients that connect here are advertised this
      // listener's port in Metadata, as Kafka advertises the named listener
      // a client came in on.
      tls_listener_ = std::make_unique<runtime::TcpListener>(
          io_, "kafka_tls", addresses_, static_cast<uint16_t>(tls_port_),
          [this](runtime::Socket socket) { accept(std::move(socket), *tls_listener_, tls_); });
    }
    listener_->start();
    if (tls_listener_) tls_listener_->start();
    endpoint_ = make_traffic_endpoint(*broker_, users_);
    traffic_.attach(traffic::Protocol::kKafka, endpoint_);
    running_ = true;
    schedule_tick();
  }

  std::map<std::string, uint16_t> ports() const override {
    std::map<std::string, uint16_t> out;
    if (listener_) out["kafka"] = listener_->port();
    if (tls_listener_) out["kafka_tls"] = tls_listener_->port();
    return out;
  }

  void stop() override {
    if (endpoint_) traffic_.detach(traffic::Protocol::kKafka, endpoint_.get());
    running_ = false;
    asio::post(io_, [this] { tick_timer_.cancel(); });
    if (listener_) listener_->close();
    if (tls_listener_) tls_listener_->close();
    connections_.shutdown_all();
  }

  std::size_t active_connections() const override { return connections_.size(); }

  // Kafka clients find out about a reset by themselves (unknown topics,
  // members and offsets), so connections stay unless asked to close.
  void reset(runtime::ResetConnections connections) override {
    broker_->reset();
    if (connections == runtime::ResetConnections::kClose) connections_.shutdown_all();
  }

 private:
  // A connection of `listener`, over TLS when `tls` is given. Metadata
  // advertises the address the client connected to and the listener's port.
  void accept(runtime::Socket socket, const runtime::TcpListener& listener,
              const net::TlsContext* tls) {
    boost::system::error_code ec;
    auto local = socket.local_endpoint(ec);
    if (ec) return;
    std::string host =
        local.address().is_v4() || !local.address().to_v6().is_v4_mapped()
            ? local.address().to_string()
            : asio::ip::make_address_v4(asio::ip::v4_mapped, local.address().to_v6()).to_string();
    const int32_t port = listener.port();
    // Closed after Kafka's connections.max.idle.ms (10 minutes) without a
    // complete request, as a Kafka broker closes idle connections.
    net::ConnectionLimits limits{.idle_timeout = std::chrono::minutes(10),
                                 .keep_read_buffer = true};
    auto make_session = [broker = broker_, host, port](net::Connection& connection) {
      return std::make_unique<KafkaSession>(connection, *broker, host, port);
    };
    if (tls) {
      net::Connection::start(std::move(socket), *tls, limits, connections_, make_session);
    } else {
      net::Connection::start(std::move(socket), limits, connections_, make_session);
    }
  }

  void schedule_tick() {
    tick_timer_.expires_after(kGroupTick);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !running_) return;
      broker_->groups().tick(GroupClock::now());
      broker_->expire_transactions();
      schedule_tick();
    });
  }

  void register_scrape_metrics(metrics::Registry& registry) {
    std::weak_ptr<BrokerState> weak = broker_;
    scrape_handles_.push_back(
        registry.callback("kafka_topics", "Kafka topics", metrics::MetricType::kGauge, {}, [weak] {
          std::vector<metrics::Sample> samples;
          if (auto broker = weak.lock()) {
            samples.push_back({{}, static_cast<double>(broker->storage().logs().list().size())});
          }
          return samples;
        }));
    scrape_handles_.push_back(registry.callback(
        "kafka_groups", "Kafka consumer groups", metrics::MetricType::kGauge, {}, [weak] {
          std::vector<metrics::Sample> samples;
          if (auto broker = weak.lock()) {
            samples.push_back({{}, static_cast<double>(broker->groups().group_count())});
          }
          return samples;
        }));
    scrape_handles_.push_back(registry.callback(
        "kafka_transactions_open", "Kafka transactions begun and not yet committed or aborted",
        metrics::MetricType::kGauge, {}, [weak] {
          std::vector<metrics::Sample> samples;
          if (auto broker = weak.lock()) {
            samples.push_back(
                {{}, static_cast<double>(broker->transactions().open_transaction_count())});
          }
          return samples;
        }));
    scrape_handles_.push_back(registry.callback(
        "kafka_consumer_lag", "High watermark minus the committed offset, per group and partition",
        metrics::MetricType::kGauge, {"group", "topic", "partition"}, [weak] {
          std::vector<metrics::Sample> samples;
          auto broker = weak.lock();
          if (!broker) return samples;
          for (const auto& [group, offsets] : broker->groups().all_offsets()) {
            for (const auto& [key, committed] : offsets) {
              auto topic = broker->storage().logs().find(key.first);
              auto partition = topic ? topic->partition(key.second) : nullptr;
              if (!partition || committed.offset < 0) continue;
              double lag = static_cast<double>(
                  std::max<int64_t>(0, partition->high_watermark() - committed.offset));
              samples.push_back({{group, key.first, std::to_string(key.second)}, lag});
            }
          }
          return samples;
        }));
  }

  asio::io_context& io_;
  std::vector<std::string> addresses_;
  uint16_t port_;
  int64_t tls_port_;            // -1: no SSL listener
  const net::TlsContext* tls_;  // set when a TLS listener is on
  // Declared before broker_, which options_from() fills it for.
  std::shared_ptr<sasl::UserStore> users_;
  std::shared_ptr<BrokerState> broker_;
  traffic::Hub& traffic_;
  std::shared_ptr<traffic::Endpoint> endpoint_;
  std::unique_ptr<runtime::TcpListener> listener_;
  std::unique_ptr<runtime::TcpListener> tls_listener_;
  net::ConnectionSet connections_;
  asio::steady_timer tick_timer_;
  storage::Engine& storage_;
  std::atomic<bool> running_{false};
  std::vector<std::shared_ptr<void>> scrape_handles_;
};

}  // namespace

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context) {
  return std::make_unique<KafkaService>(context);
}

}  // namespace mockforge::kafka
