"""The config key asyncapi.play (RATE=FILE entries) with the real `mockforge
serve`: set in mockforge.yaml, the document's send operations are played from
start-up and read by confluent-kafka and paho-mqtt (MQTT 5), validating in
reject mode with nothing refused; the operation the service receives is not
played. The same key from the environment and the flag. Entries that cannot
be played stop start-up: a malformed entry with mockforge.yaml:line:column
and the key, a missing file, and a parameter without values with the entry's
index and field."""

import json
import os
import queue
import subprocess
import tempfile
import time
import unittest

import paho.mqtt.client as mqtt
from confluent_kafka import Consumer

from mockforge_harness import BIN, Mockforge

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = os.path.join(HERE, "config-play", "contract.yaml")
UNBOUND = os.path.join(HERE, "config-play", "unbound-parameter.yaml")
TIMEOUT = 30


def config_file(text):
    handle, path = tempfile.mkstemp(prefix="mockforge-config-play-", suffix=".yaml")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    return path


def read_kafka(bootstrap, topic, count, group):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])
        values = []
        deadline = time.monotonic() + TIMEOUT
        while len(values) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"read {len(values)} of {count} from {topic}")
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            values.append(json.loads(msg.value()))
        return values
    finally:
        consumer.close()


class ConfigPlay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = config_file(
            "asyncapi:\n"
            f"  documents: [\"reject={CONTRACT}\"]\n"
            f"  play: [\"20={CONTRACT}\"]\n")
        cls.mf = Mockforge("--config", cls.config)
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        os.unlink(cls.config)

    def test_kafka_metrics_are_played(self):
        metrics = read_kafka(self.bootstrap, "plant.metrics", 6, "config-play-metrics")
        for metric in metrics:
            self.assertIn(metric["name"], ("rpm", "pressure"))
            self.assertIsInstance(metric["value"], int)
            self.assertTrue(0 <= metric["value"] <= 5000, metric)
        self.assertGreater(len({json.dumps(m, sort_keys=True) for m in metrics}), 1, metrics)
        status, body = self.mf.api("GET", "/__mockforge/api/asyncapi/violations")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["violations"], [])

    def test_mqtt_temperatures_are_played_per_zone(self):
        client = mqtt.Client(client_id="config-play-reader", protocol=mqtt.MQTTv5)
        received = queue.Queue()
        subscribed = queue.Queue()
        client.on_subscribe = lambda *args: subscribed.put(True)
        client.on_message = lambda c, u, m: received.put(m)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        self.addCleanup(lambda: (client.disconnect(), client.loop_stop()))
        client.subscribe("zones/+/temperature", qos=1)
        subscribed.get(timeout=TIMEOUT)
        zones = {}
        deadline = time.monotonic() + TIMEOUT
        while len(zones) < 2 or min(len(v) for v in zones.values()) < 2:
            self.assertLess(time.monotonic(), deadline, zones)
            message = received.get(timeout=TIMEOUT)
            reading = json.loads(message.payload)
            self.assertTrue(-10 <= reading["celsius"] <= 60, reading)
            self.assertEqual(message.properties.ContentType, "application/json")
            zones.setdefault(message.topic.split("/")[1], []).append(reading)
        self.assertEqual(sorted(zones), ["north", "south"])

    def test_only_what_the_service_sends_is_played(self):
        status, body = self.mf.api("GET", "/__mockforge/api/fixtures")
        self.assertEqual(status, 200, body)
        schedules = {s["identifier"]: s for s in body["schedules"]}
        self.assertEqual(set(schedules), {"sendMetric", "sendTemperature"})
        self.assertEqual(schedules["sendTemperature"]["streams"], 2)


class ConfigPlayFromEnvironmentAndFlag(unittest.TestCase):
    def check_plays(self, mf, group):
        metrics = read_kafka(f"127.0.0.1:{mf.ports['kafka']}", "plant.metrics", 3, group)
        self.assertTrue(all(m["name"] in ("rpm", "pressure") for m in metrics), metrics)

    def test_environment(self):
        with Mockforge(env={"MOCKFORGE_ASYNCAPI_PLAY": f"20={CONTRACT}"}) as mf:
            self.check_plays(mf, "config-play-env")

    def test_flag(self):
        with Mockforge("--asyncapi-play", f"20={CONTRACT}") as mf:
            self.check_plays(mf, "config-play-flag")


class ConfigPlayErrors(unittest.TestCase):
    def serve_fails(self, *args):
        proc = subprocess.run(
            [BIN, "serve", "--admin-port", "0", "--kafka-port", "0", "--mqtt-port", "0",
             "--mqtt-ws-port", "0", "--amqp-port", "0", *args],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc.stdout + proc.stderr

    def test_malformed_entry_names_file_line_and_key(self):
        path = config_file("log:\n  level: info\nasyncapi:\n  play:\n    - \"fast=orders.yaml\"\n")
        self.addCleanup(os.unlink, path)
        out = self.serve_fails("--config", path)
        self.assertIn(f"{path}:5:7: asyncapi.play: expected RATE=FILE", out)
        self.assertIn('got "fast=orders.yaml"', out)

    def test_zero_rate_from_flag(self):
        out = self.serve_fails("--asyncapi-play", f"0={CONTRACT}")
        self.assertIn("--asyncapi-play: asyncapi.play: expected RATE=FILE", out)

    def test_missing_document(self):
        missing = os.path.join(HERE, "config-play", "missing.yaml")
        out = self.serve_fails("--asyncapi-play", f"5={missing}", "--asyncapi-play",
                               f"5={CONTRACT}")
        self.assertIn(f"{missing}: asyncapi.play[0]: no such file", out)

    def test_parameter_without_values(self):
        path = config_file(f"asyncapi:\n  play: [\"5={UNBOUND}\"]\n")
        self.addCleanup(os.unlink, path)
        out = self.serve_fails("--config", path)
        self.assertIn(f"{UNBOUND}: asyncapi.play[0].parameters: operation sendReading", out)
        self.assertIn("deviceId", out)


if __name__ == "__main__":
    unittest.main()
