// Feeds whole MQTT connections into the broker core (broker/client.h, the
// packet handlers, routing, retained messages and sessions in storage),
// without sockets: the input is cut into packets by the codec's Framer, as
// the session layer does, and each packet goes to Client::on_frame. Work
// that the session layer would post to a client's strand (deliveries,
// take-overs, session hand-overs, closes) is queued and run after each
// packet. Each input runs twice:
//   1. as the whole byte stream of one fresh connection (CONNECT first);
//   2. after two clients have connected and subscribed (a v5 one with a
//      session that outlives it and a will, a 3.1.1 one), so that mutations
//      reach PUBLISH, the QoS flows and routing between them. The input's
//      length chooses, bit by bit, which client sends each packet. Then
//      the first client drops (its will is published), reconnects to its
//      session, and both time out.
// Anything the broker does wrong shows up as a sanitizer report or a failed
// invariant (abort).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/broker/client.h"
#include "brokers/mqtt/broker/metrics.h"
#include "brokers/mqtt/codec/framer.h"
#include "brokers/mqtt/codec/packet.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;
using namespace mockforge::mqtt;

using Tasks = std::deque<std::function<void()>>;

// The connection side of one client: output is counted and checked, close
// and link calls are queued as the session layer posts them.
class FuzzClient final : public Client {
 public:
  FuzzClient(Broker& broker, Tasks& tasks) : Client(broker), tasks_(tasks) {}

  void send_bytes(Bytes bytes) override {
    if (closing) std::abort();  // nothing is written after close_connection
    if (bytes.empty()) std::abort();
    sent += bytes.size();
  }
  void close_connection(std::string) override {
    if (closing) return;
    closing = true;
    tasks_.push_back([self = self_.lock()] {
      if (self) self->finish();
    });
  }
  void set_read_timeout(std::chrono::milliseconds) override {}
  bool congested() const override { return false; }
  std::string peer_address() const override { return "192.0.2.1:1883"; }
  std::shared_ptr<ClientLink> make_link() override;
  void deliver(Delivery delivery) override { make_link()->deliver(std::move(delivery)); }
  void take_over() override { make_link()->take_over(); }
  void session_dropped() override { make_link()->session_dropped(); }
  void adopt(SessionHandOver hand_over) override { make_link()->adopt(std::move(hand_over)); }
  std::shared_ptr<ClientLink> shared() override { return make_link(); }
  // A fault's hold: the input resumes at once, on the task queue.
  void hold_input(std::chrono::milliseconds, std::function<void()> resume) override {
    tasks_.push_back(std::move(resume));
  }
  void run_after(std::chrono::milliseconds, std::function<void()> resume) override {
    tasks_.push_back(std::move(resume));
  }

  void set_self(const std::shared_ptr<FuzzClient>& self) { self_ = self; }
  // The connection is gone (once, as the session layer reports it).
  void finish() {
    if (finished) return;
    finished = true;
    on_closed();
  }

  bool finished = false;

  bool closing = false;
  std::size_t sent = 0;

 private:
  Tasks& tasks_;
  std::weak_ptr<FuzzClient> self_;
  std::shared_ptr<ClientLink> link_;
};

// The broker's handle on a client: runs calls on the client's "strand" (the
// task queue) while it is alive, as MqttProtocol does.
class FuzzLink final : public ClientLink, public std::enable_shared_from_this<FuzzLink> {
 public:
  FuzzLink(Tasks& tasks, std::weak_ptr<Client> client)
      : tasks_(tasks), client_(std::move(client)) {}
  void deliver(Delivery delivery) override {
    tasks_.push_back([c = client_, d = std::move(delivery)]() mutable {
      if (auto alive = c.lock()) alive->deliver_now(std::move(d));
    });
  }
  void take_over() override {
    tasks_.push_back([c = client_] {
      if (auto alive = c.lock()) alive->taken_over();
    });
  }
  void session_dropped() override {
    tasks_.push_back([c = client_] {
      if (auto alive = c.lock()) alive->session_dropped_now();
    });
  }
  void adopt(SessionHandOver hand_over) override {
    tasks_.push_back([c = client_, h = std::move(hand_over)]() mutable {
      if (auto alive = c.lock()) alive->adopt_now(std::move(h));
    });
  }
  std::shared_ptr<ClientLink> shared() override { return shared_from_this(); }
  void registered(std::shared_ptr<storage::Session> session) override {
    if (auto alive = client_.lock()) alive->registered(session);
    id_ = std::string(session->client_id());
  }
  std::string_view registered_id() const override { return id_; }
  ClientInfo describe() const override {
    if (auto alive = client_.lock()) return alive->describe();
    ClientInfo gone;
    gone.client_id = id_;
    return gone;
  }

 private:
  Tasks& tasks_;
  std::weak_ptr<Client> client_;
  std::string id_;
};

std::shared_ptr<ClientLink> FuzzClient::make_link() {
  if (!link_) link_ = std::make_shared<FuzzLink>(tasks_, self_);
  return link_;
}

void pump(Tasks& tasks) {
  // Bounded, in case a task keeps posting others.
  for (int i = 0; i < 100000 && !tasks.empty(); ++i) {
    auto task = std::move(tasks.front());
    tasks.pop_front();
    task();
  }
}

