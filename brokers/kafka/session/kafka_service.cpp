// The Kafka runtime::Service: listeners (one per broker of the simulated
// cluster, kafka.brokers), connections, the group-coordinator clock,
// scrape-time metrics, reset, and stopping and starting brokers.
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <thread>

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
#include "core/config/kafka_acl.h"
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
// The cluster's replica assignments and leader epochs (Cluster::SavedAssignments):
// a snapshot without it restores the default assignments.
constexpr const char* kClusterSnapshotExtension = "kafka.cluster";

// The cluster's assignments of the topics that exist (and the internal ones).
std::string capture_cluster(const BrokerState& broker) {
  Cluster::SavedAssignments saved = broker.cluster().save_assignments();
  const auto exists = [&broker](const std::string& topic, int32_t partition) {
    if (topic == Cluster::kOffsetsTopic || topic == Cluster::kTransactionStateTopic) return true;
    auto found = broker.storage().logs().find(topic);
    return found != nullptr && partition < found->partition_count();
  };
  std::erase_if(saved.replication, [&](const auto& entry) { return !exists(entry.first, 0); });
  std::erase_if(saved.partitions,
                [&](const auto& entry) { return !exists(entry.first.first, entry.first.second); });
  return Cluster::encode(saved);
}

void restore_cluster(BrokerState& broker, std::string_view encoded) {
  auto logger = log::get("kafka");
  try {
    for (const std::string& warning :
         broker.cluster().restore_assignments(Cluster::decode(encoded))) {
      logger->warn("snapshot: {}", warning);
    }
  } catch (const DecodeError& e) {
    logger->error("snapshot: cluster replica assignments not restored: {}", e.what());
  }
}

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
  options.brokers = static_cast<int32_t>(config.kafka.brokers);
  options.racks = config.kafka.racks;
  options.auto_leader_rebalance = config.kafka.auto_leader_rebalance;
  options.reassignment_delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.kafka.reassignment_delay);
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
  for (const std::string& entry : config.kafka.acls) {
    // The configuration refuses an entry that does not parse.
    auto parsed = config::parse_kafka_acl(entry);
    if (const auto* acl = std::get_if<config::KafkaAcl>(&parsed)) {
      options.authorizer.acls.push_back(binding_of(*acl));
    }
  }
  return options;
}

