// `mockforge kafka cluster ...`: the simulated cluster (kafka.brokers) of a running mockforge,
// through its admin API (/__mockforge/api/kafka/cluster, docs/admin-api.md).
#include "cli/kafka/cluster_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/net/admin_client.h"
#include "cli/run_command.h"

namespace mockforge::cli::kafka {
namespace {

using nlohmann::json;

constexpr const char* kCluster = "/__mockforge/api/kafka/cluster";

std::string id_list(const json& ids);

void print_cluster(const json& cluster, const std::string& format) {
  if (format == "json") {
    std::cout << cluster.dump(2) << std::endl;
    return;
  }
  std::cout << "broker\tstate\tport\track" << std::endl;
  for (const auto& broker : cluster.value("brokers", json::array())) {
    const auto& rack = broker["rack"];
    std::cout << broker.value("id", -1)
              << (broker.value("id", -1) == cluster.value("controller", -1) ? " (controller)" : "")
              << '\t' << (broker.value("live", false) ? "live" : "stopped") << '\t'
              << broker.value("port", -1) << '\t'
              << (rack.is_string() ? rack.get<std::string>() : std::string("-")) << std::endl;
  }
  const auto partitions = cluster.value("partitions", json::array());
  if (partitions.empty()) return;
  std::cout << std::endl
            << "topic\tpartition\tleader\tleader_epoch\tpreferred\treplicas\tisr\toffline"
            << std::endl;
  for (const auto& partition : partitions) {
    std::cout << partition.value("topic", "") << '\t' << partition.value("partition", -1) << '\t'
              << partition.value("leader", -1) << '\t' << partition.value("leader_epoch", -1)
              << '\t' << partition.value("preferred_leader", -1) << '\t'
              << id_list(partition.value("replicas", json::array())) << '\t'
              << id_list(partition.value("isr", json::array())) << '\t'
              << id_list(partition.value("offline_replicas", json::array())) << std::endl;
  }
  const auto outages = cluster.value("coordinator_outages", json::array());
  if (outages.empty()) return;
  std::cout << std::endl << "coordinator outage\tkey\tmode\tremaining_ms" << std::endl;
  for (const auto& outage : outages) {
    const auto& key = outage["key"];
    std::cout << outage.value("type", "") << '\t'
              << (key.is_string() ? key.get<std::string>() : std::string("*")) << '\t'
              << outage.value("mode", "") << '\t' << outage.value("remaining_ms", 0) << std::endl;
  }
}

// A comma-separated list of node ids ("0,1,2"), or "-" when empty.
std::string id_list(const json& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id.get<int>());
  }
  return out.empty() ? "-" : out;
}

}  // namespace

