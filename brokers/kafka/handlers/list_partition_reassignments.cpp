// ListPartitionReassignments (46): the ongoing reassignments of the simulated cluster. A
// reassignment (AlterPartitionReassignments) completes at once, so none is ever ongoing and
// the answer lists no topics, for null topics (all) as for named ones. Needs DESCRIBE on the
// cluster (CLUSTER_AUTHORIZATION_FAILED), as Kafka's controller checks it.
#include "mockforge/kafka/list_partition_reassignments.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  ListPartitionReassignmentsRequest parsed;
  parsed.decode(body, request->version());
  ListPartitionReassignmentsResponse response;
  if (!authorized_on_cluster(*request, acl::kDescribe)) {
    response.error_code = error::kClusterAuthorizationFailed;
    response.error_message = "Cluster authorization failed.";
    request->count_error(response.error_code);
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kListPartitionReassignmentsHandler{46, 0, 0, &handle};

}  // namespace mockforge::kafka
