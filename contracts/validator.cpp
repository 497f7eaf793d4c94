#include "contracts/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/log/logging.h"
#include "core/metrics/registry.h"

namespace mockforge::contracts {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::kOff:
      return "off";
    case Mode::kWarn:
      return "warn";
    case Mode::kReject:
      return "reject";
  }
  return "warn";
}

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "off") return Mode::kOff;
  if (text == "warn") return Mode::kWarn;
  if (text == "reject") return Mode::kReject;
  return std::nullopt;
}

namespace {

nlohmann::json violations_json(const std::vector<asyncapi::Violation>& violations) {
  auto out = nlohmann::json::array();
  for (const auto& v : violations) {
    out.push_back(
        {{"pointer", v.pointer},
         {"keyword", v.keyword.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.keyword)},
         {"message", v.message}});
  }
  return out;
}

std::string describe(const traffic::Resource& resource) {
  using Kind = traffic::Resource::Kind;
  const std::string vhost = resource.vhost.empty() ? "/" : resource.vhost;
  switch (resource.kind) {
    case Kind::kTopic:
      return resource.partitions > 0
                 ? fmt::format("kafka topic {} ({} partitions)", resource.name, resource.partitions)
                 : fmt::format("kafka topic {}", resource.name);
    case Kind::kExchange:
      return fmt::format("amqp exchange {} ({}) in vhost {}", resource.name, resource.type, vhost);
    case Kind::kQueue:
      return fmt::format("amqp queue {} in vhost {}", resource.name, vhost);
    case Kind::kBinding:
      return fmt::format("amqp binding {} -> {} ({})", resource.name, resource.destination,
                         resource.routing_key);
    default:
      return fmt::format("{} {} {}", traffic::to_string(resource.protocol),
                         traffic::to_string(resource.kind), resource.name);
  }
}

// One line for the log: every violation with its pointer and keyword.
std::string summary(const std::vector<asyncapi::Violation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    if (!out.empty()) out += "; ";
    out += fmt::format("#{} [{}] {}", v.pointer, v.keyword.empty() ? "-" : v.keyword, v.message);
  }
  return out;
}

}  // namespace

nlohmann::json ViolationRecord::to_json() const {
  nlohmann::json out{{"sequence", sequence},
                     {"timestamp_ms", timestamp_ms},
                     {"protocol", std::string(traffic::to_string(protocol))},
                     {"destination", destination},
                     {"client_id", client_id},
                     {"document", document},
                     {"channel", channel},
                     {"mode", std::string(to_string(mode))},
                     {"refused", mode == Mode::kReject},
                     {"violations", violations_json(violations)}};
  if (protocol == traffic::Protocol::kAmqp) out["routing_key"] = routing_key;
  return out;
}

nlohmann::json DocumentInfo::to_json() const {
  return {{"path", path},
          {"title", title},
          {"version", version},
          {"asyncapi", asyncapi_version},
          {"validate", std::string(to_string(mode))},
          {"channel_validate",
           [this] {
             nlohmann::json modes = nlohmann::json::object();
             for (const auto& [id, m] : channel_modes) modes[id] = std::string(to_string(m));
             return modes;
           }()},
          {"channels", channels},
          {"declared", declared},
          {"not_declared", not_declared}};
}

LoadError::LoadError(std::vector<std::string> errors)
    : std::runtime_error([&errors] {
        std::string text;
        for (const auto& e : errors) text += (text.empty() ? "" : "\n") + e;
        return text;
      }()),
      errors_(std::move(errors)) {}

struct Validator::Loaded {
  DocumentInfo info;
  std::vector<traffic::Resource> resources;
  std::unique_ptr<asyncapi::Contract> contract;

  Mode mode_of(const std::string& channel_id) const {
    const auto it = info.channel_modes.find(channel_id);
    return it == info.channel_modes.end() ? info.mode : it->second;
  }
  // Whether any message is checked at all.
  bool active() const {
    if (info.mode != Mode::kOff) return true;
    for (const auto& [id, m] : info.channel_modes)
      if (m != Mode::kOff) return true;
    return false;
  }
};

