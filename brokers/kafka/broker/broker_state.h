#pragma once

// State of the Kafka broker shared by all connections: options, the storage
// engine, idempotent-producer state, metrics. Protocol-only state lives here
// and is dropped by reset(); messages live in storage.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "brokers/kafka/broker/acl_store.h"
#include "brokers/kafka/broker/cluster.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::faults {
class FaultSet;
}  // namespace mockforge::faults

namespace mockforge::traffic {
class Events;
class Hub;
}  // namespace mockforge::traffic

namespace mockforge::sasl {
class UserStore;
struct OAuthBearerOptions;
}  // namespace mockforge::sasl

namespace mockforge::kafka {

class AclStore;
class GroupCoordinator;
class TransactionCoordinator;
struct TransactionCompletion;

// SASL on the Kafka listener (kafka.sasl_*); off when `mechanisms` is empty.
struct SaslOptions {
  std::vector<std::string> mechanisms;
  std::shared_ptr<const sasl::UserStore> users;
  // OAUTHBEARER's token checks (kafka.sasl_oauthbearer_*); set when OAUTHBEARER is enabled.
  std::shared_ptr<const sasl::OAuthBearerOptions> oauthbearer;
  std::chrono::milliseconds session_lifetime{0};  // 0: sessions never expire
  bool enabled() const { return !mechanisms.empty(); }
};

// Kafka ACLs (kafka.authorizer, kafka.super_users, kafka.acls; docs/security.md).
struct AuthorizerOptions {
  bool enabled = false;                  // kafka.authorizer: acl
  std::vector<std::string> super_users;  // "User:name" entries, allowed everything
  std::vector<AclBinding> acls;          // kafka.acls: there at start-up and after a reset
};

struct BrokerOptions {
  int32_t node_id = 0;
  // The simulated cluster (kafka.brokers, kafka.racks): node ids 0..brokers-1.
  int32_t brokers = 1;
  std::vector<std::string> racks;
  // kafka.auto_leader_rebalance: a restarted broker leads its preferred partitions again.
  bool auto_leader_rebalance = true;
  // kafka.reassignment_delay: how long AlterPartitionReassignments stay ongoing.
  std::chrono::milliseconds reassignment_delay{0};
  std::string cluster_id = "mockforge-kafka";
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  std::size_t max_frame_bytes = 100u << 20;
  int32_t default_max_message_bytes = 1048588;  // Kafka's message.max.bytes
  std::chrono::milliseconds group_initial_rebalance_delay{100};
  // Largest transaction.timeout.ms InitProducerId accepts (Kafka's
  // transaction.max.timeout.ms).
  std::chrono::milliseconds transaction_max_timeout{900000};
  SaslOptions sasl;
  AuthorizerOptions authorizer;
};

// Cached metric series and families (hot paths look up by label once).
struct BrokerMetrics {
  explicit BrokerMetrics(metrics::Registry& registry);
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Counter>& request_errors;
  metrics::Family<metrics::Counter>& messages_produced;
  metrics::Counter& bytes_produced;
  metrics::Family<metrics::Counter>& messages_consumed;
  metrics::Counter& bytes_consumed;
  metrics::Gauge& connections;
};

// Result of the idempotence check of one produced batch.
struct SequenceCheck {
  enum class Kind { kAppend, kDuplicate, kError } kind = Kind::kAppend;
  int16_t error_code = 0;
  int64_t duplicate_base_offset = -1;
};

// Idempotent producers: ids handed out by InitProducerId and, per
// (producer, topic, partition), the last batches' sequence numbers.
class ProducerRegistry {
 public:
  struct Allocation {
    int64_t producer_id;
    int16_t epoch;
  };
  // A fresh id (no transactional id) or a bumped epoch for a known one.
  Allocation init(int64_t existing_id, int16_t existing_epoch);
  bool known(int64_t producer_id) const;
  // A fresh id, with no epoch yet (transactional producers: set_epoch()).
  int64_t allocate_id();
  // The epoch of a (transactional) producer: batches of older epochs are fenced.
  void set_epoch(int64_t producer_id, int16_t epoch);

  // Checks a batch against the partition's producer state. The caller holds
  // lock() across check + append + record so that the order is consistent.
  SequenceCheck check(int64_t producer_id, int16_t epoch, const std::string& topic,
                      int32_t partition, int32_t first_sequence, int32_t last_sequence);
  // An appended batch: its sequences, offset and max timestamp.
  void record(int64_t producer_id, int16_t epoch, const std::string& topic, int32_t partition,
              int32_t first_sequence, int32_t last_sequence, int64_t base_offset,
              int64_t max_timestamp);
  // An appended transaction marker (as Kafka's producer state sees one): the producer's
  // epoch, the marker's timestamp and the coordinator epoch it carries.
  void record_marker(int64_t producer_id, int16_t epoch, const std::string& topic,
                     int32_t partition, int32_t coordinator_epoch, int64_t timestamp);

