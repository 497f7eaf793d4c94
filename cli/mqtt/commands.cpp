#include "cli/mqtt/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/mqtt/client.h"
#include "cli/net/admin_client.h"
#include "cli/net/payload.h"
#include "cli/net/tls_flags.h"
#include "cli/run_command.h"

namespace mockforge::cli {
namespace {

using Clock = std::chrono::steady_clock;
namespace codec = ::mockforge::mqtt;

struct CommonFlags {
  std::string host = "localhost";
  std::uint16_t port = 1883;
  std::string protocol = "5";
  std::string client_id;
  std::string username;
  std::string password;
  std::uint16_t keep_alive = 60;
  bool websocket = false;
  std::string websocket_path = "/mqtt";
  cli::net::TlsOptions tls;
};

struct PublishFlags {
  std::string topic;
  std::string payload;
  std::string file;
  int qos = 0;
  bool retain = false;
  std::vector<std::string> user_properties;
};

struct SubscribeFlags {
  std::vector<std::string> topics;
  int qos = 0;
  bool verbose = false;
  int count = 0;
  double timeout = 0;
  std::string format = "text";
};

void add_common_flags(CLI::App& command, CommonFlags& flags) {
  command.add_option("--host", flags.host, "Broker host")->capture_default_str();
  command.add_option("--port", flags.port, "Broker port")->capture_default_str();
  command.add_option("--protocol", flags.protocol, "MQTT protocol version")
      ->check(CLI::IsMember({"3.1.1", "5"}))
      ->capture_default_str();
  command.add_option("--client-id", flags.client_id,
                     "Client identifier (default: mockforge-cli-<pid>-<random>)");
  command.add_option("--username", flags.username, "User name for CONNECT");
  command.add_option("--password", flags.password, "Password for CONNECT");
  command.add_option("--keep-alive", flags.keep_alive, "Keep alive in seconds (0: off)")
      ->capture_default_str();
  command.add_flag("--ws", flags.websocket,
                   "MQTT over WebSocket, subprotocol mqtt (--port then defaults to 9001)");
  command.add_option("--ws-path", flags.websocket_path, "WebSocket path")->capture_default_str();
  cli::net::add_tls_flags(command, flags.tls);  // --port then defaults to 8883 (not with --ws)
}

cli::mqtt::ConnectOptions connect_options(const CLI::App& command, const CommonFlags& flags) {
  cli::mqtt::ConnectOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.version =
      flags.protocol == "5" ? codec::ProtocolVersion::v5 : codec::ProtocolVersion::v3_1_1;
  options.client_id = flags.client_id;
  if (command.count("--username") > 0) options.username = flags.username;
  if (command.count("--password") > 0) options.password = flags.password;
  options.keep_alive = flags.keep_alive;
  options.websocket = flags.websocket;
  if (flags.websocket && command.count("--port") == 0) options.port = 9001;
  options.websocket_path = flags.websocket_path;
  options.tls = flags.tls;
  if (flags.tls.enabled && !flags.websocket && command.count("--port") == 0) options.port = 8883;
  return options;
}

std::string json_key(std::string_view name) {
  std::string key;
  for (char c : name) {
    key += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

nlohmann::json properties_json(const codec::Properties& properties) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& property : properties.entries()) {
    if (property.id == codec::PropertyId::user_property) {
      const auto& pair = std::get<codec::StringPair>(property.value);
      out["user_properties"].push_back(nlohmann::json::array({pair.name, pair.value}));
      continue;
    }
    std::string key = json_key(codec::property_info(property.id).name);
    if (const auto* number = std::get_if<std::uint32_t>(&property.value)) {
      if (property.id == codec::PropertyId::subscription_identifier) {
        out["subscription_identifiers"].push_back(*number);
      } else {
        out[key] = *number;
      }
    } else if (const auto* text = std::get_if<std::string>(&property.value)) {
      out[key] = *text;
    } else if (const auto* bytes = std::get_if<codec::Bytes>(&property.value)) {
      net::put_bytes(out, key,
                     std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    }
  }
  return out;
}

std::string_view payload_text(const codec::Publish& message) {
  return {reinterpret_cast<const char*>(message.payload.data()), message.payload.size()};
}

int publish_command(const CLI::App& command, const CommonFlags& common, const PublishFlags& flags) {
  auto options = connect_options(command, common);
  if (!flags.user_properties.empty() && !codec::is_v5(options.version)) {
    throw std::runtime_error("--user-property needs --protocol 5");
  }
  std::vector<std::string> payloads;
  if (command.count("--payload") > 0) {
    payloads.push_back(flags.payload);
  } else if (command.count("--file") > 0) {
    payloads.push_back(net::read_file(flags.file));
  } else {
    payloads = net::read_lines(std::cin);
  }
  codec::Properties properties;
  for (const auto& text : flags.user_properties) {
    auto [key, value] = net::split_key_value(text, "--user-property");
    properties.add_user_property(key, value);
  }
  auto client = cli::mqtt::Client::connect(options);
  int failures = 0;
  for (const auto& payload : payloads) {
    codec::Publish message;
    message.topic_name = flags.topic;
    message.qos = static_cast<codec::QoS>(flags.qos);
    message.retain = flags.retain;
    message.properties = properties;
    message.payload.assign(payload.begin(), payload.end());
    auto reason = client.publish(std::move(message));
    if (codec::is_error(reason)) {
      std::cerr << "mockforge mqtt: publish to '" << flags.topic
                << "' refused: " << cli::mqtt::describe(reason) << "\n";
      ++failures;
    } else if (reason != codec::ReasonCode::success) {
      std::cerr << "mockforge mqtt: publish to '" << flags.topic
                << "': " << cli::mqtt::describe(reason) << "\n";
    }
  }
  client.disconnect();
  return failures == 0 ? 0 : 1;
}

void print_message(const codec::Publish& message, const SubscribeFlags& flags) {
  if (flags.format == "json") {
    nlohmann::json out;
    out["topic"] = message.topic_name;
    net::put_bytes(out, "payload", payload_text(message));
    out["qos"] = static_cast<int>(message.qos);
    out["retain"] = message.retain;
    out["properties"] = properties_json(message.properties);
    std::cout << out.dump() << std::endl;
  } else if (flags.verbose) {
    std::cout << message.topic_name << " " << payload_text(message) << std::endl;
  } else {
    std::cout << payload_text(message) << std::endl;
  }
}

void check_subacks(const std::vector<codec::ReasonCode>& codes,
                   const std::vector<std::string>& topics) {
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codec::is_error(codes[i])) {
      throw std::runtime_error("subscription to '" + topics[i] +
                               "' refused: " + cli::mqtt::describe(codes[i]));
    }
  }
}

int subscribe_command(const CLI::App& command, const CommonFlags& common,
                      const SubscribeFlags& flags) {
  auto client = cli::mqtt::Client::connect(connect_options(command, common));
  std::vector<codec::Subscription> subscriptions;
  for (const auto& topic : flags.topics) {
    codec::Subscription subscription;
    subscription.topic_filter = topic;
    subscription.options.max_qos = static_cast<codec::QoS>(flags.qos);
    subscriptions.push_back(subscription);
  }
  auto granted = client.subscribe(subscriptions);
  check_subacks(granted, flags.topics);
  for (std::size_t i = 0; i < granted.size(); ++i) {
    // On stderr, so scripts can wait for the subscription before publishing.
    std::cerr << "mockforge mqtt: subscribed to '" << flags.topics[i] << "' (granted QoS "
              << static_cast<int>(granted[i]) << ")" << std::endl;
  }
  auto deadline = flags.timeout > 0
                      ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(flags.timeout))
                      : Clock::time_point::max();
  int received = 0;
  while (flags.count == 0 || received < flags.count) {
    auto message = client.next_message(deadline);
    if (!message) break;
    print_message(*message, flags);
    ++received;
  }
  client.disconnect();
  if (flags.count > 0 && received < flags.count) {
    std::cerr << "mockforge mqtt: received " << received << " of " << flags.count
              << " messages within " << flags.timeout << " s\n";
    return 1;
  }
  return 0;
}

