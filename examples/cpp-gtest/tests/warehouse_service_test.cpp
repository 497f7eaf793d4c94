// The warehouse service against mockforge, in-process: real librdkafka and
// paho clients on ephemeral ports, a fresh state for every test.
#include <MQTTClient.h>
#include <gtest/gtest.h>
#include <mockforge/server/testing/mockforge_test.h>

#include <chrono>
#include <string>

#include "order_service.h"
#include "telemetry_monitor.h"

namespace {

class WarehouseServiceTest : public mockforge::testing::SharedMockforgeTest {};

TEST_F(WarehouseServiceTest, ConfirmsAnOrderItConsumed) {
  OrderService service(kafka_bootstrap());
  service.start();
  produce("orders.created", R"({"order_id":"o-42","total":99.99})", "o-42");

  auto confirmed = consume("orders.confirmed", 1, std::chrono::seconds(30));
  service.stop();
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].key, "o-42");
  ASSERT_TRUE(confirmed[0].value.has_value());
  EXPECT_NE(confirmed[0].value->find(R"("status":"confirmed")"), std::string::npos);
  EXPECT_NE(confirmed[0].value->find("o-42"), std::string::npos);
  EXPECT_EQ(service.confirmed(), 1);
}

// A test-side MQTT client: publishes readings and collects alerts.
class Probe {
 public:
  explicit Probe(const std::string& uri) {
    MQTTClient_create(&client_, uri.c_str(), "test-probe", MQTTCLIENT_PERSISTENCE_NONE, nullptr);
    MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
    EXPECT_EQ(MQTTClient_connect(client_, &options), MQTTCLIENT_SUCCESS);
    EXPECT_EQ(MQTTClient_subscribe(client_, "alerts/critical", 1), MQTTCLIENT_SUCCESS);
  }
  ~Probe() {
    MQTTClient_disconnect(client_, 1000);
    MQTTClient_destroy(&client_);
  }
  void publish(const std::string& topic, const std::string& payload) {
    MQTTClient_deliveryToken token;
    ASSERT_EQ(MQTTClient_publish(client_, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), 1, 0, &token),
              MQTTCLIENT_SUCCESS);
    ASSERT_EQ(MQTTClient_waitForCompletion(client_, token, 5000), MQTTCLIENT_SUCCESS);
  }
  // The next message on the subscription, or "" after `timeout`.
  std::string receive(std::chrono::milliseconds timeout) {
    char* topic = nullptr;
    int topic_length = 0;
    MQTTClient_message* message = nullptr;
    MQTTClient_receive(client_, &topic, &topic_length, &message,
                       static_cast<unsigned long>(timeout.count()));
    if (!message) return "";
    std::string payload(static_cast<const char*>(message->payload),
                        static_cast<size_t>(message->payloadlen));
    MQTTClient_freeMessage(&message);
    MQTTClient_free(topic);
    return payload;
  }

 private:
  MQTTClient client_ = nullptr;
};

TEST_F(WarehouseServiceTest, RaisesAnAlertForAHotReadingOnly) {
  TelemetryMonitor monitor(mqtt_url());
  monitor.start();
  Probe probe(mqtt_url());

  probe.publish("warehouse/sensors/zone-1/temperature", R"({"celsius": 21.5})");
  EXPECT_EQ(probe.receive(std::chrono::milliseconds(300)), "");

  probe.publish("warehouse/sensors/zone-2/temperature", R"({"celsius": 85.0})");
  const auto alert = probe.receive(std::chrono::seconds(5));
  EXPECT_NE(alert.find("zone-2"), std::string::npos) << alert;
  EXPECT_NE(alert.find("85"), std::string::npos) << alert;
}

}  // namespace
