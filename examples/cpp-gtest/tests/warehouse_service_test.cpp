// The warehouse service against mockforge, in-process: real librdkafka and
// paho clients on ephemeral ports, a fresh state for every test.
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

TEST_F(WarehouseServiceTest, RaisesAnAlertForAHotReadingOnly) {
  TelemetryMonitor monitor(mqtt_url());
  monitor.start();  // subscribed once start() returns

  // Delivered to the monitor's paho subscription as a sensor's publish would be.
  publish_mqtt("warehouse/sensors/zone-1/temperature", R"({"celsius": 21.5})", 1);
  publish_mqtt("warehouse/sensors/zone-2/temperature", R"({"celsius": 85.0})", 1);

  const auto alert = expect(R"({"protocol": "mqtt", "topic": "alerts/critical",
      "match": {"json": [{"path": "$.source", "contains": "zone-2"},
                         {"path": "$.celsius", "gt": 80}]},
      "timeout_ms": 5000})");
  EXPECT_TRUE(alert.met) << alert.message;
  const auto quiet = expect(R"({"protocol": "mqtt", "topic": "alerts/critical",
      "match": {"json": [{"path": "$.source", "contains": "zone-1"}]},
      "count": {"none": true}, "timeout_ms": 300})");
  EXPECT_TRUE(quiet.met) << quiet.message;
}

}  // namespace
