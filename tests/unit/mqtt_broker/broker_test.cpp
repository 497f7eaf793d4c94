// The MQTT broker core driven without sockets: packets in through Client,
// packets out collected per client. Cross-client deliveries are queued and
// run by pump(), as the session layer posts them onto the target strand.

#include "brokers/mqtt/broker/broker.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "brokers/mqtt/broker/client.h"
#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::mqtt {
namespace {

using Tasks = std::deque<std::function<void()>>;

class TestClient;

// The Client under test, its connection side forwarded to a TestClient.
class ClientUnderTest final : public Client {
 public:
  ClientUnderTest(Broker& broker, TestClient& owner) : Client(broker), owner_(owner) {}
  void send_bytes(Bytes bytes) override;
  void close_connection(std::string reason) override;
  void set_read_timeout(std::chrono::milliseconds timeout) override;
  bool congested() const override;
  void notify_when_drained() override;
  std::string peer_address() const override { return "192.0.2.1:5555"; }
  // Held input resumes when the test runs its tasks.
  void hold_input(std::chrono::milliseconds delay, std::function<void()> resume) override;
  // A delivery pause ends when the test runs its tasks.
  void run_after(std::chrono::milliseconds delay, std::function<void()> resume) override;
  std::shared_ptr<ClientLink> make_link() override;
  // ClientLink: through the test's link (make_link()).
  void deliver(Delivery delivery) override;
  void take_over() override;
  void session_dropped() override;
  void adopt(SessionHandOver hand_over) override;
  std::shared_ptr<ClientLink> shared() override { return make_link(); }

 private:
  TestClient& owner_;
};

class TestClient {
 public:
  TestClient(Broker& broker, Tasks& tasks, ProtocolVersion version)
      : tasks_(tasks),
        version_(version),
        client_(std::make_shared<ClientUnderTest>(broker, *this)) {}

  // The connection side.
  void send(Bytes bytes) {
    auto decoded = decode_packet(bytes, version_);
    ASSERT_TRUE(decoded) << decoded.error().message;
    received.push_back(std::move(decoded.value()));
  }
  void close(std::string reason) {
    if (closed) return;
    closed = true;
    close_reason = std::move(reason);
    tasks_.push_back([client = client_] { client->on_closed(); });
  }
  void set_read_timeout(std::chrono::milliseconds timeout) { read_timeout = timeout; }
  void hold(std::function<void()> resume) {
    tasks_.push_back([closed = &closed, resume = std::move(resume)] {
      if (!*closed) resume();
    });
  }
  bool congested() const { return congested_output; }
  std::shared_ptr<ClientLink> make_link() {
    struct Link : ClientLink, std::enable_shared_from_this<Link> {
      Tasks& tasks;
      std::weak_ptr<Client> client;
      Link(Tasks& t, std::weak_ptr<Client> c) : tasks(t), client(std::move(c)) {}
      void deliver(Delivery delivery) override {
        tasks.push_back([c = client, d = std::move(delivery)]() mutable {
          if (auto alive = c.lock()) alive->deliver_now(std::move(d));
        });
      }
      void take_over() override {
        tasks.push_back([c = client] {
          if (auto alive = c.lock()) alive->taken_over();
        });
      }
      void session_dropped() override {
        tasks.push_back([c = client] {
          if (auto alive = c.lock()) alive->session_dropped_now();
        });
      }
      std::shared_ptr<ClientLink> shared() override { return shared_from_this(); }
      // The client's own (Client implements them), kept here since the
      // broker reads the id after the client may be gone.
      void registered(std::shared_ptr<storage::Session> session) override {
        if (auto alive = client.lock()) alive->registered(session);
        id = std::string(session->client_id());
      }
      std::string_view registered_id() const override { return id; }
      ClientInfo describe() const override {
        auto alive = client.lock();
        if (alive) return alive->describe();
        ClientInfo gone;
        gone.client_id = id;
        return gone;
      }
      std::string id;
      void adopt(SessionHandOver hand_over) override {
        tasks.push_back([c = client, h = std::move(hand_over)]() mutable {
          if (auto alive = c.lock()) alive->adopt_now(std::move(h));
        });
      }
    };
    // The same link every time (ClientIo::make_link).
    if (!link_) link_ = std::make_shared<Link>(tasks_, client_);
    return link_;
  }

  void packet(const Packet& packet) {
    if (closed) return;
    const Bytes bytes = encode_packet(packet, version_);
    client_->on_frame(bytes);
  }
  void raw(const Bytes& bytes) { client_->on_frame(bytes); }

  template <typename T>
  std::vector<T> take() {
    std::vector<T> out;
    std::vector<Packet> rest;
    for (auto& packet : received) {
      if (auto* typed = std::get_if<T>(&packet)) {
        out.push_back(*typed);
      } else {
        rest.push_back(std::move(packet));
      }
    }
    received = std::move(rest);
    return out;
  }

  std::vector<Packet> received;
  bool congested_output = false;
  bool drain_asked = false;  // notify_when_drained() was called
  // The congested output was written: what the connection then tells the client.
  void drained() {
    congested_output = false;
    if (std::exchange(drain_asked, false)) client_->on_output_drained();
  }
  bool closed = false;
  std::string close_reason;
  std::chrono::milliseconds read_timeout{0};
  Client& client() { return *client_; }

