// Bytes captured from real clients (mosquitto_pub/mosquitto_sub 2.0.11 and
// paho-mqtt 1.6.1; see tests/golden/mqtt/capture.py): every packet must
// decode to the expected fields and re-encode byte for byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/unit/mqtt_codec/hex.h"

namespace mockforge::mqtt {
namespace {

namespace fs = std::filesystem;

fs::path golden_dir() {
  const char* root = std::getenv("MOCKFORGE_SOURCE_DIR");
  return fs::path(root != nullptr ? root : ".") / "tests" / "golden" / "mqtt";
}

Bytes read_golden(const std::string& name) {
  std::ifstream in(golden_dir() / name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ProtocolVersion version_of(const std::string& name) {
  if (name.find("_v5_") != std::string::npos) return ProtocolVersion::v5;
  if (name.find("_v31_") != std::string::npos) return ProtocolVersion::v3_1;
  return ProtocolVersion::v3_1_1;
}

template <typename T>
T decode_golden(const std::string& name) {
  const Bytes bytes = read_golden(name);
  EXPECT_FALSE(bytes.empty()) << name << " missing";
  const auto decoded = decode_packet(bytes, version_of(name));
  EXPECT_TRUE(decoded.has_value()) << name << ": " << decoded.error().message;
  if (!decoded.has_value() || !std::holds_alternative<T>(*decoded)) {
    ADD_FAILURE() << name << " decoded to another packet type";
    return T{};
  }
  return std::get<T>(*decoded);
}

TEST(MqttRealClients, EveryCapturedPacketRoundTripsByteForByte) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    if (entry.path().extension() != ".bin") continue;
    const std::string name = entry.path().filename().string();
    const Bytes bytes = read_golden(name);
    const auto decoded = decode_packet(bytes, version_of(name));
    ASSERT_TRUE(decoded.has_value()) << name << ": " << decoded.error().message;
    EXPECT_EQ(testing::encode_hex(*decoded, version_of(name)), testing::to_hex(bytes)) << name;
    ++files;
  }
  EXPECT_GE(files, 25);
}

TEST(MqttRealClients, MosquittoPubV311ConnectWithWillAndCredentials) {
  const auto connect = decode_golden<Connect>("mosquitto_pub_v311_01_connect.bin");
  EXPECT_EQ(connect.protocol_version, ProtocolVersion::v3_1_1);
  EXPECT_EQ(connect.client_id, "pub311");
  EXPECT_EQ(connect.keep_alive, 30);
  EXPECT_TRUE(connect.clean_start);
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->topic, "w/t");
  EXPECT_EQ(connect.will->payload, testing::bytes_of("bye"));
  EXPECT_EQ(connect.will->qos, QoS::at_least_once);
  EXPECT_TRUE(connect.will->retain);
  EXPECT_EQ(connect.user_name, "user");
  EXPECT_EQ(connect.password, testing::bytes_of("pass"));

  const auto publish = decode_golden<Publish>("mosquitto_pub_v311_02_publish.bin");
  EXPECT_EQ(publish.topic_name, "a/b");
  EXPECT_EQ(publish.qos, QoS::at_least_once);
  EXPECT_EQ(publish.packet_id, 1);
  EXPECT_EQ(publish.payload, testing::bytes_of("hello"));
}

TEST(MqttRealClients, MosquittoPubV5PropertiesEverywhere) {
  const auto connect = decode_golden<Connect>("mosquitto_pub_v5_01_connect.bin");
  EXPECT_EQ(connect.protocol_version, ProtocolVersion::v5);
  EXPECT_EQ(connect.client_id, "pub5");
  EXPECT_EQ(connect.properties.integer(PropertyId::session_expiry_interval), 60u);
  EXPECT_EQ(connect.properties.integer(PropertyId::receive_maximum), 20u);
  EXPECT_EQ(connect.properties.user_properties(), (std::vector<StringPair>{{"ck", "cv"}}));
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->topic, "w/5");
  EXPECT_EQ(connect.will->qos, QoS::exactly_once);
  EXPECT_EQ(connect.will->properties.integer(PropertyId::will_delay_interval), 5u);
  EXPECT_EQ(connect.will->properties.string(PropertyId::content_type), "x");

