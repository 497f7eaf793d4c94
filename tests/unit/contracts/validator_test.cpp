// The AsyncAPI gate on the traffic hub: modes off, warn and reject, the
// recent-violations list, metrics, loading errors and channel declarations.
#include "contracts/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/metrics/registry.h"

namespace mockforge::contracts {
namespace {

using ::testing::HasSubstr;
using traffic::Protocol;

std::filesystem::path document(const std::string& name) {
  const char* dir = std::getenv("MOCKFORGE_SOURCE_DIR");
  return std::filesystem::path(dir ? dir : ".") / "tests/unit/asyncapi/documents" / name;
}

traffic::Message mqtt_message(std::string topic, std::string payload) {
  traffic::Message m;
  m.protocol = Protocol::kMqtt;
  m.destination = std::move(topic);
  m.payload = std::move(payload);
  m.client_id = "sensor-7";
  return m;
}

class RecordingEndpoint : public traffic::Endpoint {
 public:
  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    for (const auto& m : messages) published.push_back(m);
    return {messages.size(), ""};
  }
  std::string declare(const traffic::Resource& resource) override {
    declared.push_back(resource);
    return resource.kind == traffic::Resource::Kind::kQueue ? "queue refused" : "";
  }
  std::string check(const traffic::Resource&) override { return ""; }
  std::vector<traffic::Message> published;
  std::vector<traffic::Resource> declared;
};

constexpr const char* kChannel = "factory/{plantId}/line/{lineId}/measured";
const std::string kInvalid = R"({"value": "hot"})";
const std::string kValid = R"({"value": 1.5, "unit": "C"})";

double failures(const metrics::Registry& registry) {
  const std::string text = registry.render();
  const std::string prefix = std::string("mockforge_validation_failures_total{protocol=\"mqtt\",") +
                             "channel=\"" + kChannel + "\"} ";
  const auto at = text.find(prefix);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + prefix.size()));
}

TEST(ContractsValidator, WarnRecordsAndAccepts) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 10, false});
  EXPECT_FALSE(hub.gated());
  const auto info = validator.load(document("v26_brokers.yaml"), std::nullopt);
  EXPECT_EQ(info.mode, Mode::kWarn);
  EXPECT_EQ(info.title, "Plant events");
  EXPECT_TRUE(hub.gated());

  EXPECT_FALSE(hub.admit(mqtt_message("factory/berlin/line/1/measured", kValid)).refused);
  EXPECT_TRUE(validator.violations().empty());
  EXPECT_FALSE(hub.admit(mqtt_message("factory/berlin/line/1/measured", kInvalid)).refused);
  // Not covered (plantId outside its enum): not checked.
  EXPECT_FALSE(hub.admit(mqtt_message("factory/paris/line/1/measured", kInvalid)).refused);

  const auto recent = validator.violations();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].channel, kChannel);
  EXPECT_EQ(recent[0].destination, "factory/berlin/line/1/measured");
  EXPECT_EQ(recent[0].client_id, "sensor-7");
  EXPECT_EQ(recent[0].mode, Mode::kWarn);
  bool type_at_value = false;
  for (const auto& v : recent[0].violations)
    type_at_value |= v.pointer == "/value" && v.keyword == "type";
  EXPECT_TRUE(type_at_value);
  EXPECT_EQ(recent[0].to_json()["refused"], false);
  EXPECT_EQ(failures(registry), 1);
}

TEST(ContractsValidator, RejectRefusesWithTheChannelAndPointer) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 10, false});
  validator.load_entry("reject=" + document("v26_brokers.yaml").string());
  const auto admission = hub.admit(mqtt_message("factory/lyon/line/2/measured", "not json"));
  ASSERT_TRUE(admission.refused);
  EXPECT_THAT(admission.reason, HasSubstr(kChannel));
  EXPECT_THAT(admission.reason, HasSubstr("the payload is not JSON"));
  EXPECT_FALSE(hub.admit(mqtt_message("factory/lyon/line/2/measured", kValid)).refused);
  // Hub::publish is gated too.
  auto endpoint = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kMqtt, endpoint);
  const auto result = hub.publish(mqtt_message("factory/lyon/line/2/measured", kInvalid));
  EXPECT_EQ(result.accepted, 0u);
  EXPECT_THAT(result.error, HasSubstr("refused: "));
  EXPECT_TRUE(endpoint->published.empty());
  EXPECT_EQ(validator.violations().size(), 2u);
  EXPECT_EQ(validator.violations()[1].to_json()["refused"], true);
}

TEST(ContractsValidator, OffInstallsNoGateAndUnloadRemovesIt) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kOff, 10, false});
  validator.load(document("v26_brokers.yaml"), std::nullopt);
  EXPECT_FALSE(hub.gated());
  validator.load(document("v26_brokers.yaml"), Mode::kReject);  // replaces it
  EXPECT_EQ(validator.documents().size(), 1u);
  EXPECT_TRUE(hub.gated());
  EXPECT_TRUE(validator.unload(document("v26_brokers.yaml").string()));
  EXPECT_FALSE(validator.unload(document("v26_brokers.yaml").string()));
  EXPECT_FALSE(hub.gated());
}

