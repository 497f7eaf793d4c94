#!/usr/bin/env python3
"""multi-protocol: MQTT sensor readings bridged into Kafka, read by a consumer group."""

import json
import os
import sys
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from mockforge_harness import Mockforge  # noqa: E402

TOPIC = "warehouse.telemetry"


class MultiProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.chdir(HERE)
        cls.mf = Mockforge("--config", "mockforge.yaml")
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def consume(self, group, until, timeout=30):
        """Records read by consumer group `group` from the start, until `until(records)`."""
        from confluent_kafka import Consumer
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest"})
        consumer.subscribe([TOPIC])
        records = []
        deadline = time.monotonic() + timeout
        try:
            while not until(records) and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and not msg.error():
                    records.append(msg)
        finally:
            consumer.close()
        return records

    def test_1_scheduled_readings_reach_a_consumer_group_keyed_by_sensor(self):
        records = self.consume("analytics", lambda r: len(r) >= 30)
        self.assertGreaterEqual(len(records), 30)
        partition_of = {}
        for record in records:
            sensor = record.key().decode()
            self.assertIn(sensor, {"s1", "s2", "s3"})
            value = json.loads(record.value())
            self.assertEqual(value["sensor"], sensor)
            headers = dict(record.headers())
            self.assertEqual(headers["site"], b"berlin")       # MQTT 5 user property
            self.assertEqual(headers["x-mockforge-bridge"], b"mqtt:sensors-to-kafka")
            # murmur2 of the key: one partition per sensor.
            self.assertEqual(partition_of.setdefault(sensor, record.partition()),
                             record.partition())
        self.assertEqual(set(partition_of), {"s1", "s2", "s3"})

    def test_2_a_device_publishing_with_paho_is_bridged_too(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        client = mqtt.Client(client_id="forklift-7", protocol=mqtt.MQTTv5)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [("firmware", "2.4.1")]
        client.publish("warehouse/sensors/forklift-7/telemetry", b'{"celsius": 31.0}', qos=1,
                       properties=properties).wait_for_publish(10)
        client.publish("warehouse/doors/d1/telemetry", b"not a sensor", qos=1).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        records = self.consume(f"audit-{uuid.uuid4()}",
                               lambda r: any(m.key() == b"forklift-7" for m in r))
        mine = [m for m in records if m.key() == b"forklift-7"]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0].value(), b'{"celsius": 31.0}')
        self.assertEqual(dict(mine[0].headers())["firmware"], b"2.4.1")
        self.assertFalse(any(m.value() == b"not a sensor" for m in records))

    def test_3_the_bridge_counts_what_it_copied(self):
        status, body = self.mf.api("GET", "/__mockforge/api/bridges")
        self.assertEqual(status, 200)
        bridge = body["bridges"][0]
        self.assertEqual(bridge["name"], "sensors-to-kafka")
        self.assertTrue(bridge["configured"])
        self.assertGreater(bridge["messages"], 30)
        self.assertEqual(bridge["errors"], 0)
        _, _, metrics = self.mf.request("GET", "/__mockforge/metrics")
        self.assertIn('mockforge_bridge_messages_total{bridge="sensors-to-kafka"}', metrics)


if __name__ == "__main__":
    unittest.main(verbosity=2)
