// Reading AsyncAPI documents: $refs across files, the model per broker, the
// patterns channel parameters stand for, and errors with file and pointer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "asyncapi/model.h"

namespace mockforge::asyncapi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using traffic::Protocol;

std::filesystem::path source_dir() {
  const char* dir = std::getenv("MOCKFORGE_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::path(".");
}

std::filesystem::path document(const std::string& name) {
  return source_dir() / "tests/unit/asyncapi/documents" / name;
}

const Channel& channel(const Model& model, const std::string& id) {
  for (const auto& c : model.channels)
    if (c.id == id) return c;
  throw std::runtime_error("no channel " + id);
}

bool mentions_ref(const Json& value) {
  if (value.is_object()) {
    if (value.contains("$ref")) return true;
    for (const auto& [k, v] : value.items())
      if (mentions_ref(v)) return true;
  }
  if (value.is_array())
    for (const auto& v : value)
      if (mentions_ref(v)) return true;
  return false;
}

TEST(NamePattern, AParameterIsOneNonEmptyLevelOrOneOfItsValues) {
  mockforge::asyncapi::NamePattern pattern;
  pattern.separator = '.';
  pattern.pieces = {
      {false, "orders.", {}}, {true, "", {}}, {false, "-v1.", {}}, {true, "", {"a.b", "c"}}};
  EXPECT_TRUE(pattern.matches("orders.eu-west-v1.a.b"));  // the shortest level text first fails
  EXPECT_TRUE(pattern.matches("orders.eu-v1.c"));
  EXPECT_FALSE(pattern.matches("orders.-v1.c"));
  EXPECT_FALSE(pattern.matches("orders.eu.west-v1.c"));
  EXPECT_FALSE(pattern.matches("orders.eu-v1.d"));
  EXPECT_FALSE(pattern.matches("orders.eu-v1.cc"));
}

TEST(AsyncApiDocument, ReadsA26DocumentWithBindingsAcrossFiles) {
  const auto loaded = load(document("v26_brokers.yaml"));
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.ok());
  const auto& model = loaded.model;
  EXPECT_EQ(model.asyncapi_version, "2.6.0");
  EXPECT_EQ(model.title, "Plant events");
  EXPECT_EQ(model.files.size(), 3u);  // root, common/order.json, common/messages.yaml
  ASSERT_EQ(model.servers.size(), 4u);
  EXPECT_FALSE(model.servers[3].broker.has_value());  // http

  const auto& orders = channel(model, "orders.created");
  EXPECT_THAT(orders.protocols, ElementsAre(Protocol::kKafka));
  ASSERT_TRUE(orders.kafka.has_value());
  EXPECT_EQ(orders.kafka_topic(), "orders.created.v1");
  EXPECT_EQ(orders.kafka->partitions, 3);
  EXPECT_THAT(orders.kafka->configs,
              ElementsAre(std::pair<std::string, std::string>{"cleanup.policy", "delete,compact"},
                          std::pair<std::string, std::string>{"retention.ms", "604800000"}));
  ASSERT_EQ(orders.messages.size(), 1u);
  EXPECT_EQ(orders.messages[0].id, "OrderCreated");
  EXPECT_FALSE(mentions_ref(orders.messages[0].payload));
  EXPECT_EQ(orders.messages[0].payload["properties"]["orderId"]["pattern"], "^ORD-[0-9]{4}$");
  ASSERT_EQ(orders.messages[0].examples.size(), 1u);
  EXPECT_EQ(orders.messages[0].examples[0].payload["orderId"], "ORD-1001");

  const auto& measured = channel(model, "factory/{plantId}/line/{lineId}/measured");
  EXPECT_THAT(measured.protocols, ElementsAre(Protocol::kMqtt));
  EXPECT_EQ(measured.mqtt_filter(), "factory/+/line/+/measured");
  EXPECT_EQ(measured.mqtt.qos, 1);
  EXPECT_EQ(measured.mqtt.retain, false);
  EXPECT_TRUE(measured.covers(Protocol::kMqtt, "factory/berlin/line/7/measured"));
  EXPECT_TRUE(measured.covers(Protocol::kMqtt, "factory/lyon/line/a-1/measured"));
  EXPECT_FALSE(measured.covers(Protocol::kMqtt, "factory/paris/line/7/measured"));  // enum
  EXPECT_FALSE(measured.covers(Protocol::kMqtt, "factory/berlin/line/7/x/measured"));
  EXPECT_FALSE(measured.covers(Protocol::kKafka, "factory/berlin/line/7/measured"));
  EXPECT_FALSE(measured.covers(Protocol::kMqtt, "factory/berlin/line//measured"));  // empty level
  EXPECT_FALSE(measured.covers(Protocol::kMqtt, "factory/berlin/line/7/measured/"));
  ASSERT_EQ(measured.messages.size(), 2u);  // oneOf, one from another file
  EXPECT_EQ(measured.messages[0].id, "Measurement");
  EXPECT_EQ(measured.messages[1].id, "Calibration");
  EXPECT_EQ(measured.messages[1].payload["properties"]["offset"]["maximum"], 5);

  const auto& shipped = channel(model, "orders.{region}.shipped");
  EXPECT_THAT(shipped.protocols, ElementsAre(Protocol::kAmqp));
  ASSERT_TRUE(shipped.amqp && shipped.amqp->exchange);
  EXPECT_EQ(shipped.amqp->exchange->name, "orders");
  EXPECT_EQ(shipped.amqp_binding_key(), "orders.*.shipped");
  EXPECT_TRUE(shipped.covers(Protocol::kAmqp, "orders.eu.shipped"));
  EXPECT_FALSE(shipped.covers(Protocol::kAmqp, "orders.eu.west.shipped"));
  ASSERT_EQ(shipped.messages.size(), 1u);
  EXPECT_EQ(shipped.messages[0].id, "OrderShipped");
  EXPECT_EQ(shipped.messages[0].headers["required"][0], "x-trace-id");

  const auto& billing = channel(model, "billing");
  EXPECT_THAT(billing.servers, ElementsAre("rabbit"));  // web (http) is skipped
  ASSERT_TRUE(billing.amqp && billing.amqp->queue);
  EXPECT_EQ(billing.amqp->is, AmqpBinding::Is::kQueue);
  EXPECT_TRUE(billing.covers(Protocol::kAmqp, "billing-requests"));

  ASSERT_EQ(model.operations.size(), 4u);
  EXPECT_EQ(model.operations[0].id, "emitOrderCreated");
  EXPECT_EQ(model.operations[0].action, "subscribe");

  const auto resources = declarations(model);
  ASSERT_EQ(resources.size(), 3u);
  EXPECT_EQ(resources[0].kind, traffic::Resource::Kind::kTopic);
  EXPECT_EQ(resources[0].name, "orders.created.v1");
  EXPECT_EQ(resources[0].partitions, 3);
  EXPECT_EQ(resources[1].kind, traffic::Resource::Kind::kExchange);
  EXPECT_EQ(resources[1].name, "orders");
  EXPECT_EQ(resources[1].type, "topic");
  EXPECT_EQ(resources[2].kind, traffic::Resource::Kind::kQueue);
  EXPECT_EQ(resources[2].name, "billing-requests");
}

