#include "watch/tail.h"

#include "brokers/mqtt/codec/topic.h"
#include "core/metrics/registry.h"

namespace mockforge::watch {
namespace {

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

bool topic_match(const std::string& filter, const std::string& name) {
  if (name.empty()) return false;
  if (filter == name) return true;
  return has_wildcard(filter) && mqtt::is_valid_topic_name(name) &&
         mqtt::topic_matches(filter, name);
}

}  // namespace

bool TailFilter::matches(const traffic::Event& event) const {
  if (protocol && event.protocol != *protocol) return false;
  if (!kinds.empty() && !kinds.contains(event.kind)) return false;
  if (!client.empty() && event.client_id != client) return false;
  if (!topic.empty() && !topic_match(topic, event.topic) && !topic_match(topic, event.exchange) &&
      !topic_match(topic, event.routing_key)) {
    return false;
  }
  return true;
}

std::string TailFilter::check() const {
  if (has_wildcard(topic)) {
    const auto parsed = mqtt::parse_topic_filter(topic);
    if (!parsed || parsed->is_shared()) {
      return "topic '" + topic + "' has '+' or '#' but is not a valid MQTT topic filter";
    }
  }
  return {};
}

TailReader::TailReader(TailFilter filter, std::size_t capacity, metrics::Counter* dropped_metric)
    : filter_(std::move(filter)), capacity_(capacity), dropped_metric_(dropped_metric) {}

TailReader::~TailReader() { close(); }

void TailReader::set_wake(std::function<void()> wake) {
  bool wake_now = false;
  {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
    wake_now = !queue_.empty() || dropped_since_take_ > 0;
    wake_pending_ = wake_now;
  }
  if (wake_now) wake_();
}

void TailReader::offer(const traffic::Event& event) {
  if (!filter_.matches(event)) return;
  std::function<void()> wake;
  bool dropped = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      ++dropped_since_take_;
      ++dropped_total_;
      dropped = true;
    } else {
      queue_.push_back(event);
    }
    if (!wake_pending_ && wake_) {
      wake_pending_ = true;
      wake = wake_;
    }
  }
  if (dropped && dropped_metric_ != nullptr) dropped_metric_->inc();
  if (wake) wake();
}

TailReader::Taken TailReader::take(std::size_t max) {
  Taken taken;
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(max, queue_.size());
  taken.events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    taken.events.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  taken.dropped = dropped_since_take_;
  dropped_since_take_ = 0;
  // Wake again for what comes next once the queue is drained.
  wake_pending_ = !queue_.empty();
  return taken;
}

void TailReader::close() {
  traffic::Events* events = nullptr;
  uint64_t token = 0;
  {
    std::lock_guard lock(mutex_);
    std::swap(events, events_);
    std::swap(token, token_);
    wake_ = nullptr;
  }
  if (events != nullptr) events->unlisten(token);
}

uint64_t TailReader::dropped_total() const {
  std::lock_guard lock(mutex_);
  return dropped_total_;
}

Tail::Tail(traffic::Events& events, metrics::Counter* dropped_metric)
    : events_(events), dropped_metric_(dropped_metric) {}

std::shared_ptr<TailReader> Tail::open(TailFilter filter, std::size_t capacity) {
  std::shared_ptr<TailReader> reader(
      new TailReader(std::move(filter), std::max<std::size_t>(capacity, 1), dropped_metric_));
  const uint64_t token =
      events_.listen([weak = std::weak_ptr<TailReader>(reader)](const traffic::Event& event) {
        if (auto live = weak.lock()) live->offer(event);
      });
  std::lock_guard lock(reader->mutex_);
  reader->events_ = &events_;
  reader->token_ = token;
  return reader;
}

}  // namespace mockforge::watch
