#pragma once

// The authorizer as handlers ask it (kafka.authorizer; broker/acl_store.h): who the request's
// principal is, and whether it may do an operation on a resource.

#include <string>
#include <string_view>

#include "brokers/kafka/broker/acl_store.h"
#include "brokers/kafka/broker/sasl_session.h"
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

// Auto-creating a topic needs CREATE on the cluster or on the topic, as in Kafka.
inline bool may_create_topic(const Request& request, std::string_view topic) {
  return authorized_on_cluster(request, acl::kCreate) ||
         authorized(request, acl::kCreate, acl::kTopic, topic);
}

}  // namespace mockforge::kafka
