"""Responders against the real `mockforge serve`, seen by real clients: the
seed's inventory service (confluent-kafka), an AMQP RPC server behind reply_to
(pika), a device acknowledging MQTT commands and MQTT v5 request/response
(paho-mqtt), an MQTT reading turned into an AMQP message, loop protection and
the hop limit, and rules added and removed at run time (`mockforge responders`)."""

import json
import os
import re
import queue
import shutil
import subprocess
import time
import unittest
import uuid

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
import pika
from confluent_kafka import Consumer, Producer, TopicPartition

from mockforge_harness import BIN, Mockforge, files_dir
from mqtt_queue import MqttQueue

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 15


def make_dir(files):
    return files_dir(files, prefix="mockforge-responders-")


Mqtt = MqttQueue


class RespondersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(HERE, "world.yaml")) as f:
            cls.dir = make_dir({"world.yaml": f.read()})
        cls.mf = Mockforge("--fixtures", cls.dir, env={"MOCKFORGE_FIXTURES_RANDOM_SEED": "5"})
        cls.admin = f"http://127.0.0.1:{cls.mf.ports['admin']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------

    def produce(self, topic, value, key=None, headers=None):
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{self.mf.ports['kafka']}"})
        producer.produce(topic, value=json.dumps(value), key=key, headers=headers)
        self.assertEqual(producer.flush(TIMEOUT), 0)

    def end_offset(self, topic):
        consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{self.mf.ports['kafka']}",
                             "group.id": "offsets"})
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=TIMEOUT)[1]
        finally:
            consumer.close()

    def consume(self, topic, start, expected, settle=0.0):
        """Records of partition 0 from `start`: `expected` of them, then `settle` s for more."""
        consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{self.mf.ports['kafka']}",
                             "group.id": f"responders-{uuid.uuid4()}",
                             "enable.auto.commit": False})
        try:
            consumer.assign([TopicPartition(topic, 0, start)])
            out = []
            deadline = time.monotonic() + TIMEOUT
            while len(out) < expected and time.monotonic() < deadline:
                message = consumer.poll(0.1)
                if message is not None and not message.error():
                    out.append(message)
            end = time.monotonic() + settle
            while time.monotonic() < end:
                message = consumer.poll(0.1)
                if message is not None and not message.error():
                    out.append(message)
            return out
        finally:
            consumer.close()

    def responders(self):
        status, _, body = self.mf.request("GET", "/__mockforge/api/responders")
        self.assertEqual(status, 200, body)
        return {r["identifier"]: r for r in json.loads(body)["responders"]}

    def amqp(self):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            host="127.0.0.1", port=self.mf.ports["amqp"], socket_timeout=10))
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection.channel()

    def basic_get(self, channel, queue_name):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            method, properties, body = channel.basic_get(queue_name, auto_ack=True)
            if method is not None:
                return method, properties, body
            time.sleep(0.02)
        self.fail(f"nothing on {queue_name}")

    def cli(self, *args):
        return subprocess.run([BIN, *args, "--admin-url", self.admin], capture_output=True,
                              text=True, timeout=60)

    # -- the scenarios -------------------------------------------------------------

    def test_inventory_service_answers_orders_created(self):
        start = self.end_offset("inventory.updated")
        before = self.responders()["inventory-service"]["firings"]
        sent = time.monotonic()
        self.produce("orders.created", {"order_id": "ord-17", "items": [{"sku": "A-1", "quantity": 3}]},
                     key="ord-17", headers=[("trace-id", b"t-99")])
        records = self.consume("inventory.updated", start, 2)
        self.assertEqual(len(records), 2)
        first, second = (json.loads(r.value()) for r in records)
        self.assertEqual(first, {"order_id": "ord-17", "first_sku": "A-1", "quantity": 3,
                                 "reserved": True})
        self.assertEqual(records[0].key(), b"ord-17")
        self.assertEqual(dict(records[0].headers()), {"trace-id": b"t-99"})
        # The second message waits its delay_ms without holding up the first.
        self.assertEqual(second, {"order_id": "ord-17", "shipped": True})
        self.assertGreaterEqual(records[1].timestamp()[1] - records[0].timestamp()[1], 350)
        self.assertLess(time.monotonic() - sent, TIMEOUT)
        self.assertEqual(self.responders()["inventory-service"]["firings"], before + 1)
        status, _, metrics = self.mf.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        metrics = metrics.decode() if isinstance(metrics, bytes) else metrics
        self.assertRegex(metrics, r'mockforge_responder_firings_total\{responder="inventory-service"\} [1-9]')

    def test_amqp_rpc_server_behind_reply_to(self):
        channel = self.amqp()
        reply_queue = channel.queue_declare("", exclusive=True).method.queue
        replies = queue.Queue()
        channel.basic_consume(reply_queue, lambda ch, m, p, body: replies.put((p, body)),
                              auto_ack=True)
        for sku, correlation in (("A-1", "c-1"), ("B-2", "c-2")):
            channel.basic_publish("", "rpc.prices", json.dumps({"sku": sku}),
                                  pika.BasicProperties(reply_to=reply_queue,
                                                       correlation_id=correlation))
        got = []
        deadline = time.monotonic() + TIMEOUT
        while len(got) < 2 and time.monotonic() < deadline:
            channel.connection.process_data_events(time_limit=0.1)
            while not replies.empty():
                got.append(replies.get())
        self.assertEqual(len(got), 2)
        for (properties, body), (sku, correlation) in zip(got, (("A-1", "c-1"), ("B-2", "c-2"))):
            self.assertEqual(properties.correlation_id, correlation)
            self.assertEqual(properties.content_type, "application/json")
            answer = json.loads(body)
            self.assertEqual(answer["sku"], sku)
            self.assertEqual(answer["price"], 12.5)

    def test_device_acknowledges_commands_on_its_status_topic(self):
        client = Mqtt(self.mf.ports["mqtt"], "device-test", "devices/+/status")
        self.addCleanup(client.close)
        client.publish("devices/pump-7/commands", json.dumps({"command": "start"}))
        message = client.take()
        self.assertEqual(message.topic, "devices/pump-7/status")
        self.assertEqual(message.qos, 1)
        self.assertEqual(json.loads(message.payload),
                         {"device": "pump-7", "ack": "start", "level": "devices"})
        # Another device, another topic level.
        client.publish("devices/fan-2/commands", json.dumps({"command": "stop"}))
        self.assertEqual(client.take().topic, "devices/fan-2/status")

    def test_mqtt_v5_response_topic_is_reply_to(self):
        client = Mqtt(self.mf.ports["mqtt"], "echo-test", "replies/echo-test")
        self.addCleanup(client.close)
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = "replies/echo-test"
        properties.CorrelationData = b"corr-5"
        client.publish("rpc/echo", "hello", properties)
        message = client.take()
        self.assertEqual(message.topic, "replies/echo-test")
        self.assertEqual(message.payload, b"echo: hello")
        self.assertEqual(message.properties.CorrelationData, b"corr-5")
        # Without a response topic the reply has nowhere to go: the broker
        # refuses it, and the refusal is counted.
        client.publish("rpc/echo", "no reply topic")
        deadline = time.monotonic() + TIMEOUT
        pattern = r'mockforge_responder_errors_total\{responder="mqtt-echo"\} 1'
        while time.monotonic() < deadline:
            status, _, metrics = self.mf.request("GET", "/__mockforge/metrics")
            metrics = metrics.decode() if isinstance(metrics, bytes) else metrics
            if re.search(pattern, metrics):
                break
            time.sleep(0.05)
        self.assertRegex(metrics, pattern)

    def test_mqtt_reading_triggers_an_amqp_message(self):
        channel = self.amqp()
        channel.queue_purge("push.queue")
        client = Mqtt(self.mf.ports["mqtt"], "sensor-test")
        self.addCleanup(client.close)
        # Only the critical reading matches the rule's body condition.
        client.publish("warehouse/sensors/s9/temperature",
                       json.dumps({"level": "ok", "celsius": 21}))
        client.publish("warehouse/sensors/s9/temperature",
                       json.dumps({"level": "critical", "celsius": 71.5}))
        method, _, body = self.basic_get(channel, "push.queue")
        self.assertEqual(method.routing_key, "alert.s9")
        self.assertEqual(json.loads(body), {"sensor": "s9", "celsius": 71.5})
        time.sleep(0.3)
        self.assertIsNone(channel.basic_get("push.queue", auto_ack=True)[0])

    def test_output_matching_its_own_rule_fires_once(self):
        start = self.end_offset("echo")
        before = self.responders()["echo"]["firings"]
        self.produce("echo", {"n": 1})
        records = self.consume("echo", start, 2, settle=1.0)
        self.assertEqual([json.loads(r.value()) for r in records], [{"n": 1}, {"echo": 1}])
        self.assertEqual(self.responders()["echo"]["firings"], before + 1)

    def test_allow_chain_stops_at_the_hop_limit(self):
        start = self.end_offset("chain")
        self.produce("chain", {"start": True})
        records = self.consume("chain", start, 9, settle=1.0)
        # The client's message and 8 hops of replies, then the limit.
        self.assertEqual(len(records), 9)
        status = self.responders()["chain"]
        self.assertEqual(status["hop_limited"], 1)
        self.assertEqual(status["firings"], 8)

    def test_fixtures_load_brings_responders_that_answer_schedules(self):
        # One run-time load: an exchange, seeds and a schedule, and a
        # responder that answers the schedule's messages (not the seeds,
        # which are state) on that exchange.
        directory = make_dir({"stock.yaml": """
kafka:
  topics: [{name: orders.stream, partitions: 1}]
  fixtures:
    - identifier: order-stream
      topic: orders.stream
      value_template: {n: "{{seq}}"}
      seed_count: 2
      auto_produce: {rate_per_second: 20, count: 3}
amqp:
  exchanges: [{name: stock, type: topic}]
  queues: [{name: stock.audit}]
  bindings: [{exchange: stock, queue: stock.audit, routing_key: "stock.#"}]
responders:
  - identifier: stock-keeper
    when: {protocol: kafka, topic: orders.stream}
    then: {protocol: amqp, exchange: stock, routing_key: "stock.{{request.body.n}}",
           payload: {order: "{{request.body.n}}"}}
"""})
        self.addCleanup(shutil.rmtree, directory, True)
        loaded = self.cli("fixtures", "load", directory)
        self.assertEqual(loaded.returncode, 0, loaded.stderr)
        self.assertIn("stock-keeper", self.responders())
        channel = self.amqp()
        got = [self.basic_get(channel, "stock.audit") for _ in range(3)]
        self.assertEqual([m.routing_key for m, _, _ in got], ["stock.3", "stock.4", "stock.5"])
        self.assertEqual(json.loads(got[0][2]), {"order": 3})
        time.sleep(0.3)
        self.assertIsNone(channel.basic_get("stock.audit", auto_ack=True)[0])

    def test_add_list_remove_at_run_time_and_reset(self):
        directory = make_dir({
            "ok.yaml": """
responders:
  - identifier: pinger
    when: {protocol: mqtt, topic: "ping/#"}
    then: {protocol: mqtt, topic: "pong/{{request.topic_levels.1}}", payload: "{{seq}}"}
""",
            "bad.yaml": """
responders:
  - identifier: broken
    when: {protocol: kafka, topic: orders.created}
    then:
      - protocol: kafka
        topic: inventory.updated
        value_template: "{{request.body.id | nonsense}}"
""",
            "missing.yaml": """
responders:
  - identifier: broken
    when: {protocol: kafka, topic: orders.created}
    then: {protocol: amqp, exchange: missing, payload: x}
"""})
        self.addCleanup(shutil.rmtree, directory, True)
        bad = self.cli("responders", "add", os.path.join(directory, "bad.yaml"))
        self.assertEqual(bad.returncode, 1, bad.stdout)
        self.assertIn("bad.yaml:8:25: broken.then[0].value_template: unknown template filter "
                      "'nonsense'", bad.stderr)
        missing = self.cli("responders", "add", os.path.join(directory, "missing.yaml"))
        self.assertEqual(missing.returncode, 1, missing.stdout)
        self.assertIn("missing.yaml:5:11: broken.then[0].exchange: no exchange 'missing' is "
                      "declared", missing.stderr)
        self.assertNotIn("broken", self.responders())

        added = self.cli("responders", "add", os.path.join(directory, "ok.yaml"))
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertIn("added 1 responder(s) pinger", added.stdout)
        again = self.cli("responders", "add", os.path.join(directory, "ok.yaml"))
        self.assertIn("already there: pinger", again.stdout)
        listing = self.cli("responders", "list")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn("pinger\tmqtt ping/#\t1\t0", listing.stdout)

        client = Mqtt(self.mf.ports["mqtt"], "pinger-test", "pong/+")
        client.publish("ping/a", "x")
        message = client.take()
        self.assertEqual((message.topic, message.payload), ("pong/a", b"1"))
        client.close()

        # A reset keeps the rules (start-up and run-time) and restarts seq.
        status, _, body = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)
        client = Mqtt(self.mf.ports["mqtt"], "pinger-test-2", "pong/+")
        client.publish("ping/b", "x")
        message = client.take()
        self.assertEqual((message.topic, message.payload), ("pong/b", b"1"))

        removed = self.cli("responders", "remove", "pinger")
        self.assertEqual(removed.returncode, 0, removed.stderr)
        self.assertNotIn("pinger", self.responders())
        client.publish("ping/c", "x")
        with self.assertRaises(queue.Empty):
            client.messages.get(timeout=0.5)
        client.close()
        missing = self.cli("responders", "remove", "pinger")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no responder 'pinger'", missing.stderr)


class AdminTokenTest(unittest.TestCase):
    def test_responders_cli_sends_the_admin_token(self):
        with Mockforge(env={"MOCKFORGE_ADMIN_TOKEN": "s3cret"}) as mf:
            admin = f"http://127.0.0.1:{mf.ports['admin']}"
            env = {k: v for k, v in os.environ.items() if k != "MOCKFORGE_ADMIN_TOKEN"}
            run = lambda *args: subprocess.run([BIN, "responders", "list", "--admin-url", admin,
                                                *args], capture_output=True, text=True,
                                               timeout=60, env=env)
            refused = run()
            self.assertEqual(refused.returncode, 1)
            self.assertIn("--admin-token", refused.stderr)
            allowed = run("--admin-token", "s3cret")
            self.assertEqual(allowed.returncode, 0, allowed.stderr)
            self.assertIn("identifier\twhen", allowed.stdout)


if __name__ == "__main__":
    unittest.main()
