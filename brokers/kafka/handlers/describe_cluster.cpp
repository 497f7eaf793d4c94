// DescribeCluster (60): cluster id, the live brokers (kafka.brokers), the lowest live one as
// controller, and when asked the cluster operations the principal holds (authorize.h).
#include "mockforge/kafka/describe_cluster.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

constexpr int8_t kEndpointBrokers = 1;
constexpr int8_t kEndpointControllers = 2;

void handle(const RequestPtr& request, Reader& body) {
  DescribeClusterRequest parsed;
  parsed.decode(body, request->version());
  const BrokerOptions& options = request->broker.options();
  DescribeClusterResponse response;
  response.endpoint_type = parsed.endpoint_type;
  response.cluster_id = options.cluster_id;
  if (parsed.endpoint_type == kEndpointControllers) {
    response.error_code = error::kMismatchedEndpointType;
    response.error_message =
        "The request was sent to an endpoint of type BROKER, but we wanted "
        "an endpoint of type CONTROLLER";
  } else if (parsed.endpoint_type != kEndpointBrokers) {
    response.error_code = error::kUnsupportedEndpointType;
    response.error_message =
        "Unsupported endpoint type " + std::to_string(int{parsed.endpoint_type});
  } else {
    response.controller_id = -1;
    for (const Cluster::Node& node : request->broker.cluster().nodes()) {
      if (!node.live) continue;
      if (response.controller_id < 0) response.controller_id = node.id;
      response.brokers.push_back(
          {node.id, request->local_host, request->advertised_port(node.id), node.rack});
    }
    if (parsed.include_cluster_authorized_operations) {
      response.cluster_authorized_operations =
          authorized_operations(*request, acl::kCluster, acl::kClusterName);
    }
  }
  request->count_error(response.error_code);
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeClusterHandler{60, 0, 1, &handle};

}  // namespace mockforge::kafka
