#pragma once

// The authorizer as handlers ask it (kafka.authorizer; broker/acl_store.h): who the request's
// principal is, and whether it may do an operation on a resource.

#include <span>
#include <string>
#include <string_view>

#include "brokers/kafka/broker/acl_store.h"
#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/sasl_session.h"
#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {

// User:<SASL name>, or User:ANONYMOUS on a connection without SASL, as Kafka names them.
// Read from the request, not the connection's SASL state: a waiting Fetch asks
// again after its connection may have gone.
inline std::string principal_of(const Request& request) {
  if (!request.principal.empty()) return "User:" + request.principal;
  return "User:ANONYMOUS";
}

inline bool authorized(const Request& request, acl::Operation operation,
                       acl::ResourceType resource_type, std::string_view resource_name) {
  const AclStore& acls = request.broker.acls();
  if (!acls.enabled()) return true;
  return acls.authorize(principal_of(request), request.client_host, operation, resource_type,
                        resource_name);
}

inline bool authorized_on_cluster(const Request& request, acl::Operation operation) {
  return authorized(request, operation, acl::kCluster, acl::kClusterName);
}

// Kafka's authorized-operations field (Metadata, DescribeGroups, DescribeCluster): bit n set
// for each AclOperation n the resource type supports (Kafka's AclEntry.supportedOperations)
// that the principal holds on the resource; all of them while the authorizer is off.
inline int32_t authorized_operations(const Request& request, acl::ResourceType resource_type,
                                     std::string_view resource_name) {
  static constexpr acl::Operation kTopicOperations[] = {
      acl::kRead,   acl::kWrite, acl::kCreate,          acl::kDescribe,
      acl::kDelete, acl::kAlter, acl::kDescribeConfigs, acl::kAlterConfigs};
  static constexpr acl::Operation kGroupOperations[] = {acl::kRead, acl::kDescribe, acl::kDelete};
  static constexpr acl::Operation kClusterOperations[] = {
      acl::kCreate,          acl::kClusterAction, acl::kDescribeConfigs, acl::kAlterConfigs,
      acl::kIdempotentWrite, acl::kAlter,         acl::kDescribe};
  std::span<const acl::Operation> supported;
  switch (resource_type) {
    case acl::kTopic:
      supported = kTopicOperations;
      break;
    case acl::kGroup:
      supported = kGroupOperations;
      break;
    case acl::kCluster:
      supported = kClusterOperations;
      break;
    default:
      return 0;
  }
  int32_t bits = 0;
  for (const acl::Operation operation : supported) {
    if (authorized(request, operation, resource_type, resource_name))
      bits |= int32_t{1} << operation;
  }
  return bits;
}

// Auto-creating a topic needs CREATE on the cluster or on the topic, as in Kafka.
inline bool may_create_topic(const Request& request, std::string_view topic) {
  return authorized_on_cluster(request, acl::kCreate) ||
         authorized(request, acl::kCreate, acl::kTopic, topic);
}

// Does the principal hold `operation` on some resource of the type (an ALLOW no DENY cancels,
// as Kafka's authorizeByResourceType decides)? Always true when the authorizer is off.
inline bool authorized_on_some(const Request& request, acl::Operation operation,
                               acl::ResourceType resource_type) {
  const AclStore& acls = request.broker.acls();
  if (!acls.enabled()) return true;
  return acls.authorize_by_resource_type(principal_of(request), request.client_host, operation,
                                         resource_type);
}

// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: `operation` on the topic, or on
// the cluster for a broker or broker-logger resource. The refusal's error code (as Kafka:
// TOPIC_ or CLUSTER_AUTHORIZATION_FAILED), or NONE; other resource types are left to the
// handler, which refuses them itself.
inline int16_t config_resource_refusal(const Request& request, acl::Operation operation,
                                       int8_t resource_type, std::string_view name) {
  if (resource_type == kResourceTopic) {
    return authorized(request, operation, acl::kTopic, name) ? error::kNone
                                                             : error::kTopicAuthorizationFailed;
  }
  if (resource_type == kResourceBroker || resource_type == kResourceBrokerLogger) {
    return authorized_on_cluster(request, operation) ? error::kNone
                                                     : error::kClusterAuthorizationFailed;
  }
  return error::kNone;
}

// The transactional APIs (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, and
// Produce and InitProducerId with a transactional id): WRITE on the TransactionalId.
inline bool may_write_transaction(const Request& request, std::string_view transactional_id) {
  return authorized(request, acl::kWrite, acl::kTransactionalId, transactional_id);
}

}  // namespace mockforge::kafka