 private:
  Tasks& tasks_;
  ProtocolVersion version_;
  std::shared_ptr<Client> client_;
  std::shared_ptr<ClientLink> link_;
};

void ClientUnderTest::send_bytes(Bytes bytes) { owner_.send(std::move(bytes)); }
void ClientUnderTest::close_connection(std::string reason) { owner_.close(std::move(reason)); }
void ClientUnderTest::set_read_timeout(std::chrono::milliseconds timeout) {
  owner_.set_read_timeout(timeout);
}
bool ClientUnderTest::congested() const { return owner_.congested(); }
void ClientUnderTest::notify_when_drained() { owner_.drain_asked = true; }
void ClientUnderTest::hold_input(std::chrono::milliseconds, std::function<void()> resume) {
  owner_.hold(std::move(resume));
}
void ClientUnderTest::run_after(std::chrono::milliseconds, std::function<void()> resume) {
  owner_.hold(std::move(resume));
}
std::shared_ptr<ClientLink> ClientUnderTest::make_link() { return owner_.make_link(); }
void ClientUnderTest::deliver(Delivery delivery) { make_link()->deliver(std::move(delivery)); }
void ClientUnderTest::take_over() { make_link()->take_over(); }
void ClientUnderTest::session_dropped() { make_link()->session_dropped(); }
void ClientUnderTest::adopt(SessionHandOver hand_over) { make_link()->adopt(std::move(hand_over)); }

class MqttBrokerTest : public ::testing::Test {
 protected:
  MqttBrokerTest() { make_broker({}); }

  void make_broker(BrokerOptions options) {
    clients_.clear();
    broker_.reset();
    metrics_ = std::make_unique<BrokerMetrics>(registry_, 1);
    broker_ =
        std::make_unique<Broker>(options, engine_.retained(), engine_.sessions(), metrics_.get());
  }

  TestClient& client(ProtocolVersion version = ProtocolVersion::v5) {
    clients_.push_back(std::make_unique<TestClient>(*broker_, tasks_, version));
    return *clients_.back();
  }

  Connack connect(TestClient& client, const std::string& id, bool clean = true,
                  ProtocolVersion version = ProtocolVersion::v5, Properties properties = {},
                  std::optional<Will> will = std::nullopt) {
    Connect connect;
    connect.protocol_version = version;
    connect.client_id = id;
    connect.clean_start = clean;
    connect.keep_alive = 30;
    connect.properties = std::move(properties);
    connect.will = std::move(will);
    client.packet(connect);
    pump();
    auto connacks = client.take<Connack>();
    EXPECT_EQ(connacks.size(), 1u);
    return connacks.empty() ? Connack{} : connacks.front();
  }

  void subscribe(TestClient& client, const std::string& filter, QoS qos,
                 std::optional<uint32_t> id = std::nullopt, SubscriptionOptions options = {}) {
    Subscribe subscribe;
    subscribe.packet_id = next_id_++;
    options.max_qos = qos;
    subscribe.subscriptions.push_back({filter, options});
    if (id) subscribe.properties.set(PropertyId::subscription_identifier, *id);
    client.packet(subscribe);
    pump();
    auto subacks = client.take<Suback>();
    ASSERT_EQ(subacks.size(), 1u);
    EXPECT_EQ(subacks[0].reason_codes.size(), 1u);
  }

  void publish(TestClient& client, const std::string& topic, const std::string& payload,
               QoS qos = QoS::at_most_once, bool retain = false, uint16_t packet_id = 0) {
    Publish publish;
    publish.topic_name = topic;
    publish.payload.assign(payload.begin(), payload.end());
    publish.qos = qos;
    publish.retain = retain;
    publish.packet_id = qos == QoS::at_most_once ? 0 : (packet_id ? packet_id : next_id_++);
    client.packet(publish);
    pump();
  }

  void pump() {
    while (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }

  static std::string text(const Publish& publish) {
    return std::string(publish.payload.begin(), publish.payload.end());
  }

  metrics::Registry registry_;
  storage::Engine engine_;
  std::unique_ptr<BrokerMetrics> metrics_;
  std::unique_ptr<Broker> broker_;
  Tasks tasks_;
  std::vector<std::unique_ptr<TestClient>> clients_;
  uint16_t next_id_ = 1;
};

TEST_F(MqttBrokerTest, V5EmptyClientIdIsAssigned) {
  auto& c = client();
  const Connack connack = connect(c, "");
  EXPECT_EQ(connack.reason_code, ReasonCode::success);
  auto assigned = connack.properties.string(PropertyId::assigned_client_identifier);
  ASSERT_TRUE(assigned);
  EXPECT_FALSE(assigned->empty());
  EXPECT_EQ(c.read_timeout, std::chrono::milliseconds(45000));  // 1.5 x keep alive
}

TEST_F(MqttBrokerTest, V311EmptyClientIdWithoutCleanSessionIsRejected) {
  auto& c = client(ProtocolVersion::v3_1_1);
  const Connack connack = connect(c, "", false, ProtocolVersion::v3_1_1);
  EXPECT_EQ(to_v3_connect_return_code(connack.reason_code), ConnectReturnCode::identifier_rejected);
  EXPECT_TRUE(c.closed);
}

TEST_F(MqttBrokerTest, FirstPacketNotConnectCloses) {
  auto& c = client();
  c.packet(PingReq{});
  EXPECT_TRUE(c.closed);
  EXPECT_TRUE(c.received.empty());
}

TEST_F(MqttBrokerTest, SecondConnectIsProtocolError) {
  auto& c = client();
  connect(c, "a");
  Connect again;
  again.protocol_version = ProtocolVersion::v5;
  again.client_id = "a";
  c.packet(again);
  auto disconnects = c.take<Disconnect>();
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].reason_code, ReasonCode::protocol_error);
  EXPECT_TRUE(c.closed);
}

