#include "brokers/kafka/handlers/registry.h"

#include <algorithm>
#include <vector>

#include "brokers/kafka/broker/error_codes.h"
#include "mockforge/kafka/api_table.h"

namespace mockforge::kafka {

// Defined by the one-file-per-API handlers.
extern const HandlerSpec kProduceHandler;
extern const HandlerSpec kFetchHandler;
extern const HandlerSpec kListOffsetsHandler;
extern const HandlerSpec kMetadataHandler;
extern const HandlerSpec kOffsetCommitHandler;
extern const HandlerSpec kOffsetFetchHandler;
extern const HandlerSpec kFindCoordinatorHandler;
extern const HandlerSpec kJoinGroupHandler;
extern const HandlerSpec kHeartbeatHandler;
extern const HandlerSpec kLeaveGroupHandler;
extern const HandlerSpec kSyncGroupHandler;
extern const HandlerSpec kDescribeGroupsHandler;
extern const HandlerSpec kListGroupsHandler;
extern const HandlerSpec kApiVersionsHandler;
extern const HandlerSpec kCreateTopicsHandler;
extern const HandlerSpec kDeleteTopicsHandler;
extern const HandlerSpec kInitProducerIdHandler;
extern const HandlerSpec kAddPartitionsToTxnHandler;
extern const HandlerSpec kAddOffsetsToTxnHandler;
extern const HandlerSpec kEndTxnHandler;
extern const HandlerSpec kTxnOffsetCommitHandler;
extern const HandlerSpec kDeleteGroupsHandler;
extern const HandlerSpec kDescribeConfigsHandler;
extern const HandlerSpec kAlterConfigsHandler;
extern const HandlerSpec kIncrementalAlterConfigsHandler;
extern const HandlerSpec kCreatePartitionsHandler;
extern const HandlerSpec kDeleteRecordsHandler;
extern const HandlerSpec kDescribeClusterHandler;
extern const HandlerSpec kDescribeLogDirsHandler;
extern const HandlerSpec kElectLeadersHandler;
extern const HandlerSpec kAlterPartitionReassignmentsHandler;
extern const HandlerSpec kListPartitionReassignmentsHandler;
extern const HandlerSpec kOffsetForLeaderEpochHandler;
extern const HandlerSpec kSaslHandshakeHandler;
extern const HandlerSpec kSaslAuthenticateHandler;
extern const HandlerSpec kDescribeAclsHandler;
extern const HandlerSpec kCreateAclsHandler;
extern const HandlerSpec kDeleteAclsHandler;
extern const HandlerSpec kOffsetDeleteHandler;
extern const HandlerSpec kDescribeProducersHandler;
extern const HandlerSpec kDescribeTransactionsHandler;
extern const HandlerSpec kListTransactionsHandler;

namespace {

std::vector<ServedApi> build_table() {
  const HandlerSpec* specs[] = {
      &kProduceHandler,
      &kFetchHandler,
      &kListOffsetsHandler,
      &kMetadataHandler,
      &kOffsetCommitHandler,
      &kOffsetFetchHandler,
      &kFindCoordinatorHandler,
      &kJoinGroupHandler,
      &kHeartbeatHandler,
      &kLeaveGroupHandler,
      &kSyncGroupHandler,
      &kDescribeGroupsHandler,
      &kListGroupsHandler,
      &kApiVersionsHandler,
      &kCreateTopicsHandler,
      &kDeleteTopicsHandler,
      &kInitProducerIdHandler,
      &kAddPartitionsToTxnHandler,
      &kAddOffsetsToTxnHandler,
      &kEndTxnHandler,
      &kTxnOffsetCommitHandler,
      &kDeleteGroupsHandler,
      &kDescribeConfigsHandler,
      &kAlterConfigsHandler,
      &kIncrementalAlterConfigsHandler,
      &kCreatePartitionsHandler,
      &kDeleteRecordsHandler,
      &kDescribeClusterHandler,
      &kDescribeLogDirsHandler,
      &kElectLeadersHandler,
      &kAlterPartitionReassignmentsHandler,
      &kListPartitionReassignmentsHandler,
      &kOffsetForLeaderEpochHandler,
      &kSaslHandshakeHandler,
      &kSaslAuthenticateHandler,
      &kDescribeAclsHandler,
      &kCreateAclsHandler,
      &kDeleteAclsHandler,
      &kOffsetDeleteHandler,
      &kDescribeProducersHandler,
      &kDescribeTransactionsHandler,
      &kListTransactionsHandler,
  };
  std::vector<ServedApi> table;
  for (const HandlerSpec* spec : specs) {
    const ApiInfo* codec = find_api(spec->api_key);
    if (codec == nullptr) continue;
    int16_t min_version = std::max(spec->min_version, codec->min_version);
    int16_t max_version = std::min(spec->max_version, codec->max_version);
    if (min_version > max_version) continue;
    table.push_back({spec->api_key, codec->name, min_version, max_version, spec->handle});
  }
  std::sort(table.begin(), table.end(),
            [](const ServedApi& a, const ServedApi& b) { return a.api_key < b.api_key; });
  return table;
}

}  // namespace

std::span<const ServedApi> served_apis() {
  static const std::vector<ServedApi> table = build_table();
  return table;
}

const ServedApi* find_served_api(int16_t api_key) {
  for (const auto& api : served_apis()) {
    if (api.api_key == api_key) return &api;
  }
  return nullptr;
}

}  // namespace mockforge::kafka

