// The connection state machine without sockets: frames in, frames out.
#include "brokers/amqp/protocol/connection.h"

#include <gtest/gtest.h>

#include "core/metrics/registry.h"
#include "core/storage/engine.h"

namespace mockforge::amqp {
namespace {

class RecordingOutput : public ConnectionOutput {
 public:
  void send(std::vector<uint8_t> bytes) override {
    sent.insert(sent.end(), bytes.begin(), bytes.end());
  }
  void close_after_flush(std::string reason) override { closed = reason; }
  void set_heartbeat(std::chrono::seconds interval) override { heartbeat = interval; }
  void post(std::function<void()> task) override { posted.push_back(std::move(task)); }
  // Delays collapse: the task runs with the posted ones.
  void post_after(std::chrono::milliseconds, std::function<void()> task) override {
    posted.push_back(std::move(task));
  }
  void pause_reading() override { reading_paused = true; }
  void resume_reading() override { reading_paused = false; }
  bool congested() const override { return congested_output; }
  void notify_when_drained() override { drain_asked = true; }

  std::vector<uint8_t> sent;
  bool congested_output = false;
  bool drain_asked = false;
  bool reading_paused = false;
  std::optional<std::string> closed;
  std::chrono::seconds heartbeat{-1};
  std::vector<std::function<void()>> posted;
};

class AmqpConnectionTest : public ::testing::Test {
 protected:
  storage::Engine engine;
  metrics::Registry registry;
  BrokerState broker{BrokerSettings{}, engine, registry};
  std::shared_ptr<RecordingOutput> output = std::make_shared<RecordingOutput>();
  std::shared_ptr<AmqpConnection> connection = std::make_shared<AmqpConnection>(broker, output);

  // Cuts `bytes` with frame_boundary() and feeds each frame, as the session does.
  void feed(std::vector<uint8_t> bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
      auto unread = std::span<const uint8_t>(bytes).subspan(offset);
      FrameBoundary boundary = connection->frame_boundary(unread);
      ASSERT_EQ(boundary.kind, FrameBoundary::Kind::kComplete);
      connection->on_frame(unread.first(boundary.length));
      offset += boundary.length;
    }
  }
  void feed_method(uint16_t channel, const Method& method) {
    feed(encode_method_frame(channel, method));
  }
  // Methods the connection sent since the last call.
  std::vector<Command> received() {
    std::vector<Command> commands;
    FrameSplitter splitter(FrameSplitter::Start::kFramesOnly, 0);
    splitter.feed(output->sent);
    output->sent.clear();
    CommandAssembler assembler;
    while (true) {
      SplitResult result = splitter.next();
      auto* frame = std::get_if<Frame>(&result);
      if (!frame) break;
      AssembleResult assembled = assembler.add(*frame);
      if (auto* command = std::get_if<Command>(&assembled)) commands.push_back(*command);
    }
    return commands;
  }
  void handshake() {
    feed({kProtocolHeader.begin(), kProtocolHeader.end()});
    feed_method(0, ConnectionStartOk{{}, "PLAIN", std::string("\0guest\0guest", 12), "en_US"});
    feed_method(0, ConnectionTuneOk{2047, 131072, 20});
    feed_method(0, ConnectionOpen{"/", "", false});
    received();
  }
};

TEST_F(AmqpConnectionTest, HandshakeAdvertisesCapabilitiesAndTakesClientHeartbeat) {
  feed({kProtocolHeader.begin(), kProtocolHeader.end()});
  auto start = received();
  ASSERT_EQ(start.size(), 1u);
  const auto& start_method = std::get<ConnectionStart>(start[0].method);
  EXPECT_EQ(start_method.mechanisms, "PLAIN AMQPLAIN");
  const auto* capabilities =
      start_method.server_properties.find("capabilities")->get_if<FieldTable>();
  ASSERT_NE(capabilities, nullptr);
  EXPECT_EQ(*capabilities->find("publisher_confirms"), FieldValue(true));
  EXPECT_EQ(*capabilities->find("basic.nack"), FieldValue(true));

  feed_method(0, ConnectionStartOk{{}, "PLAIN", std::string("\0guest\0guest", 12), "en_US"});
  auto tune = received();
  ASSERT_EQ(tune.size(), 1u);
  EXPECT_EQ(std::get<ConnectionTune>(tune[0].method).frame_max, 131072u);
  feed_method(0, ConnectionTuneOk{2047, 131072, 20});
  EXPECT_EQ(output->heartbeat, std::chrono::seconds(20));
  feed_method(0, ConnectionOpen{"/", "", false});
  auto open = received();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ConnectionOpenOk>(open[0].method));
}

TEST_F(AmqpConnectionTest, WrongProtocolHeaderIsAnsweredWithOurs) {
  feed({'A', 'M', 'Q', 'P', 1, 1, 0, 9});
  EXPECT_EQ(output->sent, std::vector<uint8_t>(kProtocolHeader.begin(), kProtocolHeader.end()));
  EXPECT_TRUE(output->closed.has_value());
}