TEST_F(MqttBrokerTest, MalformedPacketAfterConnectGetsDisconnect0x81) {
  auto& c = client();
  connect(c, "a");
  c.raw({0x82, 0x02, 0x00, 0x01});  // SUBSCRIBE without properties or filters
  auto disconnects = c.take<Disconnect>();
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].reason_code, ReasonCode::malformed_packet);
}

TEST_F(MqttBrokerTest, TakeoverDisconnectsOldConnectionWith0x8E) {
  auto& first = client();
  connect(first, "same");
  auto& second = client();
  connect(second, "same");
  auto disconnects = first.take<Disconnect>();
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].reason_code, ReasonCode::session_taken_over);
  EXPECT_TRUE(first.closed);
  EXPECT_FALSE(second.closed);
  EXPECT_EQ(broker_->connected_clients(), 1u);
}

TEST_F(MqttBrokerTest, TakeoverHandsUnackedMessagesToTheNewConnection) {
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& first = client();
  connect(first, "same", true, ProtocolVersion::v5, expiry);
  subscribe(first, "t", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "unacked", QoS::at_least_once);
  auto sent = first.take<Publish>();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].dup);
  auto& second = client();
  const Connack connack = connect(second, "same", false, ProtocolVersion::v5, expiry);
  EXPECT_TRUE(connack.session_present);
  auto got = second.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "unacked");
  // The same message: same packet id, DUP set [MQTT-4.4.0-1].
  EXPECT_TRUE(got[0].dup);
  EXPECT_EQ(got[0].packet_id, sent[0].packet_id);
  // Acknowledging it completes the flow; a new message gets a fresh id.
  PubAck ack;
  ack.packet_id = got[0].packet_id;
  second.packet(ack);
  publish(pub, "t", "next", QoS::at_least_once);
  auto next = second.take<Publish>();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_FALSE(next[0].dup);
}

TEST_F(MqttBrokerTest, TakeoverHoldsNewQos1UntilTheHandOverArrives) {
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& first = client();
  connect(first, "same", true, ProtocolVersion::v5, expiry);
  subscribe(first, "t", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "one", QoS::at_least_once);
  ASSERT_EQ(first.take<Publish>().size(), 1u);
  // The new CONNECT is handled, and a message routed, before the old
  // connection has closed (no pump() in between).
  auto& second = client();
  Connect again;
  again.protocol_version = ProtocolVersion::v5;
  again.client_id = "same";
  again.clean_start = false;
  again.properties = expiry;
  second.packet(again);
  Publish two;
  two.topic_name = "t";
  two.qos = QoS::at_least_once;
  two.packet_id = 77;
  const std::string payload = "two";
  two.payload.assign(payload.begin(), payload.end());
  pub.packet(two);
  EXPECT_TRUE(second.take<Publish>().empty());
  pump();
  auto got = second.take<Publish>();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(text(got[0]), "one");
  EXPECT_TRUE(got[0].dup);
  EXPECT_EQ(text(got[1]), "two");
  EXPECT_FALSE(got[1].dup);
  EXPECT_NE(got[0].packet_id, got[1].packet_id);
}

TEST_F(MqttBrokerTest, PublishRoutesWithQosDowngradeAndWildcards) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "a/+/c", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "a/b/c", "hello", QoS::exactly_once);
  auto pubrecs = pub.take<PubRec>();
  ASSERT_EQ(pubrecs.size(), 1u);
  EXPECT_EQ(pubrecs[0].reason_code, ReasonCode::success);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].qos, QoS::at_least_once);
  EXPECT_EQ(text(got[0]), "hello");
  publish(pub, "a/b/d", "no");
  EXPECT_TRUE(sub.take<Publish>().empty());
}

TEST_F(MqttBrokerTest, OverlappingSubscriptionsGiveOneMessageWithAllIdentifiers) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "x/#", QoS::at_most_once, 7);
  subscribe(sub, "x/y", QoS::at_least_once, 9);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "x/y", "m", QoS::exactly_once);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].qos, QoS::at_least_once);
  auto ids = got[0].properties.subscription_identifiers();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{7, 9}));
}

TEST_F(MqttBrokerTest, Qos2DuplicateIsNotDeliveredTwice) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "t", QoS::exactly_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "once", QoS::exactly_once, false, 42);
  publish(pub, "t", "once", QoS::exactly_once, false, 42);  // resent before PUBREL
  EXPECT_EQ(pub.take<PubRec>().size(), 2u);
  EXPECT_EQ(sub.take<Publish>().size(), 1u);
  PubRel pubrel;
  pubrel.packet_id = 42;
  pub.packet(pubrel);
  auto pubcomps = pub.take<PubComp>();
  ASSERT_EQ(pubcomps.size(), 1u);
  EXPECT_EQ(pubcomps[0].reason_code, ReasonCode::success);
}

TEST_F(MqttBrokerTest, OutboundQos2FlowCompletes) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "t", QoS::exactly_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "x", QoS::exactly_once);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  PubRec pubrec;
  pubrec.packet_id = got[0].packet_id;
  sub.packet(pubrec);
  auto pubrels = sub.take<PubRel>();
  ASSERT_EQ(pubrels.size(), 1u);
  EXPECT_EQ(pubrels[0].packet_id, got[0].packet_id);
}

