"""Fault injection against the real `mockforge serve`, seen by real clients:
librdkafka (confluent-kafka) retrying a Produce refused with
NOT_LEADER_OR_FOLLOWER without duplicates under idempotence, a KafkaJS
consumer surviving a dropped connection, paho-mqtt reconnecting after a close
and getting its QoS 1 messages again, pika's confirm seeing a nack and the
channel and connection closes; rules set through the admin API, the CLI
(`mockforge faults`) and fixture files, and counted in metrics."""

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import unittest

import paho.mqtt.client as mqtt
import pika
import pika.exceptions
from confluent_kafka import Consumer, KafkaError, Producer

from mockforge_harness import BIN, Mockforge, files_dir

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS_DIR = os.path.dirname(HERE)
TIMEOUT = 30


def wait_until(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class FaultsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(env={"MOCKFORGE_FIXTURES_RANDOM_SEED": "11"})
        cls.admin = f"http://127.0.0.1:{cls.mf.ports['admin']}"
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def tearDown(self):
        self.api("DELETE", "/__mockforge/api/faults")

    def api(self, method, path, body=None):
        return self.mf.api(method, path, body)

    def add(self, rule):
        status, body = self.api("POST", "/__mockforge/api/faults", rule)
        self.assertEqual(status, 201, body)
        return body

    def rule(self, name):
        _, body = self.api("GET", "/__mockforge/api/faults")
        return next(rule for rule in body["faults"] if rule["name"] == name)

    def firings(self, rule, protocol):
        _, _, text = self.mf.request("GET", "/__mockforge/metrics")
        prefix = f'mockforge_fault_firings_total{{rule="{rule}",protocol="{protocol}"}} '
        for line in text.splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix):])
        return 0.0

    def cli(self, *args, check=True):
        result = subprocess.run([BIN, "faults", *args, "--admin-url", self.admin],
                                capture_output=True, text=True, timeout=TIMEOUT)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def consume_all(self, topic, expected, group):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic])
        values = []
        deadline = time.monotonic() + TIMEOUT
        try:
            while len(values) < expected and time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                values.append(message.value().decode())
            # Anything more (a duplicate) would come within a few more polls.
            for _ in range(5):
                message = consumer.poll(0.2)
                if message is not None and not message.error():
                    values.append(message.value().decode())
        finally:
            consumer.close()
        return values


