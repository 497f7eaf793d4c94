#include "faults/fault_set.h"

#include <algorithm>
#include <random>

#include "core/metrics/registry.h"

namespace mockforge::faults {

namespace {

std::size_t index(traffic::Protocol protocol) { return static_cast<std::size_t>(protocol); }

uint64_t mix(uint64_t seed, std::string_view name) {
  // FNV-1a over the name, folded into the seed.
  uint64_t hash = 1469598103934665603ull ^ seed;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

struct FaultSet::Live {
  Rule rule;
  std::mt19937_64 random;
  uint64_t fired = 0;
  // kThrottle: when the next matching operation may pass undelayed.
  Clock::time_point next_free{};
  // kPause: the end of the window the first firing opened.
  std::optional<Clock::time_point> paused_until;

  bool spent() const { return rule.times && fired >= *rule.times; }
  bool holding(Clock::time_point now) const { return paused_until && now < *paused_until; }
  // Spent, and no pause window of it still open.
  bool done(Clock::time_point now) const { return spent() && !holding(now); }
};

FaultSet::FaultSet(metrics::Registry& metrics, uint64_t seed)
    : seed_(seed != 0 ? seed : std::random_device{}()),
      firings_(metrics.counter("mockforge_fault_firings_total",
                               "Fault rules fired, by rule and protocol.", {"rule", "protocol"})) {}

FaultSet::~FaultSet() = default;

void FaultSet::set_resolver(traffic::Protocol protocol, Resolver resolver) {
  std::lock_guard lock(mutex_);
  resolvers_[index(protocol)] = std::move(resolver);
}

Rule FaultSet::check(Rule rule) const {
  std::lock_guard lock(mutex_);
  return check_locked(std::move(rule));
}

Rule FaultSet::check_locked(Rule rule) const {
  const auto& resolver = resolvers_[index(rule.protocol)];
  if (!resolver) {
    throw RuleError("protocol",
                    std::string(traffic::to_string(rule.protocol)) + " is not enabled here");
  }
  resolver(rule);
  if (!rule.name.empty() && std::any_of(rules_.begin(), rules_.end(), [&](const auto& live) {
        return live->rule.name == rule.name;
      })) {
    throw RuleError("name", "a rule named '" + rule.name + "' is already set");
  }
  return rule;
}

Rule FaultSet::add(Rule rule) {
  std::lock_guard lock(mutex_);
  rule = check_locked(std::move(rule));
  if (rule.name.empty()) {
    do {
      rule.name = "fault-" + std::to_string(next_name_++);
    } while (std::any_of(rules_.begin(), rules_.end(),
                         [&](const auto& live) { return live->rule.name == rule.name; }));
  }
  auto live = std::make_unique<Live>();
  live->rule = rule;
  live->random.seed(mix(seed_, rule.name));
  rules_.push_back(std::move(live));
  rearm_locked();
  return rule;
}

bool FaultSet::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  const auto it = std::find_if(rules_.begin(), rules_.end(),
                               [&](const auto& live) { return live->rule.name == name; });
  if (it == rules_.end()) return false;
  rules_.erase(it);
  rearm_locked();
  return true;
}

std::size_t FaultSet::clear() {
  std::lock_guard lock(mutex_);
  const auto count = rules_.size();
  rules_.clear();
  rearm_locked();
  return count;
}

std::vector<RuleStatus> FaultSet::list() const {
  std::lock_guard lock(mutex_);
  std::vector<RuleStatus> out;
  for (const auto& live : rules_) {
    RuleStatus status{live->rule, live->fired, std::nullopt};
    if (live->rule.times) status.remaining = *live->rule.times - live->fired;
    out.push_back(std::move(status));
  }
  return out;
}

void FaultSet::rearm_locked() {
  const auto now = Clock::now();
  std::array<uint32_t, 3> counts{};
  for (const auto& live : rules_) {
    if (!live->done(now)) ++counts[index(live->rule.protocol)];
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    armed_[i].store(counts[i], std::memory_order_relaxed);
  }
}

bool FaultSet::matches(const Rule& rule, const Subject& subject) const {
  const Match& match = rule.match;
  if (rule.protocol != subject.protocol) return false;
  if (match.operation_id >= 0 && match.operation_id != subject.operation_id) return false;
  if (match.client && *match.client != subject.client) return false;
  if (match.queue && (!subject.queue || *match.queue != *subject.queue)) return false;
  if (match.topic) {
    const bool mqtt = rule.protocol == traffic::Protocol::kMqtt;
    const bool any =
        std::any_of(subject.topics.begin(), subject.topics.end(), [&](const auto& topic_partition) {
          const auto& [topic, partition] = topic_partition;
          if (match.partition && partition != *match.partition) return false;
          if (!mqtt) return topic == *match.topic;
          // A subscription's filter equal to the rule's, or a topic it covers.
          return topic == *match.topic || mqtt_filter_matches(*match.topic, topic);
        });
    if (!any) return false;
  }
  return true;
}

std::optional<Firing> FaultSet::evaluate(const Subject& subject) {
  return evaluate(subject, Clock::now());
}

std::optional<Firing> FaultSet::evaluate(const Subject& subject, Clock::time_point now) {
  std::optional<Firing> firing;
  {
    std::lock_guard lock(mutex_);
    for (auto& live_ptr : rules_) {
      Live& live = *live_ptr;
      const Rule& rule = live.rule;
      if (!matches(rule, subject)) continue;
      const Action& action = rule.action;
      // A pause window in force holds every match, without firing again.
      if (live.holding(now)) {
        return Firing{rule.name, action,
                      std::chrono::ceil<std::chrono::milliseconds>(*live.paused_until - now)};
      }
      if (live.spent()) {
        if (live.paused_until) {
          live.paused_until.reset();  // its window is over
          rearm_locked();
        }
        continue;
      }
      if (rule.probability < 1.0 &&
          std::uniform_real_distribution<double>(0.0, 1.0)(live.random) >= rule.probability) {
        continue;
      }
      std::chrono::milliseconds delay{0};
      if (action.kind == ActionKind::kLatency) {
        delay = action.latency;
        if (action.jitter.count() > 0) {
          delay += std::chrono::milliseconds(
              std::uniform_int_distribution<int64_t>(0, action.jitter.count())(live.random));
        }
      } else if (action.kind == ActionKind::kThrottle) {
        const auto interval = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(1.0 / action.rate_per_second));
        const auto slot = std::max(now, live.next_free);
        live.next_free = slot + interval;
        if (slot <= now) continue;  // within the rate: passes, no firing
        delay = std::chrono::ceil<std::chrono::milliseconds>(slot - now);
      } else if (action.kind == ActionKind::kPause) {
        live.paused_until = now + action.duration;
        delay = action.duration;
      }
      ++live.fired;
      firing = Firing{rule.name, action, delay};
      if (live.done(now)) rearm_locked();
      break;
    }
  }
  if (!firing) return firing;
  firings_.with({firing->rule, std::string(traffic::to_string(subject.protocol))}).inc();
  std::vector<Observer> observers;
  {
    std::lock_guard lock(observer_mutex_);
    for (const auto& [id, observer] : observers_) observers.push_back(observer);
  }
  if (!observers.empty()) {
    FiredEvent event{firing->rule,
                     subject.protocol,
                     std::string(subject.operation),
                     subject.topics.empty() ? std::string() : std::string(subject.topics[0].first),
                     subject.queue ? std::string(*subject.queue) : std::string(),
                     std::string(subject.client),
                     firing->action.kind,
                     firing->action.code,
                     firing->delay};
    for (const auto& observer : observers) observer(event);
  }
  return firing;
}

uint64_t FaultSet::observe(Observer observer) {
  std::lock_guard lock(observer_mutex_);
  const uint64_t id = next_observer_++;
  observers_.emplace_back(id, std::move(observer));
  return id;
}

void FaultSet::unobserve(uint64_t id) {
  std::lock_guard lock(observer_mutex_);
  std::erase_if(observers_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace mockforge::faults
