// mockforge fixtures validate|load|list|start|stop, the seed's
// mockforge kafka|mqtt|amqp fixtures load DIR, and mockforge responders
// list|add|remove. `validate` reads the files only (and asks the brokers'
// own checks of a new exchange, queue or topic); the others talk to a
// running mockforge's admin API.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "brokers/amqp/protocol/traffic.h"
#include "brokers/kafka/broker/traffic.h"
#include "cli/apply/apply.h"
#include "cli/commands.h"
#include "cli/net/admin_client.h"
#include "cli/net/http.h"
#include "cli/run_command.h"
#include "core/config/config.h"
#include "core/traffic/message.h"
#include "fixtures/fixture_set.h"

namespace mockforge::cli {
namespace {

std::string absolute(const std::string& directory) {
  std::error_code ec;
  auto path = std::filesystem::absolute(directory, ec);
  return ec ? directory : path.lexically_normal().string();
}

int load(const net::AdminApi& options, const std::string& directory,
         std::optional<traffic::Protocol> section) {
  std::string target = "/__mockforge/api/fixtures/load?dir=" + net::url_encode(absolute(directory));
  if (section) target += "&protocol=" + std::string(traffic::to_string(*section));
  const auto reply = net::admin_call(options, "POST", target);
  const auto count = [&](const char* key) { return reply.contains(key) ? reply[key].size() : 0; };
  std::cout << fmt::format(
                   "loaded {}: {} new fixture(s), {} already loaded, {} declaration(s), {} seed "
                   "message(s)",
                   directory, count("added"), count("unchanged"), reply.value("declared", 0),
                   reply.value("seeded", 0))
            << std::endl;
  return 0;
}

// What the brokers would refuse of the declarations as new resources, as
// `serve` reports it: AMQP exchanges and queues (type, arguments, flags) and
// Kafka topics (name, configs), the fixtures' topics included.
void check_with_brokers(fixtures::LoadedFixtures& set) {
  auto check = [](const traffic::Resource& resource) {
    if (resource.protocol == traffic::Protocol::kAmqp) return amqp::check_new_declaration(resource);
    if (resource.protocol == traffic::Protocol::kKafka &&
        resource.kind == traffic::Resource::Kind::kTopic) {
      return kafka::check_topic_declaration(resource);
    }
    return std::string();
  };
  // A binding's arguments are checked against its source's type: an exchange
  // of these files, or a predeclared one.
  std::map<std::pair<std::string, std::string>, std::string> exchange_types;
  for (const auto& declaration : set.declarations) {
    const auto& resource = declaration.resource;
    if (resource.protocol != traffic::Protocol::kAmqp ||
        resource.kind != traffic::Resource::Kind::kExchange) {
      continue;
    }
    exchange_types[{resource.vhost.empty() ? "/" : resource.vhost, resource.name}] = resource.type;
  }
  auto check_binding = [&](const traffic::Resource& binding) {
    const auto it =
        exchange_types.find({binding.vhost.empty() ? "/" : binding.vhost, binding.name});
    return amqp::check_binding_arguments(binding,
                                         it == exchange_types.end() ? std::string() : it->second);
  };
  for (const auto& declaration : set.declarations) {
    const auto& resource = declaration.resource;
    const bool binding = resource.protocol == traffic::Protocol::kAmqp &&
                         resource.kind == traffic::Resource::Kind::kBinding;
    if (auto error = binding ? check_binding(resource) : check(resource); !error.empty()) {
      set.errors.push_back({declaration.file, declaration.line, declaration.column,
                            declaration.field, std::move(error)});
    }
  }
  for (const auto& fixture : set.fixtures) {
    if (fixture.protocol != traffic::Protocol::kKafka) continue;
    for (const auto& topic : fixture.kafka_topics()) {
      if (auto error = check(topic); !error.empty()) {
        set.errors.push_back({fixture.file, fixture.line, fixture.column,
                              fixture.identifier + ".topic", std::move(error)});
        break;
      }
    }
  }
}

int validate(const std::vector<std::string>& directories, const std::string& protocol,
             const std::string& config_file) {
  std::optional<traffic::Protocol> section;
  if (!protocol.empty()) section = traffic::parse_protocol(protocol);
  // AMQP vhosts and users may come from the configuration, as with serve.
  config::LoadRequest request;
  if (!config_file.empty()) request.file = config_file;
  const auto loaded = config::load(request);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::cerr << "mockforge: " << error.to_string() << '\n';
    return 2;
  }
  fixtures::LoadedFixtures set;
  for (const auto& directory : directories)
    set.merge(fixtures::load_fixture_dir(directory, section));
  const auto outside = fixtures::outside_names(loaded.config);
  fixtures::check_references(set, nullptr, &outside);
  check_with_brokers(set);
  for (const auto& error : set.errors) std::cerr << error.to_string() << std::endl;
  if (!set.ok()) {
    std::cerr << set.errors.size() << " error(s)" << std::endl;
    return 1;
  }
  std::size_t per_protocol[traffic::kProtocolCount] = {};
  for (const auto& fixture : set.fixtures)
    ++per_protocol[static_cast<std::size_t>(fixture.protocol)];
  std::cout << fmt::format(
                   "ok: {} fixture(s) (kafka {}, mqtt {}, amqp {}), {} declaration(s), {} "
                   "responder(s)",
                   set.fixtures.size(), per_protocol[0], per_protocol[1], per_protocol[2],
                   set.declarations.size(), set.responders.size())
            << std::endl;
  return 0;
}

int list(const net::AdminApi& options, const std::string& format) {
  const auto reply = net::admin_call(options, "GET", "/__mockforge/api/fixtures");
  if (format == "json") {
    std::cout << reply.dump(2) << std::endl;
    return 0;
  }
  std::map<std::string, nlohmann::json> schedules;
  for (const auto& schedule : reply.value("schedules", nlohmann::json::array())) {
    schedules[schedule.value("identifier", "")] = schedule;
  }
  std::cout << "identifier\tprotocol\tdestination\tseeds\tauto_produce\tproduced" << std::endl;
  for (const auto& fixture : reply.value("fixtures", nlohmann::json::array())) {
    const auto id = fixture.value("identifier", "");
    std::string state = "-";
    std::string produced = "-";
    if (auto it = schedules.find(id); it != schedules.end()) {
      // With channel parameters the rate is per stream.
      const auto streams = it->second.value("streams", 1);
      state = fmt::format("{}/s{} {}", it->second.value("rate_per_second", 0.0),
                          streams > 1 ? fmt::format(" x {} streams", streams) : "",
                          it->second.value("running", false) ? "running" : "stopped");
      produced = std::to_string(it->second.value("produced", 0));
    }
    std::cout << id << '\t' << fixture.value("protocol", "") << '\t'
              << fixture.value("destination", "") << '\t' << fixture.value("seed_count", 0) << '\t'
              << state << '\t' << produced << std::endl;
  }
  return 0;
}

int set_running(const net::AdminApi& options, const std::string& id, bool running) {
  std::string target = std::string("/__mockforge/api/fixtures/") + (running ? "start" : "stop");
  if (!id.empty()) target += "?id=" + net::url_encode(id);
  const auto reply = net::admin_call(options, "POST", target);
  const auto& changed = reply[running ? "started" : "stopped"];
  std::cout << (running ? "started" : "stopped") << ' ' << changed.size() << " schedule(s)";
  for (const auto& name : changed) std::cout << ' ' << name.get<std::string>();
  std::cout << std::endl;
  return 0;
}

int list_responders(const net::AdminApi& options, const std::string& format) {
  const auto reply = net::admin_call(options, "GET", "/__mockforge/api/responders");
  if (format == "json") {
    std::cout << reply.dump(2) << std::endl;
    return 0;
  }
  std::cout << "identifier\twhen\tmessages\tfirings\thop_limited\tfile" << std::endl;
  for (const auto& responder : reply.value("responders", nlohmann::json::array())) {
    const auto& when = responder["when"];
    std::string match = when.value("protocol", "") + " ";
    if (when.contains("topic")) match += when.value("topic", "");
    if (when.contains("exchange")) match += "exchange=" + when.value("exchange", "") + " ";
    if (when.contains("routing_key")) match += "routing_key=" + when.value("routing_key", "");
    std::cout << responder.value("identifier", "") << '\t' << match << '\t'
              << responder.value("messages", 0) << '\t' << responder.value("firings", 0) << '\t'
              << responder.value("hop_limited", 0) << '\t'
              << fmt::format("{}:{}", responder.value("file", ""), responder.value("line", 0))
              << std::endl;
  }
  return 0;
}

int add_responders(const net::AdminApi& options, const std::string& file) {
  const auto reply = net::admin_call(
      options, "POST", "/__mockforge/api/responders/add?file=" + net::url_encode(absolute(file)));
  const auto names = [&](const char* key) {
    std::string out;
    for (const auto& name : reply.value(key, nlohmann::json::array()))
      out += " " + name.get<std::string>();
    return out;
  };
  std::cout << fmt::format("added {} responder(s){}",
                           reply.value("added", nlohmann::json::array()).size(), names("added"));
  if (const auto unchanged = names("unchanged"); !unchanged.empty())
    std::cout << "; already there:" << unchanged;
  std::cout << std::endl;
  return 0;
}

int remove_responder(const net::AdminApi& options, const std::string& id) {
  net::admin_call(options, "POST", "/__mockforge/api/responders/remove?id=" + net::url_encode(id));
  std::cout << "removed " << id << std::endl;
  return 0;
}

// `<parent> list [--format text|json]`, printing through `print`.
void add_list_command(CLI::App& parent, const std::string& description, int& exit_code,
                      int (*print)(const net::AdminApi&, const std::string&)) {
  auto* command = parent.add_subcommand("list", description);
  auto options = std::make_shared<net::AdminApi>();
  auto format = std::make_shared<std::string>("text");
  net::add_admin_call_options(*command, *options);
  command->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->callback([options, format, print, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return print(*options, *format); });
  });
}