int stats_command(const CLI::App& command, const CommonFlags& common, double timeout) {
  auto options = connect_options(command, common);
  auto client = cli::mqtt::Client::connect(options);
  codec::Subscription subscription;
  subscription.topic_filter = "$SYS/#";
  check_subacks(client.subscribe({subscription}), {subscription.topic_filter});
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout));
  std::map<std::string, std::string> latest;
  while (auto message = client.next_message(deadline)) {
    latest[message->topic_name] = std::string(payload_text(*message));
  }
  client.disconnect();
  if (latest.empty()) {
    std::cerr << "mockforge mqtt: " << options.host << ":" << options.port
              << " published nothing under $SYS/# within " << timeout << " s\n";
    return 1;
  }
  for (const auto& [topic, value] : latest) std::cout << topic << " " << value << "\n";
  // The summary the $SYS topics allow: connections, subscriptions and the
  // one-minute message rates (Mosquitto's and mockforge's load topics).
  auto value_of = [&latest](const std::string& name) {
    const auto it = latest.find("$SYS/broker/" + name);
    return it == latest.end() ? std::string("-") : it->second;
  };
  std::cout << "\nActive connections: " << value_of("clients/connected")
            << "\nSubscriptions: " << value_of("subscriptions/count")
            << "\nMessages received per minute (1 min average): "
            << value_of("load/publish/received/1min")
            << "\nMessages sent per minute (1 min average): " << value_of("load/publish/sent/1min")
            << "\n";
  return 0;
}

