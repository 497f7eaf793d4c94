#!/usr/bin/env python3
"""order-events: seeded Kafka fixtures read by kcat and confluent-kafka, then a reset."""

import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from mockforge_harness import Mockforge  # noqa: E402


def kcat_consume(bootstrap, topic, count):
    out = subprocess.run(
        ["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-c", str(count), "-e",
         "-f", "%p|%k|%s|%h\n"],
        capture_output=True, text=True, timeout=30, check=True)
    rows = []
    for line in out.stdout.splitlines():
        partition, key, value, headers = line.split("|", 3)
        rows.append((int(partition), key, json.loads(value), headers))
    return rows


class OrderEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.chdir(HERE)
        cls.mf = Mockforge("--config", "mockforge.yaml")
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def test_1_seeded_orders_are_readable_with_their_keys_and_headers(self):
        rows = kcat_consume(self.bootstrap, "orders.created", 5)
        self.assertEqual(len(rows), 5)
        self.assertEqual(sorted(r[1] for r in rows), [f"order-{i}" for i in range(1, 6)])
        for partition, key, value, headers in rows:
            self.assertEqual(value["order_id"], key)
            self.assertEqual(value["event_type"], "order.created")
            self.assertIsInstance(value["total"], float)
            self.assertIn("source_service=order-service", headers)

    def test_2_auto_produced_payments_reach_a_consumer_group(self):
        from confluent_kafka import Consumer
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "billing",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(["payments.processed"])
        seen = []
        deadline = time.monotonic() + 30
        while len(seen) < 10 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            seen.append(json.loads(msg.value()))
        consumer.commit(asynchronous=False)
        consumer.close()
        self.assertGreaterEqual(len(seen), 10)
        self.assertEqual([p["order_id"] for p in seen[:3]], ["order-1", "order-2", "order-3"])
        self.assertTrue(all(p["status"] in ("approved", "declined") for p in seen))

    def test_3_reset_returns_to_the_seeded_state(self):
        subprocess.run(["kcat", "-b", self.bootstrap, "-P", "-t", "orders.created", "-k", "extra"],
                       input="not a seed", text=True, check=True, timeout=30)
        status, _, body = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-t", "orders.created", "-J"],
                             capture_output=True, text=True, timeout=30, check=True)
        self.assertEqual(len(json.loads(out.stdout)["topics"][0]["partitions"]), 3)
        offsets = subprocess.run(
            ["kcat", "-b", self.bootstrap, "-Q", "-t", "orders.created:0:-1", "-t",
             "orders.created:1:-1", "-t", "orders.created:2:-1"],
            capture_output=True, text=True, timeout=30, check=True).stdout
        total = sum(int(line.rsplit(" ", 1)[1]) for line in offsets.splitlines() if "offset" in line)
        self.assertEqual(total, 5, offsets)


if __name__ == "__main__":
    unittest.main(verbosity=2)