TEST_F(MqttBrokerTest, RetainedDeliveredOnSubscribeAndClearedByEmptyPayload) {
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "r/1", "kept", QoS::at_least_once, true);
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "r/#", QoS::at_least_once);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].retain);
  EXPECT_EQ(text(got[0]), "kept");
  publish(pub, "r/1", "", QoS::at_most_once, true);
  EXPECT_EQ(engine_.retained().size(), 0u);
  // The live subscriber gets the clearing message too, without retain flag.
  auto live = sub.take<Publish>();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_FALSE(live[0].retain);
}

TEST_F(MqttBrokerTest, RetainHandlingOneSendsOnlyForNewSubscription) {
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "r", "v", QoS::at_most_once, true);
  auto& sub = client();
  connect(sub, "sub");
  SubscriptionOptions options;
  options.retain_handling = RetainHandling::send_at_new_subscribe;
  subscribe(sub, "r", QoS::at_most_once, std::nullopt, options);
  EXPECT_EQ(sub.take<Publish>().size(), 1u);
  subscribe(sub, "r", QoS::at_most_once, std::nullopt, options);
  EXPECT_EQ(sub.take<Publish>().size(), 0u);
}

TEST_F(MqttBrokerTest, NoLocalSkipsOwnMessages) {
  auto& c = client();
  connect(c, "me");
  SubscriptionOptions options;
  options.no_local = true;
  subscribe(c, "t", QoS::at_most_once, std::nullopt, options);
  publish(c, "t", "mine");
  EXPECT_TRUE(c.take<Publish>().empty());
  // The own No Local subscription still counts as a match, as in Mosquitto:
  // PUBACK 0x00, where a topic nobody subscribes to gets 0x10.
  publish(c, "t", "mine", QoS::at_least_once);
  publish(c, "nobody", "mine", QoS::at_least_once);
  auto acks = c.take<PubAck>();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].reason_code, ReasonCode::success);
  EXPECT_EQ(acks[1].reason_code, ReasonCode::no_matching_subscribers);
  EXPECT_TRUE(c.take<Publish>().empty());
}

TEST_F(MqttBrokerTest, PersistentSessionQueuesOfflineAndRedeliversInflightWithDup) {
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& sub = client();
  connect(sub, "durable", true, ProtocolVersion::v5, expiry);
  subscribe(sub, "q", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "q", "inflight", QoS::at_least_once);
  ASSERT_EQ(sub.take<Publish>().size(), 1u);  // not acknowledged
  sub.packet(Disconnect{});
  pump();
  publish(pub, "q", "queued", QoS::at_least_once);
  publish(pub, "q", "lost", QoS::at_most_once);  // QoS 0 is not queued
  auto& again = client();
  const Connack connack = connect(again, "durable", false, ProtocolVersion::v5, expiry);
  EXPECT_TRUE(connack.session_present);
  auto got = again.take<Publish>();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(text(got[0]), "inflight");
  EXPECT_TRUE(got[0].dup);
  EXPECT_EQ(text(got[1]), "queued");
  EXPECT_FALSE(got[1].dup);
}

TEST_F(MqttBrokerTest, CleanStartDiscardsSession) {
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& sub = client();
  connect(sub, "s", true, ProtocolVersion::v5, expiry);
  subscribe(sub, "q", QoS::at_least_once);
  sub.packet(Disconnect{});
  pump();
  auto& again = client();
  EXPECT_FALSE(connect(again, "s", true).session_present);
  EXPECT_EQ(broker_->subscription_count(), 0u);
}

TEST_F(MqttBrokerTest, OfflineQueueCapCountsDrops) {
  BrokerOptions options;
  options.max_queued_messages = 2;
  make_broker(options);
  auto& sub = client(ProtocolVersion::v3_1_1);
  connect(sub, "s", false, ProtocolVersion::v3_1_1);
  subscribe(sub, "q", QoS::at_least_once);
  sub.packet(Disconnect{});
  pump();
  auto& pub = client();
  connect(pub, "pub");
  for (int i = 0; i < 5; ++i) publish(pub, "q", std::to_string(i), QoS::at_least_once);
  EXPECT_EQ(engine_.sessions().find("s")->offline_count(), 2u);
  EXPECT_NE(registry_.render().find("mqtt_messages_dropped_total{reason=\"queue_full\"} 3"),
            std::string::npos);
}

TEST_F(MqttBrokerTest, WillSentOnAbnormalCloseNotOnNormalDisconnect) {
  auto& watcher = client();
  connect(watcher, "watcher");
  subscribe(watcher, "wills/#", QoS::at_most_once);
  Will will;
  will.topic = "wills/a";
  will.payload = {'g', 'o', 'n', 'e'};
  auto& a = client();
  connect(a, "a", true, ProtocolVersion::v5, {}, will);
  a.packet(Disconnect{});
  pump();
  EXPECT_TRUE(watcher.take<Publish>().empty());

  auto& b = client();
  will.topic = "wills/b";
  connect(b, "b", true, ProtocolVersion::v5, {}, will);
  b.client().on_read_timeout();  // keep alive expired
  pump();
  auto got = watcher.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic_name, "wills/b");
  auto disconnects = b.take<Disconnect>();
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].reason_code, ReasonCode::keep_alive_timeout);
}

