#include "server/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>
#include <vector>

#include "bridges/admin_api.h"
#include "bridges/engine.h"
#include "bridges/rules_json.h"
#include "brokers/amqp/service.h"
#include "brokers/kafka/service.h"
#include "brokers/mqtt/service.h"
#include "contracts/admin_api.h"
#include "contracts/validator.h"
#include "core/admin/auth.h"
#include "core/admin/http_server.h"
#include "core/control/broker_control.h"
#include "core/log/logging.h"
#include "core/metrics/registry.h"
#include "core/net/tls.h"
#include "core/runtime/listener.h"
#include "core/runtime/runtime.h"
#include "core/runtime/service.h"
#include "core/storage/engine.h"
#include "core/traffic/hub.h"
#include "core/version/version.h"
#include "faults/admin_api.h"
#include "faults/fault_set.h"
#include "faults/rule.h"
#include "fixtures/admin_api.h"
#include "fixtures/engine.h"
#include "fixtures/inject.h"
#include "fixtures/responders.h"
#include "server/admin_access.h"
#include "watch/admin_api.h"
#include "watch/expectations.h"
#include "watch/history.h"
#include "watch/tail.h"
#include "watch/tail_api.h"

namespace mockforge {

std::string_view version() { return build::version(); }

std::string_view git_revision() { return build::git_revision(); }

namespace {

enum class State { kIdle, kStarting, kRunning, kStopping, kStopped };

unsigned worker_threads(const config::Config& config) {
  if (config.server.worker_threads > 0) return static_cast<unsigned>(config.server.worker_threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::string> enabled_protocols(const config::Config& config) {
  std::vector<std::string> out;
  if (config.kafka.enabled) out.push_back("kafka");
  if (config.mqtt.enabled) out.push_back("mqtt");
  if (config.amqp.enabled) out.push_back("amqp");
  return out;
}

// Whether an enabled broker has a TLS listener on (a port of -1 is off).
bool tls_listener_enabled(const config::Config& config) {
  return (config.kafka.enabled && config.kafka.tls_port >= 0) ||
         (config.mqtt.enabled && (config.mqtt.tls_port >= 0 || config.mqtt.wss_port >= 0)) ||
         (config.amqp.enabled && config.amqp.tls_port >= 0) ||
         (config.admin.enabled && config.admin.tls_port >= 0);
}

net::TlsSettings tls_settings(const config::TlsConfig& config) {
  net::TlsSettings settings;
  settings.cert_file = config.cert_file;
  settings.key_file = config.key_file;
  settings.ca_file = config.ca_file;
  settings.min_version = config.min_version == config::TlsVersion::tls1_3
                             ? net::TlsSettings::MinVersion::kTls13
                             : net::TlsSettings::MinVersion::kTls12;
  settings.ciphers = config.ciphers;
  settings.ciphersuites = config.ciphersuites;
  switch (config.client_auth) {
    case config::TlsClientAuth::none:
      settings.client_auth = net::TlsSettings::ClientAuth::kNone;
      break;
    case config::TlsClientAuth::optional:
      settings.client_auth = net::TlsSettings::ClientAuth::kOptional;
      break;
    case config::TlsClientAuth::required:
      settings.client_auth = net::TlsSettings::ClientAuth::kRequired;
      break;
  }
  return settings;
}

// Creates the broker of every enabled protocol. Each broker library provides
// one factory; add it here and link its target in server/CMakeLists.txt.
std::vector<std::unique_ptr<runtime::Service>> create_services(
    const runtime::ServiceContext& context) {
  std::vector<std::unique_ptr<runtime::Service>> services;
  if (context.config.mqtt.enabled) services.push_back(mqtt::make_service(context));
  if (context.config.kafka.enabled) services.push_back(kafka::make_service(context));
  if (context.config.amqp.enabled) services.push_back(amqp::make_service(context));
  (void)context;
  return services;
}

// asyncapi.channel_validate's CHANNEL=MODE entries (checked by the config).
std::map<std::string, contracts::Mode> channel_modes(const config::AsyncApiConfig& cfg) {
  std::map<std::string, contracts::Mode> out;
  for (const auto& entry : cfg.channel_validate) {
    const auto equals = entry.rfind('=');
    if (const auto mode = contracts::parse_mode(std::string_view(entry).substr(equals + 1)))
      out[entry.substr(0, equals)] = *mode;
  }
  return out;
}

}  // namespace

struct Server::Impl {
  explicit Impl(config::Config cfg) : config(std::move(cfg)) {}

  config::Config config;
  metrics::Registry metrics;
  std::shared_ptr<void> process_metrics;
  std::shared_ptr<void> storage_metrics;
  std::unique_ptr<storage::Engine> storage;
  // Before the services and fixtures, which attach to it and publish through it.
  traffic::Hub traffic;
  // Observes the hub from construction, so it sees fixtures' seeds too.
  watch::History history{traffic,
                         watch::HistoryLimits{static_cast<std::size_t>(config.history.max_messages),
                                              static_cast<std::size_t>(config.history.max_bytes)}};
  watch::Expectations expectations{history};
  // Readers of the event stream (GET /__mockforge/api/tail).
  watch::Tail tail{traffic.events(),
                   &metrics
                        .counter("mockforge_tail_dropped_total",
                                 "Events the live tail dropped because a reader fell behind.")
                        .get()};
  // Before the services, which check its rules; seeded like the fixtures.
  faults::FaultSet fault_set{metrics, static_cast<uint64_t>(config.fixtures.random_seed)};
  std::unique_ptr<runtime::Runtime> runtime;
  // AsyncAPI documents and the gate that validates against them; made at
  // start(), before the services, whose publishes it checks.
  std::unique_ptr<contracts::Validator> contracts;
  // Copies between the brokers (bridges: in mockforge.yaml); watches the hub
  // from after the fixtures' first seeding, paused while a reset runs.
  std::unique_ptr<bridges::Engine> bridges;
  // After runtime: its timers live on the runtime's io_context, so it must go first.
  std::unique_ptr<fixtures::FixtureEngine> fixtures;
  // Likewise; after fixtures, which send it run-time loads' rules.
  std::unique_ptr<fixtures::ResponderEngine> responders;
  // Publishes messages written in the fixture language (POST .../inject).
  fixtures::Injector injector{traffic, static_cast<uint64_t>(config.fixtures.random_seed)};
  // The TLS listeners' certificates; before the services, which accept with it.
  std::unique_ptr<net::TlsContext> tls;
  std::vector<std::shared_ptr<void>> tls_metrics;
  std::unique_ptr<admin::HttpServer> admin;
  std::vector<std::unique_ptr<runtime::Service>> services;
  std::unique_ptr<boost::asio::steady_timer> snapshot_timer;
  std::unique_ptr<boost::asio::steady_timer> retention_timer;
  std::chrono::steady_clock::time_point started_at;

  mutable std::mutex mutex;
  std::condition_variable state_changed;
  State state = State::kIdle;

  std::shared_ptr<spdlog::logger> logger = log::get("server");

  void set_state(State next) {
    {
      std::lock_guard lock(mutex);
      state = next;
    }
    state_changed.notify_all();
  }

  State current_state() const {
    std::lock_guard lock(mutex);
    return state;
  }

  std::map<std::string, uint16_t> ports() const {
    std::map<std::string, uint16_t> out;
    if (admin && admin->port() != 0) out["admin"] = admin->port();
    if (admin && admin->tls_port() != 0) out["admin_tls"] = admin->tls_port();
    for (const auto& service : services) {
      for (const auto& [name, port] : service->ports()) out[name] = port;
    }
    return out;
  }

  nlohmann::json info() const {
    nlohmann::json ports_json = nlohmann::json::object();
    for (const auto& [name, port] : ports()) ports_json[name] = port;
    return {
        {"name", "mockforge"},
        {"version", std::string(version())},
        {"revision", std::string(git_revision())},
        {"pid", static_cast<int64_t>(::getpid())},
        {"protocols", enabled_protocols(config)},
        {"bind", config.server.bind},
        {"admin_bind", config.admin.bind},
        {"ports", ports_json},
    };
  }

  void register_tls_metrics() {
    const net::TlsContext* context = tls.get();
    tls_metrics.push_back(metrics.callback(
        "mockforge_tls_handshakes_total", "TLS handshakes completed on the TLS listeners",
        metrics::MetricType::kCounter, {}, [context] {
          return std::vector<metrics::Sample>{{{}, static_cast<double>(context->handshakes())}};
        }));
    tls_metrics.push_back(
        metrics.callback("mockforge_tls_handshake_failures_total",
                         "TLS handshakes that failed (each is logged with OpenSSL's reason)",
                         metrics::MetricType::kCounter, {}, [context] {
                           return std::vector<metrics::Sample>{
                               {{}, static_cast<double>(context->handshake_failures())}};
                         }));
  }

  void register_routes() {
    if (!admin) return;
    admin->route("POST", "/__mockforge/api/tls/reload", [this](const admin::HttpRequest&) {
      if (!tls) return admin::HttpResponse::error(409, "no TLS listener is on");
      try {
        tls->reload();
      } catch (const std::exception& e) {
        return admin::HttpResponse::error(422, e.what());
      }
      logger->info("TLS certificates reloaded");
      return admin::HttpResponse::json(200, R"({"reloaded":true})");
    });
    if (config.metrics.enabled) {
      admin->route("GET", config.metrics.path, [this](const admin::HttpRequest&) {
        return admin::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                   metrics.render()};
      });
    }
    admin->route("GET", "/__mockforge/health", [](const admin::HttpRequest&) {
      return admin::HttpResponse::json(200, R"({"status":"ok"})");
    });
    admin->route("GET", "/__mockforge/ready", [this](const admin::HttpRequest&) {
      const bool ready = current_state() == State::kRunning;
      return admin::HttpResponse::json(ready ? 200 : 503,
                                       ready ? R"({"ready":true})" : R"({"ready":false})");
    });
    admin->route("GET", "/__mockforge/api/info", [this](const admin::HttpRequest&) {
      return admin::HttpResponse::json(200, info().dump());
    });
    admin->route("POST", "/__mockforge/api/reset", [this](const admin::HttpRequest& request) {
      runtime::ResetConnections connections;
      try {
        connections = control::reset_connections(request.query);
      } catch (const control::BadRequest& e) {
        return admin::HttpResponse::error(400, e.what());
      }
      const auto micros = reset(connections);
      return admin::HttpResponse::json(
          200, nlohmann::json{{"reset", true}, {"elapsed_ms", static_cast<double>(micros) / 1000.0}}
                   .dump());
    });
    if (contracts) contracts::register_admin_routes(*admin, *contracts);
    if (bridges) bridges::register_admin_routes(*admin, *bridges);
    if (fixtures) fixtures::register_admin_routes(*admin, *fixtures);
    if (responders) fixtures::register_responder_routes(*admin, *responders, *fixtures);
    watch::register_admin_routes(*admin, runtime->io(), history, expectations);
    watch::register_tail_routes(*admin, tail);
    fixtures::register_inject_routes(*admin, injector);
    faults::register_admin_routes(*admin, fault_set);
    // Fired faults show in the live tail as `fault` events.
    fault_set.observe([&events = traffic.events()](const faults::FiredEvent& fired) {
      if (!events.active()) return;
      traffic::Event event;
      event.protocol = fired.protocol;
      event.kind = traffic::EventKind::kFault;
      event.client_id = fired.client;
      event.topic = fired.topic.empty() ? fired.queue : fired.topic;
      event.detail = fmt::format("rule {}: {} on {}", fired.rule, faults::to_string(fired.action),
                                 fired.operation);
      if (fired.code != 0) event.detail += fmt::format(", code {}", fired.code);
      if (fired.delay.count() > 0) event.detail += fmt::format(", {} ms", fired.delay.count());
      events.emit(std::move(event));
    });
    admin->route("POST", "/__mockforge/api/snapshot",
                 file_route("snapshot", 500, [this](const std::filesystem::path& file) {
                   return storage->snapshot_to_file(file);
                 }));
    admin->route("POST", "/__mockforge/api/restore",
                 file_route("restored", 422, [this](const std::filesystem::path& file) {
                   auto status = storage->restore_from_file(file);
                   if (status) {
                     for (auto& service : services) {
                       service->reset(runtime::ResetConnections::kDefault);
                     }
                     storage->restore_extensions();  // after the brokers dropped their state
                   }
                   return status;
                 }));
  }

  // A snapshot or restore route: ?path= confined to storage.snapshot_dir
  // (400 without it, 403 outside it), then `action`; answers {key: file}.
  template <typename Action>
  admin::Handler file_route(std::string key, int failure_status, Action action) {
    return [this, key, failure_status, action](const admin::HttpRequest& request) {
      const auto path = request.query.find("path");
      if (path == request.query.end() || path->second.empty()) {
        return admin::HttpResponse::error(400, "needs ?path=FILE (under storage.snapshot_dir)");
      }
      const auto confined = confine_path(config.storage.snapshot_dir, path->second);
      if (const auto* refusal = std::get_if<std::string>(&confined)) {
        return admin::HttpResponse::error(403, *refusal);
      }
      const auto& file = std::get<std::filesystem::path>(confined);
      if (auto status = action(file); !status) {
        return admin::HttpResponse::error(failure_status, status.error().message);
      }
      return admin::HttpResponse::json(
          200, nlohmann::json{{key, file.string()}}.dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace));
    };
  }

