#include "cli/scenario/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "cli/amqp/client.h"
#include "core/config/config.h"
#include "core/metrics/registry.h"
#include "core/traffic/hub.h"
#include "fixtures/engine.h"
#include "fixtures/responders.h"

namespace mockforge::cli::scenario {
namespace {

using fixtures::FixtureError;
using fixtures::LoadedFixtures;
using traffic::Protocol;
using traffic::Resource;

// Levels (MQTT, '/') or words (AMQP, '.') named {NAME} become `wildcard`.
std::string without_names(const std::string& pattern, char separator, const char* wildcard) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = pattern.find(separator, start);
    const auto part = pattern.substr(start, end == std::string::npos ? end : end - start);
    if (start > 0) out += separator;
    out += part.size() > 2 && part.front() == '{' && part.back() == '}' ? wildcard : part;
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

bool literal_key(const std::string& key) { return key.find_first_of("*#{") == std::string::npos; }

// The type of exchange `name` in `vhost` ("" the URL's), from the files or
// the names every broker predeclares; "" unknown.
std::string exchange_type(const LoadedFixtures& set, const std::string& name,
                          const std::string& vhost) {
  for (const auto& d : set.declarations) {
    const auto& r = d.resource;
    if (r.protocol == Protocol::kAmqp && r.kind == Resource::Kind::kExchange && r.name == name &&
        r.vhost == vhost)
      return r.type;
  }
  if (name == "amq.direct") return "direct";
  if (name == "amq.fanout") return "fanout";
  if (name == "amq.topic") return "topic";
  if (name == "amq.headers" || name == "amq.match") return "headers";
  return "";
}

template <typename T>
void add_once(std::vector<T>& list, T item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

const std::string& target_of(const apply::Targets& targets, Protocol protocol) {
  switch (protocol) {
    case Protocol::kKafka:
      return targets.kafka_bootstrap;
    case Protocol::kAmqp:
      return targets.amqp_url;
    case Protocol::kMqtt:
      break;
  }
  return targets.mqtt_url;
}

const char* option_of(Protocol protocol) {
  switch (protocol) {
    case Protocol::kKafka:
      return "--kafka-bootstrap";
    case Protocol::kAmqp:
      return "--amqp-url";
    case Protocol::kMqtt:
      break;
  }
  return "--mqtt-url";
}

std::string random_run_id() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

}  // namespace

Subscriptions subscriptions(const LoadedFixtures& set, std::vector<FixtureError>& errors) {
  Subscriptions out;
  for (const auto& r : set.responders) {
    const auto& when = r.when;
    auto refuse = [&](const std::string& field, std::string message) {
      errors.push_back(
          {r.file, r.line, r.column, r.identifier + ".when." + field, std::move(message)});
    };
    switch (when.protocol) {
      case Protocol::kKafka:
        add_once(out.kafka_topics, when.topic);
        break;
      case Protocol::kMqtt:
        add_once(out.mqtt_filters, without_names(when.topic, '/', "+"));
        break;
      case Protocol::kAmqp: {
        const std::string vhost = when.vhost.value_or("");
        auto* bindings = &out.amqp_bindings;
        auto* queues = &out.amqp_queues;
        if (!vhost.empty()) {
          auto it = std::find_if(out.amqp_vhosts.begin(), out.amqp_vhosts.end(),
                                 [&](const AmqpVhostSubscriptions& v) { return v.vhost == vhost; });
          if (it == out.amqp_vhosts.end()) {
            AmqpVhostSubscriptions added;
            added.vhost = vhost;
            added.where = FixtureError{r.file, r.line, r.column, r.identifier + ".when.vhost", ""}
                              .to_string();
            while (!added.where.empty() && (added.where.back() == ' ' || added.where.back() == ':'))
              added.where.pop_back();
            it = out.amqp_vhosts.insert(out.amqp_vhosts.end(), std::move(added));
          }
          bindings = &it->bindings;
          queues = &it->queues;
        }
        const std::string in_vhost =
            vhost.empty() ? std::string("the URL's vhost") : fmt::format("vhost '{}'", vhost);
        if (!when.exchange) {
          refuse("exchange",
                 "scenario run subscribes to the exchange a responder listens on: name it (a "
                 "broker offers no subscription to every exchange)");
          break;
        }
        const auto& exchange = *when.exchange;
        if (exchange.empty()) {
          if (!when.routing_key || !literal_key(*when.routing_key)) {
            refuse("routing_key",
                   "on the default exchange, scenario run consumes the queue the routing key "
                   "names: give it literally");
          } else {
            add_once(*queues, *when.routing_key);
          }
          break;
        }
        const auto type = exchange_type(set, exchange, vhost);
        if (type == "topic") {
          add_once(*bindings, AmqpBinding{exchange, when.routing_key
                                                        ? without_names(*when.routing_key, '.', "*")
                                                        : std::string("#")});
        } else if (type == "direct") {
          if (!when.routing_key || !literal_key(*when.routing_key)) {
            refuse("routing_key", fmt::format("exchange '{}' is a direct exchange: scenario run "
                                              "binds to it with a literal routing key only",
                                              exchange));
          } else {
            add_once(*bindings, AmqpBinding{exchange, *when.routing_key});
          }
        } else if (type == "fanout" || type == "headers") {
          // A fanout binding takes every message; a headers binding without
          // arguments too (x-match all of nothing). The rule's own match
          // picks from them.
          add_once(*bindings, AmqpBinding{exchange, ""});
        } else if (type.empty()) {
          refuse("exchange", fmt::format("scenario run binds to exchange '{}' as its type says: "
                                         "declare it in amqp.exchanges (in {})",
                                         exchange, in_vhost));
        } else {
          refuse("exchange", fmt::format("scenario run cannot bind to exchange '{}' of type {}",
                                         exchange, type));
        }
        break;
      }
    }
  }
  return out;
}

std::vector<FixtureError> refusals(const LoadedFixtures& set, const Options& options) {
  auto out = apply::refusals(set, options.targets);
  auto needs = [&](Protocol protocol, const std::string& file, int line, int column,
                   const std::string& field, const char* what) {
    if (!target_of(options.targets, protocol).empty()) return;
    out.push_back({file, line, column, field,
                   fmt::format("{} {} but no {} was given", what, traffic::to_string(protocol),
                               option_of(protocol))});
  };
  for (const auto& f : set.fixtures) {
    if (f.auto_produce.enabled)
      needs(f.protocol, f.file, f.line, f.column, f.identifier + ".auto_produce",
            "the schedule produces to");
  }
  for (const auto& r : set.responders) {
    needs(r.when.protocol, r.file, r.line, r.column, r.identifier + ".when",
          "the responder listens on");
    for (const auto& action : r.then) {
      const auto& m = action.message;
      needs(m.protocol, m.file, m.line, m.column, m.identifier, "the responder replies on");
    }
  }
  const auto wanted = subscriptions(set, out);
  if (!options.kafka_group.empty() && wanted.kafka_topics.empty()) {
    out.push_back({"scenario run", 0, 0, "--kafka-group",
                   "no responder listens on kafka: there is nothing to read in a consumer group"});
  }
  return out;
}

void run(const Options& options, const std::atomic<bool>& stop, std::ostream& log) {
  LoadedFixtures set;
  for (const auto& directory : options.directories)
    set.merge(fixtures::load_fixture_dir(directory, std::nullopt));
  fixtures::check_references(set);
  std::vector<FixtureError> ignored;
  const auto wanted = subscriptions(set, ignored);

  // Seeds and topology first, as `fixtures apply` does.
  apply::apply(set, options.targets, log);

  config::Config config;
  config.fixtures.dirs = options.directories;
  config.fixtures.random_seed = static_cast<int64_t>(options.targets.random_seed);
  config.fixtures.fail_on_error = true;
  const std::string run_id = random_run_id();

  boost::asio::io_context io;
  traffic::Hub hub;
  metrics::Registry registry;
  for (const auto protocol : {Protocol::kKafka, Protocol::kAmqp, Protocol::kMqtt}) {
    if (target_of(options.targets, protocol).empty()) continue;
    hub.attach(protocol, protocol == Protocol::kKafka  ? kafka_endpoint(options.targets, run_id)
                         : protocol == Protocol::kAmqp ? amqp_endpoint(options.targets, run_id)
                                                       : mqtt_endpoint(options.targets, run_id));
  }
  fixtures::FixtureEngine engine(config, hub, registry);
  engine.brokers_own_names();
  if (auto errors = engine.load(); !errors.empty())
    throw std::runtime_error(errors.front().to_string());
  fixtures::ResponderEngine responders(config, hub, registry);
  responders.brokers_own_names();
  engine.set_responders(&responders);
  auto loaded = engine.loaded();
  // An AMQP rule without a vhost listens in the URL's (serve: any vhost).
  for (auto& rule : loaded.responders) {
    if (rule.when.protocol == Protocol::kAmqp && !rule.when.vhost) rule.when.vhost = "";
  }
  if (auto report = responders.add(loaded.responders, loaded); !report.errors.empty())
    throw std::runtime_error(report.errors.front().to_string());

  // Subscribed before anything is produced, so nothing is missed.
  for (const auto& topic : wanted.kafka_topics) {
    Resource resource;
    resource.protocol = Protocol::kKafka;
    resource.kind = Resource::Kind::kTopic;
    resource.name = topic;
    if (auto error = hub.declare(resource); !error.empty())
      throw std::runtime_error(fmt::format("kafka: topic {}: {}", topic, error));
  }
  std::vector<std::unique_ptr<Listener>> listeners;
  if (!wanted.kafka_topics.empty())
    listeners.push_back(
        listen_kafka(options.targets, wanted.kafka_topics, hub, run_id, options.kafka_group));
  if (!wanted.amqp_bindings.empty() || !wanted.amqp_queues.empty())
    listeners.push_back(
        listen_amqp(options.targets, "", wanted.amqp_bindings, wanted.amqp_queues, hub, run_id));
  // A connection per other vhost a rule names; one that cannot be opened (or
  // bound in) stops the run, naming the first rule that wants it.
  for (const auto& v : wanted.amqp_vhosts) {
    try {
      listeners.push_back(listen_amqp(options.targets, v.vhost, v.bindings, v.queues, hub, run_id));
    } catch (const amqp::AmqpError& e) {
      throw std::runtime_error(fmt::format(
          "{}: amqp: cannot listen in vhost '{}': {}{}", v.where, v.vhost, e.what(),
          e.reply_code() == 530 ? " (a real broker's vhosts are made by its operator: "
                                  "rabbitmqctl add_vhost, and set_permissions for the URL's user)"
                                : ""));
    } catch (const std::exception& e) {
      throw std::runtime_error(
          fmt::format("{}: amqp: cannot listen in vhost '{}': {}", v.where, v.vhost, e.what()));
    }
  }
  if (!wanted.mqtt_filters.empty())
    listeners.push_back(listen_mqtt(options.targets, wanted.mqtt_filters, hub, run_id));
  for (const auto& listener : listeners)
    log << "scenario: listening on " << listener->describe() << "\n";

  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });
  responders.start(io);
  engine.start(io);
  log << fmt::format("scenario: running (run id {}): {} schedule(s), {} responder(s)", run_id,
                     engine.schedules().size(), responders.list().size())
      << std::endl;

  std::string failure;
  const auto until = std::chrono::steady_clock::now() + options.duration;
  while (!stop.load() && failure.empty() &&
         (options.duration.count() == 0 || std::chrono::steady_clock::now() < until)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& listener : listeners) {
      if (failure.empty()) failure = listener->failure();
      for (const auto& line : listener->news()) log << "scenario: " << line << std::endl;
    }
  }
  // Listeners first: a Kafka group member commits and leaves as it stops.
  listeners.clear();
  engine.stop();
  responders.stop();
  work.reset();
  io.stop();
  for (auto& thread : threads) thread.join();

  for (const auto& schedule : engine.schedules()) {
    log << fmt::format("scenario: schedule {} produced {} message(s) to {} {}", schedule.identifier,
                       schedule.produced, traffic::to_string(schedule.protocol),
                       schedule.destination)
        << "\n";
  }
  for (const auto& responder : responders.list()) {
    log << fmt::format("scenario: responder {} fired {} time(s)", responder.identifier,
                       responder.firings)
        << "\n";
  }
  log.flush();
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace mockforge::cli::scenario