Validator::Validator(traffic::Hub& hub, metrics::Registry& metrics, Options options)
    : hub_(hub),
      metrics_(metrics),
      options_(options),
      loaded_(std::make_shared<const std::vector<std::shared_ptr<Loaded>>>()) {
  // Registered up front so the family shows (empty) before the first failure.
  metrics_.counter("mockforge_validation_failures_total",
                   "Published messages that violated their AsyncAPI channel's schema.",
                   {"protocol", "channel"});
}

Validator::~Validator() {
  std::lock_guard lock(mutex_);
  if (gate_) hub_.remove_gate(*gate_);
}

DocumentInfo Validator::load(const std::filesystem::path& path, std::optional<Mode> mode,
                             bool declare_now, const std::map<std::string, Mode>& channels) {
  auto result = asyncapi::load(path);
  if (!result.ok()) {
    std::vector<std::string> errors;
    for (const auto& error : result.errors) errors.push_back(error.to_string());
    throw LoadError(std::move(errors));
  }
  auto loaded = std::make_shared<Loaded>();
  loaded->info.path = path.string();
  loaded->info.title = result.model.title;
  loaded->info.version = result.model.version;
  loaded->info.asyncapi_version = result.model.asyncapi_version;
  loaded->info.mode = mode.value_or(options_.mode);
  loaded->info.channels = result.model.channels.size();
  {
    std::vector<std::string> unknown;
    for (const auto& [id, m] : channels) {
      const bool known =
          std::any_of(result.model.channels.begin(), result.model.channels.end(),
                      [&id = id](const asyncapi::Channel& channel) { return channel.id == id; });
      if (!known)
        unknown.push_back(
            fmt::format("{}: validate: the document has no channel '{}'", path.string(), id));
    }
    if (!unknown.empty()) throw LoadError(std::move(unknown));
  }
  for (const auto& channel : result.model.channels) {
    std::optional<Mode> own;
    if (!channel.validate.empty()) own = parse_mode(channel.validate);
    if (const auto it = options_.channel_modes.find(channel.id); it != options_.channel_modes.end())
      own = it->second;
    if (const auto it = channels.find(channel.id); it != channels.end()) own = it->second;
    if (own && *own != loaded->info.mode) loaded->info.channel_modes[channel.id] = *own;
  }
  loaded->resources = asyncapi::declarations(result.model);
  try {
    std::vector<asyncapi::Model> models;
    models.push_back(std::move(result.model));
    loaded->contract = std::make_unique<asyncapi::Contract>(std::move(models));
  } catch (const std::exception& e) {
    throw LoadError({fmt::format("{}: {}", path.string(), e.what())});
  }
  if (declare_now) {
    auto declared = declare(*loaded);
    loaded->info.declared = std::move(declared.done);
    loaded->info.not_declared = std::move(declared.refused);
  }
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<std::vector<std::shared_ptr<Loaded>>>();
  for (const auto& existing : *loaded_) {
    if (existing->info.path != loaded->info.path) next->push_back(existing);
  }
  next->push_back(loaded);
  loaded_ = std::move(next);
  install_gate_locked();
  log::get("asyncapi")
      ->info("loaded {} ({} {}, AsyncAPI {}): {} channel(s), validate {}", loaded->info.path,
             loaded->info.title, loaded->info.version, loaded->info.asyncapi_version,
             loaded->info.channels, to_string(loaded->info.mode));
  return loaded->info;
}

DocumentInfo Validator::load_entry(const std::string& entry, bool declare_now) {
  const auto equals = entry.find('=');
  if (equals != std::string::npos) {
    if (auto mode = parse_mode(std::string_view(entry).substr(0, equals))) {
      return load(entry.substr(equals + 1), mode, declare_now);
    }
  }
  return load(entry, std::nullopt, declare_now);
}

Validator::Declared Validator::declare(const Loaded& loaded) {
  Declared out;
  if (!options_.create_channels) return out;
  for (const auto& resource : loaded.resources) {
    const auto error = hub_.declare(resource);
    if (error.empty()) {
      out.done.push_back(describe(resource));
    } else {
      out.refused.push_back(fmt::format("{}: {}", describe(resource), error));
      log::get("asyncapi")
          ->warn("{}: not declared: {}: {}", loaded.info.path, describe(resource), error);
    }
  }
  return out;
}

