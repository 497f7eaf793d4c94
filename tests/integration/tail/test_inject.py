"""POST /__mockforge/api/<protocol>/inject and `mockforge inject`: templated
messages delivered like a client's publish, received by real clients
(confluent-kafka, paho-mqtt v5, pika, mosquitto_sub); and the recent MQTT
messages on a topic (GET mqtt/messages)."""

import json
import subprocess
import threading
import unittest

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mockforge_harness import BIN, Mockforge
from tail_support import PATIENCE


class InjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(env={"MOCKFORGE_FIXTURES_RANDOM_SEED": "7"})

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def setUp(self):
        status, _, body = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)

    def inject(self, path, message, count=None):
        query = f"?count={count}" if count is not None else ""
        status, _, body = self.mf.request("POST", f"/__mockforge/api/{path}{query}",
                                          body=message if isinstance(message, str)
                                          else json.dumps(message))
        return status, json.loads(body)

    def test_kafka_partition_key_headers_and_templates(self):
        bootstrap = f"127.0.0.1:{self.mf.ports['kafka']}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for future in admin.create_topics([NewTopic("inj-orders", 3, 1)]).values():
            future.result(timeout=PATIENCE)
        status, answer = self.inject("kafka/inject", {
            "topic": "inj-orders", "partition": 2, "key_pattern": "o-{{seq}}",
            "headers": {"source": "test", "n": "{{seq}}"},
            "payload": {"id": "{{seq}}", "qty": "{{faker.int 1 9}}"}}, count=3)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["published"], 3)
        self.assertEqual(answer["messages"][0]["partition"], 2)
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "inj",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition("inj-orders", 2, 0)])
        records = []
        while len(records) < 3:
            record = consumer.poll(PATIENCE)
            self.assertIsNotNone(record, "no injected record arrived")
            self.assertIsNone(record.error())
            records.append(record)
        consumer.close()
        self.assertEqual([r.key() for r in records], [b"o-1", b"o-2", b"o-3"])
        self.assertEqual([r.partition() for r in records], [2, 2, 2])
        self.assertEqual([dict(r.headers()) for r in records],
                         [{"source": b"test", "n": str(i).encode()} for i in (1, 2, 3)])
        values = [json.loads(r.value()) for r in records]
        self.assertEqual([v["id"] for v in values], [1, 2, 3])  # a lone expression keeps its type
        self.assertTrue(all(1 <= v["qty"] <= 9 for v in values))

    def test_mqtt_qos_retain_and_v5_properties_reach_a_paho_subscriber(self):
        received = []
        subscribed = threading.Event()
        got = threading.Event()
        client = mqtt.Client(client_id="inj-sub", protocol=mqtt.MQTTv5)
        client.on_subscribe = lambda *a: subscribed.set()

        def on_message(_c, _u, message):
            received.append(message)
            got.set()

        client.on_message = on_message
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        try:
            client.subscribe("inj/+", qos=1)
            self.assertTrue(subscribed.wait(PATIENCE))
            status, answer = self.inject("mqtt/inject", """
topic: inj/alerts
qos: 1
retain: true
payload: '{"level": "high"}'
properties:
  content_type: application/json
  response_topic: inj/replies
  correlation_data: c-42
  user_properties: {origin: "{{seq}}"}
""")
            self.assertEqual(status, 200, answer)
            self.assertTrue(got.wait(PATIENCE))
        finally:
            client.loop_stop()
            client.disconnect()
        [message] = received
        self.assertEqual(message.topic, "inj/alerts")
        self.assertEqual(message.qos, 1)
        self.assertEqual(json.loads(message.payload), {"level": "high"})
        props = message.properties
        self.assertEqual(props.ContentType, "application/json")
        self.assertEqual(props.ResponseTopic, "inj/replies")
        self.assertEqual(props.CorrelationData, b"c-42")
        self.assertEqual(props.UserProperty, [("origin", "1")])
        # Retained like a client's retained publish.
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/retained?topic=inj/alerts")
        self.assertEqual(status, 200, body)

    def test_amqp_exchange_routing_key_headers_and_properties_reach_pika(self):
        connection = pika.BlockingConnection(pika.URLParameters(
            f"amqp://guest:guest@127.0.0.1:{self.mf.ports['amqp']}/%2F"))
        try:
            channel = connection.channel()
            channel.queue_declare("inj-q")
            channel.queue_bind("inj-q", "amq.topic", "orders.#")
            status, answer = self.inject("inject", {
                "protocol": "amqp", "exchange": "amq.topic", "routing_key": "orders.{{seq}}",
                "headers": {"tenant": "acme"},
                "properties": {"correlation_id": "c-{{seq}}", "message_id": "m-1",
                               "priority": 5, "delivery_mode": "persistent",
                               "content_type": "text/plain"},
                "payload": "hello {{seq}}"})
            self.assertEqual(status, 200, answer)
            self.assertEqual(answer["messages"][0]["routing_key"], "orders.1")
            method, properties, body = None, None, None
            for _ in range(PATIENCE * 10):
                method, properties, body = channel.basic_get("inj-q", auto_ack=True)
                if method:
                    break
                connection.sleep(0.1)
            self.assertIsNotNone(method, "the injected message never reached the queue")
        finally:
            connection.close()
        self.assertEqual(body, b"hello 1")
        self.assertEqual(method.exchange, "amq.topic")
        self.assertEqual(method.routing_key, "orders.1")
        self.assertEqual(properties.headers, {"tenant": "acme"})
        self.assertEqual((properties.correlation_id, properties.message_id, properties.priority,
                          properties.delivery_mode, properties.content_type),
                         ("c-1", "m-1", 5, 2, "text/plain"))

    def test_refusals(self):
        status, answer = self.inject("kafka/inject", {"topic": "t", "payload": "x",
                                                      "qos": 1})
        self.assertEqual(status, 422)
        self.assertTrue(any("message: unknown field 'qos'" in e or "qos" in e
                            for e in answer["errors"]), answer)
        self.assertTrue(answer["errors"][0].startswith("inject:1:"), answer)
        status, answer = self.inject("mqtt/inject", {"protocol": "amqp", "topic": "a",
                                                     "payload": "x"})
        self.assertEqual(status, 422)
        self.assertIn("must be mqtt here", answer["error"]["message"])
        status, answer = self.inject("inject", {"topic": "a", "payload": "x"})
        self.assertEqual(status, 422)
        self.assertIn("message.protocol: required", answer["error"]["message"])
        status, answer = self.inject("amqp/inject", {"exchange": "no-such", "payload": "x"})
        self.assertEqual(status, 422, answer)
        self.assertEqual(answer["published"], 0)
        self.assertIn("no-such", answer["error"]["message"])
        status, answer = self.inject("mqtt/inject", {"topic": "a", "payload": "x",
                                                     "delay_ms": 5})
        self.assertEqual(status, 422)
        self.assertIn("delay_ms", answer["error"]["message"])
        status, answer = self.inject("mqtt/inject", {"topic": "a", "payload": "{{nope}}"})
        self.assertEqual(status, 422)
        status, answer = self.inject("mqtt/inject", {"topic": "a", "payload": "x"}, count=0)
        self.assertEqual(status, 400)
        # A template that fails as it renders (an overflow): 422, nothing
        # published, where the render error was a 500.
        status, answer = self.inject("mqtt/inject", {"topic": "a",
                                                     "payload": "{{seq * 9000000000000000000 * 2}}"})
        self.assertEqual(status, 422, answer)
        self.assertNotIn("published", answer)
        self.assertTrue(any("message 1:" in e for e in answer["errors"]), answer)
        # The json filter on a text that is not UTF-8: U+FFFD, published.
        status, _, body = self.mf.request(
            "POST", "/__mockforge/api/mqtt/inject",
            body=b"topic: a\npayload: \"{{ 'caf\xe9' | json }}\"\n")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["published"], 1, body)

    def test_cli_inject_reaches_mosquitto_sub(self):
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                                str(self.mf.ports["mqtt"]), "-i", "cli-sub", "-t", "cli/inj",
                                "-C", "2", "-q", "1"], stdout=subprocess.PIPE, text=True)
        try:
            # Wait for the subscription (the admin API lists it).
            for _ in range(PATIENCE * 20):
                status, _, body = self.mf.request("GET",
                                                  "/__mockforge/api/mqtt/subscriptions?client=cli-sub")
                if json.loads(body)["subscriptions"] if status == 200 else False:
                    break
                threading.Event().wait(0.05)
            result = subprocess.run(
                [BIN, "inject", "--admin-url", f"http://127.0.0.1:{self.mf.ports['admin']}",
                 "--protocol", "mqtt", "--topic", "cli/inj", "--qos", "1", "--payload",
                 "n={{seq}}", "--count", "2"], capture_output=True, text=True, timeout=PATIENCE)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.strip(), "published 2 message(s)")
            out, _ = sub.communicate(timeout=PATIENCE)
        finally:
            if sub.poll() is None:
                sub.kill()
        self.assertEqual(out.split(), ["n=1", "n=2"])
        result = subprocess.run(
            [BIN, "inject", "--admin-url", f"http://127.0.0.1:{self.mf.ports['admin']}",
             "--protocol", "amqp", "--exchange", "nope", "--payload", "x"],
            capture_output=True, text=True, timeout=PATIENCE)
        self.assertEqual(result.returncode, 1)
        self.assertIn("422", result.stderr)

    def test_recent_mqtt_messages_on_a_topic_filter(self):
        for topic, payload in [("plant/a/t", "1"), ("plant/b/t", "2"), ("plant/a/h", "3"),
                               ("plant/c/t", "4")]:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.mf.ports["mqtt"]),
                            "-i", "peek-pub", "-t", topic, "-m", payload, "-q", "1"],
                           check=True, timeout=PATIENCE)
        status, _, body = self.mf.request("GET",
                                          "/__mockforge/api/mqtt/messages?topic=plant/%2B/t")
        self.assertEqual(status, 200, body)
        messages = json.loads(body)["messages"]
        self.assertEqual([(m["destination"], m["payload"]["data"], m["client_id"])
                          for m in messages],
                         [("plant/a/t", "1", "peek-pub"), ("plant/b/t", "2", "peek-pub"),
                          ("plant/c/t", "4", "peek-pub")])
        status, _, body = self.mf.request("GET",
                                          "/__mockforge/api/mqtt/messages?topic=plant/%2B/t&limit=1")
        self.assertEqual([m["payload"]["data"] for m in json.loads(body)["messages"]], ["4"])
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/messages")
        self.assertEqual(status, 400)
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/messages?topic=a/%23/b")
        self.assertEqual(status, 400)


if __name__ == "__main__":
    unittest.main()