// The metrics are shared by every input (registering their families per
// input was about 4% of its cost); only counters and gauges change in them.
BrokerMetrics& shared_metrics() {
  static metrics::Registry registry;
  static BrokerMetrics metrics{registry, 2};
  return metrics;
}

struct World {
  storage::Engine engine;
  Broker broker;
  Tasks tasks;

  explicit World(BrokerOptions options)
      : broker(std::move(options), engine.retained(), engine.sessions(), &shared_metrics()) {}

  std::shared_ptr<FuzzClient> client() {
    auto client = std::make_shared<FuzzClient>(broker, tasks);
    client->set_self(client);
    return client;
  }
};

// `bytes`: a packet the harness sends itself, encoded once (setup_packets()).
void send_packet(World& world, FuzzClient& client, const Bytes& bytes) {
  if (client.closing) return;
  client.on_frame(bytes);
  pump(world.tasks);
}

// Feeds `stream` to the clients packet by packet; `choose(i)` picks the
// client of packet i. A framing error goes to that client and ends its input.
template <typename Choose>
void feed(World& world, std::span<const uint8_t> stream, std::vector<FuzzClient*> clients,
          Choose choose) {
  // The stream is split into packets once and the packets are dealt out.
  Framer splitter(world.broker.options().maximum_packet_size);
  splitter.feed(stream);
  for (std::size_t index = 0;; ++index) {
    const auto result = splitter.next();
    const std::size_t which = choose(index) % clients.size();
    FuzzClient& client = *clients[which];
    if (result.status == Framer::Status::need_more) break;
    if (result.status == Framer::Status::error) {  // sticky: the stream ends here
      if (!client.closing) client.on_framing_error(result.error);
      pump(world.tasks);
      break;
    }
    if (client.closing) continue;
    client.on_frame(result.packet);
    pump(world.tasks);
  }
}

BrokerOptions fuzz_options() {
  BrokerOptions options;
  options.max_queued_messages = 32;
  options.receive_maximum = 16;
  options.topic_alias_maximum = 8;
  options.maximum_packet_size = 64 * 1024;
  options.sys_interval = std::chrono::milliseconds(0);
  return options;
}

void run_single(std::span<const uint8_t> input) {
  World world(fuzz_options());
  auto client = world.client();
  feed(world, input, {client.get()}, [](std::size_t) { return 0; });
  if (!client->closing) client->on_read_timeout();
  pump(world.tasks);
  client->finish();
  pump(world.tasks);
}

Connect connect_packet(const std::string& id, ProtocolVersion version, bool clean) {
  Connect connect;
  connect.protocol_version = version;
  connect.client_id = id;
  connect.clean_start = clean;
  connect.keep_alive = 30;
  if (is_v5(version)) connect.properties.set(PropertyId::session_expiry_interval, uint32_t{3600});
  Will will;
  will.topic = "will/" + id;
  will.payload = {'g', 'o', 'n', 'e'};
  will.qos = QoS::at_least_once;
  connect.will = will;
  return connect;
}

Subscribe subscribe_packet(uint16_t id, std::vector<std::string> filters) {
  Subscribe subscribe;
  subscribe.packet_id = id;
  for (auto& filter : filters) {
    SubscriptionOptions options;
    options.max_qos = QoS::exactly_once;
    subscribe.subscriptions.push_back({std::move(filter), options});
  }
  return subscribe;
}

// The packets run_pair() sends around the input, encoded once for all inputs.
struct SetupPackets {
  Bytes first_connect =
      encode_packet(connect_packet("first", ProtocolVersion::v5, false), ProtocolVersion::v5);
  Bytes second_connect = encode_packet(connect_packet("second", ProtocolVersion::v3_1_1, true),
                                       ProtocolVersion::v3_1_1);
  Bytes first_subscribe =
      encode_packet(subscribe_packet(1, {"#", "$share/g/a/+"}), ProtocolVersion::v5);
  Bytes second_subscribe = encode_packet(subscribe_packet(1, {"a/#", "$share/g/a/+", "will/#"}),
                                         ProtocolVersion::v3_1_1);
};

const SetupPackets& setup_packets() {
  static const SetupPackets packets;
  return packets;
}

void run_pair(std::span<const uint8_t> input) {
  const auto schedule = static_cast<uint8_t>(input.size());
  const SetupPackets& setup = setup_packets();
  World world(fuzz_options());
  auto first = world.client();
  auto second = world.client();
  send_packet(world, *first, setup.first_connect);
  send_packet(world, *second, setup.second_connect);
  send_packet(world, *first, setup.first_subscribe);
  send_packet(world, *second, setup.second_subscribe);

  feed(world, input, {first.get(), second.get()},
       [schedule](std::size_t index) { return (schedule >> (index % 8)) & 1; });

  // The first client drops without DISCONNECT and comes back to its session.
  first->finish();
  pump(world.tasks);
  auto again = world.client();
  send_packet(world, *again, setup.first_connect);
  for (auto* client : {again.get(), second.get()}) {
    if (!client->closing) client->on_read_timeout();
    pump(world.tasks);
  }
  for (auto* client : {again.get(), second.get()}) {
    client->finish();
    pump(world.tasks);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  const std::span<const uint8_t> input(data, size);
  run_single(input);
  run_pair(input);
  return 0;
}
