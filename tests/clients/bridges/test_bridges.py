"""Bridges against the real `mockforge serve` (mockforge.yaml here), seen by real
clients: paho-mqtt readings consumed from Kafka by a confluent-kafka group, Kafka
records consumed from an AMQP queue by pika, AMQP messages received by a paho-mqtt v5
subscriber, MQTT->AMQP and AMQP->Kafka, a bridge within each protocol, an A<->B rule
pair that must not loop, refused copies (a missing partition, a full storage) counted
in the metrics and logged once, rules added and removed through the admin API and
kept by a reset, and a bad rule reported with file:line:field."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
import pika
from confluent_kafka import Consumer, Producer, TopicPartition

from mockforge_harness import BIN, Mockforge
from mqtt_queue import MqttQueue

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 15


class BridgesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge("--config", os.path.join(HERE, "mockforge.yaml"))

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    # -- helpers -------------------------------------------------------------------

    def bootstrap(self):
        return f"127.0.0.1:{self.mf.ports['kafka']}"

    def mqtt(self, *topics):
        client = MqttQueue(self.mf.ports["mqtt"], f"bridges-{uuid.uuid4().hex[:8]}", *topics)
        self.addCleanup(client.close)
        return client

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

    def group_consume(self, topic, expected):
        """`expected` records of `topic` read by a new consumer group, from the start."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap(),
                             "group.id": f"bridges-{uuid.uuid4()}",
                             "auto.offset.reset": "earliest"})
        try:
            consumer.subscribe([topic])
            out = []
            deadline = time.monotonic() + TIMEOUT
            while len(out) < expected and time.monotonic() < deadline:
                message = consumer.poll(0.1)
                if message is not None and not message.error():
                    out.append(message)
            return out
        finally:
            consumer.close()

    def end_offset(self, topic):
        consumer = Consumer({"bootstrap.servers": self.bootstrap(), "group.id": "offsets"})
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=TIMEOUT)[1]
        finally:
            consumer.close()

    def produce(self, topic, value, key=None, headers=None):
        producer = Producer({"bootstrap.servers": self.bootstrap()})
        producer.produce(topic, value=value, key=key, headers=headers)
        self.assertEqual(producer.flush(TIMEOUT), 0)

    def bridges(self):
        status, body = self.mf.api("GET", "/__mockforge/api/bridges")
        self.assertEqual(status, 200, body)
        return {b["name"]: b for b in body["bridges"]}

    def metric(self, name, bridge):
        _, _, text = self.mf.request("GET", "/__mockforge/metrics")
        found = re.search(rf'^{name}\{{bridge="{re.escape(bridge)}"\}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else None

    def wait_for(self, check, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        self.fail(f"timed out waiting for {what}")

    # -- the scenarios -------------------------------------------------------------

    def test_mqtt_to_kafka_consumer_group(self):
        device = self.mqtt()
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [("site", "berlin"), ("unit", "celsius")]
        properties.ContentType = "application/json"
        device.publish("warehouse/sensors/a/temp", b'{"value": 21.5}', properties)
        device.publish("warehouse/other/b", b"not bridged")
        records = self.group_consume("mqtt.warehouse.sensors.a.temp", 1)
        self.assertEqual(len(records), 1)
        record = records[0]
        self.assertEqual(record.value(), b'{"value": 21.5}')
        self.assertEqual(record.key(), b"a")  # key: "{3}", the third level
        headers = dict(record.headers())
        self.assertEqual(headers["site"], b"berlin")
        self.assertEqual(headers["unit"], b"celsius")
        self.assertEqual(headers["x-mockforge-bridge"], b"mqtt:sensors-to-kafka")
        self.wait_for(lambda: self.metric("mockforge_bridge_messages_total",
                                          "sensors-to-kafka") == 1.0, "the message count")
        self.assertEqual(self.bridges()["sensors-to-kafka"]["messages"], 1)

    def test_kafka_to_amqp_queue(self):
        channel = self.amqp()
        channel.exchange_declare("orders-x", exchange_type="topic")
        declared = channel.queue_declare("", exclusive=True)
        channel.queue_bind(declared.method.queue, "orders-x", routing_key="order.*")
        self.produce("orders", b'{"order": 17}', key=b"ord-17",
                     headers=[("trace-id", b"t-99"), ("tenant", b"acme")])
        method, properties, body = self.basic_get(channel, declared.method.queue)
        self.assertEqual(body, b'{"order": 17}')
        self.assertEqual(method.exchange, "orders-x")
        self.assertEqual(method.routing_key, "order.ord-17")
        # Kafka header bytes arrive as AMQP long strings (pika decodes them to str).
        self.assertEqual(properties.headers["trace-id"], "t-99")
        self.assertEqual(properties.headers["tenant"], "acme")
        self.assertEqual(properties.headers["x-mockforge-bridge"], "kafka:orders-to-amqp")

    def test_kafka_transactions_are_copied_when_committed_never_when_aborted(self):
        """A bridge reads Kafka as a read_committed consumer does: a
        transaction's records are copied at its commit, an aborted one's never."""
        channel = self.amqp()
        channel.exchange_declare("orders-x", exchange_type="topic")
        declared = channel.queue_declare("", exclusive=True)
        queue_name = declared.method.queue
        channel.queue_bind(queue_name, "orders-x", routing_key="order.*")
        producer = Producer({"bootstrap.servers": self.bootstrap(),
                             "transactional.id": f"bridge-txn-{uuid.uuid4()}"})
        producer.init_transactions(TIMEOUT)
        for key, commit in ((b"txn-a", True), (b"txn-b", False)):
            producer.begin_transaction()
            producer.produce("orders", value=key, key=key)
            producer.flush(TIMEOUT)
            if commit:
                producer.commit_transaction(TIMEOUT)
            else:
                producer.abort_transaction(TIMEOUT)
        producer.begin_transaction()
        producer.produce("orders", value=b"txn-c", key=b"txn-c")
        producer.flush(TIMEOUT)  # stored, not committed yet
        self.produce("orders", b"plain", key=b"plain")
        bodies = [self.basic_get(channel, queue_name)[2] for _ in range(2)]
        # The open transaction's record was not copied before the plain one.
        self.assertEqual(bodies, [b"txn-a", b"plain"])
        producer.commit_transaction(TIMEOUT)
        self.assertEqual(self.basic_get(channel, queue_name)[2], b"txn-c")
        method, _, _ = channel.basic_get(queue_name, auto_ack=True)
        self.assertIsNone(method)  # txn-b, aborted, never came

    def test_amqp_to_mqtt_v5_with_properties(self):
        channel = self.amqp()
        channel.exchange_declare("alerts", exchange_type="topic")
        subscriber = self.mqtt("amqp/#")
        channel.basic_publish("alerts", "alerts.fire.hall-2", b"evacuate",
                              pika.BasicProperties(content_type="text/plain",
                                                   correlation_id="c-42",
                                                   reply_to="alerts/replies",
                                                   headers={"severity": "high", "level": 3}))
        channel.basic_publish("alerts", "info.hall-2", b"not bridged")
        message = subscriber.take()
        self.assertEqual(message.topic, "amqp/alerts/fire/hall-2")
        self.assertEqual(message.payload, b"evacuate")
        self.assertEqual(message.qos, 1)
        props = message.properties
        self.assertEqual(props.ContentType, "text/plain")
        self.assertEqual(props.CorrelationData, b"c-42")
        self.assertEqual(props.ResponseTopic, "alerts/replies")
        users = dict(props.UserProperty)
        self.assertEqual(users["severity"], "high")
        self.assertEqual(users["level"], "3")
        self.assertEqual(users["x-mockforge-bridge"], "amqp:alerts-to-mqtt")
        # retain: true: a later subscriber gets it too.
        late = self.mqtt("amqp/alerts/fire/hall-2")
        self.assertEqual(late.take().payload, b"evacuate")

    def test_a_to_b_and_b_to_a_do_not_loop(self):
        subscriber = self.mqtt("loop/#")
        device = self.mqtt()
        device.publish("loop/x", b"from mqtt")
        # MQTT -> Kafka once; loop-b does not send the copy back to MQTT.
        records = self.group_consume("loop.loop.x", 1)
        self.assertEqual([r.value() for r in records], [b"from mqtt"])
        # Kafka -> MQTT once; loop-a does not send the copy back to Kafka.
        self.produce("loop.k", b"from kafka")
        got = subscriber.take(2)
        self.assertEqual(sorted((m.topic, m.payload) for m in got),
                         [("loop/k", b"from kafka"), ("loop/x", b"from mqtt")])
        time.sleep(0.5)
        self.assertTrue(subscriber.messages.empty(), "a copy came back")
        self.assertEqual(self.end_offset("loop.loop.x"), 1)
        bridges = self.bridges()
        self.assertEqual(bridges["loop-a"]["messages"], 1)
        self.assertEqual(bridges["loop-b"]["messages"], 1)
        status, _, metadata = self.mf.request("GET", "/__mockforge/api/kafka/topics")
        self.assertNotIn("loop.loop.k", metadata)

    def test_mqtt_to_amqp_and_amqp_to_kafka(self):
        channel = self.amqp()
        declared = channel.queue_declare("", exclusive=True)
        channel.queue_bind(declared.method.queue, "amq.topic", routing_key="cmd.#")
        device = self.mqtt()
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [("operator", "ana")]
        properties.ResponseTopic = "cmd/replies"
        properties.CorrelationData = b"r-1"
        properties.MessageExpiryInterval = 60
        device.publish("cmd/door/open", b"now", properties)
        method, props, body = self.basic_get(channel, declared.method.queue)
        self.assertEqual((method.routing_key, body), ("cmd.door.open", b"now"))
        self.assertEqual(props.headers["operator"], "ana")
        self.assertEqual(props.reply_to, "cmd/replies")
        self.assertEqual(props.correlation_id, "r-1")
        self.assertEqual(props.expiration, "60000")

        channel.exchange_declare("events", exchange_type="direct")
        channel.basic_publish("events", "door.opened", b"d1",
                              pika.BasicProperties(headers={"count": 3, "ok": True}))
        records = self.group_consume("amqp.events", 1)
        self.assertEqual(len(records), 1)
        self.assertEqual((records[0].key(), records[0].value()), (b"door.opened", b"d1"))
        headers = dict(records[0].headers())
        self.assertEqual((headers["count"], headers["ok"]), (b"3", b"true"))

    def test_within_each_protocol(self):
        # Kafka to Kafka, from the produce path into the same broker.
        self.produce("mirror.src", b"k1", key=b"a")
        records = self.group_consume("mirror.dst", 1)
        self.assertEqual([(r.key(), r.value()) for r in records], [(b"a", b"k1")])
        # MQTT to MQTT.
        subscriber = self.mqtt("mirror/#")
        self.mqtt().publish("mirror/src/x", b"m1")
        got = sorted((m.topic, m.payload) for m in subscriber.take(2))
        self.assertEqual(got, [("mirror/dst/x", b"m1"), ("mirror/src/x", b"m1")])
        # AMQP to AMQP.
        channel = self.amqp()
        channel.exchange_declare("mirror-src", exchange_type="topic")
        channel.exchange_declare("mirror-dst", exchange_type="topic")
        declared = channel.queue_declare("", exclusive=True)
        channel.queue_bind(declared.method.queue, "mirror-dst", routing_key="copy.#")
        channel.basic_publish("mirror-src", "a.b", b"q1")
        method, _, body = self.basic_get(channel, declared.method.queue)
        self.assertEqual((method.exchange, method.routing_key, body), ("mirror-dst", "copy.a.b", b"q1"))
        bridges = self.bridges()
        for name in ("kafka-mirror", "mqtt-mirror", "amqp-mirror"):
            self.assertEqual(bridges[name]["messages"], 1, name)

    def test_cli_add_list_remove(self):
        admin = f"http://127.0.0.1:{self.mf.ports['admin']}"

        def cli(*args):
            return subprocess.run([BIN, "bridges", *args, "--admin-url", admin],
                                  capture_output=True, text=True, timeout=60)

        rule = {"name": "cli-rule", "from": {"protocol": "mqtt", "filter": "cli/#"},
                "to": {"protocol": "kafka", "topic": "cli.{topic}"}}
        result = cli("add", "--json", json.dumps(rule))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(),
                         "added cli-rule: mqtt filter=cli/# -> kafka topic=cli.{topic}")
        self.mqtt().publish("cli/a", b"c1")
        self.assertEqual([r.value() for r in self.group_consume("cli.cli.a", 1)], [b"c1"])
        result = cli("list")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("cli-rule\tmqtt filter=cli/#\tkafka topic=cli.{topic}\t1\t0\t-",
                      result.stdout)
        result = cli("add", "--json", json.dumps({**rule, "to": {"protocol": "kafka"}}))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("to.topic: required for a kafka destination", result.stderr)
        self.assertEqual(cli("remove", "cli-rule").returncode, 0)
        self.assertNotEqual(cli("remove", "cli-rule").returncode, 0)
        listed = json.loads(cli("list", "--format", "json").stdout)
        self.assertNotIn("cli-rule", [b["name"] for b in listed["bridges"]])

    def test_refused_copy_is_counted_not_fatal(self):
        device = self.mqtt()
        for _ in range(3):
            device.publish("refuse/me", b"no room")
        self.wait_for(lambda: self.metric("mockforge_bridge_errors_total", "refused") == 3.0,
                      "three errors")
        status = self.bridges()["refused"]
        self.assertEqual(status["messages"], 0)
        self.assertIn("no partition 7", status["last_error"])
        # Logged once for the burst.
        self.assertEqual(self.mf.output().count("bridge refused:"), 1)
        # The process goes on.
        status, _ = self.mf.api("GET", "/__mockforge/api/bridges")
        self.assertEqual(status, 200)

    def test_admin_api_add_remove_and_reset_keeps_them(self):
        rule = {"name": "api-rule",
                "from": {"protocol": "kafka", "topic_prefix": "api."},
                "to": {"protocol": "mqtt", "topic": "fromkafka/{topic}", "qos": 1}}
        status, body = self.mf.api("POST", "/__mockforge/api/bridges", rule)
        self.assertEqual(status, 201, body)
        self.assertFalse(body["configured"])
        status, body = self.mf.api("POST", "/__mockforge/api/bridges", rule)
        self.assertEqual(status, 409, body)
        status, body = self.mf.api("POST", "/__mockforge/api/bridges",
                                   {"name": "bad", "from": {"protocol": "mqtt"},
                                    "to": {"protocol": "kafka", "topic": "{what}"}})
        self.assertEqual(status, 422, body)
        self.assertIn("from.filter: an MQTT topic filter, not empty", body["errors"])
        self.assertTrue(any(e.startswith("to.topic: unknown placeholder") for e in body["errors"]))

        status, _ = self.mf.api("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        self.assertIn("api-rule", self.bridges())
        self.assertIn("sensors-to-kafka", self.bridges())

        subscriber = self.mqtt("fromkafka/#")
        self.produce("api.events", b"hello")
        message = subscriber.take()
        self.assertEqual((message.topic, message.payload), ("fromkafka/api/events", b"hello"))

        status, _ = self.mf.api("DELETE", "/__mockforge/api/bridges?name=api-rule")
        self.assertEqual(status, 200)
        status, _ = self.mf.api("DELETE", "/__mockforge/api/bridges?name=api-rule")
        self.assertEqual(status, 404)
        self.produce("api.events", b"after delete")
        time.sleep(0.5)
        self.assertTrue(subscriber.messages.empty())


class StorageFullTest(unittest.TestCase):
    def test_destination_storage_full_is_counted_logged_once_and_survived(self):
        directory = tempfile.mkdtemp(prefix="mockforge-bridges-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "full.yaml")
        with open(path, "w") as out:
            out.write("storage: {memory_cap: 1MiB}\n"
                      "bridges:\n"
                      "  - name: fill\n"
                      "    from: {protocol: mqtt, filter: \"big/#\"}\n"
                      "    to: {protocol: kafka, topic: big}\n")
        mf = Mockforge("--config", path)
        self.addCleanup(mf.close)
        device = MqttQueue(mf.ports["mqtt"], "filler")
        self.addCleanup(device.close)
        for _ in range(40):  # 2.5 MiB of readings, 64 KiB each: the MQTT publishes succeed
            device.publish("big/x", b"x" * 64 * 1024)
        deadline = time.monotonic() + TIMEOUT
        while True:
            status, body = mf.api("GET", "/__mockforge/api/bridges")
            self.assertEqual(status, 200)
            bridge = body["bridges"][0]
            if bridge["messages"] + bridge["errors"] == 40 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertGreater(bridge["messages"], 0)
        self.assertGreater(bridge["errors"], 0)
        self.assertEqual(bridge["messages"] + bridge["errors"], 40)
        self.assertIn("storage full", bridge["last_error"])
        self.assertEqual(mf.output().count("bridge fill:"), 1)
        _, _, metrics = mf.request("GET", "/__mockforge/metrics")
        self.assertIn(f'mockforge_bridge_errors_total{{bridge="fill"}} {bridge["errors"]}', metrics)
        # Still serving.
        device.publish("other/topic", b"ok")


class BadRuleTest(unittest.TestCase):
    def test_bad_rule_gives_file_line_field(self):
        directory = tempfile.mkdtemp(prefix="mockforge-bridges-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "bad.yaml")
        with open(path, "w") as out:
            out.write("bridges:\n"
                      "  - name: fine\n"
                      "    from: {protocol: mqtt, filter: \"a/#\"}\n"
                      "    to: {protocol: kafka, topic: \"a.{topic}\"}\n"
                      "  - name: broken\n"
                      "    from:\n"
                      "      protocol: kafka\n"
                      "      topic: orders\n"
                      "    to:\n"
                      "      protocol: mqtt\n"
                      "      topic: \"x/{nope}\"\n"
                      "      qos: 3\n")
        result = subprocess.run([BIN, "config", "validate", path], capture_output=True, text=True,
                                timeout=30)
        self.assertNotEqual(result.returncode, 0)
        output = result.stdout + result.stderr
        self.assertIn(f"{path}:11:7: bridges[1].to.topic: unknown placeholder {{nope}}", output)
        self.assertIn(f"{path}:12:7: bridges[1].to.qos: expected a QoS 0, 1 or 2", output)
        # serve refuses to start with it, with the same message.
        result = subprocess.run([BIN, "serve", "--config", path, "--admin-port", "0",
                                 "--kafka-port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0",
                                 "--amqp-port", "0"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{path}:11:7: bridges[1].to.topic", result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