  const auto publish = decode_golden<Publish>("mosquitto_pub_v5_02_publish.bin");
  EXPECT_EQ(publish.qos, QoS::exactly_once);
  EXPECT_TRUE(publish.retain);
  EXPECT_EQ(publish.payload, testing::bytes_of("hello v5"));
  EXPECT_EQ(publish.properties.user_properties(),
            (std::vector<StringPair>{{"a", "b"}, {"a", "c"}}));
  EXPECT_EQ(publish.properties.string(PropertyId::content_type), "text/plain");
  EXPECT_EQ(publish.properties.integer(PropertyId::message_expiry_interval), 30u);
  EXPECT_EQ(publish.properties.string(PropertyId::response_topic), "r/t");
  EXPECT_EQ(publish.properties.integer(PropertyId::payload_format_indicator), 1u);
  ASSERT_TRUE(publish.properties.binary(PropertyId::correlation_data).has_value());
  EXPECT_EQ(publish.properties.binary(PropertyId::correlation_data)->size(), 3u);

  const auto pubrel = decode_golden<PubRel>("mosquitto_pub_v5_03_pubrel.bin");
  EXPECT_EQ(pubrel.packet_id, publish.packet_id);
  EXPECT_EQ(pubrel.reason_code, ReasonCode::success);
}

TEST(MqttRealClients, MosquittoSub) {
  const auto subscribe = decode_golden<Subscribe>("mosquitto_sub_v311_02_subscribe.bin");
  ASSERT_EQ(subscribe.subscriptions.size(), 2u);
  EXPECT_EQ(subscribe.subscriptions[0].topic_filter, "x/+");
  EXPECT_EQ(subscribe.subscriptions[1].topic_filter, "y/#");
  EXPECT_EQ(subscribe.subscriptions[1].options.max_qos, QoS::at_least_once);
  EXPECT_EQ(decode_golden<PubAck>("mosquitto_sub_v311_03_puback.bin").packet_id, 9);

  const auto subscribe5 = decode_golden<Subscribe>("mosquitto_sub_v5_02_subscribe.bin");
  EXPECT_EQ(subscribe5.properties.subscription_identifiers(), (std::vector<std::uint32_t>{7}));
  EXPECT_EQ(subscribe5.properties.user_properties(), (std::vector<StringPair>{{"s", "1"}}));
  ASSERT_EQ(subscribe5.subscriptions.size(), 1u);
  EXPECT_EQ(subscribe5.subscriptions[0].options.max_qos, QoS::exactly_once);
  EXPECT_EQ(decode_golden<PubRec>("mosquitto_sub_v5_03_pubrec.bin").packet_id, 9);
  EXPECT_EQ(decode_golden<PubComp>("mosquitto_sub_v5_04_pubcomp.bin").packet_id, 9);
  const auto disconnect = decode_golden<Disconnect>("mosquitto_sub_v5_05_disconnect.bin");
  EXPECT_EQ(disconnect.reason_code, ReasonCode::normal_disconnection);
  EXPECT_EQ(disconnect.properties.string(PropertyId::reason_string), "done");
}

TEST(MqttRealClients, PahoMqtt31) {
  const auto connect = decode_golden<Connect>("paho_v31_01_connect.bin");
  EXPECT_EQ(connect.protocol_version, ProtocolVersion::v3_1);
  EXPECT_EQ(connect.client_id, "paho31");
  EXPECT_EQ(connect.user_name, "user");
  EXPECT_FALSE(connect.password.has_value());
  const auto subscribe = decode_golden<Subscribe>("paho_v31_02_subscribe.bin");
  ASSERT_EQ(subscribe.subscriptions.size(), 2u);
  EXPECT_EQ(subscribe.subscriptions[1].options.max_qos, QoS::exactly_once);
  const auto unsubscribe = decode_golden<Unsubscribe>("paho_v31_03_unsubscribe.bin");
  EXPECT_EQ(unsubscribe.topic_filters, (std::vector<std::string>{"s/1", "s/2"}));
  decode_golden<PingReq>("paho_v31_04_pingreq.bin");
  const auto publish = decode_golden<Publish>("paho_v31_05_publish.bin");
  EXPECT_EQ(publish.topic_name, "p/31");
  EXPECT_EQ(publish.payload, testing::bytes_of(std::string_view("\x00\x01"
                                                                "binary",
                                                                8)));
}