TEST_F(MqttBrokerTest, DelayedWillIsCancelledByReconnect) {
  auto& watcher = client();
  connect(watcher, "watcher");
  subscribe(watcher, "w", QoS::at_most_once);
  Will will;
  will.topic = "w";
  will.properties.set(PropertyId::will_delay_interval, uint32_t{60});
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& a = client();
  connect(a, "a", true, ProtocolVersion::v5, expiry, will);
  a.client().on_read_timeout();
  pump();
  broker_->tick(storage::Clock::now());
  EXPECT_TRUE(watcher.take<Publish>().empty());
  auto& again = client();
  connect(again, "a", false, ProtocolVersion::v5, expiry);
  broker_->tick(storage::Clock::now() + std::chrono::seconds(120));
  EXPECT_TRUE(watcher.take<Publish>().empty());
}

TEST_F(MqttBrokerTest, DelayedWillFiresWhenDelayEnds) {
  auto& watcher = client();
  connect(watcher, "watcher");
  subscribe(watcher, "w", QoS::at_most_once);
  Will will;
  will.topic = "w";
  will.properties.set(PropertyId::will_delay_interval, uint32_t{60});
  Properties expiry{{PropertyId::session_expiry_interval, uint32_t{300}}};
  auto& a = client();
  connect(a, "a", true, ProtocolVersion::v5, expiry, will);
  a.client().on_read_timeout();
  pump();
  broker_->tick(storage::Clock::now() + std::chrono::seconds(61));
  pump();
  EXPECT_EQ(watcher.take<Publish>().size(), 1u);
}

TEST_F(MqttBrokerTest, SharedSubscriptionRoundRobin) {
  auto& one = client();
  connect(one, "one");
  subscribe(one, "$share/g/jobs", QoS::at_most_once);
  auto& two = client();
  connect(two, "two");
  subscribe(two, "$share/g/jobs", QoS::at_most_once);
  auto& pub = client();
  connect(pub, "pub");
  for (int i = 0; i < 4; ++i) publish(pub, "jobs", std::to_string(i));
  EXPECT_EQ(one.take<Publish>().size(), 2u);
  EXPECT_EQ(two.take<Publish>().size(), 2u);
}

// Found by tests/differential (corpus mqtt-shared-and-plain.json): a shared subscription
// is a subscription of its own, so it is not merged with the client's plain ones.
TEST_F(MqttBrokerTest, SharedAndPlainSubscriptionOfOneClientGiveTwoCopies) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "#", QoS::at_most_once);
  subscribe(sub, "$share/g/jobs/+", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "jobs/1", "m", QoS::exactly_once);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 2u);
  std::vector<QoS> levels{got[0].qos, got[1].qos};
  std::sort(levels.begin(), levels.end());
  EXPECT_EQ(levels, (std::vector<QoS>{QoS::at_most_once, QoS::at_least_once}));
  publish(pub, "other", "m");
  EXPECT_EQ(sub.take<Publish>().size(), 1u);
}

TEST_F(MqttBrokerTest, TopicAliasInbound) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "long/topic", QoS::at_most_once);
  auto& pub = client();
  connect(pub, "pub");
  Publish first;
  first.topic_name = "long/topic";
  first.properties.set(PropertyId::topic_alias, uint32_t{3});
  first.payload = {'1'};
  pub.packet(first);
  Publish second;
  second.properties.set(PropertyId::topic_alias, uint32_t{3});
  second.payload = {'2'};
  pub.packet(second);
  pump();
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].topic_name, "long/topic");
  EXPECT_FALSE(got[1].properties.contains(PropertyId::topic_alias));
}

TEST_F(MqttBrokerTest, ReceiveMaximumExceededDisconnects0x93) {
  BrokerOptions options;
  options.receive_maximum = 1;
  make_broker(options);
  auto& pub = client();
  const Connack connack = connect(pub, "pub");
  EXPECT_EQ(connack.properties.integer(PropertyId::receive_maximum), 1u);
  publish(pub, "t", "1", QoS::exactly_once);
  publish(pub, "t", "2", QoS::exactly_once);
  auto disconnects = pub.take<Disconnect>();
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].reason_code, ReasonCode::receive_maximum_exceeded);
}

TEST_F(MqttBrokerTest, ClientReceiveMaximumHoldsBackDeliveries) {
  auto& sub = client();
  connect(sub, "sub", true, ProtocolVersion::v5,
          Properties{{PropertyId::receive_maximum, uint32_t{1}}});
  subscribe(sub, "t", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "1", QoS::at_least_once);
  publish(pub, "t", "2", QoS::at_least_once);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  PubAck ack;
  ack.packet_id = got[0].packet_id;
  sub.packet(ack);
  got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "2");
}

TEST_F(MqttBrokerTest, AuthMethodIsRefusedWith0x8C) {
  auto& c = client();
  const Connack connack =
      connect(c, "a", true, ProtocolVersion::v5,
              Properties{{PropertyId::authentication_method, std::string("SCRAM-SHA-1")}});
  EXPECT_EQ(connack.reason_code, ReasonCode::bad_authentication_method);
  EXPECT_TRUE(c.closed);
}

TEST_F(MqttBrokerTest, PayloadFormatInvalidIsRefused) {
  auto& pub = client();
  connect(pub, "pub");
  Publish publish;
  publish.topic_name = "t";
  publish.qos = QoS::at_least_once;
  publish.packet_id = 5;
  publish.properties.set(PropertyId::payload_format_indicator, uint32_t{1});
  publish.payload = {0xC3, 0x28};
  pub.packet(publish);
  auto acks = pub.take<PubAck>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason_code, ReasonCode::payload_format_invalid);
}

