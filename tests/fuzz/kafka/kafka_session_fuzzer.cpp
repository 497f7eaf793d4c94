// Feeds whole Kafka connections into the broker (protocol/request_pipeline.h:
// framing checks, dispatch, every handler, the group coordinator and the
// partition logs in storage), without sockets. The input is a stream of
// size-prefixed request frames, cut by check_frame() as the session does;
// each frame goes to one of two connections sharing the broker (the low
// bit of its correlation id chooses), so that one can produce while the
// other fetches, commits or joins the same group. Work posted to a
// connection's strand runs after each frame; Fetch long-poll timers fire
// when the input ends, and the group coordinator is ticked far into the
// future so that pending rebalances complete and members expire. Anything
// the broker does wrong shows up as a sanitizer report or a failed invariant
// (abort): responses must come out as whole size-prefixed frames, and
// nothing is sent after close.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "brokers/kafka/broker/broker_state.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/protocol/request_pipeline.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;
using namespace mockforge::kafka;

class FuzzScheduler : public ConnectionScheduler {
 public:
  void post(std::function<void()> fn) override { posted.push_back(std::move(fn)); }
  std::function<void()> run_after(std::chrono::milliseconds, std::function<void()> fn) override {
    auto slot = std::make_shared<std::function<void()>>(std::move(fn));
    timers.push_back(slot);
    return [slot] { *slot = nullptr; };
  }
  // Bounded, in case a task keeps posting others.
  void run_posted() {
    for (int round = 0; round < 64 && !posted.empty(); ++round) {
      std::vector<std::function<void()>> tasks;
      tasks.swap(posted);
      for (auto& task : tasks) task();
    }
  }
  void fire_timers() {
    std::vector<std::shared_ptr<std::function<void()>>> due;
    due.swap(timers);
    for (auto& timer : due) {
      if (*timer) {
        auto fn = std::move(*timer);
        *timer = nullptr;
        fn();
      }
    }
  }
  std::vector<std::function<void()>> posted;
  std::vector<std::shared_ptr<std::function<void()>>> timers;
};

class FuzzSink : public RequestPipeline::Sink {
 public:
  void send(Bytes frame) override {
    if (closed) std::abort();  // nothing goes out after close
    if (frame.size() < 8) std::abort();
    const uint32_t size = (uint32_t{frame[0]} << 24) | (uint32_t{frame[1]} << 16) |
                          (uint32_t{frame[2]} << 8) | uint32_t{frame[3]};
    if (size != frame.size() - 4) std::abort();  // a whole response frame
    sent += frame.size();
  }
  void close(std::string) override { closed = true; }
  bool closed = false;
  std::size_t sent = 0;
};

struct Connection {
  FuzzSink sink;
  std::shared_ptr<FuzzScheduler> scheduler = std::make_shared<FuzzScheduler>();
  RequestPipeline pipeline;
  explicit Connection(BrokerState& broker)
      : pipeline(broker, sink, scheduler, "127.0.0.1", 9092, "192.0.2.1:40000") {}
};

BrokerOptions fuzz_options() {
  BrokerOptions options;
  options.default_partitions = 2;
  options.max_frame_bytes = 1u << 20;
  options.default_max_message_bytes = 64 * 1024;
  options.group_initial_rebalance_delay = std::chrono::milliseconds(0);
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();

  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker(fuzz_options(), engine, registry);
  Connection connections[2] = {Connection(broker), Connection(broker)};

  const std::span<const uint8_t> stream(data, size);
  std::size_t offset = 0;
  while (offset < stream.size()) {
    const auto unread = stream.subspan(offset);
    const FrameCheck check = check_frame(unread, broker.options().max_frame_bytes);
    if (check.kind != FrameCheck::Kind::kComplete) break;  // invalid: the session closes
    if (check.length < 12 || check.length > unread.size()) std::abort();
    const auto frame = unread.first(check.length);
    Connection& connection = connections[frame[11] & 1];  // correlation id's low bit
    if (!connection.sink.closed) connection.pipeline.on_frame(frame);
    offset += check.length;
    for (auto& each : connections) each.scheduler->run_posted();
  }

  // Long polls time out, rebalances complete, members expire.
  for (auto& each : connections) {
    each.scheduler->fire_timers();
    each.scheduler->run_posted();
  }
  broker.groups().tick(GroupClock::now() + std::chrono::hours(1));
  for (auto& each : connections) {
    each.scheduler->run_posted();
    each.scheduler->fire_timers();
    each.scheduler->run_posted();
  }
  for (auto& each : connections) {
    each.pipeline.on_closed();
    each.scheduler->run_posted();  // answers completing now are dropped
  }
  return 0;
}
