"""Traffic generated from an AsyncAPI document and replies to its request
operations (fixture files' `asyncapi:` entries), seen by real clients of the
real `mockforge serve` validating in reject mode: paho-mqtt (MQTT 5) receives
the played readings (synthesised, every one different) and gets pongs on its
response topic with its correlation data; confluent-kafka reads the orders
(the message's examples in turn) and gets a price on the reply channel with
its correlationId header (and a reply on the topic its replyTo header names); pika reads shipments (typed headers) from the binding's exchange and
gets a quote on its reply_to queue with its correlation_id. A 2.x
request/reply pair (play/play-v2.yaml) answers MQTT 3.1.1 on the reply
operation's channel and MQTT 5 on the response topic. Nothing generated
is a violation; `fixtures list`, stop and start work on the played operations,
and a schedule started again plays the same messages again."""

import json
import os
import queue
import shutil
import tempfile
import time
import unittest
import uuid

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mockforge_harness import Mockforge

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30


def wait_until(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class AsyncapiPlay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge("--asyncapi", "reject=" + os.path.join(HERE, "play-contract.yaml"),
                           "--asyncapi", "reject=" + os.path.join(HERE, "play-contract-v2.yaml"),
                           "--fixtures", os.path.join(HERE, "play"),
                           env={"MOCKFORGE_FIXTURES_FAIL_ON_ERROR": "true"})
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def violations(self):
        status, body = self.mf.api("GET", "/__mockforge/api/asyncapi/violations")
        self.assertEqual(status, 200, body)
        return body["violations"]

    def mqtt_client(self, name, protocol=mqtt.MQTTv5):
        client = mqtt.Client(client_id=name, protocol=protocol)
        connected = queue.Queue()
        subscribed = queue.Queue()
        client.on_connect = lambda *args: connected.put(True)
        client.on_subscribe = lambda *args: subscribed.put(True)
        client.received = queue.Queue()
        client.on_message = lambda c, u, m: client.received.put(m)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        connected.get(timeout=TIMEOUT)
        client.subscribed = subscribed
        self.addCleanup(lambda: (client.disconnect(), client.loop_stop()))
        return client

    def amqp_channel(self):
        connection = pika.BlockingConnection(
            pika.ConnectionParameters("127.0.0.1", self.mf.ports["amqp"]))
        self.addCleanup(connection.close)
        return connection.channel()

    def test_mqtt_readings_are_played_per_line_and_differ(self):
        client = self.mqtt_client("play-reader")
        client.subscribe("plant/+/readings", qos=1)
        client.subscribed.get(timeout=TIMEOUT)
        by_line = {}
        deadline = time.monotonic() + TIMEOUT
        while min((len(v) for v in by_line.values()), default=0) < 3 or len(by_line) < 3:
            self.assertLess(time.monotonic(), deadline, by_line)
            message = client.received.get(timeout=TIMEOUT)
            line = message.topic.split("/")[1]
            by_line.setdefault(line, []).append(json.loads(message.payload))
            self.assertEqual(message.properties.ContentType, "application/json")
        self.assertEqual(sorted(by_line), ["line-1", "line-2", "line-3"])
        for readings in by_line.values():
            for reading in readings:
                self.assertRegex(reading["sensor"], r"^s[0-9]{2}$")
                self.assertTrue(-20 <= reading["celsius"] <= 120, reading)
            # consecutive messages of one stream differ
            self.assertNotEqual(readings[0], readings[1])
        self.assertEqual(self.violations(), [])

    def test_kafka_orders_are_the_examples_in_turn(self):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "play-orders",
                             "auto.offset.reset": "earliest"})
        self.addCleanup(consumer.close)
        consumer.subscribe(["orders"])
        # The played messages take the topic's partitions in turn (0, 1, 0, ...),
        # as the examples alternate: read until both partitions gave some.
        seen = []
        deadline = time.monotonic() + TIMEOUT
        while len({p for p, _ in seen}) < 2 or len(seen) < 6:
            self.assertLess(time.monotonic(), deadline, seen)
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            seen.append((msg.partition(), json.loads(msg.value())))
        seen = [order for _, order in seen]
        self.assertEqual({o["orderId"] for o in seen}, {"ORD-1", "ORD-2"})
        self.assertEqual(self.violations(), [])

    def test_amqp_shipments_go_to_the_bindings_exchange(self):
        channel = self.amqp_channel()
        q = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(q, "shipments", "shipments.*")
        keys = set()
        deadline = time.monotonic() + TIMEOUT
        while keys != {"shipments.eu", "shipments.us"} and time.monotonic() < deadline:
            method, props, body = channel.basic_get(q, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            keys.add(method.routing_key)
            # synthesised headers keep their schema types in the AMQP table
            self.assertIn(props.headers["attempt"], [1, 2, 3])
            self.assertIsInstance(props.headers["express"], bool)
            shipment = json.loads(body)
            self.assertIn(shipment["carrier"], ["dhl", "ups", "fedex"])
        self.assertEqual(keys, {"shipments.eu", "shipments.us"})
        self.assertEqual(self.violations(), [])

    def test_mqtt_request_is_answered_on_its_response_topic(self):
        client = self.mqtt_client("play-requester")
        client.subscribe("clients/play-requester/replies", qos=1)
        client.subscribed.get(timeout=TIMEOUT)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = "clients/play-requester/replies"
        props.CorrelationData = b"corr-17"
        client.publish("devices/d1/ping", json.dumps({"seq": 1}), qos=1,
                       properties=props).wait_for_publish(timeout=TIMEOUT)
        reply = client.received.get(timeout=TIMEOUT)
        self.assertEqual(reply.topic, "clients/play-requester/replies")
        self.assertEqual(json.loads(reply.payload), {"status": "alive", "uptime": 42})
        self.assertEqual(reply.properties.CorrelationData, b"corr-17")

    def test_2x_request_reply_pair_answers_mqtt311_on_the_reply_channel(self):
        client = self.mqtt_client("play-legacy", protocol=mqtt.MQTTv311)
        client.subscribe("legacy/u7/answer", qos=1)
        client.subscribed.get(timeout=TIMEOUT)
        client.publish("legacy/u7/query", json.dumps({"question": "?"}),
                       qos=1).wait_for_publish(timeout=TIMEOUT)
        reply = client.received.get(timeout=TIMEOUT)
        self.assertEqual(reply.topic, "legacy/u7/answer")
        self.assertEqual(json.loads(reply.payload), {"answer": 42})

    def test_2x_request_reply_pair_answers_mqtt5_on_its_response_topic(self):
        client = self.mqtt_client("play-legacy5")
        client.subscribe("clients/play-legacy5/answers", qos=1)
        client.subscribed.get(timeout=TIMEOUT)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = "clients/play-legacy5/answers"
        props.CorrelationData = b"legacy-1"
        client.publish("legacy/u8/query", json.dumps({"question": "?"}), qos=1,
                       properties=props).wait_for_publish(timeout=TIMEOUT)
        reply = client.received.get(timeout=TIMEOUT)
        self.assertEqual(reply.topic, "clients/play-legacy5/answers")
        self.assertEqual(json.loads(reply.payload), {"answer": 42})
        self.assertEqual(reply.properties.CorrelationData, b"legacy-1")

    def test_amqp_request_is_answered_on_its_reply_to_queue(self):
        channel = self.amqp_channel()
        replies = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("rpc", "rpc.quote", json.dumps({"sku": "A-1"}),
                              pika.BasicProperties(reply_to=replies, correlation_id="q-42",
                                                   content_type="application/json"))
        deadline = time.monotonic() + TIMEOUT
        while True:
            method, props, body = channel.basic_get(replies, auto_ack=True)
            if method is not None:
                break
            self.assertLess(time.monotonic(), deadline, "no reply on the reply_to queue")
            time.sleep(0.05)
        self.assertEqual(json.loads(body), {"price": 19.99})
        self.assertEqual(props.correlation_id, "q-42")
        self.assertEqual(props.content_type, "application/json")

    def test_kafka_request_is_answered_on_the_reply_channel(self):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "play-prices",
                             "auto.offset.reset": "earliest"})
        self.addCleanup(consumer.close)
        consumer.subscribe(["prices.replies"])
        correlation = str(uuid.uuid4())
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce("prices.requests", json.dumps({"sku": "A-1"}),
                         headers=[("correlationId", correlation)])
        self.assertEqual(producer.flush(TIMEOUT), 0)
        reply = None
        deadline = time.monotonic() + TIMEOUT
        while reply is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                reply = msg
        self.assertIsNotNone(reply, "no reply on prices.replies")
        self.assertEqual(json.loads(reply.value()), {"sku": "A-1", "price": 3.5})
        self.assertEqual(dict(reply.headers())["correlationId"], correlation.encode())
        self.assertEqual(self.violations(), [])

    def test_kafka_request_is_answered_on_the_topic_its_reply_to_header_names(self):
        replies = f"replies.{uuid.uuid4().hex[:8]}"
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce("stock.requests", json.dumps({"sku": "B-2"}),
                         headers=[("replyTo", replies)])
        self.assertEqual(producer.flush(TIMEOUT), 0)
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        wait_until(lambda: replies in admin.list_topics(timeout=5).topics,
                   f"the reply topic {replies}")
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "play-stock"})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(replies, 0, OFFSET_BEGINNING)])
        reply = None
        deadline = time.monotonic() + TIMEOUT
        while reply is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                reply = msg
        self.assertIsNotNone(reply, f"no reply on {replies}")
        stock = json.loads(reply.value())  # synthesised from the reply's schema
        self.assertIsInstance(stock["sku"], str)
        self.assertTrue(0 <= stock["available"] <= 10, stock)

    def test_played_operations_are_listed_and_stop_and_start(self):
        status, body = self.mf.api("GET", "/__mockforge/api/fixtures")
        self.assertEqual(status, 200, body)
        schedules = {s["identifier"]: s for s in body["schedules"]}
        self.assertEqual(set(schedules), {"sendReading", "sendOrder", "sendShipment"})
        self.assertEqual(schedules["sendReading"]["streams"], 3)
        self.assertEqual(schedules["sendShipment"]["streams"], 2)
        self.assertEqual(schedules["sendReading"]["destination"], "plant/{line}/readings")
        status, body = self.mf.api("POST", "/__mockforge/api/fixtures/stop?id=sendReading")
        self.assertEqual(status, 200, body)
        client = self.mqtt_client("play-stopped")
        client.subscribe("plant/+/readings", qos=1)
        client.subscribed.get(timeout=TIMEOUT)
        time.sleep(0.5)
        while not client.received.empty():
            client.received.get()
        time.sleep(0.5)
        self.assertTrue(client.received.empty(), "a stopped operation still plays")
        first = self.first_readings(client)
        # Started again from the beginning: the same messages again.
        status, body = self.mf.api("POST", "/__mockforge/api/fixtures/stop?id=sendReading")
        self.assertEqual(status, 200, body)
        time.sleep(0.3)
        while not client.received.empty():
            client.received.get()
        self.assertEqual(self.first_readings(client), first)
        self.assertEqual(self.violations(), [])

    def first_readings(self, client):
        """Starts sendReading and returns each line's first reading."""
        status, body = self.mf.api("POST", "/__mockforge/api/fixtures/start?id=sendReading")
        self.assertEqual(status, 200, body)
        first = {}
        while len(first) < 3:
            message = client.received.get(timeout=TIMEOUT)
            first.setdefault(message.topic, message.payload)
        return first