TEST_F(MqttBrokerTest, MessageExpiryDecrementsAndPropertiesPassThrough) {
  auto& sub = client();
  connect(sub, "sub");
  subscribe(sub, "t", QoS::at_most_once);
  auto& pub = client();
  connect(pub, "pub");
  Publish publish;
  publish.topic_name = "t";
  publish.properties.set(PropertyId::message_expiry_interval, uint32_t{100});
  publish.properties.set(PropertyId::content_type, std::string("text/plain"));
  publish.properties.set(PropertyId::response_topic, std::string("reply"));
  publish.properties.add_user_property("k", "v");
  pub.packet(publish);
  pump();
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LE(got[0].properties.integer(PropertyId::message_expiry_interval).value_or(0), 100u);
  EXPECT_EQ(got[0].properties.string(PropertyId::content_type), "text/plain");
  EXPECT_EQ(got[0].properties.string(PropertyId::response_topic), "reply");
  ASSERT_EQ(got[0].properties.user_properties().size(), 1u);
}

TEST_F(MqttBrokerTest, DisabledWildcardsAndSharedAreRefusedInSuback) {
  BrokerOptions options;
  options.wildcard_subscription_available = false;
  options.shared_subscription_available = false;
  make_broker(options);
  auto& c = client();
  const Connack connack = connect(c, "c");
  EXPECT_EQ(connack.properties.integer(PropertyId::wildcard_subscription_available), 0u);
  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back({"a/#", {}});
  subscribe.subscriptions.push_back({"$share/g/a", {}});
  subscribe.subscriptions.push_back({"a/b", {}});
  c.packet(subscribe);
  auto subacks = c.take<Suback>();
  ASSERT_EQ(subacks.size(), 1u);
  EXPECT_EQ(subacks[0].reason_codes,
            (std::vector<ReasonCode>{ReasonCode::wildcard_subscriptions_not_supported,
                                     ReasonCode::shared_subscriptions_not_supported,
                                     ReasonCode::granted_qos_0}));
}

TEST_F(MqttBrokerTest, ResetDropsSessionsAndSubscriptions) {
  engine_.mark_initial_state();
  auto& sub = client(ProtocolVersion::v3_1_1);
  connect(sub, "s", false, ProtocolVersion::v3_1_1);
  subscribe(sub, "q", QoS::at_least_once);
  EXPECT_EQ(broker_->subscription_count(), 1u);
  engine_.reset();
  broker_->reset();
  EXPECT_EQ(broker_->subscription_count(), 0u);
}

TEST_F(MqttBrokerTest, CongestedSubscriberDropsQos0AndCountsIt) {
  auto& sub = client();
  connect(sub, "slow");
  subscribe(sub, "t", QoS::at_least_once);
  sub.congested_output = true;
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "dropped");
  publish(pub, "t", "kept", QoS::at_least_once);
  // QoS 1 waits for the output to be written (next test).
  EXPECT_TRUE(sub.take<Publish>().empty());
  sub.drained();
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "kept");
  EXPECT_NE(registry_.render().find("mqtt_messages_dropped_total{reason=\"slow_subscriber\"} 1"),
            std::string::npos);
}

TEST_F(MqttBrokerTest, CongestedSubscriberQueuesQos1InOrderUpToTheCapUntilDrained) {
  // A subscriber that does not read (3.1.1: no Receive Maximum of its own):
  // QoS 1 deliveries wait in its backlog, not in the connection's output,
  // up to max_queued_messages; later ones are dropped, as Mosquitto does.
  BrokerOptions options;
  options.max_queued_messages = 3;
  make_broker(options);
  auto& sub = client(ProtocolVersion::v3_1_1);
  connect(sub, "slow", true, ProtocolVersion::v3_1_1);
  subscribe(sub, "t", QoS::at_least_once);
  auto& pub = client();
  connect(pub, "pub");
  publish(pub, "t", "0", QoS::at_least_once);
  ASSERT_EQ(sub.take<Publish>().size(), 1u);  // not congested yet
  sub.congested_output = true;
  for (int i = 1; i <= 5; ++i) publish(pub, "t", std::to_string(i), QoS::at_least_once);
  pump();
  EXPECT_TRUE(sub.take<Publish>().empty());
  EXPECT_TRUE(sub.drain_asked);
  EXPECT_NE(registry_.render().find("mqtt_messages_dropped_total{reason=\"queue_full\"} 2"),
            std::string::npos);
  sub.drained();
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(text(got[i]), std::to_string(i + 1));
  // A new one, once drained, goes straight out.
  publish(pub, "t", "6", QoS::at_least_once);
  got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "6");
}

Connack connect_as(TestClient& client, const std::string& id, std::optional<std::string> user,
                   std::optional<std::string> password, ProtocolVersion version,
                   std::vector<Packet>* rest = nullptr) {
  Connect connect;
  connect.protocol_version = version;
  connect.client_id = id;
  connect.keep_alive = 30;
  connect.user_name = std::move(user);
  if (password) connect.password = Bytes(password->begin(), password->end());
  client.packet(connect);
  auto connacks = client.take<Connack>();
  if (rest) *rest = client.received;
  EXPECT_EQ(connacks.size(), 1u);
  return connacks.empty() ? Connack{} : connacks.front();
}

