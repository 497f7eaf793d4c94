// Bytes recorded from real clients by tests/golden/amqp/capture_clients.py:
// every frame must decode, and re-encode byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brokers/amqp/codec/command_assembler.h"
#include "brokers/amqp/codec/frame.h"
#include "tests/unit/amqp_codec/wire_bytes.h"

namespace mockforge::amqp {
namespace {

using testing::Bytes;

struct Session {
  std::vector<Frame> frames;
  std::vector<Method> methods;
  std::vector<Command> commands;
  std::vector<std::string> method_names;
};

// Splits, decodes and re-encodes a recorded stream; fails the test on any
// difference.
// With `assemble`, frames are also joined into commands.
Session replay(const Bytes& stream, FrameSplitter::Start start, bool assemble = true) {
  Session session;
  FrameSplitter splitter(start, 131072);
  CommandAssembler assembler;
  splitter.feed(stream);
  std::size_t offset = start == FrameSplitter::Start::kExpectProtocolHeader ? 8 : 0;
  if (start == FrameSplitter::Start::kExpectProtocolHeader) {
    EXPECT_TRUE(std::holds_alternative<ProtocolHeaderReceived>(splitter.next()));
  }
  for (;;) {
    const SplitResult result = splitter.next();
    if (std::holds_alternative<NeedMoreBytes>(result)) break;
    if (const auto* error = std::get_if<FrameError>(&result)) {
      ADD_FAILURE() << "frame error: " << error->message;
      break;
    }
    const Frame& frame = std::get<Frame>(result);
    const Bytes encoded = encode_frame(frame);
    const Bytes original(stream.begin() + static_cast<std::ptrdiff_t>(offset),
                         stream.begin() + static_cast<std::ptrdiff_t>(offset + encoded.size()));
    EXPECT_EQ(testing::to_hex(encoded), testing::to_hex(original));
    offset += encoded.size();

    if (frame.type == FrameType::kMethod) {
      const Method method = decode_method_payload(frame.payload);
      session.method_names.emplace_back(method_name(method));
      session.methods.push_back(method);
      EXPECT_EQ(testing::to_hex(encode_method(method)), testing::to_hex(frame.payload))
          << method_name(method);
    } else if (frame.type == FrameType::kHeader) {
      const ContentHeader header = decode_content_header(frame.payload);
      EXPECT_EQ(testing::to_hex(encode_content_header(header)), testing::to_hex(frame.payload));
    }
    session.frames.push_back(frame);
    if (!assemble) continue;
    AssembleResult assembled = assembler.add(frame);
    if (auto* command = std::get_if<Command>(&assembled)) {
      session.commands.push_back(std::move(*command));
    } else if (const auto* error = std::get_if<CommandError>(&assembled)) {
      ADD_FAILURE() << "command error: " << error->message;
    }
  }
  EXPECT_EQ(offset, stream.size());
  EXPECT_EQ(splitter.buffered(), 0u);
  return session;
}

template <typename T>
const T& find_method(const Session& session, std::size_t skip = 0) {
  for (const auto& any : session.methods) {
    if (const auto* method = std::get_if<T>(&any)) {
      if (skip-- == 0) return *method;
    }
  }
  throw std::runtime_error("method " + std::string(T::kName) + " not in session");
}

const Command& find_command(const Session& session, MethodId id) {
  for (const auto& command : session.commands) {
    if (method_id(command.method) == id) return command;
  }
  throw std::runtime_error("command not in session");
}

const std::string& string_value(const FieldTable& table, std::string_view name) {
  const FieldValue* value = table.find(name);
  if (value == nullptr || value->get_if<std::string>() == nullptr) {
    throw std::runtime_error("no long string " + std::string(name));
  }
  return *value->get_if<std::string>();
}

TEST(AmqpRealClients, RabbitmqCPublish) {
  const Session session = replay(testing::read_golden("rabbitmq_c_publish.bin"),
                                 FrameSplitter::Start::kExpectProtocolHeader);
  EXPECT_EQ(session.method_names,
            (std::vector<std::string>{"connection.start-ok", "connection.tune-ok",
                                      "connection.open", "channel.open", "basic.publish",
                                      "channel.close", "connection.close"}));
  const auto& start_ok = find_method<ConnectionStartOk>(session);
  EXPECT_EQ(string_value(start_ok.client_properties, "product"), "rabbitmq-c");
  EXPECT_EQ(start_ok.mechanism, "PLAIN");
  EXPECT_EQ(start_ok.response, std::string("\0guest\0guest", 12));
  EXPECT_EQ(start_ok.locale, "en_US");
  const FieldValue* capabilities = start_ok.client_properties.find("capabilities");
  ASSERT_NE(capabilities, nullptr);
  ASSERT_NE(capabilities->get_if<FieldTable>(), nullptr);
  const FieldValue* failure_close =
      capabilities->get_if<FieldTable>()->find("authentication_failure_close");
  ASSERT_NE(failure_close, nullptr);
  EXPECT_EQ(*failure_close->get_if<bool>(), true);
  // amqp://host:port/ names the empty vhost; rabbitmq-c sets the insist bit.
  EXPECT_EQ(find_method<ConnectionOpen>(session).virtual_host, "");
  EXPECT_TRUE(find_method<ConnectionOpen>(session).reserved_2);

  const Command& publish = find_command(session, BasicPublish::kId);
  EXPECT_EQ(publish.channel, 1);
  EXPECT_EQ(std::get<BasicPublish>(publish.method).exchange, "amq.topic");
  EXPECT_EQ(std::get<BasicPublish>(publish.method).routing_key, "orders.created");
  EXPECT_EQ(publish.body, "{\"id\": 42}");
  ASSERT_TRUE(publish.header.has_value());
  const BasicProperties& properties = publish.header->properties;
  EXPECT_EQ(properties.content_type, "application/json");
  EXPECT_EQ(properties.content_encoding, "utf-8");
  EXPECT_EQ(properties.delivery_mode, 2);
  EXPECT_EQ(properties.reply_to, "replies");
  ASSERT_TRUE(properties.headers.has_value());
  EXPECT_EQ(string_value(*properties.headers, "x-tenant"), "acme");
  EXPECT_EQ(find_method<ConnectionClose>(session).reply_code, 200);
}

TEST(AmqpRealClients, RabbitmqCDeclareQueue) {
  const Session session = replay(testing::read_golden("rabbitmq_c_declare_queue.bin"),
                                 FrameSplitter::Start::kExpectProtocolHeader);
  const auto& declare = find_method<QueueDeclare>(session);
  EXPECT_EQ(declare.queue, "telemetry");
  EXPECT_TRUE(declare.durable);
  EXPECT_FALSE(declare.passive || declare.exclusive || declare.auto_delete || declare.no_wait);
}

TEST(AmqpRealClients, PikaSession) {
  const Session session =
      replay(testing::read_golden("pika_session.bin"), FrameSplitter::Start::kExpectProtocolHeader);
  const auto& start_ok = find_method<ConnectionStartOk>(session);
  EXPECT_EQ(string_value(start_ok.client_properties, "product"), "Pika Python Client Library");
  EXPECT_EQ(string_value(start_ok.client_properties, "connection_name"), "capture");
  EXPECT_EQ(find_method<ConnectionTuneOk>(session).heartbeat, 20);

  const auto& exchange = find_method<ExchangeDeclare>(session);
  EXPECT_EQ(exchange.exchange, "orders");
  EXPECT_EQ(exchange.type, "topic");
  EXPECT_TRUE(exchange.durable);
  EXPECT_EQ(string_value(exchange.arguments, "alternate-exchange"), "unrouted");
  const auto& bind = find_method<ExchangeBind>(session);
  EXPECT_EQ(bind.destination, "orders-audit");
  EXPECT_EQ(bind.source, "orders");

  const auto& queue = find_method<QueueDeclare>(session);
  EXPECT_EQ(queue.queue, "payments");
  ASSERT_NE(queue.arguments.find("x-max-priority"), nullptr);
  EXPECT_EQ(queue.arguments.find("x-max-priority")->type_tag(), 'I');
  EXPECT_EQ(string_value(queue.arguments, "x-overflow"), "reject-publish");
  EXPECT_FALSE(find_method<ConfirmSelect>(session).nowait);

  const Command& publish = find_command(session, BasicPublish::kId);
  EXPECT_TRUE(std::get<BasicPublish>(publish.method).mandatory);
  EXPECT_EQ(publish.body, std::string(300, 'x'));
  ASSERT_TRUE(publish.header.has_value());
  const BasicProperties& p = publish.header->properties;
  EXPECT_EQ(p.property_flags(), 0xfffc);  // all 14 properties
  EXPECT_EQ(p.priority, 5);
  EXPECT_EQ(p.timestamp, 1700000000u);
  EXPECT_EQ(p.cluster_id, "cluster-a");
  ASSERT_TRUE(p.headers.has_value());
  std::string tags;
  for (const auto& entry : p.headers->entries) tags += entry.value.type_tag();
  EXPECT_EQ(tags, "SxIltVDTAF");
  EXPECT_EQ(*p.headers->find("decimal")->get_if<Decimal>(), (Decimal{2, 1234}));

  int publishes = 0;
  for (const auto& command : session.commands) {
    if (std::holds_alternative<BasicPublish>(command.method)) {
      ++publishes;
      if (std::get<BasicPublish>(command.method).routing_key == "orders.empty") {
        EXPECT_EQ(command.body, "");  // zero-length body: header only, no body frame
      }
    }
  }
  EXPECT_EQ(publishes, 2);
  EXPECT_EQ(find_method<BasicQos>(session).prefetch_count, 10);
  const auto& consume = find_method<BasicConsume>(session);
  EXPECT_TRUE(consume.exclusive);
  EXPECT_FALSE(consume.no_ack);
  EXPECT_TRUE(find_method<BasicGet>(session).no_ack);
  EXPECT_EQ(session.method_names.back(), "connection.close");
}

TEST(AmqpRealClients, EveryMethodAsEncodedByPika) {
  const Session session = replay(testing::read_golden("pika_encoded_methods.bin"),
                                 FrameSplitter::Start::kFramesOnly, /*assemble=*/false);
  // pika knows the 60 methods of the extended XML plus connection.blocked and
  // unblocked; it lacks update-secret.
  EXPECT_EQ(session.frames.size(), 62u);
  EXPECT_EQ(find_method<ConnectionTune>(session).heartbeat, 302);
  EXPECT_TRUE(find_method<ExchangeDeclare>(session).passive);
}

}  // namespace
}  // namespace mockforge::amqp
