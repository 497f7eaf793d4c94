#!/usr/bin/python3
"""A small device manager (the service under test): reads telemetry from
devices/+/telemetry over MQTT 5 and raises a critical alert on alerts/critical
when a device reports more than 80 degrees Celsius, as asyncapi.yaml says it
does (sendCriticalAlert). It also publishes its heartbeat on system/heartbeat.

Usage: device_manager.py HOST PORT  (runs until SIGTERM)."""

import json
import signal
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt

THRESHOLD_C = 80.0
STARTED = time.monotonic()


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    client = mqtt.Client(client_id="iot-device-manager", protocol=mqtt.MQTTv5)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def on_connect(c, userdata, flags, reason, properties=None):
        c.subscribe("devices/+/telemetry", qos=1)

    def on_message(c, userdata, message):
        try:
            telemetry = json.loads(message.payload)
            temperature = float(telemetry["sensors"]["temperature"])
        except (ValueError, KeyError, TypeError):
            return  # not telemetry we understand
        if temperature <= THRESHOLD_C:
            return
        device = message.topic.split("/")[1]
        alert = {"alertId": str(uuid.uuid4()), "deviceId": device, "severity": "critical",
                 "kind": "high_temperature", "temperature": temperature,
                 "message": f"{device} reports {temperature:.1f} C (above {THRESHOLD_C:.0f} C)",
                 "timestamp": now()}
        c.publish("alerts/critical", json.dumps(alert), qos=2)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    while not stop.wait(1.0):
        heartbeat = {"service": "iot-device-manager", "timestamp": now(),
                     "uptimeSeconds": int(time.monotonic() - STARTED), "status": "healthy"}
        client.publish("system/heartbeat", json.dumps(heartbeat), qos=0)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