class MqttAuthTest : public MqttBrokerTest {
 protected:
  MqttAuthTest() {
    BrokerOptions options;
    options.auth_enabled = true;
    options.users = {{"alice", "secret"}, {"bob", "pw"}};
    options.acl =
        std::make_shared<AccessControl>(AccessControl::parse("user alice\n"
                                                             "topic readwrite sensors/#\n"
                                                             "topic deny sensors/secret\n"
                                                             "user bob\n"
                                                             "topic read sensors/#\n"
                                                             "pattern write clients/%c/#\n",
                                                             "test"));
    make_broker(options);
  }
};

TEST_F(MqttAuthTest, CredentialsAreChecked) {
  EXPECT_EQ(connect_as(client(), "a", "alice", "secret", ProtocolVersion::v5).reason_code,
            ReasonCode::success);
  auto& wrong = client();
  EXPECT_EQ(connect_as(wrong, "b", "alice", "nope", ProtocolVersion::v5).reason_code,
            ReasonCode::bad_user_name_or_password);
  EXPECT_TRUE(wrong.closed);
  EXPECT_EQ(connect_as(client(), "c", "mallory", "x", ProtocolVersion::v5).reason_code,
            ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(connect_as(client(), "d", std::nullopt, std::nullopt, ProtocolVersion::v5).reason_code,
            ReasonCode::not_authorized);
  EXPECT_EQ(connect_as(client(), "e", "bob", std::nullopt, ProtocolVersion::v5).reason_code,
            ReasonCode::bad_user_name_or_password);
  // 3.1.1: return code 0x05 (Not authorized) for both, as Mosquitto answers.
  auto& old = client(ProtocolVersion::v3_1_1);
  EXPECT_EQ(connect_as(old, "f", "alice", "nope", ProtocolVersion::v3_1_1).reason_code,
            ReasonCode::not_authorized);
  EXPECT_EQ(connect_as(client(ProtocolVersion::v3_1_1), "g", std::nullopt, std::nullopt,
                       ProtocolVersion::v3_1_1)
                .reason_code,
            ReasonCode::not_authorized);
}

TEST_F(MqttAuthTest, AclRefusesSubscriptionsAndPublishes) {
  auto& alice = client();
  connect_as(alice, "alice-1", "alice", "secret", ProtocolVersion::v5);
  Subscribe subscribe;
  subscribe.packet_id = 1;
  for (const char* filter : {"sensors/#", "sensors/secret", "other"}) {
    subscribe.subscriptions.push_back({filter, {}});
  }
  subscribe.subscriptions[0].options.max_qos = QoS::at_least_once;
  alice.packet(subscribe);
  auto subacks = alice.take<Suback>();
  ASSERT_EQ(subacks.size(), 1u);
  EXPECT_EQ(subacks[0].reason_codes,
            (std::vector<ReasonCode>{ReasonCode::granted_qos_1, ReasonCode::not_authorized,
                                     ReasonCode::not_authorized}));

  // A refused v5 publish gets 0x87 and goes nowhere.
  auto& bob = client();
  connect_as(bob, "bob-1", "bob", "pw", ProtocolVersion::v5);
  publish(bob, "sensors/t", "no", QoS::at_least_once);
  auto acks = bob.take<PubAck>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason_code, ReasonCode::not_authorized);
  publish(bob, "clients/bob-1/state", "yes", QoS::exactly_once);
  auto recs = bob.take<PubRec>();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].reason_code, ReasonCode::no_matching_subscribers);
  publish(alice, "sensors/t", "hello", QoS::at_least_once);
  auto got = alice.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "hello");
  // $SYS/ is the broker's.
  publish(alice, "$SYS/broker/uptime", "0", QoS::at_least_once);
  acks = alice.take<PubAck>();
  ASSERT_EQ(acks.size(), 2u);  // the one for sensors/t, then this one
  EXPECT_EQ(acks[1].reason_code, ReasonCode::not_authorized);
}

TEST_F(MqttAuthTest, V311RefusedPublishIsAcknowledgedAndDropped) {
  auto& bob = client(ProtocolVersion::v3_1_1);
  connect_as(bob, "bob-2", "bob", "pw", ProtocolVersion::v3_1_1);
  subscribe(bob, "sensors/#", QoS::at_least_once);
  publish(bob, "sensors/t", "dropped", QoS::at_least_once);
  auto acks = bob.take<PubAck>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason_code, ReasonCode::success);
  EXPECT_TRUE(bob.take<Publish>().empty());
  // Refused subscriptions are 0x80 in 3.1.1.
  Subscribe subscribe;
  subscribe.packet_id = 9;
  subscribe.subscriptions.push_back({"other", {}});
  bob.packet(subscribe);
  auto subacks = bob.take<Suback>();
  ASSERT_EQ(subacks.size(), 1u);
  EXPECT_EQ(to_v3_suback_return_code(subacks[0].reason_codes[0]), 0x80);
}

TEST_F(MqttBrokerTest, DeliveriesFollowReadRights) {
  BrokerOptions options;
  options.acl = std::make_shared<AccessControl>(AccessControl::parse(
      "user pub\ntopic write #\nuser sub\ntopic read sensors/#\ntopic deny sensors/secret\n", "t"));
  make_broker(options);
  auto& sub = client();
  connect_as(sub, "s", "sub", "", ProtocolVersion::v5);
  subscribe(sub, "#", QoS::at_most_once);  // granted: it overlaps sensors/#
  auto& pub = client();
  connect_as(pub, "p", "pub", "", ProtocolVersion::v5);
  for (const char* topic : {"sensors/secret", "other", "sensors/open"}) publish(pub, topic, topic);
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "sensors/open");
}