class AdminAndCliTest(FaultsTestCase):
    def test_add_list_remove_clear(self):
        added = self.add({"name": "slow-produce", "protocol": "kafka",
                          "match": {"api": "produce", "topic": "t", "partition": 0},
                          "action": {"type": "latency", "ms": 5, "jitter_ms": 2}, "times": 3})
        self.assertEqual(added["match"]["api"], "Produce")  # the broker's own name
        self.assertEqual(added["remaining"], 3)
        status, body = self.api("GET", "/__mockforge/api/faults")
        self.assertEqual(status, 200)
        self.assertEqual([rule["name"] for rule in body["faults"]], ["slow-produce"])
        status, body = self.api("DELETE", "/__mockforge/api/faults/slow-produce")
        self.assertEqual((status, body), (200, {"removed": "slow-produce"}))
        status, _ = self.api("DELETE", "/__mockforge/api/faults/slow-produce")
        self.assertEqual(status, 404)

    def test_bad_rules_are_refused_with_the_field(self):
        cases = [
            ({"protocol": "kafka", "match": {"api": "Nope"}, "action": {"type": "close"}},
             "match.api"),
            ({"protocol": "kafka", "match": {"api": "Produce"},
              "action": {"type": "error", "code": "NOT_A_CODE"}}, "action.code"),
            ({"protocol": "kafka", "match": {"api": "ApiVersions"},
              "action": {"type": "error", "code": 6}}, "action.type"),
            ({"protocol": "mqtt", "match": {"packet": "publish"},
              "action": {"type": "error", "code": "0x02"}}, "action.code"),
            ({"protocol": "mqtt", "match": {"packet": "pingreq", "topic": "a"},
              "action": {"type": "drop"}}, "match.topic"),
            ({"protocol": "amqp", "match": {"method": "queue.declare"},
              "action": {"type": "nack"}}, "action.type"),
            ({"protocol": "amqp", "match": {"method": "basic.publish"},
              "action": {"type": "channel_close", "code": 320}}, "action.code"),
            ({"protocol": "amqp", "match": {"method": "basic.publsh"},
              "action": {"type": "drop"}}, "match.method"),
        ]
        for rule, field in cases:
            status, body = self.api("POST", "/__mockforge/api/faults", rule)
            self.assertEqual(status, 400, rule)
            self.assertIn(field + ":", body["error"]["message"], rule)
        status, _ = self.api("POST", "/__mockforge/api/faults", None)
        self.assertEqual(status, 400)
        self.add({"name": "twice", "protocol": "mqtt", "action": {"type": "drop"},
                  "match": {"packet": "pingreq"}})
        status, _ = self.api("POST", "/__mockforge/api/faults",
                             {"name": "twice", "protocol": "mqtt", "action": {"type": "drop"}})
        self.assertEqual(status, 409)

    def test_cli_add_list_remove_clear(self):
        out = self.cli("add", "--name", "cli-nack", "--protocol", "amqp", "--method",
                       "basic.publish", "--exchange", "orders", "--action", "nack", "--times",
                       "2").stdout
        self.assertIn("added cli-nack", out)
        self.cli("add", "--json", json.dumps({"name": "cli-json", "protocol": "mqtt",
                                              "match": {"packet": "subscribe"},
                                              "action": {"type": "error", "code": 135}}))
        listed = self.cli("list").stdout
        self.assertIn("cli-nack\tamqp\texchange=orders method=basic.publish\tnack\t0\t2", listed)
        self.assertIn("cli-json\tmqtt\tpacket=subscribe\terror code=135", listed)
        as_json = json.loads(self.cli("list", "--format", "json").stdout)
        self.assertEqual(len(as_json["faults"]), 2)
        self.assertIn("removed cli-nack", self.cli("remove", "cli-nack").stdout)
        bad = self.cli("remove", "cli-nack", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("no fault rule 'cli-nack'", bad.stderr)
        # A flag that does not belong to the protocol is refused, not ignored.
        bad = self.cli("add", "--protocol", "kafka", "--packet", "publish", "--action", "drop",
                       check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("match.packet", bad.stderr)
        self.assertIn("removed 1 rule(s)", self.cli("clear").stdout)


class KafkaFaultsTest(FaultsTestCase):
    def test_idempotent_producer_retries_not_leader_without_duplicates(self):
        self.add({"name": "not-leader", "protocol": "kafka",
                  "match": {"api": "Produce", "topic": "faults-idem"},
                  "action": {"type": "error", "code": "NOT_LEADER_OR_FOLLOWER"}, "times": 2})
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "retry.backoff.ms": 50})
        errors = []
        delivered = []

        def report(error, message):
            (errors if error else delivered).append(error or message.value().decode())

        for i in range(20):
            producer.produce("faults-idem", value=f"v{i}", callback=report)
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(delivered), sorted(f"v{i}" for i in range(20)))
        self.assertEqual(self.rule("not-leader")["fired"], 2)
        self.assertEqual(self.firings("not-leader", "kafka"), 2)
        values = self.consume_all("faults-idem", 20, "idem-check")
        self.assertEqual(sorted(values), sorted(f"v{i}" for i in range(20)))  # no duplicate

    def test_request_timed_out_is_retried_too(self):
        self.add({"name": "timed-out", "protocol": "kafka",
                  "match": {"api": 0, "topic": "faults-timeout"},
                  "action": {"type": "error", "code": 7}, "times": 1})
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "retry.backoff.ms": 50})
        errors = []
        producer.produce("faults-timeout", value="once",
                         callback=lambda error, message: errors.append(error))
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.assertEqual(errors, [None])
        self.assertEqual(self.rule("timed-out")["fired"], 1)
        self.assertEqual(self.consume_all("faults-timeout", 1, "timeout-check"), ["once"])

    def test_offset_out_of_range_resets_the_consumer(self):
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for i in range(3):
            producer.produce("faults-range", value=f"r{i}")
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.add({"name": "out-of-range", "protocol": "kafka",
                  "match": {"api": "Fetch", "topic": "faults-range", "partition": 0},
                  "action": {"type": "error", "code": "OFFSET_OUT_OF_RANGE"}, "times": 1})
        values = self.consume_all("faults-range", 3, "range-check")
        self.assertEqual(sorted(values), ["r0", "r1", "r2"])
        self.assertEqual(self.rule("out-of-range")["fired"], 1)

    def test_coordinator_not_available_then_the_group_joins(self):
        self.add({"name": "no-coordinator", "protocol": "kafka",
                  "match": {"api": "FindCoordinator"},
                  "action": {"type": "error", "code": "COORDINATOR_NOT_AVAILABLE"}, "times": 2})
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce("faults-coord", value="c")
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.assertEqual(self.consume_all("faults-coord", 1, "coord-group"), ["c"])
        self.assertEqual(self.rule("no-coordinator")["fired"], 2)

    def test_latency_on_metadata(self):
        self.add({"name": "slow-meta", "protocol": "kafka", "match": {"api": "Metadata"},
                  "action": {"type": "latency", "ms": 50, "jitter_ms": 20}, "times": 1})
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce("faults-slow", value="s")
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.assertEqual(self.rule("slow-meta")["fired"], 1)
        self.assertEqual(self.consume_all("faults-slow", 1, "slow-check"), ["s"])

    def test_kafkajs_consumer_survives_a_dropped_connection(self):
        result = subprocess.run(
            ["node", os.path.join(HERE, "kafkajs_close_test.js"), self.bootstrap,
             str(self.mf.ports["admin"])],
            capture_output=True, timeout=300,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0,
                         result.stdout.decode() + result.stderr.decode())
        self.assertIn("kafkajs close ok", result.stdout.decode())
        self.assertEqual(self.firings("drop-consumer", "kafka"), 1)


