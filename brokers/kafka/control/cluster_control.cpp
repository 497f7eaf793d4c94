// The simulated Kafka cluster's admin routes (kafka_control.h, docs/admin-api.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/control/kafka_control.h"
#include "core/admin/http_server.h"

namespace mockforge::kafka {
namespace {

using nlohmann::json;

constexpr const char* kPrefix = "/__mockforge/api/kafka/cluster";

admin::HttpResponse reply(int status, const json& body) {
  // Group ids and member ids are client bytes, not always UTF-8.
  return admin::HttpResponse::json(status,
                                   body.dump(-1, ' ', false, json::error_handler_t::replace));
}

json partition_json(Cluster& cluster, const std::string& topic, int32_t index) {
  const Cluster::PartitionState state = cluster.describe(topic, index);
  json offline = json::array();
  for (int32_t replica : state.replicas) {
    if (!cluster.live(replica)) offline.push_back(replica);
  }
  return {{"topic", topic},
          {"partition", index},
          {"leader", state.leader},
          {"leader_epoch", state.epoch()},
          {"preferred_leader", state.replicas.front()},
          {"replicas", state.replicas},
          {"isr", state.isr},
          {"offline_replicas", std::move(offline)}};
}

json outages_json(Cluster& cluster) {
  json out = json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& outage : cluster.coordinator_outages()) {
    out.push_back(
        {{"type", outage.type == Cluster::CoordinatorType::kGroup ? "group" : "transaction"},
         {"key", outage.key ? json(*outage.key) : json(nullptr)},
         {"mode", outage.mode == Cluster::OutageMode::kUnavailable ? "unavailable" : "loading"},
         {"remaining_ms",
          std::chrono::duration_cast<std::chrono::milliseconds>(outage.until - now).count()}});
  }
  return out;
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
      partitions.push_back(partition_json(cluster, topic->name(), index));
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
          {"auto_leader_rebalance", cluster.auto_leader_rebalance()},
          {"partitions", std::move(partitions)},
          {"groups", std::move(groups)},
          {"coordinator_outages", outages_json(cluster)}};
}

admin::HttpResponse move_leader(BrokerState& broker, const admin::HttpRequest& request) {
  if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
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
  Cluster& cluster = broker.cluster();
  if (!cluster.elect(topic_name, index, static_cast<int32_t>(node),
                     broker.log_end_offset(topic_name, index))) {
    return admin::HttpResponse::error(409, cluster.live(static_cast<int32_t>(node))
                                               ? "broker " + std::to_string(node) +
                                                     " is not in the ISR of " + topic_name + "-" +
                                                     std::to_string(index)
                                               : "broker " + std::to_string(node) + " is stopped");
  }
  return reply(200, partition_json(cluster, topic_name, index));
}

// POST .../isr {"topic", "partition", "isr": [node ids]}
admin::HttpResponse change_isr(BrokerState& broker, const admin::HttpRequest& request) {
  if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
  json body = json::parse(request.body, nullptr, false);
  const bool valid_list = body.is_object() && body.contains("isr") && body["isr"].is_array() &&
                          std::all_of(body["isr"].begin(), body["isr"].end(),
                                      [](const json& id) { return id.is_number_integer(); });
  if (!valid_list || !body.contains("topic") || !body["topic"].is_string() ||
      !body.contains("partition") || !body["partition"].is_number_integer()) {
    return admin::HttpResponse::error(
        400, "expected a JSON object {\"topic\": string, \"partition\": int, \"isr\": [int]}");
  }
  const std::string topic_name = body["topic"];
  const int64_t partition = body["partition"];
  auto topic = broker.storage().logs().find(topic_name);
  if (!topic || partition < 0 || partition >= topic->partition_count()) {
    return admin::HttpResponse::error(
        404, "no partition " + topic_name + "/" + std::to_string(partition));
  }
  std::vector<int32_t> isr;
  for (const json& id : body["isr"]) isr.push_back(id.get<int32_t>());
  const auto index = static_cast<int32_t>(partition);
  Cluster& cluster = broker.cluster();
  std::string problem =
      cluster.set_isr(topic_name, index, std::move(isr), broker.log_end_offset(topic_name, index));
  if (!problem.empty()) return admin::HttpResponse::error(409, problem);
  return reply(200, partition_json(cluster, topic_name, index));
}

// POST .../coordinators/outage {"type": "group"|"transaction", "key"?: string,
// "duration_ms": int, "mode"?: "unavailable"|"loading"}
admin::HttpResponse coordinator_outage(BrokerState& broker, const admin::HttpRequest& request) {
  if (auto refusal = admin::refuse_deep_json(request.body)) return *refusal;
  json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string() ||
      (body["type"] != "group" && body["type"] != "transaction") || !body.contains("duration_ms") ||
      !body["duration_ms"].is_number_integer() || body["duration_ms"].get<int64_t>() <= 0 ||
      (body.contains("key") && !body["key"].is_string() && !body["key"].is_null()) ||
      (body.contains("mode") && body["mode"] != "unavailable" && body["mode"] != "loading")) {
    return admin::HttpResponse::error(
        400,
        "expected a JSON object {\"type\": \"group\"|\"transaction\", \"key\": string "
        "(optional), \"duration_ms\": int > 0, \"mode\": \"unavailable\"|\"loading\" "
        "(optional)}");
  }
  Cluster::CoordinatorOutage outage;
  outage.type = body["type"] == "group" ? Cluster::CoordinatorType::kGroup
                                        : Cluster::CoordinatorType::kTransaction;
  if (body.contains("key") && body["key"].is_string()) outage.key = body["key"].get<std::string>();
  outage.mode = body.value("mode", "unavailable") == "loading" ? Cluster::OutageMode::kLoading
                                                               : Cluster::OutageMode::kUnavailable;
  outage.until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(body["duration_ms"].get<int64_t>());
  broker.cluster().add_coordinator_outage(std::move(outage));
  return reply(200, {{"coordinator_outages", outages_json(broker.cluster())}});
}

}  // namespace

void mount_cluster(admin::HttpServer& server, std::shared_ptr<BrokerState> broker, ClusterOps ops) {
  server.route("GET", kPrefix,
               [broker](const admin::HttpRequest&) { return reply(200, cluster_json(*broker)); });
  server.route(
      "POST", std::string(kPrefix) + "/leader",
      [broker](const admin::HttpRequest& request) { return move_leader(*broker, request); });
  server.route("POST", std::string(kPrefix) + "/isr", [broker](const admin::HttpRequest& request) {
    return change_isr(*broker, request);
  });
  server.route(
      "POST", std::string(kPrefix) + "/coordinators/outage",
      [broker](const admin::HttpRequest& request) { return coordinator_outage(*broker, request); });
  server.route("DELETE", std::string(kPrefix) + "/coordinators/outage",
               [broker](const admin::HttpRequest&) {
                 broker->cluster().clear_coordinator_outages();
                 return reply(200, {{"coordinator_outages", json::array()}});
               });
  auto shared_ops = std::make_shared<ClusterOps>(std::move(ops));
  for (int32_t node = 0; node < broker->cluster().size(); ++node) {
    const std::string path = fmt::format("{}/brokers/{}", kPrefix, node);
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
