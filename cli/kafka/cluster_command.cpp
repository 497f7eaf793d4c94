// `mockforge kafka cluster ...`: the simulated cluster (kafka.brokers) of a running mockforge,
// through its admin API (/__mockforge/api/kafka/cluster, docs/admin-api.md).
#include "cli/kafka/cluster_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/net/admin_client.h"
#include "cli/run_command.h"

namespace mockforge::cli::kafka {
namespace {

using nlohmann::json;

constexpr const char* kCluster = "/__mockforge/api/kafka/cluster";

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
  std::cout << std::endl << "topic\tpartition\tleader\tleader_epoch\tpreferred" << std::endl;
  for (const auto& partition : partitions) {
    std::cout << partition.value("topic", "") << '\t' << partition.value("partition", -1) << '\t'
              << partition.value("leader", -1) << '\t' << partition.value("leader_epoch", -1)
              << '\t' << partition.value("preferred_leader", -1) << std::endl;
  }
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

  for (const std::string action : {"stop", "start"}) {
    struct BrokerOptions {
      net::AdminApi api;
      int broker = 0;
    };
    auto options = std::make_shared<BrokerOptions>();
    CLI::App* command = cluster->add_subcommand(
        action, action == "stop" ? "stop a broker: its listeners and connections close, its "
                                   "partitions' leadership moves to a live broker"
                                 : "start a stopped broker again");
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
