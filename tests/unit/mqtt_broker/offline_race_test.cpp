// A persistent-session client connecting while a publisher routes to it: every QoS 1
// message reaches the new connection or its offline queue before the connect takes it,
// never the queue of a client that is already connected (where it would wait for the
// next reconnect). Threads as in the server: the publisher and the connecting client
// call the broker at the same time.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "brokers/mqtt/broker/broker.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::mqtt {
namespace {

// Records what the broker hands to a connection, from any thread.
struct RecordingLink : ClientLink, std::enable_shared_from_this<RecordingLink> {
  void deliver(Delivery delivery) override {
    std::lock_guard lock(mutex);
    got.emplace_back(delivery.message->payload->begin(), delivery.message->payload->end());
  }
  void take_over() override {}
  void session_dropped() override {}
  void adopt(SessionHandOver) override {}
  std::shared_ptr<ClientLink> shared() override { return shared_from_this(); }
  void registered(std::shared_ptr<storage::Session> registered_session) override {
    session = std::move(registered_session);
    id = std::string(session->client_id());
  }
  std::string_view registered_id() const override { return id; }
  ClientInfo describe() const override { return {}; }

  std::mutex mutex;
  std::vector<std::string> got;  // in delivery order
  std::shared_ptr<storage::Session> session;
  std::string id;
};

// One publisher, one subscriber connecting and disconnecting over and over: in MQTT a
// session receives one publisher's QoS 1 messages in order. A message that waited in the
// offline queue of a connected client would come with the next connection, after later
// ones: out of order.
TEST(MqttOfflineRace, AClientReconnectingUnderAPublisherGetsEveryMessageInOrder) {
  metrics::Registry registry;
  storage::Engine engine;
  BrokerMetrics metrics(registry, 1);
  BrokerOptions options;
  options.max_queued_messages = 1000000;
  Broker broker(options, engine.retained(), engine.sessions(), &metrics);
  const std::string id = "racer";
  std::vector<std::shared_ptr<RecordingLink>> links;
  std::vector<std::vector<storage::OfflineMessage>> queued;
  auto connect = [&] {
    links.push_back(std::make_shared<RecordingLink>());
    auto connected = broker.connect(id, /*clean_start=*/false, 3600, links.back());
    queued.push_back(std::move(connected.queued));
    return connected.session;
  };
  {
    auto session = connect();
    storage::SubscriptionOptions at_least_once;
    at_least_once.qos = 1;
    broker.subscribe(id, "t", at_least_once);
    broker.disconnected(id, links.back().get(), session.get(), 3600, {}, std::nullopt);
  }
  constexpr int kMessages = 100000;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int i = 0; i < kMessages; ++i) {
      Message message;
      message.topic = "t";
      const std::string text = std::to_string(i);
      message.payload = std::make_shared<const Bytes>(text.begin(), text.end());
      message.qos = QoS::at_least_once;
      broker.publish_from_client(message);
    }
    done.store(true);
  });
  for (int round = 0; !done.load(); ++round) {
    auto session = connect();
    // A different moment in the publisher's run each time.
    std::atomic<int> spin{0};
    while (spin.fetch_add(1) < round * 37 % 500) {
    }
    broker.disconnected(id, links.back().get(), session.get(), 3600, {}, std::nullopt);
  }
  publisher.join();
  connect();
  // Each connection's queue, then what was routed to it while connected.
  std::vector<int> received;
  for (std::size_t i = 0; i < links.size(); ++i) {
    for (const auto& message : queued[i]) {
      received.push_back(std::stoi(std::string(message.payload->begin(), message.payload->end())));
    }
    std::lock_guard lock(links[i]->mutex);
    for (const auto& text : links[i]->got) received.push_back(std::stoi(text));
  }
  ASSERT_EQ(received.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) ASSERT_EQ(received[i], i) << links.size() << " connections";
}

}  // namespace
}  // namespace mockforge::mqtt
