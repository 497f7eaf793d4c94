// The simulated Kafka cluster's admin routes (kafka_control.h, docs/admin-api.md).
#include <nlohmann/json.hpp>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/control/kafka_control.h"
#include "core/admin/http_server.h"

namespace mockforge::kafka {
namespace {

using nlohmann::json;

constexpr const char* kPrefix = "/__mockforge/api/kafka/cluster";

admin::HttpResponse reply(int status, const json& body) {
  return admin::HttpResponse::json(status, body.dump());
}

json cluster_json(BrokerState& broker) {
  Cluster& cluster = broker.cluster();
  json brokers = json::array();
  int32_t controller = -1;
  for (const Cluster::Node& node : cluster.nodes()) {
    if (node.live && controller < 0) controller = node.id;
    brokers.push_back({{"id", node.id},
                       {"rack", node.rack ? json(*node.rack) : json(nullptr)},
                       {"live", node.live},
                       {"port", node.port},
                       {"tls_port", node.tls_port >= 0 ? json(node.tls_port) : json(nullptr)}});
  }
  json partitions = json::array();
  for (const auto& topic : broker.storage().logs().list()) {
    for (int32_t index = 0; index < topic->partition_count(); ++index) {
      const Cluster::Leadership leadership = cluster.leadership(topic->name(), index);
      partitions.push_back({{"topic", topic->name()},
                            {"partition", index},
                            {"leader", leadership.leader},
                            {"leader_epoch", leadership.epoch},
                            {"preferred_leader", cluster.preferred_leader(topic->name(), index)}});
    }
  }
  json groups = json::array();
  for (const auto& group : broker.groups().list()) {
    groups.push_back(
        {{"group_id", group.group_id}, {"coordinator", cluster.group_coordinator(group.group_id)}});
  }
  return {{"cluster_id", broker.options().cluster_id},
          {"controller", controller},
          {"brokers", std::move(brokers)},
          {"partitions", std::move(partitions)},
          {"groups", std::move(groups)}};
}

admin::HttpResponse move_leader(BrokerState& broker, const admin::HttpRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("topic") || !body["topic"].is_string() ||
      !body.contains("partition") || !body["partition"].is_number_integer() ||
      !body.contains("broker") || !body["broker"].is_number_integer()) {
    return admin::HttpResponse::error(
        400, "expected a JSON object {\"topic\": string, \"partition\": int, \"broker\": int}");
  }
  const std::string topic_name = body["topic"];
  const int64_t partition = body["partition"];
  const int64_t node = body["broker"];
  auto topic = broker.storage().logs().find(topic_name);
  if (!topic || partition < 0 || partition >= topic->partition_count()) {
    return admin::HttpResponse::error(
        404, "no partition " + topic_name + "/" + std::to_string(partition));
  }
  if (node < 0 || node >= broker.cluster().size()) {
    return admin::HttpResponse::error(404, "no broker " + std::to_string(node));
  }
  const auto index = static_cast<int32_t>(partition);
  if (!broker.cluster().elect(topic_name, index, static_cast<int32_t>(node),
                              broker.log_end_offset(topic_name, index))) {
    return admin::HttpResponse::error(409, "broker " + std::to_string(node) + " is stopped");
  }
  const Cluster::Leadership leadership = broker.cluster().leadership(topic_name, index);
  return reply(200, {{"topic", topic_name},
                     {"partition", index},
                     {"leader", leadership.leader},
                     {"leader_epoch", leadership.epoch}});
}

}  // namespace

void mount_cluster(admin::HttpServer& server, std::shared_ptr<BrokerState> broker, ClusterOps ops) {
  server.route("GET", kPrefix,
               [broker](const admin::HttpRequest&) { return reply(200, cluster_json(*broker)); });
  server.route(
      "POST", std::string(kPrefix) + "/leader",
      [broker](const admin::HttpRequest& request) { return move_leader(*broker, request); });
  auto shared_ops = std::make_shared<ClusterOps>(std::move(ops));
  for (int32_t node = 0; node < broker->cluster().size(); ++node) {
    const std::string path = std::string(kPrefix) + "/brokers/" + std::to_string(node);
    server.route("POST", path + "/stop", [broker, shared_ops, node](const admin::HttpRequest&) {
      std::string error = shared_ops->stop_broker(node);
      if (!error.empty()) return admin::HttpResponse::error(409, error);
      return reply(200, cluster_json(*broker));
    });
    server.route("POST", path + "/start", [broker, shared_ops, node](const admin::HttpRequest&) {
      std::string error = shared_ops->start_broker(node);
      if (!error.empty()) return admin::HttpResponse::error(409, error);
      return reply(200, cluster_json(*broker));
    });
  }
}

}  // namespace mockforge::kafka