void Validator::declare_all() {
  std::shared_ptr<const std::vector<std::shared_ptr<Loaded>>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = loaded_;
  }
  for (const auto& loaded : *snapshot) {
    auto declared = declare(*loaded);
    std::lock_guard lock(mutex_);
    loaded->info.declared = std::move(declared.done);
    loaded->info.not_declared = std::move(declared.refused);
  }
}

bool Validator::unload(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<std::vector<std::shared_ptr<Loaded>>>();
  for (const auto& existing : *loaded_) {
    if (existing->info.path != path) next->push_back(existing);
  }
  const bool removed = next->size() != loaded_->size();
  loaded_ = std::move(next);
  install_gate_locked();
  return removed;
}

void Validator::install_gate_locked() {
  bool needed = false;
  for (const auto& loaded : *loaded_) needed |= loaded->active();
  if (needed && !gate_) {
    gate_ = hub_.add_gate([this](const traffic::Message& message) { return admit(message); });
  } else if (!needed && gate_) {
    hub_.remove_gate(*gate_);
    gate_.reset();
  }
}

std::vector<DocumentInfo> Validator::documents() const {
  std::lock_guard lock(mutex_);
  std::vector<DocumentInfo> out;
  for (const auto& loaded : *loaded_) out.push_back(loaded->info);
  return out;
}

std::vector<ViolationRecord> Validator::violations() const {
  std::lock_guard lock(mutex_);
  return {recent_.begin(), recent_.end()};
}

uint64_t Validator::violations_total() const {
  std::lock_guard lock(mutex_);
  return sequence_;
}

std::size_t Validator::clear_violations() {
  std::lock_guard lock(mutex_);
  const std::size_t cleared = recent_.size();
  recent_.clear();
  return cleared;
}

traffic::Admission Validator::admit(const traffic::Message& message) {
  std::shared_ptr<const std::vector<std::shared_ptr<Loaded>>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = loaded_;
  }
  for (const auto& loaded : *snapshot) {
    if (!loaded->active()) continue;
    const auto verdict =
        loaded->info.channel_modes.empty()
            ? loaded->contract->check(message)
            : loaded->contract->check(message, [&loaded = *loaded](const std::string& id) {
                return loaded.mode_of(id) != Mode::kOff;
              });
    if (!verdict || verdict->ok()) continue;
    record(*loaded, message, *verdict);
    if (loaded->mode_of(verdict->channel) == Mode::kReject) {
      const auto& first = verdict->violations.front();
      return traffic::Admission::refuse(
          fmt::format("the message does not conform to AsyncAPI channel '{}': #{}: {}",
                      verdict->channel, first.pointer, first.message));
    }
  }
  return traffic::Admission::accept();
}

void Validator::record(const Loaded& loaded, const traffic::Message& message,
                       const asyncapi::Verdict& verdict) {
  const std::string protocol(traffic::to_string(message.protocol));
  metrics_
      .counter("mockforge_validation_failures_total",
               "Published messages that violated their AsyncAPI channel's schema.",
               {"protocol", "channel"})
      .with({protocol, verdict.channel})
      .inc();
  ViolationRecord record;
  record.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  record.protocol = message.protocol;
  record.destination = message.destination;
  record.routing_key = message.routing_key;
  record.client_id = message.client_id;
  record.document = loaded.info.path;
  record.channel = verdict.channel;
  record.mode = loaded.mode_of(verdict.channel);
  record.violations = verdict.violations;
  const std::string where =
      message.protocol == traffic::Protocol::kAmqp
          ? fmt::format("exchange '{}' key '{}'", message.destination, message.routing_key)
          : fmt::format("topic '{}'", message.destination);
  log::get("asyncapi")
      ->warn("{} {} from '{}' on {} violates channel '{}' of {}: {}",
             record.mode == Mode::kReject ? "refused" : "delivered", protocol, message.client_id,
             where, verdict.channel, loaded.info.path, summary(verdict.violations));
  std::lock_guard lock(mutex_);
  record.sequence = ++sequence_;
  recent_.push_back(std::move(record));
  while (recent_.size() > options_.max_violations) recent_.pop_front();
}

}  // namespace mockforge::contracts