namespace mockforge::kafka {

void Request::count_error(int16_t code) {
  if (code == 0) return;
  const ServedApi* api = find_served_api(header.api_key);
  broker.metrics()
      .request_errors
      .with({std::string(api ? api->name : "unknown"), std::string(error::name(code))})
      .inc();
  if (events_on()) {
    traffic::Event event;
    event.kind = traffic::EventKind::kError;
    event.detail = std::string(api ? api->name : "unknown") + " v" + std::to_string(version()) +
                   ": " + std::string(error::name(code)) + " (" + std::to_string(code) + ")";
    emit_event(std::move(event));
  }
}

int32_t Request::advertised_port(int32_t node) const {
  if (node == node_id) return local_port;
  return broker.cluster().port(node, tls_listener);
}

int16_t Request::check_leader(const std::string& topic, int32_t partition,
                              int32_t current_leader_epoch) const {
  const Cluster::Leadership leadership = broker.cluster().leadership(topic, partition);
  if (current_leader_epoch >= 0) {
    if (current_leader_epoch < leadership.epoch) return error::kFencedLeaderEpoch;
    if (current_leader_epoch > leadership.epoch) return error::kUnknownLeaderEpoch;
  }
  return leadership.leader == node_id ? error::kNone : error::kNotLeaderOrFollower;
}

int16_t Request::check_group_coordinator(const std::string& group_id) const {
  Cluster& cluster = broker.cluster();
  if (cluster.group_coordinator(group_id) != node_id) return error::kNotCoordinator;
  // A coordinator made unavailable or loading for a while (admin API).
  return cluster.coordinator_error(Cluster::CoordinatorType::kGroup, group_id, false);
}

int16_t Request::check_transaction_coordinator(const std::string& transactional_id) const {
  Cluster& cluster = broker.cluster();
  if (cluster.transaction_coordinator(transactional_id) != node_id) return error::kNotCoordinator;
  return cluster.coordinator_error(Cluster::CoordinatorType::kTransaction, transactional_id, false);
}

void Request::emit_event(traffic::Event event) const {
  auto* events = broker.listening_events();
  if (events == nullptr) return;
  event.protocol = traffic::Protocol::kKafka;
  event.client_id = client_id();
  event.connection = client_host;
  events->emit(std::move(event));
}

}  // namespace mockforge::kafka