  void register_storage_metrics() {
    storage_metrics = metrics.callback(
        "mockforge_storage_bytes", "Bytes of message data held by the storage engine.",
        metrics::MetricType::kGauge, {}, [this] {
          return std::vector<metrics::Sample>{{{}, static_cast<double>(storage->memory().used())}};
        });
    metrics.gauge("mockforge_storage_cap_bytes", "Storage memory cap in bytes.")
        .get()
        .set(static_cast<double>(config.storage.memory_cap));
  }

  void schedule_snapshot() {
    if (config.storage.snapshot_file.empty() || config.storage.snapshot_interval.count() == 0)
      return;
    snapshot_timer->expires_after(config.storage.snapshot_interval);
    snapshot_timer->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      write_snapshot();
      schedule_snapshot();
    });
  }

  // Time-based retention needs a clock tick as well as appends (Kafka checks
  // every log.retention.check.interval.ms; once a second is plenty here).
  void schedule_retention() {
    retention_timer->expires_after(std::chrono::seconds(1));
    retention_timer->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      storage->logs().enforce_retention(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
      schedule_retention();
    });
  }

  void write_snapshot() {
    if (auto status = storage->snapshot_to_file(config.storage.snapshot_file); !status) {
      logger->error("{}", status.error().message);
    }
  }

  int64_t reset(runtime::ResetConnections connections) {
    const auto begin = std::chrono::steady_clock::now();
    // Nothing is answered while fixtures seed again; delayed replies to what
    // came before the reset are dropped.
    if (responders) responders->suspend();
    if (fixtures) fixtures->pause_schedules();
    // Seeds are state: no bridge copies them (bridges themselves are kept).
    if (bridges) bridges->pause(true);
    // Everything else accepted while the reset runs (seeds are not observed):
    // when there is nothing, the storage's initial state can take the seeds.
    std::atomic<uint64_t> accepted{0};
    const auto counter = traffic.observe(
        [&accepted](const traffic::Message&) { accepted.fetch_add(1, std::memory_order_relaxed); });
    storage->reset();
    for (auto& service : services) service->reset(connections);
    if (contracts) {
      contracts->clear_violations();
      contracts->declare_all();  // documents loaded at run time too
    }
    if (fixtures) {
      const auto reseed = fixtures->reseed();
      // Fixtures loaded at run time are seeded again on every reset until
      // they are in the marked state. They are marked at the first reset
      // where nothing else could have changed the storage meanwhile: no
      // other publish, and no MQTT or AMQP client whose acks or deliveries
      // would be captured with them.
      if (reseed.replayed && accepted.load() == 0 &&
          connections != runtime::ResetConnections::kKeep && !pushing_clients()) {
        storage->mark_initial_state();
        fixtures->reseeded_marked(reseed.through);
        logger->info("the initial state now holds the fixtures loaded at run time");
      }
    }
    traffic.unobserve(counter);
    // Seeds are state, not traffic.
    history.reset();
    if (fixtures) fixtures->restart_schedules();
    if (responders) responders->resume();
    if (bridges) bridges->pause(false);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - begin)
                            .count();
    logger->info("reset to the initial state in {:.3f} ms", static_cast<double>(micros) / 1000.0);
    return micros;
  }

  // Whether an MQTT or AMQP client is connected (Kafka clients pull, so
  // their connections change nothing in storage by themselves).
  bool pushing_clients() const {
    for (const auto& service : services) {
      if (service->name() != "kafka" && service->active_connections() > 0) return true;
    }
    return false;
  }

  std::size_t active_connections() const {
    std::size_t total = 0;
    for (const auto& service : services) total += service->active_connections();
    return total;
  }

  void shut_down() {
    if (snapshot_timer) {
      boost::asio::post(runtime->io(), [timer = snapshot_timer.get()] { timer->cancel(); });
    }
    if (retention_timer) {
      boost::asio::post(runtime->io(), [timer = retention_timer.get()] { timer->cancel(); });
    }
    if (responders) responders->stop();
    if (fixtures) fixtures->stop();
    if (bridges) bridges->stop();
    for (auto& service : services) service->stop();
    if (admin) admin->stop();
    const auto deadline = std::chrono::steady_clock::now() + config.server.shutdown_timeout;
    while (active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (const auto left = active_connections(); left > 0) {
      logger->warn("shutdown timeout reached with {} connection(s) still open; closing them", left);
    }
    runtime->stop();
    if (!config.storage.snapshot_file.empty()) write_snapshot();
    // Handlers are gone with the runtime threads, so services can go now.
    services.clear();
    contracts.reset();
    admin.reset();
    storage->remove_snapshot_extension("bridges");
    bridges.reset();
    responders.reset();
    fixtures.reset();
    snapshot_timer.reset();
    retention_timer.reset();
  }
};

