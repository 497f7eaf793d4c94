#include "telemetry_monitor.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {
constexpr double kAlertCelsius = 80.0;
}

TelemetryMonitor::TelemetryMonitor(const std::string& server_uri) {
  if (MQTTClient_create(&client_, server_uri.c_str(), "telemetry-monitor",
                        MQTTCLIENT_PERSISTENCE_NONE, nullptr) != MQTTCLIENT_SUCCESS) {
    throw std::runtime_error("MQTTClient_create failed");
  }
  MQTTClient_setCallbacks(client_, this, &TelemetryMonitor::on_connection_lost,
                          &TelemetryMonitor::on_message, nullptr);
}

TelemetryMonitor::~TelemetryMonitor() {
  MQTTClient_disconnect(client_, 1000);
  MQTTClient_destroy(&client_);
}

void TelemetryMonitor::start() {
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  options.cleansession = 1;
  if (MQTTClient_connect(client_, &options) != MQTTCLIENT_SUCCESS) {
    throw std::runtime_error("cannot connect to the MQTT broker");
  }
  if (MQTTClient_subscribe(client_, "warehouse/sensors/+/temperature", 1) != MQTTCLIENT_SUCCESS) {
    throw std::runtime_error("cannot subscribe");
  }
}

int TelemetryMonitor::on_message(void* context, char* topic, int, MQTTClient_message* message) {
  auto* self = static_cast<TelemetryMonitor*>(context);
  const std::string reading(static_cast<const char*>(message->payload),
                            static_cast<size_t>(message->payloadlen));
  // The payload is {"celsius": <number>}.
  const auto at = reading.find(':');
  const double celsius =
      at == std::string::npos ? 0.0 : std::strtod(reading.c_str() + at + 1, nullptr);
  if (celsius > kAlertCelsius) {
    const std::string alert =
        R"({"source":")" + std::string(topic) + R"(","celsius":)" + std::to_string(celsius) + "}";
    MQTTClient_publish(self->client_, "alerts/critical", static_cast<int>(alert.size()),
                       alert.data(), 1, 0, nullptr);
  }
  MQTTClient_freeMessage(&message);
  MQTTClient_free(topic);
  return 1;
}

void TelemetryMonitor::on_connection_lost(void*, char*) {}