class AsyncapiPlayDraft6Bounds(unittest.TestCase):
    """A payload schema with draft 6+ exclusive bounds (numbers, beside
    minimum and maximum) is played from its schema: the synthesiser read them
    as draft 4 booleans and threw, which ended serve at the first message."""

    DOCUMENT = """asyncapi: 3.0.0
info: {title: prices, version: "1"}
servers:
  local: {host: "localhost:9092", protocol: kafka}
channels:
  prices:
    address: prices
    messages:
      price:
        payload:
          type: object
          required: [amount, units]
          properties:
            amount: {type: number, minimum: 0, exclusiveMinimum: 0, maximum: 5}
            units: {type: integer, maximum: 10, exclusiveMaximum: 10, minimum: 9}
operations:
  sendPrice:
    action: send
    channel: {$ref: '#/channels/prices'}
"""

    def test_played_values_keep_within_the_exclusive_bounds(self):
        directory = tempfile.mkdtemp(prefix="mockforge-draft6-")
        self.addCleanup(shutil.rmtree, directory, True)
        document = os.path.join(directory, "prices.yaml")
        with open(document, "w") as out:
            out.write(self.DOCUMENT)
        os.mkdir(os.path.join(directory, "fixtures"))
        with open(os.path.join(directory, "fixtures", "play.yaml"), "w") as out:
            out.write("asyncapi:\n  - document: ../prices.yaml\n    source: schema\n"
                      "    rate_per_second: 50\n")
        with Mockforge("--asyncapi", "reject=" + document,
                       "--fixtures", os.path.join(directory, "fixtures"),
                       env={"MOCKFORGE_FIXTURES_FAIL_ON_ERROR": "true"}) as mf:
            consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{mf.ports['kafka']}",
                                 "group.id": "draft6", "auto.offset.reset": "earliest"})
            self.addCleanup(consumer.close)
            consumer.subscribe(["prices"])
            prices = []
            deadline = time.monotonic() + TIMEOUT
            while len(prices) < 10:
                self.assertLess(time.monotonic(), deadline, prices)
                msg = consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                prices.append(json.loads(msg.value()))
            for price in prices:
                self.assertTrue(0 < price["amount"] <= 5, price)
                self.assertEqual(price["units"], 9, price)
            status, body = mf.api("GET", "/__mockforge/api/asyncapi/violations")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["violations"], [])


if __name__ == "__main__":
    unittest.main()