FieldTable with_capability(const char* name) {
  FieldTable capabilities;
  capabilities.set(name, true);
  FieldTable properties;
  properties.set("capabilities", std::move(capabilities));
  return properties;
}

TEST_F(AmqpConnectionTest, BadPasswordIs403ForClientsAskingForIt) {
  feed({kProtocolHeader.begin(), kProtocolHeader.end()});
  received();
  feed_method(0, ConnectionStartOk{with_capability("authentication_failure_close"), "PLAIN",
                                   std::string("\0guest\0nope", 11), "en_US"});
  auto close = received();
  ASSERT_EQ(close.size(), 1u);
  EXPECT_EQ(std::get<ConnectionClose>(close[0].method).reply_code, 403);
}

TEST_F(AmqpConnectionTest, BadPasswordClosesTheSocketSilentlyOtherwise) {
  // RabbitMQ sends connection.close only to clients with the
  // authentication_failure_close capability.
  feed({kProtocolHeader.begin(), kProtocolHeader.end()});
  received();
  feed_method(0, ConnectionStartOk{{}, "PLAIN", std::string("\0guest\0nope", 11), "en_US"});
  EXPECT_TRUE(received().empty());
  EXPECT_TRUE(output->closed.has_value());
}

TEST_F(AmqpConnectionTest, UpdateSecretAcceptsAnySecretAsRabbitMQsInternalUsers) {
  handshake();
  feed_method(0, ConnectionUpdateSecret{"guest", "rotation"});
  auto ok = received();
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ConnectionUpdateSecretOk>(ok[0].method));

  // A secret other than the password: still ok, and the connection goes on.
  feed_method(0, ConnectionUpdateSecret{"stale", "rotation"});
  auto again = received();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ConnectionUpdateSecretOk>(again[0].method));
  EXPECT_FALSE(output->closed.has_value());
  feed_method(1, ChannelOpen{});
  auto opened = received();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ChannelOpenOk>(opened[0].method));
}

TEST_F(AmqpConnectionTest, UpdateSecretBeforeOpenIsRefused) {
  feed({kProtocolHeader.begin(), kProtocolHeader.end()});
  feed_method(0, ConnectionStartOk{{}, "PLAIN", std::string("\0guest\0guest", 12), "en_US"});
  received();
  feed_method(0, ConnectionUpdateSecret{"guest", "early"});
  auto close = received();
  ASSERT_EQ(close.size(), 1u);
  EXPECT_EQ(std::get<ConnectionClose>(close[0].method).reply_code, 503);
}

TEST_F(AmqpConnectionTest, MethodOnUnopenedChannelIs504) {
  handshake();
  feed_method(3, QueueDeclare{0, "q", false, false, false, false, false, {}});
  auto close = received();
  ASSERT_EQ(close.size(), 1u);
  EXPECT_EQ(std::get<ConnectionClose>(close[0].method).reply_code, 504);
}

TEST_F(AmqpConnectionTest, PassiveDeclareOfMissingQueueClosesOnlyTheChannel) {
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, QueueDeclare{0, "missing", true, false, false, false, false, {}});
  auto replies = received();
  ASSERT_EQ(replies.size(), 2u);
  const auto& close = std::get<ChannelClose>(replies[1].method);
  EXPECT_EQ(close.reply_code, 404);
  EXPECT_EQ(close.class_id, 50);
  EXPECT_EQ(close.method_id, 10);
  feed_method(1, ChannelCloseOk{});
  feed_method(1, ChannelOpen{});
  auto reopened = received();
  ASSERT_EQ(reopened.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ChannelOpenOk>(reopened[0].method));
}

TEST_F(AmqpConnectionTest, PublishThenGetPreservesTheContentHeaderBytes) {
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, QueueDeclare{0, "q", false, false, false, false, false, {}});
  ContentHeader header;
  header.body_size = 5;
  header.properties.content_type = "text/plain";
  FieldTable headers;
  headers.set("h", int64_t{7});
  header.properties.headers = headers;
  std::vector<uint8_t> publish = encode_method_frame(1, BasicPublish{0, "", "q", false, false});
  std::vector<uint8_t> header_frame = encode_content_header_frame(1, header);
  std::vector<uint8_t> body = encode_frame(Frame{FrameType::kBody, 1, {'h', 'e', 'l', 'l', 'o'}});
  publish.insert(publish.end(), header_frame.begin(), header_frame.end());
  publish.insert(publish.end(), body.begin(), body.end());
  feed(publish);
  feed_method(1, BasicGet{0, "q", true});
  auto replies = received();
  ASSERT_EQ(replies.size(), 3u);
  const auto& get_ok = std::get<BasicGetOk>(replies[2].method);
  EXPECT_EQ(get_ok.routing_key, "q");
  EXPECT_FALSE(get_ok.redelivered);
  EXPECT_EQ(replies[2].header, header);
  EXPECT_EQ(replies[2].body, "hello");
}