TEST(AsyncApiDocument, ReadsTheIotExample30) {
  const auto loaded = load(source_dir() / "examples/iot-device-manager/asyncapi.yaml");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.ok());
  const auto& model = loaded.model;
  EXPECT_EQ(model.asyncapi_version, "3.0.0");
  EXPECT_EQ(model.files.size(), 2u);
  ASSERT_EQ(model.channels.size(), 5u);
  const auto& telemetry = channel(model, "telemetry");
  EXPECT_EQ(telemetry.address, "devices/{deviceId}/telemetry");
  EXPECT_EQ(telemetry.mqtt_filter(), "devices/+/telemetry");
  EXPECT_TRUE(telemetry.covers(Protocol::kMqtt, "devices/sensor001/telemetry"));
  EXPECT_FALSE(telemetry.covers(Protocol::kMqtt, "devices/telemetry"));
  EXPECT_EQ(telemetry.mqtt.qos, 1);
  ASSERT_EQ(telemetry.messages.size(), 1u);
  EXPECT_EQ(telemetry.messages[0].id, "telemetry");
  EXPECT_FALSE(mentions_ref(telemetry.messages[0].payload));
  EXPECT_EQ(telemetry.messages[0]
                .payload["properties"]["sensors"]["properties"]["temperature"]["maximum"],
            125);
  const auto& status = channel(model, "status");
  EXPECT_EQ(status.mqtt.retain, true);
  EXPECT_EQ(channel(model, "criticalAlerts").mqtt.qos, 2);
  EXPECT_FALSE(channel(model, "heartbeat").parameterised());
  ASSERT_EQ(model.operations.size(), 5u);
  EXPECT_EQ(model.operations[1].id, "sendCommand");
  EXPECT_EQ(model.operations[1].channel, "commands");
  EXPECT_THAT(model.operations[1].messages, ElementsAre("command"));
  EXPECT_TRUE(declarations(model).empty());  // MQTT only
}

