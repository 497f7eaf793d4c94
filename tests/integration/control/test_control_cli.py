"""The seed walkthrough's inspection commands, on state real clients created:
`kafka consumer-groups describe`, `kafka topics list`, `mqtt stats`,
`amqp queue list`, `amqp bindings list --queue`."""

import json
import os
import subprocess
import threading
import time
import unittest

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import Consumer, Producer, TopicPartition

from mockforge_harness import BIN, Mockforge


def run(*args, env=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


class SeedCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(env={"MOCKFORGE_MQTT_SYS_INTERVAL": "1s"})
        cls.admin = f"http://127.0.0.1:{cls.mf.ports['admin']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def test_kafka_lag_per_partition_and_topics_list(self):
        bootstrap = f"127.0.0.1:{self.mf.ports['kafka']}"
        created = run("kafka", "topics", "create", "-b", bootstrap, "orders.created",
                      "--partitions", "2")
        self.assertEqual(created.returncode, 0, created.stderr)
        producer = Producer({"bootstrap.servers": bootstrap})
        for i in range(5):
            producer.produce("orders.created", value=f"o{i}".encode(), partition=0)
        for i in range(3):
            producer.produce("orders.created", value=f"p{i}".encode(), partition=1)
        self.assertEqual(producer.flush(10), 0)
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "inventory-service",
                             "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition("orders.created", 0, 2),
                                 TopicPartition("orders.created", 1, 3)], asynchronous=False)
        consumer.close()
        result = run("kafka", "consumer-groups", "describe", "-b", bootstrap,
                     "--group", "inventory-service")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = [line.split("\t") for line in result.stdout.splitlines()
                if line.startswith("orders.created\t")]
        self.assertEqual(sorted(rows), [["orders.created", "0", "2", "5", "3"],
                                        ["orders.created", "1", "3", "3", "0"]])
        # The admin API agrees.
        _, _, body = self.mf.request("GET", "/__mockforge/api/kafka/groups/inventory-service")
        lags = {o["partition"]: o["lag"] for o in json.loads(body)["offsets"]}
        self.assertEqual(lags, {0: 3, 1: 0})
        result = run("kafka", "topics", "list", "-b", bootstrap)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("orders.created", result.stdout.split())

    def test_mqtt_stats_shows_connections_subscriptions_and_rates(self):
        sub = mqtt.Client(client_id="dashboard")
        sub.connect("127.0.0.1", self.mf.ports["mqtt"])
        sub.subscribe("warehouse/sensors/#", qos=1)
        sub.loop_start()
        pub = mqtt.Client(client_id="sensor")
        pub.connect("127.0.0.1", self.mf.ports["mqtt"])
        pub.loop_start()
        stop = threading.Event()

        def publish():
            while not stop.is_set():
                pub.publish("warehouse/sensors/temperature/zone-1", b'{"temp": 25.5}', qos=1)
                time.sleep(0.01)

        publisher = threading.Thread(target=publish)
        publisher.start()
        self.addCleanup(publisher.join)
        self.addCleanup(stop.set)
        time.sleep(2.5)  # two $SYS intervals, so the load topics move
        # The admin API: counts and rates between two samples.
        result = run("mqtt", "stats", "--admin-url", self.admin, "--timeout", "1", "--format", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        stats = json.loads(result.stdout)
        self.assertEqual(stats["connections"], 2)
        self.assertEqual(stats["subscriptions"], 1)
        self.assertGreater(stats["rates_per_second"]["messages_received"], 10)
        text = run("mqtt", "stats", "--admin-url", self.admin, "--timeout", "0.5").stdout
        self.assertIn("Active connections: 2", text)
        self.assertRegex(text, r"Messages received: \d+ \([\d.]+/s over [\d.]+ s\)")
        # $SYS (any broker): the load topics give the rates.
        result = run("mqtt", "stats", "--host", "127.0.0.1", "--port", str(self.mf.ports["mqtt"]),
                     "--timeout", "1.5")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Active connections: 3", result.stdout)  # the stats client too
        self.assertIn("Subscriptions: 2", result.stdout)
        rate = float(result.stdout.split("Messages received per minute (1 min average): ")[1].split()[0])
        self.assertGreater(rate, 0)
        for c in (pub, sub):
            c.loop_stop()
            c.disconnect()

    def test_amqp_queue_and_bindings_lists(self):
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.mf.ports["amqp"]))
        ch = conn.channel()
        ch.exchange_declare("notifications", exchange_type="topic")
        ch.queue_declare("email.queue")
        ch.queue_bind("email.queue", "notifications", routing_key="notification.email.*")
        ch.basic_publish("notifications", "notification.email.order", b"{}")
        conn.close()
        result = run("amqp", "queue", "list", "--admin-url", self.admin)
        self.assertEqual(result.returncode, 0, result.stderr)
        row = [line.split("\t") for line in result.stdout.splitlines() if line.startswith("email.queue")]
        self.assertEqual(row[0][:4], ["email.queue", "1", "0", "0"])
        result = run("amqp", "bindings", "list", "--queue", "email.queue", "--admin-url", self.admin)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("notifications\texchange\temail.queue\tqueue\tnotification.email.*",
                      result.stdout)


class TokenProtectedAdmin(unittest.TestCase):
    def test_cli_sends_the_token(self):
        with Mockforge(env={"MOCKFORGE_ADMIN_TOKEN": "s3cret"}) as mf:
            admin = f"http://127.0.0.1:{mf.ports['admin']}"
            result = run("amqp", "queue", "list", "--admin-url", admin, env={"MOCKFORGE_ADMIN_TOKEN": ""})
            self.assertEqual(result.returncode, 1)
            self.assertIn("401", result.stderr)
            self.assertIn("--admin-token", result.stderr)
            result = run("amqp", "queue", "list", "--admin-url", admin, "--admin-token", "s3cret")
            self.assertEqual(result.returncode, 0, result.stderr)
            result = run("mqtt", "stats", "--admin-url", admin, "--timeout", "0.2",
                         env={"MOCKFORGE_ADMIN_TOKEN": "s3cret"})
            self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