class KafkaService : public runtime::Service {
 public:
  explicit KafkaService(const runtime::ServiceContext& context)
      : io_(context.io),
        addresses_(context.config.server.bind),
        port_(context.config.kafka.port),
        tls_port_(context.config.kafka.tls_port),
        max_inflight_requests_(
            static_cast<std::size_t>(context.config.kafka.max_inflight_requests)),
        max_connection_unsent_bytes_(
            static_cast<std::size_t>(context.config.kafka.max_connection_unsent_bytes)),
        tls_(context.tls),
        broker_(std::make_shared<BrokerState>(options_from(context.config, users_), context.storage,
                                              context.metrics)),
        traffic_(context.traffic),
        tick_timer_(context.io),
        storage_(context.storage) {
    for (int32_t id = 0; id < broker_->cluster().size(); ++id) {
      auto node = std::make_unique<Node>();
      node->id = id;
      // Broker i on port + i; 0 stays 0 (a free port each).
      node->port = port_ == 0 ? 0 : static_cast<uint16_t>(port_ + id);
      node->tls_port = tls_port_ <= 0 ? tls_port_ : tls_port_ + id;
      nodes_.push_back(std::move(node));
    }
    register_scrape_metrics(context.metrics);
    broker_->set_traffic(&traffic_);
    if (context.faults != nullptr) {
      register_fault_resolver(*context.faults);
      broker_->set_fault_set(context.faults);
    }
    if (context.admin != nullptr) {
      control::mount(*context.admin, make_control(
                                         broker_, [this] { shutdown_connections(); },
                                         [this] { restart_stopped_brokers(); }));
      mount_cluster(*context.admin, broker_,
                    {[this](int32_t node) { return stop_broker(node); },
                     [this](int32_t node) { return start_broker(node); }});
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
    // So are the cluster's replica assignments (after the reset that restores run first).
    storage_.add_snapshot_extension(
        kClusterSnapshotExtension,
        {[broker = broker_] { return capture_cluster(*broker); },
         [broker = broker_](std::string_view encoded) { restore_cluster(*broker, encoded); }});
  }

  ~KafkaService() override {
    storage_.remove_snapshot_extension(kSnapshotExtension);
    storage_.remove_snapshot_extension(kClusterSnapshotExtension);
    scrape_handles_.clear();
  }

  std::string name() const override { return "kafka"; }

  void start() override {
    for (auto& node : nodes_) listen(*node);
    endpoint_ = make_traffic_endpoint(*broker_, users_);
    traffic_.attach(traffic::Protocol::kKafka, endpoint_);
    running_ = true;
    schedule_tick();
  }

  // Broker 0 is "kafka" (and "kafka_tls"), broker i "kafka_<i>" ("kafka_tls_<i>").
  std::map<std::string, uint16_t> ports() const override {
    std::lock_guard lock(nodes_mutex_);
    std::map<std::string, uint16_t> out;
    for (const auto& node : nodes_) {
      const std::string suffix = node->id == 0 ? "" : "_" + std::to_string(node->id);
      if (node->listener) out["kafka" + suffix] = node->listener->port();
      if (node->tls_listener) out["kafka_tls" + suffix] = node->tls_listener->port();
    }
    return out;
  }

  void stop() override {
    if (endpoint_) traffic_.detach(traffic::Protocol::kKafka, endpoint_.get());
    running_ = false;
    asio::post(io_, [this] { tick_timer_.cancel(); });
    {
      std::lock_guard lock(nodes_mutex_);
      for (auto& node : nodes_) {
        if (node->listener) node->listener->close();
        if (node->tls_listener) node->tls_listener->close();
      }
    }
    shutdown_connections();
  }

  std::size_t active_connections() const override {
    std::size_t total = 0;
    for (const auto& node : nodes_) total += node->connections.size();
    return total;
  }

  // Kafka clients find out about a reset by themselves (unknown topics,
  // members and offsets), so connections stay unless asked to close.
  void reset(runtime::ResetConnections connections) override {
    broker_->reset();
    if (connections == runtime::ResetConnections::kClose) shutdown_connections();
    restart_stopped_brokers();
  }

 private:
  // One broker of the cluster: its listeners (kept, closed, while stopped)
  // and its clients' connections.
  struct Node {
    int32_t id = 0;
    uint16_t port = 0;      // configured; after the first bind, the bound port
    int64_t tls_port = -1;  // -1: no SSL listener
    std::unique_ptr<runtime::TcpListener> listener;
    std::unique_ptr<runtime::TcpListener> tls_listener;
    // Closed listeners: destroyed with the service (listener.h: only once
    // the io threads are done with them).
    std::vector<std::unique_ptr<runtime::TcpListener>> retired;
    net::ConnectionSet connections;
    bool stopped = false;
  };

  // Binds the node's listeners (throws runtime::ListenError) and tells the
  // cluster its ports.
  void listen(Node& node) {
    const std::string suffix = node.id == 0 ? "" : "_" + std::to_string(node.id);
    auto listener = std::make_unique<runtime::TcpListener>(
        io_, "kafka" + suffix, addresses_, node.port,
        [this, &node](runtime::Socket socket) { accept(std::move(socket), node, false); });
    std::unique_ptr<runtime::TcpListener> tls_listener;
    if (node.tls_port >= 0) {
      // Kafka's SSL listener: clients that connect here are advertised the
      // SSL listeners' ports in Metadata, as Kafka advertises the named
      // listener a client came in on.
      tls_listener = std::make_unique<runtime::TcpListener>(
          io_, "kafka_tls" + suffix, addresses_, static_cast<uint16_t>(node.tls_port),
          [this, &node](runtime::Socket socket) { accept(std::move(socket), node, true); });
    }
    listener->start();
    if (tls_listener) tls_listener->start();
    node.port = listener->port();
    if (tls_listener) node.tls_port = tls_listener->port();
    broker_->cluster().set_ports(node.id, node.port,
                                 tls_listener ? static_cast<int32_t>(tls_listener->port()) : -1);
    std::lock_guard lock(nodes_mutex_);
    if (node.listener) node.retired.push_back(std::move(node.listener));
    if (node.tls_listener) node.retired.push_back(std::move(node.tls_listener));
    node.listener = std::move(listener);
    node.tls_listener = std::move(tls_listener);
    node.stopped = false;
  }

  void shutdown_connections() {
    for (auto& node : nodes_) node->connections.shutdown_all();
  }

  // Takes a broker out of the cluster: its partitions' leadership moves
  // (broker/cluster.h), its listeners close, its clients' connections close.
  std::string stop_broker(int32_t id) {
    std::lock_guard control(control_mutex_);
    if (id < 0 || id >= static_cast<int32_t>(nodes_.size())) return "no broker";
    Node& node = *nodes_[static_cast<std::size_t>(id)];
    std::vector<Cluster::PartitionKey> partitions;
    auto ends = broker_->log_end_offsets();
    for (const auto& [key, end] : ends) partitions.push_back(key);
    if (!broker_->cluster().stop(id, partitions, ends)) {
      return broker_->cluster().live(id)
                 ? "broker " + std::to_string(id) + " is the last live broker"
                 : "broker " + std::to_string(id) + " is stopped";
    }
    {
      std::lock_guard lock(nodes_mutex_);
      if (node.listener) node.listener->close();
      if (node.tls_listener) node.tls_listener->close();
      node.stopped = true;
    }
    node.connections.shutdown_all();
    log::get("kafka")->info("broker {} stopped", id);
    return "";
  }

  std::string start_broker(int32_t id) {
    std::lock_guard control(control_mutex_);
    if (id < 0 || id >= static_cast<int32_t>(nodes_.size())) return "no broker";
    Node& node = *nodes_[static_cast<std::size_t>(id)];
    if (!node.stopped) return "broker " + std::to_string(id) + " is running";
    if (auto error = relisten(node); !error.empty()) return error;
    broker_->cluster().start(id, broker_->log_end_offsets());
    log::get("kafka")->info("broker {} started", id);
    return "";
  }

  // Binds a stopped node's listeners again, on the ports it had.
  std::string relisten(Node& node) {
    // The old acceptors' close was posted to the io threads: retry briefly
    // while it has not run yet.
    for (int attempt = 0;; ++attempt) {
      try {
        listen(node);
        return "";
      } catch (const runtime::ListenError& e) {
        if (attempt >= 50) return e.what();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  void restart_stopped_brokers() {
    std::lock_guard control(control_mutex_);
    for (auto& node : nodes_) {
      if (!node->stopped) continue;
      if (auto error = relisten(*node); !error.empty()) {
        log::get("kafka")->error("broker {} not restarted: {}", node->id, error);
      }
    }
  }

  // A connection of `node`'s plain or SSL listener. Metadata advertises the
  // address the client connected to and the brokers' ports of this kind.
  void accept(runtime::Socket socket, Node& node, bool tls) {
    boost::system::error_code ec;
    auto local = socket.local_endpoint(ec);
    if (ec) return;
    std::string host =
        local.address().is_v4() || !local.address().to_v6().is_v4_mapped()
            ? local.address().to_string()
            : asio::ip::make_address_v4(asio::ip::v4_mapped, local.address().to_v6()).to_string();
    const int32_t port = local.port();
    // Closed after Kafka's connections.max.idle.ms (10 minutes) without a
    // complete request, as a Kafka broker closes idle connections. Reading
    // stops past kafka.max_connection_unsent_bytes of unsent answers.
    net::ConnectionLimits limits{.max_outbound_bytes = max_connection_unsent_bytes_,
                                 .idle_timeout = std::chrono::minutes(10),
                                 .keep_read_buffer = true};
    auto make_session = [broker = broker_, host, port, id = node.id, tls,
                         max_inflight = max_inflight_requests_](net::Connection& connection) {
      return std::make_unique<KafkaSession>(connection, *broker, host, port, id, tls, max_inflight);
    };
    if (tls) {
      net::Connection::start(std::move(socket), *tls_, limits, node.connections, make_session);
    } else {
      net::Connection::start(std::move(socket), limits, node.connections, make_session);
    }
  }

  void schedule_tick() {
    tick_timer_.expires_after(kGroupTick);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !running_) return;
      broker_->groups().tick(GroupClock::now());
      broker_->expire_transactions();
      // Reassignments delayed by kafka.reassignment_delay complete here.
      if (broker_->cluster().has_ongoing_reassignments()) {
        broker_->cluster().complete_reassignments(broker_->log_end_offsets());
      }
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
  int64_t tls_port_;                         // -1: no SSL listener
  std::size_t max_inflight_requests_;        // kafka.max_inflight_requests, per connection
  std::size_t max_connection_unsent_bytes_;  // kafka.max_connection_unsent_bytes
  const net::TlsContext* tls_;               // set when a TLS listener is on
  // Declared before broker_, which options_from() fills it for.
  std::shared_ptr<sasl::UserStore> users_;
  std::shared_ptr<BrokerState> broker_;
  traffic::Hub& traffic_;
  std::shared_ptr<traffic::Endpoint> endpoint_;
  std::vector<std::unique_ptr<Node>> nodes_;
  mutable std::mutex nodes_mutex_;  // the nodes' listener pointers
  std::mutex control_mutex_;        // one stop/start/reset at a time
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