TEST_F(AmqpConnectionTest, UnackedGetIsRequeuedRedeliveredWhenTheChannelCloses) {
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, QueueDeclare{0, "q", false, false, false, false, false, {}});
  std::vector<uint8_t> publish = encode_method_frame(1, BasicPublish{0, "", "q", false, false});
  std::vector<uint8_t> header_frame = encode_content_header_frame(1, ContentHeader{});
  publish.insert(publish.end(), header_frame.begin(), header_frame.end());
  feed(publish);
  feed_method(1, BasicGet{0, "q", false});
  feed_method(1, ChannelClose{200, "bye", 0, 0});
  feed_method(2, ChannelOpen{});
  feed_method(2, BasicGet{0, "q", true});
  auto replies = received();
  const auto& get_ok = std::get<BasicGetOk>(replies.back().method);
  EXPECT_TRUE(get_ok.redelivered);
  EXPECT_EQ(replies.back().body, "");
}

TEST_F(AmqpConnectionTest, ConsumerOfACongestedConnectionGetsNothingUntilTheOutputDrains) {
  // A client that does not read: with no prefetch limit (and no-ack) every
  // ready message would go into the connection's output; they stay in the
  // queue instead, under its limits, until the output has been written.
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, QueueDeclare{0, "q", false, false, false, false, false, {}});
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> publish = encode_method_frame(1, BasicPublish{0, "", "q", false, false});
    std::vector<uint8_t> header_frame = encode_content_header_frame(1, ContentHeader{});
    publish.insert(publish.end(), header_frame.begin(), header_frame.end());
    feed(publish);
  }
  received();
  auto run_posted = [this] {
    while (!output->posted.empty()) {
      auto tasks = std::move(output->posted);
      output->posted.clear();
      for (auto& task : tasks) task();
    }
  };
  output->congested_output = true;
  BasicConsume consume;
  consume.queue = "q";
  consume.consumer_tag = "slow";
  consume.no_ack = true;
  feed_method(1, consume);
  run_posted();
  auto replies = received();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<BasicConsumeOk>(replies[0].method));
  EXPECT_TRUE(output->drain_asked);
  output->congested_output = false;
  connection->on_output_drained();
  run_posted();
  replies = received();
  ASSERT_EQ(replies.size(), 3u);
  for (const auto& reply : replies) EXPECT_TRUE(std::holds_alternative<BasicDeliver>(reply.method));
}

TEST_F(AmqpConnectionTest, ConfirmsOfOneReadGoOutAsOneAckWithMultiple) {
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, ConfirmSelect{false});
  feed_method(1, QueueDeclare{0, "q", false, false, false, false, false, {}});
  received();
  std::vector<uint8_t> publish = encode_method_frame(1, BasicPublish{0, "", "q", false, false});
  std::vector<uint8_t> header_frame = encode_content_header_frame(1, ContentHeader{});
  publish.insert(publish.end(), header_frame.begin(), header_frame.end());
  for (int i = 0; i < 3; ++i) feed(publish);
  EXPECT_TRUE(received().empty());  // owed until the input is handled
  ASSERT_EQ(output->posted.size(), 1u);
  output->posted[0]();
  output->posted.clear();
  auto acks = received();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(std::get<BasicAck>(acks[0].method).delivery_tag, 3u);
  EXPECT_TRUE(std::get<BasicAck>(acks[0].method).multiple);
  // A lone confirm is not marked multiple.
  feed(publish);
  ASSERT_EQ(output->posted.size(), 1u);
  output->posted[0]();
  output->posted.clear();
  acks = received();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(std::get<BasicAck>(acks[0].method), (BasicAck{4, false}));
}

TEST_F(AmqpConnectionTest, OwedConfirmsGoOutBeforeANackAndBeforeChannelCloseOk) {
  handshake();
  feed_method(1, ChannelOpen{});
  feed_method(1, ConfirmSelect{false});
  FieldTable arguments;
  arguments.set("x-max-length", int64_t{1});
  arguments.set("x-overflow", std::string("reject-publish"));
  feed_method(1, QueueDeclare{0, "q", false, false, false, false, false, arguments});
  received();
  std::vector<uint8_t> publish = encode_method_frame(1, BasicPublish{0, "", "q", false, false});
  std::vector<uint8_t> header_frame = encode_content_header_frame(1, ContentHeader{});
  publish.insert(publish.end(), header_frame.begin(), header_frame.end());
  feed(publish);  // 1: stored
  feed(publish);  // 2: refused, nacked
  feed_method(1, QueuePurge{0, "q", false});
  feed(publish);  // 3: stored, owed
  feed_method(1, ChannelClose{200, "bye", 0, 0});
  auto replies = received();
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(std::get<BasicAck>(replies[0].method), (BasicAck{1, false}));
  EXPECT_EQ(std::get<BasicNack>(replies[1].method), (BasicNack{2, false, false}));
  EXPECT_TRUE(std::holds_alternative<QueuePurgeOk>(replies[2].method));
  EXPECT_EQ(std::get<BasicAck>(replies[3].method), (BasicAck{3, false}));
  EXPECT_TRUE(std::holds_alternative<ChannelCloseOk>(replies[4].method));
  for (auto& task : output->posted) task();  // the posted flush finds nothing owed
  EXPECT_TRUE(received().empty());
}

}  // namespace
}  // namespace mockforge::amqp