void add_cluster_command(CLI::App& kafka, int& exit_code) {
  CLI::App* cluster = kafka.add_subcommand(
      "cluster", "the simulated cluster of a running mockforge (kafka.brokers), via its admin API");
  cluster->require_subcommand(1);

  auto show_api = std::make_shared<net::AdminApi>();
  auto format = std::make_shared<std::string>("text");
  CLI::App* show =
      cluster->add_subcommand("show", "brokers (live or stopped) and partition leaders");
  net::add_admin_call_options(*show, *show_api);
  show->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  show->callback([show_api, format, &exit_code] {
    run_command(exit_code, "mockforge kafka cluster", [&] {
      print_cluster(net::admin_call(*show_api, "GET", kCluster), *format);
      return 0;
    });
  });

  struct LeaderOptions {
    net::AdminApi api;
    std::string topic;
    int partition = 0;
    int broker = 0;
  };
  auto leader_options = std::make_shared<LeaderOptions>();
  CLI::App* leader = cluster->add_subcommand(
      "leader", "make a broker the leader of a partition (its leader epoch goes up)");
  leader->add_option("--topic,-t", leader_options->topic, "topic")->required();
  leader->add_option("--partition,-p", leader_options->partition, "partition")->required();
  leader->add_option("--broker,-b", leader_options->broker, "node id of the new leader")
      ->required();
  net::add_admin_call_options(*leader, leader_options->api);
  leader->callback([leader_options, &exit_code] {
    run_command(exit_code, "mockforge kafka cluster", [&] {
      const json body = {{"topic", leader_options->topic},
                         {"partition", leader_options->partition},
                         {"broker", leader_options->broker}};
      const auto reply = net::admin_call(leader_options->api, "POST",
                                         std::string(kCluster) + "/leader", body.dump());
      std::cout << reply.value("topic", "") << "/" << reply.value("partition", -1) << ": leader "
                << reply.value("leader", -1) << ", leader epoch " << reply.value("leader_epoch", -1)
                << std::endl;
      return 0;
    });
  });

  struct IsrOptions {
    net::AdminApi api;
    std::string topic;
    int partition = 0;
    std::vector<int> isr;
  };
  auto isr_options = std::make_shared<IsrOptions>();
  CLI::App* isr = cluster->add_subcommand(
      "isr",
      "set a partition's in-sync replicas (live replicas of the partition); a leader left "
      "out gives way to the first member");
  isr->add_option("--topic,-t", isr_options->topic, "topic")->required();
  isr->add_option("--partition,-p", isr_options->partition, "partition")->required();
  isr->add_option("--brokers,-b", isr_options->isr, "node ids of the new ISR (comma-separated)")
      ->required()
      ->delimiter(',');
  net::add_admin_call_options(*isr, isr_options->api);
  isr->callback([isr_options, &exit_code] {
    run_command(exit_code, "mockforge kafka cluster", [&] {
      const json body = {{"topic", isr_options->topic},
                         {"partition", isr_options->partition},
                         {"isr", isr_options->isr}};
      const auto reply =
          net::admin_call(isr_options->api, "POST", std::string(kCluster) + "/isr", body.dump());
      std::cout << reply.value("topic", "") << "/" << reply.value("partition", -1) << ": isr "
                << id_list(reply.value("isr", json::array())) << ", leader "
                << reply.value("leader", -1) << ", leader epoch " << reply.value("leader_epoch", -1)
                << std::endl;
      return 0;
    });
  });

  struct OutageOptions {
    net::AdminApi api;
    std::string type = "group";
    std::string key;
    int64_t duration_ms = 0;
    std::string mode = "unavailable";
    bool end = false;
  };
  auto outage_options = std::make_shared<OutageOptions>();
  CLI::App* outage = cluster->add_subcommand(
      "coordinator-outage",
      "make group or transaction coordinators fail for a while: FindCoordinator and their "
      "requests answer COORDINATOR_NOT_AVAILABLE (unavailable), or their requests answer "
      "COORDINATOR_LOAD_IN_PROGRESS (loading); --end stops every outage");
  outage->add_option("--type", outage_options->type, "group or transaction")
      ->check(CLI::IsMember({"group", "transaction"}))
      ->capture_default_str();
  outage->add_option("--key,-k", outage_options->key,
                     "only this group id / transactional id (default: all)");
  outage->add_option("--duration-ms,-d", outage_options->duration_ms, "how long, in ms");
  outage->add_option("--mode", outage_options->mode, "unavailable or loading")
      ->check(CLI::IsMember({"unavailable", "loading"}))
      ->capture_default_str();
  outage->add_flag("--end", outage_options->end, "end every coordinator outage now");
  net::add_admin_call_options(*outage, outage_options->api);
  outage->callback([outage_options, &exit_code] {
    run_command(exit_code, "mockforge kafka cluster", [&] {
      const std::string path = std::string(kCluster) + "/coordinators/outage";
      if (outage_options->end) {
        net::admin_call(outage_options->api, "DELETE", path);
        std::cout << "coordinator outages ended" << std::endl;
        return 0;
      }
      if (outage_options->duration_ms <= 0) {
        throw std::runtime_error("--duration-ms must be above 0 (or use --end)");
      }
      json body = {{"type", outage_options->type},
                   {"duration_ms", outage_options->duration_ms},
                   {"mode", outage_options->mode}};
      if (!outage_options->key.empty()) body["key"] = outage_options->key;
      net::admin_call(outage_options->api, "POST", path, body.dump());
      std::cout << outage_options->type << " coordinator"
                << (outage_options->key.empty() ? "s" : " of " + outage_options->key) << " "
                << outage_options->mode << " for " << outage_options->duration_ms << " ms"
                << std::endl;
      return 0;
    });
  });

  for (const std::string action : {"stop", "start"}) {
    struct BrokerOptions {
      net::AdminApi api;
      int broker = 0;
    };
    auto options = std::make_shared<BrokerOptions>();
    CLI::App* command = cluster->add_subcommand(
        action, action == "stop" ? "stop a broker: its listeners and connections close, it "
                                   "leaves the ISR, its partitions' leadership moves to a live "
                                   "ISR member"
                                 : "start a stopped broker again: it rejoins the ISR and, with "
                                   "kafka.auto_leader_rebalance, leads its preferred partitions");
    command->add_option("BROKER", options->broker, "node id")->required();
    net::add_admin_call_options(*command, options->api);
    command->callback([options, action, &exit_code] {
      run_command(exit_code, "mockforge kafka cluster", [&] {
        net::admin_call(
            options->api, "POST",
            std::string(kCluster) + "/brokers/" + std::to_string(options->broker) + "/" + action);
        std::cout << "broker " << options->broker << (action == "stop" ? " stopped" : " started")
                  << std::endl;
        return 0;
      });
    });
  }
}

}  // namespace mockforge::cli::kafka