// Channels override their document's mode: x-mockforge-validate in the
// document, then Options::channel_modes (asyncapi.channel_validate), then the
// load's own.
TEST(ContractsValidator, ChannelModesOverrideTheDocumentsMode) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 10, false});
  const auto info = validator.load(document("channel_modes.yaml"), std::nullopt);
  EXPECT_EQ(info.mode, Mode::kWarn);
  EXPECT_EQ(info.channel_modes.at("telemetry"), Mode::kReject);
  EXPECT_EQ(info.channel_modes.at("debug"), Mode::kOff);
  EXPECT_EQ(info.to_json()["channel_validate"]["telemetry"], "reject");

  EXPECT_TRUE(hub.admit(mqtt_message("devices/d1/telemetry", R"({"value": "x"})")).refused);
  EXPECT_FALSE(hub.admit(mqtt_message("devices/d1/telemetry", R"({"value": 1})")).refused);
  EXPECT_FALSE(hub.admit(mqtt_message("devices/d1/status", R"({"online": 3})")).refused);
  EXPECT_FALSE(hub.admit(mqtt_message("devices/d1/debug", "not json")).refused);
  const auto recent = validator.violations();
  ASSERT_EQ(recent.size(), 2u);  // the debug channel is not checked
  EXPECT_EQ(recent[0].channel, "telemetry");
  EXPECT_EQ(recent[0].mode, Mode::kReject);
  EXPECT_EQ(recent[1].channel, "status");
  EXPECT_EQ(recent[1].mode, Mode::kWarn);

  // A document that is off with one channel on still installs the gate.
  validator.load(document("channel_modes.yaml"), Mode::kOff, true, {{"status", Mode::kReject}});
  EXPECT_TRUE(hub.gated());
  EXPECT_TRUE(hub.admit(mqtt_message("devices/d1/status", R"({"online": 3})")).refused);
  EXPECT_TRUE(hub.admit(mqtt_message("devices/d1/telemetry", R"({"value": "x"})")).refused);
  validator.load(document("channel_modes.yaml"), Mode::kOff, true,
                 {{"status", Mode::kOff}, {"telemetry", Mode::kOff}});
  EXPECT_FALSE(hub.gated());

  Validator configured(hub, registry,
                       Options{Mode::kReject, 10, false, {{"telemetry", Mode::kWarn}}});
  validator.unload(document("channel_modes.yaml").string());
  const auto overridden = configured.load(document("channel_modes.yaml"), std::nullopt);
  EXPECT_EQ(overridden.channel_modes.at("telemetry"), Mode::kWarn);  // config over the document
  EXPECT_EQ(overridden.channel_modes.count("status"), 0u);           // the document's: reject
  EXPECT_FALSE(hub.admit(mqtt_message("devices/d2/telemetry", R"({"value": "x"})")).refused);
  EXPECT_TRUE(hub.admit(mqtt_message("devices/d2/status", R"({"online": 3})")).refused);
}

TEST(ContractsValidator, ChannelModeErrors) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 10, false});
  try {
    validator.load(document("channel_modes.yaml"), std::nullopt, true, {{"nosuch", Mode::kReject}});
    FAIL() << "a mode for a channel the document lacks loaded";
  } catch (const LoadError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the document has no channel 'nosuch'"));
  }
  try {
    validator.load(document("channel_modes_bad.yaml"), std::nullopt);
    FAIL() << "x-mockforge-validate: strict loaded";
  } catch (const LoadError& e) {
    EXPECT_THAT(e.what(), HasSubstr("channel_modes_bad.yaml:12"));
    EXPECT_THAT(e.what(), HasSubstr("x-mockforge-validate is off, warn or reject"));
  }
  EXPECT_TRUE(validator.documents().empty());
}

TEST(ContractsValidator, TheListIsBoundedAndClears) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 3, false});
  validator.load(document("v26_brokers.yaml"), std::nullopt);
  for (int i = 0; i < 5; ++i)
    hub.admit(mqtt_message("factory/lyon/line/" + std::to_string(i) + "/measured", kInvalid));
  const auto recent = validator.violations();
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.front().sequence, 3u);
  EXPECT_EQ(recent.back().destination, "factory/lyon/line/4/measured");
  EXPECT_EQ(validator.violations_total(), 5u);
  EXPECT_EQ(validator.clear_violations(), 3u);
  EXPECT_TRUE(validator.violations().empty());
  EXPECT_EQ(failures(registry), 5);
}

TEST(ContractsValidator, LoadErrorsNameFileLineAndPointer) {
  traffic::Hub hub;
  metrics::Registry registry;
  Validator validator(hub, registry, Options{});
  try {
    validator.load(document("errors.yaml"), std::nullopt);
    FAIL() << "loaded a bad document";
  } catch (const LoadError& e) {
    ASSERT_FALSE(e.errors().empty());
    EXPECT_THAT(e.errors()[0], HasSubstr("errors.yaml:"));
    EXPECT_THAT(e.errors()[0], HasSubstr(": #/"));
  }
  EXPECT_THROW(validator.load(document("missing.yaml"), std::nullopt), LoadError);
  EXPECT_TRUE(validator.documents().empty());
  EXPECT_FALSE(hub.gated());
}

TEST(ContractsValidator, DeclaresTheDocumentsResources) {
  traffic::Hub hub;
  auto kafka = std::make_shared<RecordingEndpoint>();
  auto amqp = std::make_shared<RecordingEndpoint>();
  hub.attach(Protocol::kKafka, kafka);
  hub.attach(Protocol::kAmqp, amqp);
  metrics::Registry registry;
  Validator validator(hub, registry, Options{Mode::kWarn, 10, true});
  const auto info = validator.load(document("v26_brokers.yaml"), std::nullopt);
  ASSERT_FALSE(kafka->declared.empty());
  EXPECT_EQ(kafka->declared[0].name, "orders.created.v1");
  EXPECT_EQ(kafka->declared[0].partitions, 3);
  EXPECT_THAT(info.declared, ::testing::Contains("kafka topic orders.created.v1 (3 partitions)"));
  ASSERT_FALSE(info.not_declared.empty());
  EXPECT_THAT(info.not_declared[0], HasSubstr("queue refused"));
}

}  // namespace
}  // namespace mockforge::contracts