Server::Server(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {
  auto& cfg = impl_->config;
  storage::EngineOptions options;
  options.memory_cap_bytes = cfg.storage.memory_cap;
  if (cfg.storage.retention_bytes > 0)
    options.default_retention_bytes = cfg.storage.retention_bytes;
  if (cfg.storage.retention_time.count() > 0) {
    options.default_retention_ms = cfg.storage.retention_time.count();
  }
  impl_->storage = std::make_unique<storage::Engine>(options);
  impl_->runtime = std::make_unique<runtime::Runtime>(worker_threads(cfg));
}

Server::~Server() { stop(); }

void Server::start() {
  auto& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.state != State::kIdle) throw std::logic_error("mockforge server already started");
    impl.state = State::kStarting;
  }
  impl.started_at = std::chrono::steady_clock::now();
  const auto& cfg = impl.config;
  // Embedded servers log as log.level and log.format say, as `serve` does.
  log::init(config::enum_name(cfg.log.level),
            cfg.log.format == config::LogFormat::json ? log::Format::kJson : log::Format::kText);
  try {
    impl.fixtures =
        std::make_unique<fixtures::FixtureEngine>(impl.config, impl.traffic, impl.metrics);
    if (const auto errors = impl.fixtures->load(); !errors.empty()) {
      std::string message = "invalid fixtures:";
      for (const auto& error : errors) message += "\n  " + error.to_string();
      throw std::runtime_error(message);
    }
    impl.responders =
        std::make_unique<fixtures::ResponderEngine>(impl.config, impl.traffic, impl.metrics);
    impl.fixtures->set_responders(impl.responders.get());
    impl.contracts = std::make_unique<contracts::Validator>(
        impl.traffic, impl.metrics,
        contracts::Options{*contracts::parse_mode(config::enum_name(cfg.asyncapi.validate)),
                           static_cast<std::size_t>(cfg.asyncapi.max_violations),
                           cfg.asyncapi.create_channels, channel_modes(cfg.asyncapi)});
    {
      std::string errors;
      for (const auto& entry : cfg.asyncapi.documents) {
        try {
          impl.contracts->load_entry(entry, /*declare=*/false);  // once the brokers run
        } catch (const contracts::LoadError& e) {
          for (const auto& error : e.errors()) errors += "\n  " + error;
        }
      }
      if (!errors.empty()) throw std::runtime_error("invalid AsyncAPI document:" + errors);
    }
    impl.bridges = std::make_unique<bridges::Engine>(impl.traffic, impl.metrics);
    for (const auto& rule : cfg.bridges) {
      try {
        impl.bridges->add(rule, /*configured=*/true);
      } catch (const bridges::RuleError& e) {
        throw std::runtime_error("invalid bridge " + rule.name + ": " + e.what());
      }
    }
    impl.fixtures->set_faults(&impl.fault_set);
    bool restored = false;
    if (!cfg.storage.snapshot_file.empty() && std::filesystem::exists(cfg.storage.snapshot_file)) {
      if (auto status = impl.storage->restore_from_file(cfg.storage.snapshot_file); !status) {
        throw std::runtime_error(status.error().message);
      }
      impl.logger->info("restored storage from {}; fixtures are not seeded again",
                        cfg.storage.snapshot_file);
      restored = true;
    }
    impl.process_metrics = metrics::register_process_metrics(impl.metrics, version());
    if (tls_listener_enabled(cfg)) {
      impl.tls = std::make_unique<net::TlsContext>(tls_settings(cfg.tls));
      impl.register_tls_metrics();
    }
    impl.register_storage_metrics();
    if (cfg.admin.enabled) {
      const auto token = load_admin_token(cfg.admin);
      check_admin_exposure(cfg.admin, token);
      impl.admin =
          std::make_unique<admin::HttpServer>(impl.runtime->io(), cfg.admin.bind, cfg.admin.port);
      if (cfg.admin.tls_port >= 0) {
        impl.admin->add_tls_listener(static_cast<uint16_t>(cfg.admin.tls_port), *impl.tls,
                                     /*plain=*/!cfg.admin.tls_only);
      }
      // Health and readiness stay open: Kubernetes probes and load balancers
      // check them without credentials, and they reveal nothing.
      if (!token.empty()) {
        impl.admin->set_guard(
            admin::bearer_guard(token, {"/__mockforge/health", "/__mockforge/ready"}));
      }
      impl.register_routes();
    }
    const runtime::ServiceContext context{impl.runtime->io(), impl.config,      *impl.storage,
                                          impl.metrics,       impl.admin.get(), impl.traffic,
                                          &impl.fault_set,    impl.tls.get()};
    impl.services = create_services(context);
    // The start-up files' fault rules, once the brokers resolve their names.
    for (const auto& rule : impl.fixtures->loaded().faults) {
      try {
        impl.fault_set.add(rule);
      } catch (const faults::RuleError& e) {
        throw std::runtime_error("invalid fault rule at " + rule.origin + ": " + e.what());
      }
    }
    // Bind everything before serving anything, so a port in use fails the
    // whole start.
    if (impl.admin) impl.admin->start();
    for (auto& service : impl.services) service->start();
    impl.contracts->declare_all();  // before fixtures, which may publish to its channels
    impl.fixtures->seed(/*messages=*/!restored);
    impl.storage->mark_initial_state();
    // The history starts with the initial state, as after every reset: what
    // fixtures seeded is state, not traffic.
    impl.history.reset();
    impl.bridges->start();
    // Snapshots carry the rules added at run time; a start-up restore's come
    // back now (the storage hands them over as the extension is added).
    impl.storage->add_snapshot_extension(
        "bridges",
        {[bridges = impl.bridges.get()] { return bridges::capture_runtime_rules(*bridges); },
         [bridges = impl.bridges.get(), logger = impl.logger](std::string_view data) {
           for (const auto& problem : bridges::restore_runtime_rules(*bridges, data))
             logger->warn("bridge from the snapshot not restored: {}", problem);
         }});
    // The start-up files' rules, once the brokers they publish to are up.
    const auto loaded = impl.fixtures->loaded();
    if (auto report = impl.responders->add(loaded.responders, loaded); !report.errors.empty()) {
      std::string message = "invalid responders:";
      for (const auto& error : report.errors) message += "\n  " + error.to_string();
      throw std::runtime_error(message);
    }
    // Before the schedules, so responders answer auto-produced messages too.
    impl.responders->start(impl.runtime->io());
    impl.fixtures->start(impl.runtime->io());
    impl.snapshot_timer = std::make_unique<boost::asio::steady_timer>(impl.runtime->io());
    impl.schedule_snapshot();
    impl.retention_timer = std::make_unique<boost::asio::steady_timer>(impl.runtime->io());
    impl.schedule_retention();
    impl.runtime->start();
  } catch (...) {
    impl.shut_down();
    impl.set_state(State::kStopped);
    throw;
  }
  impl.set_state(State::kRunning);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - impl.started_at)
                          .count();
  std::string listening;
  for (const auto& [name, port] : impl.ports()) {
    listening += fmt::format("{}{}={}", listening.empty() ? "" : " ", name, port);
  }
  impl.logger->info("ready in {:.1f} ms: {}", static_cast<double>(micros) / 1000.0, listening);
}

