#include "core/metrics/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "core/metrics/exposition.h"

namespace mockforge::metrics {
namespace {

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty() || !is_name_start(name[0], allow_colon)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) {
    return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
  });
}

void atomic_add(std::atomic<double>& target, double amount) {
  target.fetch_add(amount, std::memory_order_relaxed);
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, true); }

bool is_valid_label_name(std::string_view name) {
  return is_valid_name(name, false) && !name.starts_with("__");
}

// ---- Histogram -------------------------------------------------------------

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::invalid_argument("histogram bucket bounds must be sorted");
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.upper_bounds = bounds_;
  uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snap.cumulative_counts.push_back(running);
  }
  snap.sum = sum_.load(std::memory_order_relaxed);
  snap.count = running;
  return snap;
}

void Histogram::reset() {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
  sum_.store(0);
  count_.store(0);
}

// ---- Families --------------------------------------------------------------

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(labels)) {
  if (!is_valid_metric_name(name_)) {
    throw std::invalid_argument(fmt::format("invalid metric name '{}'", name_));
  }
  for (const auto& label : label_names_) {
    if (!is_valid_label_name(label) || (type_ == MetricType::kHistogram && label == "le")) {
      throw std::invalid_argument(fmt::format("metric {}: invalid label name '{}'", name_, label));
    }
  }
}

void FamilyBase::check_arity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(fmt::format("metric {}: expected {} label values, got {}", name_,
                                            label_names_.size(), values.size()));
  }
}

}  // namespace detail

template <class Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mutex_);
  auto& slot = series_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <class Metric>
void Family<Metric>::remove(const LabelValues& values) {
  std::lock_guard lock(mutex_);
  series_.erase(values);
}

template <class Metric>
void Family<Metric>::reset_values() {
  std::lock_guard lock(mutex_);
  for (auto& [labels, metric] : series_) metric->reset();
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
  exposition::append_help_and_type(out, name(), help(), type_name(type()));
  std::lock_guard lock(mutex_);
  for (const auto& [labels, metric] : series_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto snap = metric->snapshot();
      const std::string bucket_name = name() + "_bucket";
      for (std::size_t i = 0; i < snap.upper_bounds.size(); ++i) {
        exposition::append_sample(out, bucket_name, label_names(), labels,
                                  static_cast<double>(snap.cumulative_counts[i]), "le",
                                  exposition::format_value(snap.upper_bounds[i]));
      }
      exposition::append_sample(out, bucket_name, label_names(), labels,
                                static_cast<double>(snap.count), "le", "+Inf");
      exposition::append_sample(out, name() + "_sum", label_names(), labels, snap.sum);
      exposition::append_sample(out, name() + "_count", label_names(), labels,
                                static_cast<double>(snap.count));
    } else {
      exposition::append_sample(out, name(), label_names(), labels, metric->value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CallbackFamily::CallbackFamily(std::string name, std::string help, MetricType type,
                               std::vector<std::string> labels,
                               std::function<std::vector<Sample>()> collect)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
      collect_(std::move(collect)) {
  if (type == MetricType::kHistogram) {
    throw std::invalid_argument("callback families are counters or gauges");
  }
}

void CallbackFamily::render(std::string& out) const {
  exposition::append_help_and_type(out, name(), help(), type_name(type()));
  auto samples = collect_();
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
  for (const auto& sample : samples) {
    check_arity(sample.labels);
    exposition::append_sample(out, name(), label_names(), sample.labels, sample.value);
  }
}

// ---- Registry --------------------------------------------------------------

Registry::Registry() = default;

template <class F, class... Args>
F& Registry::add_family(const std::string& name, MetricType type, std::vector<std::string> labels,
                        Args&&... args) {
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (!existing || existing->type() != type || existing->label_names() != labels) {
      throw std::invalid_argument(
          fmt::format("metric {} is already registered with another type or labels", name));
    }
    return *existing;
  }
  auto family = std::make_shared<F>(name, std::forward<Args>(args)..., type, std::move(labels));
  auto& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labels) {
  return add_family<Family<Counter>>(name, MetricType::kCounter, std::move(labels), help);
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels) {
  return add_family<Family<Gauge>>(name, MetricType::kGauge, std::move(labels), help);
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> labels) {
  auto& family =
      add_family<Family<Histogram>>(name, MetricType::kHistogram, std::move(labels), help);
  family.set_histogram_bounds(std::move(bounds));
  return family;
}

std::shared_ptr<void> Registry::callback(const std::string& name, const std::string& help,
                                         MetricType type, std::vector<std::string> labels,
                                         std::function<std::vector<Sample>()> collect) {
  auto family =
      std::make_shared<CallbackFamily>(name, help, type, std::move(labels), std::move(collect));
  {
    std::lock_guard lock(mutex_);
    if (!families_.emplace(name, family).second) {
      throw std::invalid_argument(fmt::format("metric {} is already registered", name));
    }
  }
  // The handle unregisters the family when the owner lets go of it.
  return std::shared_ptr<void>(nullptr, [this, name](void*) {
    std::lock_guard lock(mutex_);
    families_.erase(name);
  });
}

std::string Registry::render() const {
  std::vector<std::shared_ptr<detail::FamilyBase>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  std::string out;
  out.reserve(4096);
  for (const auto& family : families) family->render(out);
  return out;
}

void Registry::reset_values() {
  std::lock_guard lock(mutex_);
  for (auto& [name, family] : families_) family->reset_values();
}

}  // namespace mockforge::metrics