class MqttFaultsTest(FaultsTestCase):
    def client(self, client_id, protocol=mqtt.MQTTv311, clean=True):
        if protocol == mqtt.MQTTv5:
            client = mqtt.Client(client_id=client_id, protocol=protocol)
        else:
            client = mqtt.Client(client_id=client_id, protocol=protocol, clean_session=clean)
        client.reconnect_delay_set(min_delay=1, max_delay=1)
        return client

    def test_paho_reconnects_and_gets_its_qos1_messages_again(self):
        port = self.mf.ports["mqtt"]
        received = queue.Queue()
        connects = []
        sub = self.client("faulty-sub", clean=False)
        sub.on_connect = lambda c, u, flags, rc: (connects.append(flags.get("session present")),
                                                  c.subscribe("faults/qos1", qos=1))
        sub.on_message = lambda c, u, message: received.put((message.payload.decode(),
                                                             message.dup))
        sub.connect("127.0.0.1", port)
        sub.loop_start()
        try:
            wait_until(lambda: len(connects) == 1, "the first connection")
            time.sleep(0.2)  # let the SUBACK arrive before publishing
            # The subscriber's first PUBACK closes its connection: the message stays unacknowledged.
            self.add({"name": "drop-puback", "protocol": "mqtt",
                      "match": {"packet": "puback", "client_id": "faulty-sub"},
                      "action": {"type": "close"}, "times": 1})
            pub = self.client("faults-pub")
            pub.connect("127.0.0.1", port)
            pub.loop_start()
            for i in range(3):
                pub.publish("faults/qos1", f"q{i}", qos=1).wait_for_publish(TIMEOUT)
            pub.loop_stop()
            pub.disconnect()
            seen = []
            deadline = time.monotonic() + TIMEOUT
            while {"q0", "q1", "q2"} - {payload for payload, _ in seen}:
                self.assertLess(time.monotonic(), deadline, f"only got {seen}")
                try:
                    seen.append(received.get(timeout=0.5))
                except queue.Empty:
                    pass
            wait_until(lambda: len(connects) >= 2, "the reconnection")
            self.assertEqual(connects[1], 1)  # the session was kept
            # q0 was delivered, its PUBACK never handled, and it came again with DUP.
            self.assertIn(("q0", False), seen)
            self.assertIn(("q0", True), seen)
            self.assertEqual(self.rule("drop-puback")["fired"], 1)
        finally:
            sub.loop_stop()
            sub.disconnect()

    def test_v5_suback_refusal_and_puback_reason(self):
        port = self.mf.ports["mqtt"]
        self.add({"name": "refuse-sub", "protocol": "mqtt",
                  "match": {"packet": "subscribe", "topic": "secret/#"},
                  "action": {"type": "error", "code": "not_authorized"}})
        self.add({"name": "quota", "protocol": "mqtt",
                  "match": {"packet": "publish", "topic": "metered/+"},
                  "action": {"type": "error", "code": "0x97"}, "times": 1})
        client = self.client("faults-v5", protocol=mqtt.MQTTv5)
        granted = queue.Queue()
        client.on_subscribe = lambda c, u, mid, codes, props: granted.put([int(code.value)
                                                                           for code in codes])
        client.connect("127.0.0.1", port)
        client.loop_start()
        try:
            client.subscribe("secret/plans", qos=1)
            self.assertEqual(granted.get(timeout=TIMEOUT), [0x87])
            client.subscribe("open/news", qos=1)
            self.assertEqual(granted.get(timeout=TIMEOUT), [1])
        finally:
            client.loop_stop()
            client.disconnect()
        # mosquitto_pub reports a negative PUBACK.
        result = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", "5",
                                 "-q", "1", "-t", "metered/water", "-m", "1"],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertIn("Quota exceeded", result.stdout + result.stderr)
        self.assertEqual(self.rule("quota")["fired"], 1)
        self.assertEqual(self.rule("refuse-sub")["fired"], 1)


    def subscriber(self, client_id, topic, received):
        client = self.client(client_id)
        subscribed = threading.Event()
        client.on_connect = lambda c, u, flags, rc: c.subscribe(topic, qos=1)
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_message = lambda c, u, message: received.put(message.payload.decode())
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        self.assertTrue(subscribed.wait(TIMEOUT), f"{client_id} did not subscribe")
        return client

    def publish(self, topic, payloads):
        pub = self.client(f"pub-{topic.replace('/', '-')}")
        pub.connect("127.0.0.1", self.mf.ports["mqtt"])
        pub.loop_start()
        try:
            for payload in payloads:
                pub.publish(topic, payload, qos=1).wait_for_publish(TIMEOUT)
        finally:
            pub.loop_stop()
            pub.disconnect()

    def queued(self, client_id):
        _, body = self.api("GET", "/__mockforge/api/mqtt/clients")
        return next(c["queued"] for c in body["clients"] if c["client_id"] == client_id)

    def test_deliver_pause_holds_one_subscribers_messages_in_order(self):
        held, free = queue.Queue(), queue.Queue()
        held_sub = self.subscriber("held-sub", "faults/held", held)
        free_sub = self.subscriber("free-sub", "faults/held", free)
        try:
            self.add({"name": "hold-deliveries", "protocol": "mqtt",
                      "match": {"packet": "deliver", "client_id": "held-sub"},
                      "action": {"type": "pause", "ms": 4000}, "times": 1})
            sent = [f"m{i}" for i in range(5)]
            self.publish("faults/held", sent)
            # The other subscriber has them all; the paused one's wait in its session.
            self.assertEqual([free.get(timeout=TIMEOUT) for _ in sent], sent)
            self.assertEqual(self.queued("held-sub"), 5)
            self.assertTrue(held.empty())
            # The window ends: all of them, in order, and none lost.
            self.assertEqual([held.get(timeout=TIMEOUT) for _ in sent], sent)
            wait_until(lambda: self.queued("held-sub") == 0, "the queue to drain")
            self.assertEqual(self.rule("hold-deliveries")["fired"], 1)
        finally:
            for client in (held_sub, free_sub):
                client.loop_stop()
                client.disconnect()

    def test_deliver_drop_loses_one_message_for_one_subscriber(self):
        dropped, other = queue.Queue(), queue.Queue()
        dropping = self.subscriber("drop-sub", "faults/dropped", dropped)
        keeping = self.subscriber("keep-sub", "faults/dropped", other)
        try:
            self.add({"name": "lose-one", "protocol": "mqtt",
                      "match": {"packet": "deliver", "client_id": "drop-sub",
                                "topic": "faults/#"},
                      "action": {"type": "drop"}, "times": 1})
            self.publish("faults/dropped", ["d0", "d1", "d2"])
            self.assertEqual([other.get(timeout=TIMEOUT) for _ in range(3)], ["d0", "d1", "d2"])
            self.assertEqual([dropped.get(timeout=TIMEOUT) for _ in range(2)], ["d1", "d2"])
            self.assertEqual(self.firings("lose-one", "mqtt"), 1)
        finally:
            for client in (dropping, keeping):
                client.loop_stop()
                client.disconnect()

    def test_deliver_takes_only_pause_and_drop(self):
        status, body = self.api("POST", "/__mockforge/api/faults",
                                {"protocol": "mqtt", "match": {"packet": "deliver"},
                                 "action": {"type": "close"}})
        self.assertEqual(status, 400, body)
        self.assertIn("action.type", json.dumps(body))