// Two samples of mockforge's /__mockforge/api/mqtt/stats `window` seconds
// apart: the current counts and the rates between the samples.
int admin_stats_command(const net::AdminApi& api, double window, const std::string& format) {
  constexpr const char* kHint = "mqtt stats --admin-url reads mockforge's admin API";
  const auto first = net::admin_get(api, "/__mockforge/api/mqtt/stats", "", kHint);
  std::this_thread::sleep_for(std::chrono::duration<double>(window));
  auto second = net::admin_get(api, "/__mockforge/api/mqtt/stats", "", kHint);
  const double seconds = std::max(
      1e-3, (second.value("sampled_at_ms", 0.0) - first.value("sampled_at_ms", 0.0)) / 1000.0);
  nlohmann::json rates = nlohmann::json::object();
  for (const char* counter :
       {"messages_received", "messages_sent", "messages_dropped", "bytes_received", "bytes_sent"}) {
    rates[counter] = (second.value(counter, 0.0) - first.value(counter, 0.0)) / seconds;
  }
  second["rates_per_second"] = rates;
  second["rate_window_seconds"] = seconds;
  if (format == "json") {
    std::cout << second.dump() << "\n";
    return 0;
  }
  std::cout << "Active connections: " << second.value("connections", 0) << "\n"
            << "Sessions: " << second.value("sessions", 0) << "\n"
            << "Subscriptions: " << second.value("subscriptions", 0) << "\n"
            << "Retained messages: " << second.value("retained", 0) << "\n";
  for (const auto& [label, counter] :
       std::vector<std::pair<std::string, std::string>>{{"Messages received", "messages_received"},
                                                        {"Messages sent", "messages_sent"},
                                                        {"Messages dropped", "messages_dropped"},
                                                        {"Bytes received", "bytes_received"},
                                                        {"Bytes sent", "bytes_sent"}}) {
    std::cout << label << ": " << second.value(counter, 0) << " ("
              << fmt::format("{:.1f}", rates[counter].get<double>()) << "/s over "
              << fmt::format("{:.1f}", seconds) << " s)\n";
  }
  return 0;
}

}  // namespace