TEST(AsyncApiDocument, ErrorsNameFileLineAndPointer) {
  const auto loaded = load(document("errors.yaml"));
  ASSERT_EQ(loaded.errors.size(), 5u);
  std::map<std::string, std::string> by_pointer;
  for (const auto& e : loaded.errors) {
    EXPECT_THAT(e.file, HasSubstr("errors.yaml"));
    EXPECT_GT(e.line, 0) << e.to_string();
    by_pointer[e.pointer] = e.message;
  }
  EXPECT_THAT(by_pointer["/channels/dangling/publish/message/$ref"],
              HasSubstr("'#/components/messages/Missing' does not resolve"));
  EXPECT_THAT(by_pointer["/channels/avro/publish/message/schemaFormat"],
              HasSubstr("Avro schemas are not supported"));
  EXPECT_THAT(by_pointer["/channels/unknown-server/servers/0"],
              HasSubstr("server 'nowhere' is not defined"));
  EXPECT_THAT(by_pointer["/channels/http-only"], HasSubstr("web (http)"));
  EXPECT_THAT(by_pointer["/channels/missing-file/publish/message/payload/$ref"],
              HasSubstr("cannot read"));
  // The model keeps what was understood: nothing here.
  EXPECT_TRUE(loaded.model.channels.empty());
  const auto text = loaded.errors[0].to_string();
  EXPECT_THAT(text, HasSubstr("errors.yaml:"));
  EXPECT_THAT(text, HasSubstr(": #/channels/"));
}

TEST(AsyncApiDocument, ADocumentWithoutServersHasNoProtocol) {
  const auto loaded = load(document("no_servers.json"));
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_EQ(loaded.errors[0].pointer, "/channels/a");
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("no server"));
}

TEST(AsyncApiDocument, AnUnreadableFileIsOneError) {
  const auto loaded = load(document("does-not-exist.yaml"));
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("cannot read"));
}

TEST(AsyncApiDocument, RecursiveAndRemoteRefsAreErrors) {
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-refs";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "doc.yaml");
    out << "asyncapi: 3.0.0\n"
           "servers: {m: {host: x, protocol: mqtt}}\n"
           "channels:\n"
           "  tree:\n"
           "    address: t\n"
           "    messages:\n"
           "      node: {payload: {$ref: '#/components/schemas/Node'}}\n"
           "  remote:\n"
           "    address: r\n"
           "    messages:\n"
           "      m: {payload: {$ref: 'https://example.com/s.json'}}\n"
           "components:\n"
           "  schemas:\n"
           "    Node:\n"
           "      type: object\n"
           "      properties:\n"
           "        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n";
  }
  const auto loaded = load(dir / "doc.yaml");
  ASSERT_EQ(loaded.errors.size(), 2u);
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("recursive"));
  EXPECT_EQ(loaded.errors[0].pointer, "/components/schemas/Node/properties/children/items/$ref");
  EXPECT_THAT(loaded.errors[1].message, HasSubstr("remote $ref"));
  EXPECT_EQ(loaded.errors[1].line, 11);
  std::filesystem::remove_all(dir);
}

TEST(AsyncApiDocument, AliasAndRefBombsAreErrorsNotExhaustion) {
  // Each level repeats the one below ten times: 10^8 values from a few
  // hundred bytes, by YAML aliases (refused as the file is read) or by
  // $refs (refused as the schema is inlined).
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-bombs";
  std::filesystem::create_directories(dir);
  const std::string head =
      "asyncapi: 3.0.0\n"
      "servers: {m: {host: x, protocol: mqtt}}\n"
      "channels:\n"
      "  c:\n"
      "    address: t\n"
      "    messages:\n"
      "      m: {payload: {$ref: '#/components/schemas/S8'}}\n"
      "components:\n"
      "  schemas:\n";
  std::string aliases = head + "    S0: &a0 {type: string}\n";
  std::string refs = head + "    S0: {type: string}\n";
  for (int level = 1; level <= 8; ++level) {
    const auto name = std::to_string(level);
    const auto below = std::to_string(level - 1);
    aliases += "    S" + name + ": &a" + name + " {allOf: [";
    refs += "    S" + name + ": {allOf: [";
    for (int i = 0; i < 10; ++i) {
      aliases += (i ? ", *a" : "*a") + below;
      refs += std::string(i ? ", " : "") + "{$ref: '#/components/schemas/S" + below + "'}";
    }
    aliases += "]}\n";
    refs += "]}\n";
  }
  {
    std::ofstream(dir / "aliases.yaml") << aliases;
    std::ofstream(dir / "refs.yaml") << refs;
  }
  auto loaded = load(dir / "aliases.yaml");
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("aliases expand it beyond 1000000 nodes"));
  loaded = load(dir / "refs.yaml");
  ASSERT_FALSE(loaded.errors.empty());
  EXPECT_THAT(loaded.errors[0].message,
              HasSubstr("$refs expand the document's schemas beyond 1000000 values"));
  std::filesystem::remove_all(dir);
}