class AmqpFaultsTest(FaultsTestCase):
    def connection(self, name="faults-test"):
        params = pika.ConnectionParameters("127.0.0.1", self.mf.ports["amqp"],
                                           client_properties={"connection_name": name})
        return pika.BlockingConnection(params)

    def test_pika_confirm_sees_the_nack(self):
        conn = self.connection("nacked-publisher")
        try:
            channel = conn.channel()
            channel.queue_declare("faults-nack")
            channel.confirm_delivery()
            self.add({"name": "nack-once", "protocol": "amqp",
                      "match": {"method": "basic.publish", "exchange": "",
                                "connection_name": "nacked-publisher"},
                      "action": {"type": "nack"}, "times": 1})
            with self.assertRaises(pika.exceptions.NackError):
                channel.basic_publish("", "faults-nack", b"refused")
            channel.basic_publish("", "faults-nack", b"accepted")
            method, _, body = channel.basic_get("faults-nack", auto_ack=True)
            self.assertEqual(body, b"accepted")
            self.assertEqual(method.message_count, 0)  # the nacked one was not routed
        finally:
            conn.close()
        self.assertEqual(self.firings("nack-once", "amqp"), 1)

    def test_channel_close_and_connection_close_with_codes(self):
        self.add({"name": "precondition", "protocol": "amqp",
                  "match": {"method": "queue.declare", "queue": "faults-guarded"},
                  "action": {"type": "channel_close", "code": "PRECONDITION_FAILED",
                             "text": "injected"}})
        self.add({"name": "forced", "protocol": "amqp",
                  "match": {"method": "basic.consume", "queue": "faults-forced"},
                  "action": {"type": "connection_close", "code": 320}})
        conn = self.connection()
        try:
            with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as closed:
                conn.channel().queue_declare("faults-guarded")
            self.assertEqual(closed.exception.reply_code, 406)
            self.assertIn("injected", closed.exception.reply_text)
            channel = conn.channel()  # the connection is still there
            channel.queue_declare("faults-forced")
            with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as forced:
                channel.basic_consume("faults-forced", lambda *args: None)
                conn.process_data_events(time_limit=TIMEOUT)
            self.assertEqual(forced.exception.reply_code, 320)
        finally:
            if conn.is_open:
                conn.close()

    def test_close_requeues_unacked_and_drop_routes_nowhere(self):
        conn = self.connection()
        channel = conn.channel()
        channel.queue_declare("faults-requeue")
        channel.confirm_delivery()
        self.add({"name": "drop-publish", "protocol": "amqp",
                  "match": {"method": "basic.publish"}, "action": {"type": "drop"}, "times": 1})
        channel.basic_publish("", "faults-requeue", b"lost")  # acknowledged, routed nowhere
        channel.basic_publish("", "faults-requeue", b"kept")
        method, _, body = channel.basic_get("faults-requeue")
        self.assertEqual(body, b"kept")
        self.add({"name": "cut", "protocol": "amqp", "match": {"method": "basic.ack"},
                  "action": {"type": "close"}, "times": 1})
        channel.basic_ack(method.delivery_tag)
        with self.assertRaises(pika.exceptions.AMQPConnectionError):
            conn.process_data_events(time_limit=TIMEOUT)
            channel.basic_get("faults-requeue")
        again = self.connection()
        try:
            method, _, body = again.channel().basic_get("faults-requeue", auto_ack=True)
            self.assertEqual(body, b"kept")
            self.assertTrue(method.redelivered)
        finally:
            again.close()


    def test_basic_deliver_pause_holds_a_consumer_and_others_take_over(self):
        conn = self.connection("paused-consumer")
        other = self.connection("other-consumer")
        try:
            channel = conn.channel()
            channel.queue_declare("faults-paused")
            channel.queue_purge("faults-paused")
            got = []
            channel.basic_consume("faults-paused",
                                  lambda ch, method, props, body: (got.append(body.decode()),
                                                                   ch.basic_ack(method.delivery_tag)))
            self.add({"name": "pause-consumer", "protocol": "amqp",
                      "match": {"method": "basic.deliver", "queue": "faults-paused",
                                "connection_name": "paused-consumer"},
                      "action": {"type": "pause", "ms": 4000}, "times": 1})
            publisher = other.channel()
            for i in range(3):
                publisher.basic_publish("", "faults-paused", f"p{i}".encode())
            # Paused: nothing pushed; the messages stay ready in the queue.
            wait_until(lambda: self.rule("pause-consumer")["fired"] == 1, "the rule to fire")
            conn.process_data_events(time_limit=0.3)
            self.assertEqual(got, [])
            self.assertEqual(publisher.queue_declare("faults-paused", passive=True)
                             .method.message_count, 3)
            # The window ends: all three, in order.
            deadline = time.monotonic() + TIMEOUT
            while len(got) < 3 and time.monotonic() < deadline:
                conn.process_data_events(time_limit=0.1)
            self.assertEqual(got, ["p0", "p1", "p2"])
            # A second paused window: another consumer on the queue takes the messages.
            self.add({"name": "pause-again", "protocol": "amqp",
                      "match": {"method": "basic.deliver", "queue": "faults-paused",
                                "connection_name": "paused-consumer"},
                      "action": {"type": "pause", "ms": 60000}, "times": 1})
            publisher.basic_publish("", "faults-paused", b"trigger")
            wait_until(lambda: self.rule("pause-again")["fired"] == 1, "the second window")
            taken = []
            publisher.basic_consume("faults-paused",
                                    lambda ch, method, props, body: (
                                        taken.append(body.decode()),
                                        ch.basic_ack(method.delivery_tag)))
            publisher.basic_publish("", "faults-paused", b"after")
            deadline = time.monotonic() + TIMEOUT
            while len(taken) < 2 and time.monotonic() < deadline:
                other.process_data_events(time_limit=0.1)
            self.assertEqual(taken, ["trigger", "after"])
            conn.process_data_events(time_limit=0.2)
            self.assertEqual(got, ["p0", "p1", "p2"])
        finally:
            other.close()
            conn.close()

    def test_basic_deliver_takes_only_pause(self):
        status, body = self.api("POST", "/__mockforge/api/faults",
                                {"protocol": "amqp", "match": {"method": "basic.deliver"},
                                 "action": {"type": "drop"}})
        self.assertEqual(status, 400, body)
        self.assertIn("action.type", json.dumps(body))