TEST_F(MqttAuthTest, WillOnAForbiddenTopicRefusesTheConnection) {
  auto& c = client();
  Connect connect;
  connect.protocol_version = ProtocolVersion::v5;
  connect.client_id = "bob-5";
  connect.user_name = "bob";
  connect.password = Bytes{'p', 'w'};
  connect.will = Will{"sensors/gone", {'x'}, QoS::at_most_once, false, {}};
  c.packet(connect);
  auto connacks = c.take<Connack>();
  ASSERT_EQ(connacks.size(), 1u);
  EXPECT_EQ(connacks[0].reason_code, ReasonCode::not_authorized);
}

TEST_F(MqttBrokerTest, RefusedSubscriptionCanBe0x80InV5) {
  BrokerOptions options;
  options.acl = std::make_shared<AccessControl>(AccessControl::parse("topic read a\n", "t"));
  options.suback_refusal_unspecified = true;
  make_broker(options);
  auto& c = client();
  connect(c, "c");
  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back({"b", {}});
  subscribe.subscriptions.push_back({"a", {}});
  c.packet(subscribe);
  auto subacks = c.take<Suback>();
  ASSERT_EQ(subacks.size(), 1u);
  EXPECT_EQ(subacks[0].reason_codes,
            (std::vector<ReasonCode>{ReasonCode::unspecified_error, ReasonCode::granted_qos_0}));
}

TEST_F(MqttBrokerTest, SysTopicsArePublishedRetainedAndNotMatchedByLeadingWildcards) {
  auto& all = client();
  connect(all, "all");
  subscribe(all, "#", QoS::at_most_once);
  auto& sys = client();
  connect(sys, "sys");
  broker_->publish_sys(storage::Clock::now());
  pump();
  EXPECT_TRUE(all.take<Publish>().empty());
  // Subscribing gets the current values as retained messages.
  subscribe(sys, "$SYS/broker/clients/+", QoS::at_most_once);
  auto got = sys.take<Publish>();
  std::map<std::string, std::string> values;
  for (const auto& p : got) {
    EXPECT_TRUE(p.retain);
    values[p.topic_name] = text(p);
  }
  EXPECT_EQ(values["$SYS/broker/clients/connected"], "2");
  EXPECT_EQ(values["$SYS/broker/clients/maximum"], "2");
  // The next round sends only what changed.
  auto& third = client();
  connect(third, "third");
  broker_->publish_sys(storage::Clock::now());
  pump();
  got = sys.take<Publish>();
  values.clear();
  for (const auto& p : got) values[p.topic_name] = text(p);
  EXPECT_EQ(values["$SYS/broker/clients/connected"], "3");
  EXPECT_FALSE(values.contains("$SYS/broker/clients/disconnected"));
  const auto all_values = broker_->sys_values();
  EXPECT_EQ(all_values.at("$SYS/broker/subscriptions/count"), "2");
  EXPECT_NE(all_values.at("$SYS/broker/messages/received"), "0");
  EXPECT_TRUE(all_values.contains("$SYS/broker/uptime"));
  EXPECT_TRUE(all.take<Publish>().empty());
}

TEST_F(MqttBrokerTest, OutboundTopicAliasesUpToTheClientsMaximum) {
  auto& sub = client();
  connect(sub, "sub", true, ProtocolVersion::v5,
          Properties{{PropertyId::topic_alias_maximum, uint32_t{2}}});
  subscribe(sub, "#", QoS::at_most_once);
  auto& pub = client();
  connect(pub, "pub");
  for (const char* topic : {"a/long/topic", "a/long/topic", "b", "c", "b"}) {
    publish(pub, topic, topic);
  }
  auto got = sub.take<Publish>();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].topic_name, "a/long/topic");
  EXPECT_EQ(got[0].properties.integer(PropertyId::topic_alias), 1u);
  EXPECT_EQ(got[1].topic_name, "");
  EXPECT_EQ(got[1].properties.integer(PropertyId::topic_alias), 1u);
  EXPECT_EQ(got[2].topic_name, "b");
  EXPECT_EQ(got[2].properties.integer(PropertyId::topic_alias), 2u);
  EXPECT_EQ(got[3].topic_name, "c");  // no alias left
  EXPECT_FALSE(got[3].properties.contains(PropertyId::topic_alias));
  EXPECT_EQ(got[4].topic_name, "");
  EXPECT_EQ(text(got[4]), "b");
  // A client that allows none gets none.
  auto& plain = client();
  connect(plain, "plain");
  subscribe(plain, "x", QoS::at_most_once);
  publish(pub, "x", "x");
  got = plain.take<Publish>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].properties.contains(PropertyId::topic_alias));
}

TEST(MqttBrokerMetrics, TopicLabelKeepsLevels) {
  EXPECT_EQ(BrokerMetrics::topic_label("a/b/c", 1), "a");
  EXPECT_EQ(BrokerMetrics::topic_label("a/b/c", 2), "a/b");
  EXPECT_EQ(BrokerMetrics::topic_label("a/b/c", 5), "a/b/c");
  EXPECT_EQ(BrokerMetrics::topic_label("a/b/c", 0), "");
}

}  // namespace
}  // namespace mockforge::mqtt