TEST(MqttRealClients, PahoMqtt5) {
  const auto connect = decode_golden<Connect>("paho_v5_01_connect.bin");
  EXPECT_FALSE(connect.clean_start);
  EXPECT_EQ(connect.keep_alive, 15);
  EXPECT_EQ(connect.properties.integer(PropertyId::session_expiry_interval), 120u);
  EXPECT_EQ(connect.properties.integer(PropertyId::topic_alias_maximum), 10u);
  EXPECT_EQ(connect.properties.integer(PropertyId::maximum_packet_size), 65536u);
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->qos, QoS::exactly_once);
  EXPECT_TRUE(connect.will->retain);
  EXPECT_EQ(connect.will->properties.user_properties(), (std::vector<StringPair>{{"w", "1"}}));
  EXPECT_EQ(connect.user_name, "alice");
  EXPECT_EQ(connect.password, testing::bytes_of("secret"));

  const auto subscribe = decode_golden<Subscribe>("paho_v5_02_subscribe.bin");
  EXPECT_EQ(subscribe.properties.subscription_identifiers(), (std::vector<std::uint32_t>{42}));
  ASSERT_EQ(subscribe.subscriptions.size(), 2u);
  const auto& first = subscribe.subscriptions[0].options;
  EXPECT_EQ(first.max_qos, QoS::at_least_once);
  EXPECT_TRUE(first.no_local);
  EXPECT_TRUE(first.retain_as_published);
  EXPECT_EQ(first.retain_handling, RetainHandling::send_at_new_subscribe);
  EXPECT_EQ(subscribe.subscriptions[1].topic_filter, "$share/g/d/#");
  EXPECT_EQ(subscribe.subscriptions[1].options.retain_handling, RetainHandling::do_not_send);

  const auto unsubscribe = decode_golden<Unsubscribe>("paho_v5_03_unsubscribe.bin");
  EXPECT_EQ(unsubscribe.properties.user_properties(), (std::vector<StringPair>{{"u", "x"}}));

  const auto publish = decode_golden<Publish>("paho_v5_04_publish.bin");
  EXPECT_EQ(publish.properties.integer(PropertyId::topic_alias), 3u);
  EXPECT_EQ(publish.properties.user_properties(),
            (std::vector<StringPair>{{"k1", "v1"}, {"k2", "v2"}, {"k1", "v3"}}));

  const auto disconnect = decode_golden<Disconnect>("paho_v5_05_disconnect.bin");
  EXPECT_EQ(disconnect.reason_code, ReasonCode::disconnect_with_will_message);
  EXPECT_EQ(disconnect.properties.integer(PropertyId::session_expiry_interval), 0u);
  EXPECT_EQ(disconnect.properties.string(PropertyId::reason_string), "bye");
}

TEST(MqttRealClients, FramerSplitsTheWholeSessionStream) {
  // Concatenate one client's packets and push them through the framer in
  // awkward chunks.
  Bytes stream;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("paho_v5_") && name.ends_with(".bin")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const Bytes bytes = read_golden(name);
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  Framer framer(1024);
  std::size_t packets = 0;
  for (std::size_t offset = 0; offset < stream.size(); offset += 7) {
    framer.feed(
        std::span(stream).subspan(offset, std::min<std::size_t>(7, stream.size() - offset)));
    for (auto result = framer.next(); result.status == Framer::Status::packet;
         result = framer.next()) {
      EXPECT_TRUE(decode_packet(result.packet, ProtocolVersion::v5).has_value());
      ++packets;
    }
  }
  EXPECT_EQ(packets, names.size());
}

}  // namespace
}  // namespace mockforge::mqtt
