#pragma once

// The telemetry monitor: subscribes to warehouse/sensors/+/temperature and
// publishes an alert on alerts/critical (QoS 1) for a reading above 80 °C.

#include <MQTTClient.h>

#include <string>

class TelemetryMonitor {
 public:
  explicit TelemetryMonitor(const std::string& server_uri);
  ~TelemetryMonitor();
  TelemetryMonitor(const TelemetryMonitor&) = delete;
  TelemetryMonitor& operator=(const TelemetryMonitor&) = delete;

  void start();

 private:
  static int on_message(void* context, char* topic, int topic_length, MQTTClient_message* message);
  static void on_connection_lost(void* context, char* cause);

  MQTTClient client_ = nullptr;
};
