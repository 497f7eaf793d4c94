// Test doubles for driving a RequestPipeline without sockets, shared by the
// Kafka broker's pipeline tests.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "brokers/kafka/protocol/request_pipeline.h"

namespace mockforge::kafka::testing {

// Runs posted work at once; timers never fire.
class InlineScheduler : public ConnectionScheduler {
 public:
  void post(std::function<void()> fn) override { fn(); }
  std::function<void()> run_after(std::chrono::milliseconds, std::function<void()>) override {
    return [] {};
  }
};

// Keeps every frame sent and the reason of a close.
class RecordingSink : public RequestPipeline::Sink {
 public:
  void send(Bytes frame) override { frames.push_back(std::move(frame)); }
  void close(std::string reason) override { closed = reason; }
  void answered(std::size_t pending) override { still_pending.push_back(pending); }
  std::vector<Bytes> frames;
  std::optional<std::string> closed;
  std::vector<std::size_t> still_pending;  // answered()'s, in order
};

}  // namespace mockforge::kafka::testing
