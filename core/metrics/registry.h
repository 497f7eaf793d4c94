#pragma once

// Prometheus-style metrics registry with text exposition (format 0.0.4).
//
// Families are created once (usually at broker start) and series are looked up
// by label values. Series objects have stable addresses for the registry's
// lifetime, so hot paths cache `Counter&` and pay one atomic add per update.
// All methods are thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mockforge::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }
  void reset() { value_.store(0.0, std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }
  void reset() { set(0.0); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  void reset();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 entries
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// One emitted sample of a family computed at scrape time.
struct Sample {
  LabelValues labels;
  double value = 0;
};

namespace detail {
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> labels);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual void render(std::string& out) const = 0;
  virtual void reset_values() = 0;

 protected:
  void check_arity(const LabelValues& values) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};
}  // namespace detail

template <class Metric>
class Family : public detail::FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The series for these label values, created on first use. The reference
  // stays valid until remove() is called for the same values.
  Metric& with(const LabelValues& values);
  Metric& get() { return with({}); }
  void remove(const LabelValues& values);
  void render(std::string& out) const override;
  void reset_values() override;

  void set_histogram_bounds(std::vector<double> bounds) { bounds_ = std::move(bounds); }

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Metric>> series_;
  std::vector<double> bounds_;
};

// A family whose samples are computed at scrape time (queue depths, consumer
// lag, process resident memory): the callback lists the current samples.
class CallbackFamily : public detail::FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type,
                 std::vector<std::string> labels, std::function<std::vector<Sample>()> collect);
  void render(std::string& out) const override;
  void reset_values() override {}

 private:
  std::function<std::vector<Sample>()> collect_;
};

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering the same name twice returns the existing family when the
  // type and labels agree, and throws std::invalid_argument otherwise.
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> labels = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, std::vector<std::string> labels = {});
  // Returns a handle; destroying it unregisters the family (brokers register
  // callbacks that capture themselves, and unregister on stop).
  std::shared_ptr<void> callback(const std::string& name, const std::string& help, MetricType type,
                                 std::vector<std::string> labels,
                                 std::function<std::vector<Sample>()> collect);

  // Text exposition format 0.0.4, families in name order.
  std::string render() const;

  // Zeroes every counter, gauge and histogram (test reset).
  void reset_values();

 private:
  template <class F, class... Args>
  F& add_family(const std::string& name, MetricType type, std::vector<std::string> labels,
                Args&&... args);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<detail::FamilyBase>> families_;
};

// Validates a metric or label name per the Prometheus data model.
bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);

// Registers process_* metrics (start time, resident and virtual memory, open
// fds, CPU seconds) and mockforge_build_info / mockforge_uptime_seconds.
std::shared_ptr<void> register_process_metrics(Registry& registry, std::string_view version);

}  // namespace mockforge::metrics