TEST(AsyncApiDocument, AJsonDocumentNestedTooDeepIsAnError) {
  // Read recursively after parsing: 100,000 levels overflowed the stack.
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-deep";
  std::filesystem::create_directories(dir);
  std::string schema;
  for (int i = 0; i < 100000; ++i) schema += R"({"type":"object","properties":{"a":)";
  schema += R"({"type":"string"})";
  for (int i = 0; i < 100000; ++i) schema += "}}";
  std::ofstream(dir / "deep.json")
      << R"({"asyncapi":"2.6.0","info":{"title":"t","version":"1"},"channels":{"c":{)"
      << R"("subscribe":{"message":{"payload":)" << schema << "}}}}}";
  const auto loaded = load(dir / "deep.json");
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("nests deeper than 512 levels"));
  std::filesystem::remove_all(dir);
}

TEST(AsyncApiDocument, RefChainsAreBoundedInDepthAndLength) {
  // Text that nests little, schemas that nest deeply once inlined: 1,000
  // schemas, each 50 levels of items around a $ref to the next.
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-chain";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "chain.yaml");
    out << "asyncapi: 3.0.0\nservers: {m: {host: x, protocol: mqtt}}\nchannels:\n"
           "  c: {address: t, messages: {m: {payload: {$ref: '#/components/schemas/S0'}}}}\n"
           "components:\n  schemas:\n";
    for (int i = 0; i < 1000; ++i) {
      out << "    S" << i << ": ";
      for (int level = 0; level < 50; ++level) out << "{items: ";
      out << "{$ref: '#/components/schemas/S" << i + 1 << "'}";
      for (int level = 0; level < 50; ++level) out << "}";
      out << "\n";
    }
    out << "    S1000: {type: string}\n";
  }
  auto loaded = load(dir / "chain.yaml");
  ASSERT_FALSE(loaded.errors.empty());
  EXPECT_THAT(loaded.errors[0].message,
              HasSubstr("the schema nests deeper than 512 levels with its $refs inlined"));
  {
    std::ofstream out(dir / "direct.yaml");
    out << "asyncapi: 3.0.0\nservers: {m: {host: x, protocol: mqtt}}\nchannels:\n"
           "  c: {address: t, messages: {m: {payload: {$ref: '#/components/schemas/S0'}}}}\n"
           "components:\n  schemas:\n";
    for (int i = 0; i < 20000; ++i) {
      out << "    S" << i << ": {$ref: '#/components/schemas/S" << i + 1 << "'}\n";
    }
    out << "    S20000: {type: string}\n";
  }
  loaded = load(dir / "direct.yaml");
  ASSERT_FALSE(loaded.errors.empty());
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("more than 512"));
  std::filesystem::remove_all(dir);
}

TEST(AsyncApiDocument, UnexpectedShapesAreErrorsWithPointers) {
  const auto dir = std::filesystem::temp_directory_path() / "mockforge-asyncapi-shapes";
  std::filesystem::create_directories(dir);
  const auto errors_of = [&](const std::string& text) {
    {
      std::ofstream out(dir / "doc.yaml");
      out << text;
    }
    return load(dir / "doc.yaml").errors;
  };
  auto errors = errors_of(
      "asyncapi: 3.0.0\nservers: {m: {host: x, protocol: mqtt}}\n"
      "channels: [1, 2]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/channels");
  EXPECT_EQ(errors[0].message, "must be a map");
  errors = errors_of("asyncapi: 2.6.0\nservers: {m: 5}\nchannels: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/servers/m");
  errors = errors_of(
      "asyncapi: 2.6.0\nservers: {m: {url: x, protocol: mqtt}}\n"
      "channels: {a: {publish: {message: {oneOf: {}}}, bindings: 3}}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/channels/a/bindings");
  errors = errors_of("[1, 2]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("is an object"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mockforge::asyncapi
