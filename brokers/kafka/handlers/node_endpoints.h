#pragma once

#include <set>
#include <vector>

#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {

// KIP-951: the endpoints of the brokers named in a response's current_leader
// fields (Produce v10+, Fetch v16+ node_endpoints), as Metadata would list them.
template <typename Endpoint>
std::vector<Endpoint> node_endpoints(const Request& request, const std::set<int32_t>& ids) {
  std::vector<Endpoint> out;
  if (ids.empty()) return out;
  for (const Cluster::Node& node : request.broker.cluster().nodes()) {
    if (ids.count(node.id) == 0 || !node.live) continue;
    out.push_back({node.id, request.local_host, request.advertised_port(node.id), node.rack});
  }
  return out;
}

}  // namespace mockforge::kafka