void add_mqtt_command(CLI::App& app, int& exit_code) {
  auto* mqtt = app.add_subcommand("mqtt", "MQTT 3.1.1/5 client: publish, subscribe, stats");
  mqtt->require_subcommand(1);

  auto common_publish = std::make_shared<CommonFlags>();
  auto publish_flags = std::make_shared<PublishFlags>();
  auto* publish = mqtt->add_subcommand(
      "publish", "Publish --payload, --file, or each line of stdin as one message");
  add_common_flags(*publish, *common_publish);
  publish->add_option("--topic", publish_flags->topic, "Topic name")->required();
  auto* payload = publish->add_option("--payload", publish_flags->payload, "Message payload");
  publish->add_option("--file", publish_flags->file, "Send this file as one message")
      ->excludes(payload);
  publish->add_option("--qos", publish_flags->qos, "QoS")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  publish->add_flag("--retain", publish_flags->retain, "Set the retain flag");
  publish->add_option("--user-property", publish_flags->user_properties,
                      "v5 User Property key=value (repeatable)");
  publish->callback([publish, common_publish, publish_flags, &exit_code] {
    run_command(exit_code, "mockforge mqtt",
                [&] { return publish_command(*publish, *common_publish, *publish_flags); });
  });

  auto common_subscribe = std::make_shared<CommonFlags>();
  auto subscribe_flags = std::make_shared<SubscribeFlags>();
  auto* subscribe =
      mqtt->add_subcommand("subscribe", "Subscribe and print messages until --count/--timeout");
  add_common_flags(*subscribe, *common_subscribe);
  subscribe->add_option("--topic", subscribe_flags->topics, "Topic filter (repeatable)")
      ->required();
  subscribe->add_option("--qos", subscribe_flags->qos, "Maximum QoS of the subscriptions")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  subscribe->add_flag("-v,--verbose", subscribe_flags->verbose, "Print 'topic payload' lines");
  subscribe
      ->add_option("--count", subscribe_flags->count,
                   "Exit after this many messages (fails if --timeout ends first)")
      ->check(CLI::NonNegativeNumber);
  subscribe
      ->add_option("--timeout", subscribe_flags->timeout,
                   "Stop after this many seconds (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  subscribe->add_option("--format", subscribe_flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  subscribe->callback([subscribe, common_subscribe, subscribe_flags, &exit_code] {
    run_command(exit_code, "mockforge mqtt",
                [&] { return subscribe_command(*subscribe, *common_subscribe, *subscribe_flags); });
  });

  auto common_stats = std::make_shared<CommonFlags>();
  auto stats_timeout = std::make_shared<double>(2.0);
  auto stats_admin = std::make_shared<net::AdminApi>();
  auto stats_format = std::make_shared<std::string>("text");
  auto* stats = mqtt->add_subcommand(
      "stats",
      "Subscribe to $SYS/# for --timeout seconds and print the latest value per topic and a "
      "summary; with --admin-url, read mockforge's admin API twice, --timeout seconds apart, "
      "and print counts and rates");
  add_common_flags(*stats, *common_stats);
  stats
      ->add_option("--timeout", *stats_timeout,
                   "Seconds to listen ($SYS), or between the two samples (--admin-url)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  net::add_admin_api_options(*stats, *stats_admin, true);
  stats->add_option("--format", *stats_format, "Output format with --admin-url")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  stats->callback([stats, common_stats, stats_timeout, stats_admin, stats_format, &exit_code] {
    run_command(exit_code, "mockforge mqtt", [&] {
      if (!stats_admin->url.empty()) {
        return admin_stats_command(*stats_admin, *stats_timeout, *stats_format);
      }
      return stats_command(*stats, *common_stats, *stats_timeout);
    });
  });
}

}  // namespace mockforge::cli