// `<protocol> fixtures load DIR`, under an existing protocol command.
void add_protocol_load(CLI::App& app, const std::string& name, traffic::Protocol protocol,
                       int& exit_code) {
  CLI::App* parent = nullptr;
  try {
    parent = app.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    return;
  }
  auto* group =
      parent->add_subcommand("fixtures", "Fixtures of a running mockforge (through its admin API)");
  group->require_subcommand(1);
  auto* command = group->add_subcommand(
      "load", fmt::format("Load a directory of {} fixture files into a running mockforge", name));
  auto options = std::make_shared<net::AdminApi>();
  auto directory = std::make_shared<std::string>();
  command
      ->add_option("DIR", *directory,
                   "Directory of *.yaml files (bare sections of this protocol allowed)")
      ->required();
  net::add_admin_call_options(*command, *options);
  command->callback([options, directory, protocol, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return load(*options, *directory, protocol); });
  });
}

void add_responders_command(CLI::App& app, int& exit_code) {
  auto* responders = app.add_subcommand(
      "responders", "Responders of a running mockforge: rules that answer matching messages");
  responders->require_subcommand(1);

  add_list_command(*responders, "List the responders and their firings", exit_code,
                   list_responders);

  auto* add_command = responders->add_subcommand(
      "add", "Add the responders of a file (a `responders:` list, docs/fixtures.md)");
  auto add_options = std::make_shared<net::AdminApi>();
  auto file = std::make_shared<std::string>();
  add_command->add_option("FILE", *file, "A YAML file with a responders: list")->required();
  net::add_admin_call_options(*add_command, *add_options);
  add_command->callback([add_options, file, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return add_responders(*add_options, *file); });
  });

  auto* remove_command = responders->add_subcommand("remove", "Remove a responder");
  auto remove_options = std::make_shared<net::AdminApi>();
  auto id = std::make_shared<std::string>();
  remove_command->add_option("ID", *id, "The responder's identifier")->required();
  net::add_admin_call_options(*remove_command, *remove_options);
  remove_command->callback([remove_options, id, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return remove_responder(*remove_options, *id); });
  });
}

}  // namespace

