#!/usr/bin/env python3
"""iot-device-manager: 50 simulated devices played from the service's own AsyncAPI
document, a small device manager (service/device_manager.py, paho-mqtt) that
raises critical alerts above 80 C, and live validation in reject mode.

Proves, with real MQTT 5 clients against `mockforge serve --config mockforge.yaml`:
the devices' telemetry (fixtures/devices.yaml: the document's receiveTelemetry
operation at 2 msgs/s per device) reaches the service and its alert arrives on
alerts/critical; everything generated and everything the service publishes
validates (no violation from either); an invalid telemetry payload published by
a client is refused with PUBACK 0x99 and listed by
GET /__mockforge/api/asyncapi/violations.
"""

import json
import os
import queue
import subprocess
import sys
import time
import unittest

import paho.mqtt.client as mqtt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from mockforge_harness import Mockforge  # noqa: E402

TIMEOUT = 30
PAYLOAD_FORMAT_INVALID = 0x99


class AckRecordingClient(mqtt.Client):
    """paho 1.6 does not pass PUBACK reason codes on; record them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.acks = queue.Queue()

    def _handle_pubackcomp(self, cmd):
        if cmd == "PUBACK":
            packet = self._in_packet["packet"]
            self.acks.put(packet[2] if len(packet) > 2 else 0)
        return super()._handle_pubackcomp(cmd)


class IotDeviceManager(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.chdir(HERE)
        cls.mf = Mockforge("--config", "mockforge.yaml")
        cls.port = cls.mf.ports["mqtt"]
        cls.service = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "service", "device_manager.py"),
             "127.0.0.1", str(cls.port)])

    @classmethod
    def tearDownClass(cls):
        cls.service.terminate()
        cls.service.wait(timeout=10)
        cls.mf.close()

    def client(self, name):
        client = AckRecordingClient(client_id=name, protocol=mqtt.MQTTv5)
        connected, subscribed = queue.Queue(), queue.Queue()
        client.on_connect = lambda *args: connected.put(True)
        client.on_subscribe = lambda *args: subscribed.put(True)
        client.received = queue.Queue()
        client.on_message = lambda c, u, m: client.received.put(m)
        client.subscribed = subscribed
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        connected.get(timeout=TIMEOUT)
        self.addCleanup(lambda: (client.disconnect(), client.loop_stop()))
        return client

    def violations(self):
        status, body = self.mf.api("GET", "/__mockforge/api/asyncapi/violations")
        self.assertEqual(status, 200, body)
        return body["violations"]

    def test_1_fifty_devices_are_played_from_the_document(self):
        status, body = self.mf.api("GET", "/__mockforge/api/fixtures")
        self.assertEqual(status, 200, body)
        [schedule] = body["schedules"]
        self.assertEqual((schedule["identifier"], schedule["streams"], schedule["running"]),
                         ("receiveTelemetry", 50, True))
        watcher = self.client("telemetry-watcher")
        watcher.subscribe("devices/+/telemetry", qos=1)
        watcher.subscribed.get(timeout=TIMEOUT)
        devices = set()
        deadline = time.monotonic() + TIMEOUT
        while len(devices) < 50 and time.monotonic() < deadline:
            message = watcher.received.get(timeout=TIMEOUT)
            telemetry = json.loads(message.payload)
            self.assertTrue(-40 <= telemetry["sensors"]["temperature"] <= 125, telemetry)
            device = message.topic.split("/")[1]
            self.assertEqual(telemetry["deviceId"], device)  # overrides: /deviceId
            devices.add(device)
        self.assertEqual(devices, {f"sensor{n:03}" for n in range(1, 51)})

    def test_2_the_alert_arrives(self):
        watcher = self.client("alert-watcher")
        watcher.subscribe("alerts/critical", qos=2)
        watcher.subscribed.get(timeout=TIMEOUT)
        alert = json.loads(watcher.received.get(timeout=TIMEOUT).payload)
        self.assertEqual((alert["kind"], alert["severity"]), ("high_temperature", "critical"))
        self.assertGreater(alert["temperature"], 80)
        self.assertRegex(alert["deviceId"], r"^sensor0[0-5][0-9]$")

    def test_3_the_services_messages_and_the_generated_ones_validate(self):
        watcher = self.client("validation-watcher")
        watcher.subscribe("alerts/critical", qos=1)
        watcher.subscribe("system/heartbeat", qos=1)
        topics = set()
        deadline = time.monotonic() + TIMEOUT
        while topics != {"alerts/critical", "system/heartbeat"} and time.monotonic() < deadline:
            topics.add(watcher.received.get(timeout=TIMEOUT).topic)
        self.assertEqual(topics, {"alerts/critical", "system/heartbeat"})
        self.assertEqual([v for v in self.violations() if v["client_id"] == "iot-device-manager"],
                         [])
        self.assertEqual([v for v in self.violations()
                          if v["client_id"].startswith("mockforge:")], [])

    def test_4_invalid_telemetry_is_refused_with_0x99_and_listed(self):
        device = self.client("broken-device")
        bad = {"deviceId": "sensor999", "timestamp": "yesterday",
               "sensors": {"temperature": "very hot"}}
        device.publish("devices/sensor999/telemetry", json.dumps(bad), qos=1)
        self.assertEqual(device.acks.get(timeout=TIMEOUT), PAYLOAD_FORMAT_INVALID)
        [violation] = [v for v in self.violations() if v["client_id"] == "broken-device"]
        self.assertEqual((violation["destination"], violation["channel"], violation["refused"]),
                         ("devices/sensor999/telemetry", "telemetry", True))
        pointers = {v["pointer"] for v in violation["violations"]}
        self.assertIn("/sensors/temperature", pointers)


if __name__ == "__main__":
    unittest.main(verbosity=2)
