"""Bridge rules added through the admin API are part of snapshots: with the real
`mockforge serve`, a rule added at run time is written by
POST /__mockforge/api/snapshot, comes back (and the rules added since go) with
POST /__mockforge/api/restore while the configured rules stay, and comes back
at start-up from storage.snapshot_file; each time a confluent-kafka producer's
record reaches a paho-mqtt subscriber through it."""

import os
import shutil
import tempfile
import time
import unittest
import uuid

from confluent_kafka import Producer

from mockforge_harness import Mockforge
from mqtt_queue import MqttQueue

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 15
RULE = {"name": "snap-rule",
        "from": {"protocol": "kafka", "topic_prefix": "snap."},
        "to": {"protocol": "mqtt", "topic": "snapped/{topic}", "qos": 1}}


class BridgesInSnapshots(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mockforge-bridge-snapshots-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def start(self, *args, env=None):
        mf = Mockforge(*args, env=env)
        self.addCleanup(mf.close)
        return mf

    def bridges(self, mf):
        status, body = mf.api("GET", "/__mockforge/api/bridges")
        self.assertEqual(status, 200, body)
        return {b["name"]: b for b in body["bridges"]}

    def check_copies(self, mf):
        subscriber = MqttQueue(mf.ports["mqtt"], f"snap-{uuid.uuid4().hex[:8]}", "snapped/#")
        self.addCleanup(subscriber.close)
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{mf.ports['kafka']}"})
        producer.produce("snap.orders", value=b"copied")
        self.assertEqual(producer.flush(TIMEOUT), 0)
        message = subscriber.take()
        self.assertEqual((message.topic, message.payload), ("snapped/snap/orders", b"copied"))

    def test_snapshot_and_restore_carry_runtime_rules(self):
        mf = self.start("--config", os.path.join(HERE, "mockforge.yaml"),
                        "--snapshot-dir", self.dir)
        status, body = mf.api("POST", "/__mockforge/api/bridges", RULE)
        self.assertEqual(status, 201, body)
        status, body = mf.api("POST", "/__mockforge/api/snapshot?path=one.snapshot")
        self.assertEqual(status, 200, body)
        status, _ = mf.api("DELETE", "/__mockforge/api/bridges?name=snap-rule")
        self.assertEqual(status, 200)
        later = {"name": "later-rule", "from": {"protocol": "mqtt", "filter": "later/#"},
                 "to": {"protocol": "kafka", "topic": "later"}}
        status, body = mf.api("POST", "/__mockforge/api/bridges", later)
        self.assertEqual(status, 201, body)

        status, body = mf.api("POST", "/__mockforge/api/restore?path=one.snapshot")
        self.assertEqual(status, 200, body)
        rules = self.bridges(mf)
        self.assertIn("snap-rule", rules)
        self.assertNotIn("later-rule", rules)
        self.assertFalse(rules["snap-rule"]["configured"])
        self.assertEqual(rules["snap-rule"]["from"], RULE["from"])
        self.assertEqual(rules["snap-rule"]["to"], {**RULE["to"], "retain": False})
        self.assertTrue(rules["sensors-to-kafka"]["configured"])  # mockforge.yaml's stay
        self.check_copies(mf)

        # A snapshot without run-time rules restores none.
        status, _ = mf.api("DELETE", "/__mockforge/api/bridges?name=snap-rule")
        self.assertEqual(status, 200)
        status, body = mf.api("POST", "/__mockforge/api/snapshot?path=none.snapshot")
        self.assertEqual(status, 200, body)
        status, body = mf.api("POST", "/__mockforge/api/bridges", later)
        self.assertEqual(status, 201, body)
        status, body = mf.api("POST", "/__mockforge/api/restore?path=none.snapshot")
        self.assertEqual(status, 200, body)
        rules = self.bridges(mf)
        self.assertNotIn("later-rule", rules)
        self.assertIn("sensors-to-kafka", rules)

    def test_snapshot_file_brings_them_back_at_start_up(self):
        snapshot = os.path.join(self.dir, "state.snapshot")
        env = {"MOCKFORGE_STORAGE_SNAPSHOT_FILE": snapshot}
        first = self.start(env=env)
        status, body = first.api("POST", "/__mockforge/api/bridges", RULE)
        self.assertEqual(status, 201, body)
        first.close()  # writes the snapshot on shutdown
        self.assertTrue(os.path.exists(snapshot))
        second = self.start(env=env)
        rules = self.bridges(second)
        self.assertEqual(list(rules), ["snap-rule"])
        self.assertFalse(rules["snap-rule"]["configured"])
        self.check_copies(second)


if __name__ == "__main__":
    unittest.main()