struct ApplyOptions {
  std::vector<std::string> directories;
  std::string protocol;
  apply::Targets targets;
  double timeout = 10;
};

// `fixtures apply`: the files into real brokers (cli/apply).
int apply_command(ApplyOptions& options) {
  std::optional<traffic::Protocol> section;
  if (!options.protocol.empty()) section = traffic::parse_protocol(options.protocol);
  fixtures::LoadedFixtures set;
  for (const auto& directory : options.directories)
    set.merge(fixtures::load_fixture_dir(directory, section));
  fixtures::check_references(set);
  auto problems = set.errors;
  const auto refused = apply::refusals(set, options.targets);
  problems.insert(problems.end(), refused.begin(), refused.end());
  if (!problems.empty()) {
    for (const auto& error : problems) std::cerr << error.to_string() << "\n";
    std::cerr << "mockforge: nothing was applied (" << problems.size() << " problem(s))\n";
    return 1;
  }
  for (const auto& line : apply::not_applied(set)) std::cerr << line << "\n";
  options.targets.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout * 1000));
  apply::apply(set, options.targets, std::cout);
  return 0;
}

void add_fixtures_command(CLI::App& app, int& exit_code) {
  auto* fixtures = app.add_subcommand(
      "fixtures", "Check fixture files; load and control them in a running mockforge");
  fixtures->require_subcommand(1);

  auto* validate_command =
      fixtures->add_subcommand("validate", "Check fixture files without a server");
  auto directories = std::make_shared<std::vector<std::string>>();
  auto protocol = std::make_shared<std::string>();
  validate_command->add_option("DIR", *directories, "Directories of *.yaml files, checked together")
      ->required();
  validate_command
      ->add_option("--protocol", *protocol,
                   "Read the directories as a <protocol>.fixtures_dir (files may be bare sections)")
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  auto validate_config = std::make_shared<std::string>();
  validate_command->add_option(
      "--config", *validate_config,
      "The mockforge.yaml the files are for: its amqp.vhosts and amqp.users may be named (default: "
      "vhost / and user guest)");
  validate_command->callback([directories, protocol, validate_config, &exit_code] {
    run_command(exit_code, "mockforge",
                [&] { return validate(*directories, *protocol, *validate_config); });
  });

  auto* load_command = fixtures->add_subcommand(
      "load", "Load a directory of fixture files into a running mockforge");
  auto load_options = std::make_shared<net::AdminApi>();
  auto load_directory = std::make_shared<std::string>();
  auto load_protocol = std::make_shared<std::string>();
  load_command->add_option("DIR", *load_directory, "Directory of *.yaml files")->required();
  load_command->add_option("--protocol", *load_protocol, "Read it as a <protocol>.fixtures_dir")
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  net::add_admin_call_options(*load_command, *load_options);
  load_command->callback([load_options, load_directory, load_protocol, &exit_code] {
    run_command(exit_code, "mockforge", [&] {
      std::optional<traffic::Protocol> section;
      if (!load_protocol->empty()) section = traffic::parse_protocol(*load_protocol);
      return load(*load_options, *load_directory, section);
    });
  });

  auto* apply_cmd = fixtures->add_subcommand(
      "apply",
      "Seed real brokers from fixture files: Kafka topics, records and group offsets, AMQP "
      "topology and messages, MQTT retained messages");
  auto apply_options = std::make_shared<ApplyOptions>();
  if (const char* seed = std::getenv("MOCKFORGE_FIXTURES_RANDOM_SEED")) {
    apply_options->targets.random_seed = std::strtoull(seed, nullptr, 10);
  }
  apply_cmd->add_option("DIR", apply_options->directories, "Directories of *.yaml files")
      ->required();
  apply_cmd
      ->add_option("--protocol", apply_options->protocol,
                   "Read the directories as a <protocol>.fixtures_dir (files may be bare sections)")
      ->check(CLI::IsMember({"kafka", "mqtt", "amqp"}));
  apply_cmd->add_option("--kafka-bootstrap", apply_options->targets.kafka_bootstrap,
                        "Kafka bootstrap servers, host:port[,host:port...]");
  apply_cmd->add_option("--amqp-url", apply_options->targets.amqp_url,
                        "amqp://user:password@host:port/vhost (the vhost of objects without "
                        "`vhost`)");
  apply_cmd->add_option("--mqtt-url", apply_options->targets.mqtt_url,
                        "mqtt://[user[:password]@]host[:port] (MQTT 5)");
  apply_cmd
      ->add_option("--seed", apply_options->targets.random_seed,
                   "Random seed of the templates, as fixtures.random_seed (default: "
                   "$MOCKFORGE_FIXTURES_RANDOM_SEED; 0 a new one)")
      ->capture_default_str();
  apply_cmd->add_option("--timeout", apply_options->timeout, "Seconds to wait for each broker")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  apply_cmd->callback([apply_options, &exit_code] {
    run_command(exit_code, "mockforge", [&] { return apply_command(*apply_options); });
  });

  add_list_command(*fixtures, "List the fixtures and auto-produce schedules of a running mockforge",
                   exit_code, list);

  for (const bool running : {true, false}) {
    auto* command = fixtures->add_subcommand(
        running ? "start" : "stop",
        running ? "Start an auto-produce schedule from the beginning (all without ID)"
                : "Stop an auto-produce schedule (all without ID)");
    auto options = std::make_shared<net::AdminApi>();
    auto id = std::make_shared<std::string>();
    command->add_option("ID", *id, "The fixture's identifier");
    net::add_admin_call_options(*command, *options);
    command->callback([options, id, running, &exit_code] {
      run_command(exit_code, "mockforge", [&] { return set_running(*options, *id, running); });
    });
  }

  add_responders_command(app, exit_code);
  add_protocol_load(app, "kafka", traffic::Protocol::kKafka, exit_code);
  add_protocol_load(app, "mqtt", traffic::Protocol::kMqtt, exit_code);
  add_protocol_load(app, "amqp", traffic::Protocol::kAmqp, exit_code);
}

}  // namespace mockforge::cli