  // DescribeProducers: the producers with state on a partition, by producer id.
  struct ActiveProducer {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t last_sequence = -1;
    int64_t last_timestamp = -1;
    int32_t coordinator_epoch = -1;
  };
  std::vector<ActiveProducer> active_producers(const std::string& topic, int32_t partition) const;
  std::mutex& lock() { return append_mutex_; }
  void reset();

 private:
  struct BatchSequence {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t base_offset;
  };
  struct PartitionState {
    int16_t epoch = -1;
    std::deque<BatchSequence> recent;  // up to 5, newest last (Kafka keeps 5)
    int64_t last_timestamp = -1;
    int32_t coordinator_epoch = -1;  // of the last marker; -1: none yet
  };
  using Key = std::tuple<int64_t, std::string, int32_t>;

  mutable std::mutex mutex_;
  std::mutex append_mutex_;
  int64_t next_producer_id_ = 1000;
  std::map<int64_t, int16_t> epochs_;
  std::map<Key, PartitionState> partitions_;
};

class BrokerState {
 public:
  BrokerState(BrokerOptions options, storage::Engine& storage, metrics::Registry& registry);
  ~BrokerState();

  const BrokerOptions& options() const { return options_; }
  storage::Engine& storage() { return storage_; }
  const storage::Engine& storage() const { return storage_; }
  metrics::Registry& registry() { return registry_; }
  BrokerMetrics& metrics() { return metrics_; }
  ProducerRegistry& producers() { return producers_; }
  GroupCoordinator& groups() { return *groups_; }
  TransactionCoordinator& transactions() { return *transactions_; }
  Cluster& cluster() { return cluster_; }
  const Cluster& cluster() const { return cluster_; }

  // Each stored partition's log end offset (what a leader move records as
  // the new epoch's start).
  std::map<Cluster::PartitionKey, int64_t> log_end_offsets() const;
  int64_t log_end_offset(const std::string& topic, int32_t partition) const;

  // The ACLs (kafka.acls and fixture files', kept by reset(); CreateAcls', dropped by it) and
  // the authorizer that reads them.
  AclStore& acls() { return *acls_; }

  // Finishes an ended transaction: the producer's epoch, a commit or abort
  // marker appended to each of its partitions (under the producers' append
  // lock), and on commit its offsets stored in their groups.
  // Writes the markers (and on commit the staged offsets). On commit the
  // transaction's records reach the traffic hub's observers now, as
  // `client_id`'s publishes: they see what a read_committed consumer sees, and
  // never an aborted record.
  void complete_transaction(const TransactionCompletion& completion,
                            const std::string& client_id = "");
  // Aborts the transactions past their timeout (called by the service's tick).
  void expire_transactions();

  // The topic, auto-created when allowed and configured. nullptr otherwise.
  std::shared_ptr<storage::Topic> find_or_create_topic(const std::string& name, bool allow_create);

  // Drops producer, transaction and group state (storage was reset by the
  // engine, so open transactions are gone), then commits the fixtures'
  // offsets again.
  void reset();

  // Fixtures' committed offsets (traffic endpoint): a standalone commit into
  // an empty group, made again after every reset(). 0 or the Kafka error
  // code of the commit. Thread-safe.
  struct FixtureOffset {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    std::optional<std::string> metadata;
  };
  int16_t commit_fixture_offsets(const std::string& group_id,
                                 const std::vector<FixtureOffset>& offsets);

  // Where accepted Produce batches are reported (core/traffic/hub.h); null:
  // nowhere. Set before serving.
  void set_traffic(traffic::Hub* hub) { traffic_ = hub; }
  traffic::Hub* traffic() const { return traffic_; }
  // The hub's event stream while anyone listens, else null: the check every
  // connection event makes first (one relaxed atomic load).
  traffic::Events* listening_events() const;
  // The fault rules requests are checked against (faults/); null: none.
  // Set before serving.
  void set_fault_set(faults::FaultSet* fault_set) { fault_set_ = fault_set; }
  faults::FaultSet* fault_set() const { return fault_set_; }

 private:
  BrokerOptions options_;
  storage::Engine& storage_;
  metrics::Registry& registry_;
  BrokerMetrics metrics_;
  ProducerRegistry producers_;
  Cluster cluster_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<TransactionCoordinator> transactions_;
  std::unique_ptr<AclStore> acls_;
  traffic::Hub* traffic_ = nullptr;
  std::mutex fixture_offsets_mutex_;
  std::vector<std::pair<std::string, std::vector<FixtureOffset>>> fixture_offsets_;
  faults::FaultSet* fault_set_ = nullptr;
};

// Kafka's topic name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view name);

int64_t now_ms();

}  // namespace mockforge::kafka