void Server::stop() {
  auto& impl = *impl_;
  {
    std::unique_lock lock(impl.mutex);
    if (impl.state == State::kIdle) {
      impl.state = State::kStopped;
      lock.unlock();
      impl.state_changed.notify_all();
      return;
    }
    if (impl.state == State::kStopped) return;
    if (impl.state == State::kStopping) {
      impl.state_changed.wait(lock, [&] { return impl.state == State::kStopped; });
      return;
    }
    impl.state = State::kStopping;
  }
  impl.logger->info("shutting down");
  impl.shut_down();
  impl.set_state(State::kStopped);
  impl.logger->info("stopped");
}

void Server::wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->state_changed.wait(lock, [&] { return impl_->state == State::kStopped; });
}

bool Server::running() const { return impl_->current_state() == State::kRunning; }

const config::Config& Server::config() const { return impl_->config; }

std::map<std::string, uint16_t> Server::ports() const { return impl_->ports(); }

std::optional<uint16_t> Server::port(const std::string& listener) const {
  const auto all = ports();
  const auto it = all.find(listener);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

bool Server::reload_tls() {
  if (!impl_->tls) return false;
  impl_->tls->reload();
  impl_->logger->info("TLS certificates reloaded");
  return true;
}

std::string Server::info_json() const { return impl_->info().dump(); }

void Server::write_ready_file(const std::string& path) const {
  const std::filesystem::path target(path);
  auto temp = target;
  temp += fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write ready file {}", path));
    out << info_json() << '\n';
  }
  std::filesystem::rename(temp, target);
}

int64_t Server::reset(runtime::ResetConnections connections) { return impl_->reset(connections); }

storage::Engine& Server::storage() { return *impl_->storage; }

metrics::Registry& Server::metrics() { return impl_->metrics; }

traffic::Hub& Server::traffic() { return impl_->traffic; }

watch::History& Server::history() { return impl_->history; }

watch::Expectations& Server::expectations() { return impl_->expectations; }

faults::FaultSet& Server::faults() { return impl_->fault_set; }

}  // namespace mockforge