class FixtureFaultsTest(unittest.TestCase):
    def test_rules_from_a_fixture_file(self):
        directory = files_dir({"faults.yaml": """
faults:
  - name: slow-orders
    protocol: kafka
    match: {api: Produce, topic: orders}
    action: {type: latency, ms: 20}
  - protocol: amqp
    match: {method: basic.publish, exchange: audit}
    action: {type: nack}
    times: 1
"""}, prefix="mockforge-faults-")
        try:
            with Mockforge("--fixtures", directory) as mf:
                _, _, text = mf.request("GET", "/__mockforge/api/faults")
                rules = json.loads(text)["faults"]
                self.assertEqual([rule["name"] for rule in rules], ["slow-orders", "fault-1"])
                self.assertEqual(rules[1]["action"], {"type": "nack"})
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def test_a_bad_rule_names_file_line_and_field(self):
        directory = files_dir({"bad.yaml": """
faults:
  - protocol: kafka
    match: {api: Produce}
    action: {type: latency}
"""}, prefix="mockforge-faults-")
        try:
            result = subprocess.run([BIN, "fixtures", "validate", directory],
                                    capture_output=True, text=True, timeout=TIMEOUT)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("bad.yaml:3:5: faults[0].action.ms: missing", result.stdout + result.stderr)
            bad_code = files_dir({"bad.yaml": """
faults:
  - protocol: kafka
    match: {api: Produce}
    action: {type: error, code: NOT_A_CODE}
"""}, prefix="mockforge-faults-")
            try:
                with self.assertRaises(RuntimeError) as refused:
                    Mockforge("--fixtures", bad_code)
                self.assertIn("bad.yaml:3", str(refused.exception))
                self.assertIn("action.code", str(refused.exception))
            finally:
                shutil.rmtree(bad_code, ignore_errors=True)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
