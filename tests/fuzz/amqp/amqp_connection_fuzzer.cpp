// Feeds arbitrary bytes to the AMQP connection state machine
// (AmqpConnection::on_frame), cut into frames by frame_boundary() as the
// session does, with no socket: handshake, channels, every handler, the
// vhost model and storage. Each input runs twice: as the whole client stream
// (protocol header first), and after a valid handshake, so that mutations
// reach the channel methods. Work the connection posts to its strand runs
// after each frame. Anything the broker does wrong shows up as a sanitizer
// report or a failed invariant (abort).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "brokers/amqp/protocol/connection.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;
using namespace mockforge::amqp;

class FuzzOutput : public ConnectionOutput {
 public:
  void send(std::vector<uint8_t> bytes) override {
    if (closed) std::abort();  // nothing is written after close_after_flush
    sent += bytes.size();
  }
  void close_after_flush(std::string) override { closed = true; }
  void set_heartbeat(std::chrono::seconds) override {}
  void post(std::function<void()> task) override { posted.push_back(std::move(task)); }
  // Delays collapse: the task runs with the posted ones.
  void post_after(std::chrono::milliseconds, std::function<void()> task) override {
    posted.push_back(std::move(task));
  }
  // As the session does: no frame reaches the connection while it is paused.
  void pause_reading() override { paused = true; }
  void resume_reading() override { paused = false; }

  bool closed = false;
  bool paused = false;
  std::size_t sent = 0;
  std::vector<std::function<void()>> posted;
};

void run_posted(FuzzOutput& output) {
  // Bounded: a task may post another (pump yields every 256 deliveries).
  for (int round = 0; round < 64 && !output.posted.empty(); ++round) {
    std::vector<std::function<void()>> tasks;
    tasks.swap(output.posted);
    for (auto& task : tasks) task();
  }
}

BrokerSettings fuzz_settings() {
  BrokerSettings settings;
  // Two vhosts and a user limited by permissions, so the access checks run.
  settings.access = AccessControl::from_config(
      {"guest:guest", "app:secret"}, {"/", "v2"},
      {"guest /", "guest v2", "app v2 ^app\\. ^(app\\.|amq\\.default$) ^app\\."});
  return settings;
}

std::vector<uint8_t> frame(uint16_t channel, const Method& method) {
  return encode_method_frame(channel, method);
}

std::vector<uint8_t> handshake(bool limited_user) {
  std::vector<uint8_t> bytes(kProtocolHeader.begin(), kProtocolHeader.end());
  FieldTable capabilities;
  capabilities.set("consumer_cancel_notify", true);
  capabilities.set("connection.blocked", true);
  capabilities.set("authentication_failure_close", true);
  FieldTable client_properties;
  client_properties.set("capabilities", std::move(capabilities));
  const std::string response =
      limited_user ? std::string("\0app\0secret", 11) : std::string("\0guest\0guest", 12);
  for (const auto& part :
       {frame(0, ConnectionStartOk{client_properties, "PLAIN", response, "en_US"}),
        frame(0, ConnectionTuneOk{2047, 131072, 0}),
        frame(0, ConnectionOpen{limited_user ? "v2" : "/", "", false}),
        frame(1, ChannelOpen{""})}) {
    bytes.insert(bytes.end(), part.begin(), part.end());
  }
  return bytes;
}

void run(std::span<const uint8_t> prefix, std::span<const uint8_t> input) {
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker(fuzz_settings(), engine, registry);
  auto output = std::make_shared<FuzzOutput>();
  auto connection = std::make_shared<AmqpConnection>(broker, output);

  std::vector<uint8_t> stream(prefix.begin(), prefix.end());
  stream.insert(stream.end(), input.begin(), input.end());
  std::size_t offset = 0;
  while (offset < stream.size() && !output->closed && !output->paused) {
    const auto unread = std::span<const uint8_t>(stream).subspan(offset);
    const FrameBoundary boundary = connection->frame_boundary(unread);
    if (boundary.kind == FrameBoundary::Kind::kTooLarge) {
      connection->on_oversize_frame();
      break;
    }
    if (boundary.kind == FrameBoundary::Kind::kNeedMore) break;  // the client stops here
    if (boundary.length == 0 || boundary.length > unread.size()) std::abort();
    connection->on_frame(unread.first(boundary.length));
    offset += boundary.length;
    run_posted(*output);
  }
  connection->on_closed();
  run_posted(*output);
  connection.reset();
  run_posted(*output);  // tasks holding only weak references do nothing now
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  const std::span<const uint8_t> input(data, size);
  run({}, input);
  const bool limited = size > 0 && (data[0] & 1) != 0;
  run(handshake(limited), input);
  return 0;
}
