"""`mockforge scenario run` against real brokers (Debian's rabbitmq-server and
mosquitto, librdkafka's mock cluster): responders answer real clients
(confluent-kafka, pika, paho-mqtt) on each protocol, auto-produce schedules
deliver their messages to real consumers, the responders' own output coming
back from a broker does not trigger them again, and SIGTERM ends the run
cleanly with a summary."""

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import Consumer, Producer

import peers
from mockforge_harness import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30


def directory(files):
    path = tempfile.mkdtemp(prefix="mockforge-scenario-")
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as out:
            out.write(text)
    return path


def kafka_records(bootstrap, topic, count):
    """(key, value, headers) of `count` records of a topic, in no particular order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])
        out = []
        deadline = time.monotonic() + TIMEOUT
        while len(out) < count and time.monotonic() < deadline:
            m = consumer.poll(0.2)
            if m is not None and not m.error():
                out.append((m.key(), json.loads(m.value()), dict(m.headers() or [])))
        return out
    finally:
        consumer.close()


class ScenarioRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        cls.rabbit = cls.stack.enter_context(peers.rabbitmq())
        cls.mosquitto = cls.stack.enter_context(peers.mosquitto())
        cls.kafka = cls.stack.enter_context(peers.rdkafka_mock())
        with open(os.path.join(HERE, "scenario.yaml")) as f:
            cls.dir = directory({"scenario.yaml": f.read()})
        cls.proc = subprocess.Popen(
            [BIN, "scenario", "run", cls.dir, "--seed", "7", "--timeout", "20",
             "--kafka-bootstrap", cls.kafka.bootstrap,
             "--amqp-url", f"amqp://guest:guest@127.0.0.1:{cls.rabbit.port}/",
             "--mqtt-url", f"mqtt://127.0.0.1:{cls.mosquitto.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.lines = queue.Queue()
        def read():
            for line in cls.proc.stdout:
                cls.lines.put(line)
            cls.lines.put(None)  # the end of the output

        threading.Thread(target=read, daemon=True).start()
        cls.output = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = cls.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            cls.output.append(line)
            if line.startswith("scenario: running"):
                return
        cls.proc.kill()
        err = cls.proc.stderr.read()
        cls.stack.close()
        raise RuntimeError(f"scenario run did not start:\n{''.join(cls.output)}{err}")

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.kill()
            cls.proc.wait()
        cls.stack.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_listens_where_the_responders_match(self):
        text = "".join(self.output)
        self.assertIn("scenario: listening on kafka topics orders.created, echo, ticks", text)
        self.assertIn("scenario: listening on amqp queue 'rpc.prices'", text)
        self.assertIn("scenario: listening on mqtt topics devices/+/commands, devices/#", text)
        # fixtures apply ran first.
        self.assertIn("amqp: declared queue rpc.prices", text)

    def test_kafka_responder_answers(self):
        producer = Producer({"bootstrap.servers": self.kafka.bootstrap})
        producer.produce("orders.created", key=b"o-1", value=json.dumps({"order_id": "o-1"}),
                         headers=[("trace-id", b"t-1")])
        self.assertEqual(producer.flush(TIMEOUT), 0)
        [(key, value, headers)] = kafka_records(self.kafka.bootstrap, "inventory.updated", 1)
        self.assertEqual((key, value), (b"o-1", {"order_id": "o-1", "reserved": True}))
        self.assertEqual(headers["trace-id"], b"t-1")
        # The loop-protection marker (docs/fixtures.md).
        self.assertEqual(headers["x-mockforge-sender"], b"mockforge:responder:inventory-service#1")
        self.assertIn("x-mockforge-run", headers)

    def test_amqp_rpc_server(self):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", self.rabbit.port, socket_timeout=10))
        try:
            channel = connection.channel()
            reply_queue = channel.queue_declare("", exclusive=True).method.queue
            channel.basic_publish("", "rpc.prices", json.dumps({"sku": "A-1"}),
                                  pika.BasicProperties(reply_to=reply_queue, correlation_id="c-9"))
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                method, properties, body = channel.basic_get(reply_queue, auto_ack=True)
                if method is not None:
                    break
                connection.sleep(0.05)
            self.assertIsNotNone(method, "no reply")
            self.assertEqual(json.loads(body), {"sku": "A-1", "price": 12.5})
            self.assertEqual(properties.correlation_id, "c-9")
        finally:
            connection.close()

    def test_mqtt_device_acknowledges(self):
        got = queue.Queue()
        client = mqtt.Client(client_id=f"tester-{uuid.uuid4()}", protocol=mqtt.MQTTv5)
        client.on_message = lambda c, u, m: got.put(m)
        subscribed = threading.Event()
        client.on_subscribe = lambda *a: subscribed.set()
        client.connect("127.0.0.1", self.mosquitto.port)
        client.loop_start()
        try:
            client.subscribe("devices/s1/status", qos=1)
            self.assertTrue(subscribed.wait(TIMEOUT))
            client.publish("devices/s1/commands", json.dumps({"command": "reboot"}), qos=1)
            message = got.get(timeout=TIMEOUT)
            self.assertEqual(json.loads(message.payload), {"device": "s1", "ack": "reboot"})
        finally:
            client.disconnect()
            client.loop_stop()
        # The overlapping rule answered once, across protocols.
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", self.rabbit.port, socket_timeout=10))
        try:
            channel = connection.channel()
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                method, _, body = channel.basic_get("push.queue", auto_ack=True)
                if method is not None:
                    break
                connection.sleep(0.05)
            self.assertIsNotNone(method, "no alert")
            self.assertEqual((method.routing_key, json.loads(body)),
                             ("alert.command", {"topic": "devices/s1/commands"}))
        finally:
            connection.close()

    def test_schedules_deliver_to_real_consumers(self):
        records = kafka_records(self.kafka.bootstrap, "ticks", 7)
        acks = kafka_records(self.kafka.bootstrap, "ticks.acks", 7)
        self.assertEqual(sorted(v["ack"] for _, v, _ in acks), list(range(1, 8)))
        self.assertEqual(sorted(((k, v) for k, v, _ in records), key=lambda r: r[1]["n"]),
                         [(f"tick-{n}".encode(), {"n": n}) for n in range(1, 8)])
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", self.rabbit.port, socket_timeout=10))
        try:
            channel = connection.channel()
            beats = []
            deadline = time.monotonic() + TIMEOUT
            while len(beats) < 4 and time.monotonic() < deadline:
                method, _, body = channel.basic_get("heartbeat.queue", auto_ack=True)
                if method is None:
                    connection.sleep(0.05)
                    continue
                beats.append(json.loads(body))
            self.assertEqual(beats, [{"beat": n} for n in range(1, 5)])
        finally:
            connection.close()

    def test_own_output_back_from_the_broker_is_not_answered(self):
        producer = Producer({"bootstrap.servers": self.kafka.bootstrap})
        producer.produce("echo", value=json.dumps({"n": 5}))
        self.assertEqual(producer.flush(TIMEOUT), 0)
        records = kafka_records(self.kafka.bootstrap, "echo", 2)
        self.assertCountEqual([v for _, v, _ in records], [{"n": 5}, {"echo": 5}])

    def test_z_sigterm_ends_the_run_with_a_summary(self):
        # After the other tests (alphabetical order): each rule fired as often as asked.
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=TIMEOUT), 0, self.proc.stderr.read())
        output = "".join(self.output)
        while (line := self.lines.get(timeout=TIMEOUT)) is not None:
            output += line
        self.assertIn("scenario: schedule ticks produced 7 message(s) to kafka ticks", output)
        self.assertIn("scenario: schedule heartbeats produced 4 message(s) to amqp notifications",
                      output)
        for rule in ("inventory-service", "price-service", "device", "command-log", "echo"):
            self.assertIn(f"scenario: responder {rule} fired 1 time(s)", output)
        self.assertIn("scenario: responder tick-ack fired 7 time(s)", output)


class ScenarioDurationTest(unittest.TestCase):
    def test_mqtt_schedule_for_a_duration(self):
        path = directory({"beats.yaml": """mqtt:
  fixtures:
    - identifier: beats
      topic: "beats/{room}"
      parameters: {room: [a, b]}
      qos: 1
      payload: {room: "{{params.room}}", n: "{{seq}}"}
      auto_produce: {enabled: true, rate_per_second: 20, count: 3}
"""})
        got = queue.Queue()
        try:
            with peers.mosquitto() as broker:
                client = mqtt.Client(client_id=f"tester-{uuid.uuid4()}", protocol=mqtt.MQTTv5)
                client.on_message = lambda c, u, m: got.put(m)
                subscribed = threading.Event()
                client.on_subscribe = lambda *a: subscribed.set()
                client.connect("127.0.0.1", broker.port)
                client.loop_start()
                try:
                    client.subscribe("beats/#", qos=1)
                    self.assertTrue(subscribed.wait(TIMEOUT))
                    proc = subprocess.run(
                        [BIN, "scenario", "run", path, "--mqtt-url", f"mqtt://127.0.0.1:{broker.port}",
                         "--duration", "3"], capture_output=True, text=True, timeout=120)
                    self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                    self.assertIn("scenario: schedule beats produced 6 message(s) to mqtt beats/{room}",
                                  proc.stdout)
                    messages = [got.get(timeout=TIMEOUT) for _ in range(6)]
                finally:
                    client.disconnect()
                    client.loop_stop()
            by_room = {}
            for m in messages:
                body = json.loads(m.payload)
                by_room.setdefault(m.topic, []).append(body["n"])
                self.assertEqual(m.topic, f"beats/{body['room']}")
            self.assertEqual(by_room, {"beats/a": [1, 2, 3], "beats/b": [1, 2, 3]})
        finally:
            shutil.rmtree(path, ignore_errors=True)


class ScenarioRefusalsTest(unittest.TestCase):
    def test_rules_a_broker_cannot_be_subscribed_for_are_refused_before_anything(self):
        path = directory({"bad.yaml": """responders:
  - identifier: anywhere
    when: {protocol: amqp, routing_key: "a.b"}
    then: {protocol: kafka, topic: out, value_template: {}}
  - identifier: unknown-type
    when: {protocol: amqp, exchange: amq.fake, routing_key: x}
    then: {protocol: kafka, topic: out, value_template: {}}
"""})
        try:
            proc = subprocess.run([BIN, "scenario", "run", path, "--amqp-url", "amqp://127.0.0.1:1"],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("bad.yaml:2:5: anywhere.when.exchange: scenario run subscribes to the "
                          "exchange", proc.stderr)
            self.assertIn("bad.yaml:5:5: unknown-type.when.exchange: scenario run binds to exchange "
                          "'amq.fake' as its type says", proc.stderr)
            self.assertIn("anywhere.then[0]: the responder replies on kafka but no "
                          "--kafka-bootstrap was given", proc.stderr)
            self.assertIn("the scenario did not start", proc.stderr)
        finally:
            shutil.rmtree(path, ignore_errors=True)


class Runner:
    """A `scenario run` process whose stdout is read line by line."""

    def __init__(self, path, *args):
        self.proc = subprocess.Popen([BIN, "scenario", "run", path, "--timeout", "20", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.output = []

        def read():
            for line in self.proc.stdout:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, predicate, timeout=TIMEOUT):
        """The first line from now on that `predicate` accepts (None at the end or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                self.lines.put(None)
                return None
            self.output.append(line)
            if predicate(line):
                return line
        return None

    def stop(self):
        """SIGTERM; the whole output after it ended."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=TIMEOUT)
        while (line := self.lines.get(timeout=TIMEOUT)) is not None:
            self.output.append(line)
        self.lines.put(None)
        return code, "".join(self.output), self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def failed(self):
        """Everything it printed, after killing it (for an assertion's message)."""
        self.kill()
        return "".join(self.output) + self.proc.stderr.read()


def fired(output, rule):
    match = re.search(rf"scenario: responder {rule} fired (\d+) time\(s\)", output)
    return int(match.group(1)) if match else None


class ScenarioKafkaGroupTest(unittest.TestCase):
    """--kafka-group: runners of one group share the topic's partitions, and a
    runner started later resumes from the group's committed offsets."""

    FILES = {"worker.yaml": """responders:
  - identifier: worker
    when: {protocol: kafka, topic: jobs}
    then: {protocol: kafka, topic: jobs.done, key_pattern: "{{request.key}}",
           value_template: {job: "{{request.body.job}}"}}
"""}

    def produce(self, bootstrap, jobs, partitions):
        producer = Producer({"bootstrap.servers": bootstrap})
        for job in jobs:
            producer.produce("jobs", key=f"job-{job}", value=json.dumps({"job": job}),
                             partition=job % partitions)
        self.assertEqual(producer.flush(TIMEOUT), 0)

    def test_runners_share_the_partitions_and_resume(self):
        path = directory(self.FILES)
        runners = []
        try:
            with peers.rdkafka_mock() as cluster:
                args = ("--kafka-bootstrap", cluster.bootstrap, "--kafka-group", "workers")
                assigned = lambda line: "kafka consumer group workers" in line and "assigned" in line
                a = Runner(path, *args)
                runners.append(a)
                first = a.wait_for(assigned, timeout=60)
                if first is None:
                    self.fail(a.failed())
                partitions = len(first.split("assigned ")[1].split(","))
                self.assertGreaterEqual(partitions, 2, first)
                b = Runner(path, *args)
                runners.append(b)
                # Both hold part of the topic once the group has rebalanced.
                b_line = b.wait_for(lambda l: assigned(l) and "assigned nothing" not in l,
                                    timeout=60)
                if b_line is None:
                    self.fail(b.failed())
                generation = re.search(r"generation (\d+)", b_line).group(1)
                a_line = a.wait_for(lambda l: assigned(l) and f"generation {generation}" in l,
                                    timeout=60)
                if a_line is None:
                    self.fail(a.failed())
                self.assertNotIn("assigned nothing", a_line)
                a_parts = set(a_line.strip().split("assigned ")[1].split(", "))
                b_parts = set(b_line.strip().split("assigned ")[1].split(", "))
                self.assertFalse(a_parts & b_parts)
                self.assertEqual(len(a_parts | b_parts), partitions)

                self.produce(cluster.bootstrap, range(20), partitions)
                done = kafka_records(cluster.bootstrap, "jobs.done", 20)
                self.assertEqual(sorted(k for k, _, _ in done), sorted(f"job-{n}".encode()
                                                                      for n in range(20)))
                code, out_a, err = a.stop()
                self.assertEqual(code, 0, err)
                code, out_b, err = b.stop()
                self.assertEqual(code, 0, err)
                # Each answered its partitions' jobs, and no job twice.
                self.assertGreater(fired(out_a, "worker"), 0)
                self.assertGreater(fired(out_b, "worker"), 0)
                self.assertEqual(fired(out_a, "worker") + fired(out_b, "worker"), 20)

                # Produced while no runner ran: the next one starts where the group stopped.
                self.produce(cluster.bootstrap, range(20, 26), partitions)
                c = Runner(path, *args)
                runners.append(c)
                if c.wait_for(assigned, timeout=60) is None:
                    self.fail(c.failed())
                done = kafka_records(cluster.bootstrap, "jobs.done", 27)
                self.assertEqual(sorted(k for k, _, _ in done),
                                 sorted(f"job-{n}".encode() for n in range(26)))
                code, out_c, err = c.stop()
                self.assertEqual(code, 0, err)
                self.assertEqual(fired(out_c, "worker"), 6)
        finally:
            for runner in runners:
                runner.kill()
            shutil.rmtree(path, ignore_errors=True)

    def test_a_group_without_kafka_responders_is_refused(self):
        path = directory({"m.yaml": """responders:
  - identifier: m
    when: {protocol: mqtt, topic: a}
    then: {protocol: mqtt, topic: b, payload: x}
"""})
        try:
            proc = subprocess.run([BIN, "scenario", "run", path, "--mqtt-url", "mqtt://127.0.0.1:1",
                                   "--kafka-group", "g"], capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("--kafka-group: no responder listens on kafka", proc.stderr)
        finally:
            shutil.rmtree(path, ignore_errors=True)


class ScenarioVhostTest(unittest.TestCase):
    """Responders whose `when` names a vhost listen there, on a connection of
    their own; one that cannot be opened stops the run naming the rule."""

    FILES = {"vhosts.yaml": """amqp:
  exchanges:
    - {name: events, type: topic}
    - {name: events, type: topic, vhost: orders}
  queues:
    - {name: seen.root}
    - {name: replies, vhost: orders}
responders:
  - identifier: root-events
    when: {protocol: amqp, exchange: events, routing_key: "#"}
    then: {protocol: amqp, exchange: "", routing_key: seen.root, payload: {key: "{{request.routing_key}}"}}
  - identifier: order-events
    when: {protocol: amqp, vhost: orders, exchange: events, routing_key: order.created}
    then: {protocol: amqp, vhost: orders, exchange: "", routing_key: replies,
           payload: {order: "{{request.body.id}}"}}
"""}

    def get(self, port, vhost, queue_name):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", port, virtual_host=vhost, socket_timeout=10))
        try:
            channel = connection.channel()
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                method, _, body = channel.basic_get(queue_name, auto_ack=True)
                if method is not None:
                    return json.loads(body)
                connection.sleep(0.05)
            return None
        finally:
            connection.close()

    def publish(self, port, vhost, routing_key, body):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", port, virtual_host=vhost, socket_timeout=10))
        try:
            connection.channel().basic_publish("events", routing_key, json.dumps(body))
        finally:
            connection.close()

    def test_a_rule_listens_in_its_vhost(self):
        path = directory(self.FILES)
        runner = None
        try:
            with peers.rabbitmq() as rabbit:
                for args in (("add_vhost", "orders"),
                             ("set_permissions", "-p", "orders", "guest", ".*", ".*", ".*")):
                    done = rabbit.ctl(*args)
                    self.assertEqual(done.returncode, 0, done.stdout)
                runner = Runner(path, "--amqp-url", f"amqp://guest:guest@127.0.0.1:{rabbit.port}/")
                if runner.wait_for(lambda l: l.startswith("scenario: running")) is None:
                    self.fail(runner.failed())
                text = "".join(runner.output)
                self.assertIn("scenario: listening on amqp exchange 'events' ('#')\n", text)
                self.assertIn("scenario: listening on amqp exchange 'events' ('order.created') "
                              "in vhost orders", text)
                self.publish(rabbit.port, "orders", "order.created", {"id": "o-1"})
                self.assertEqual(self.get(rabbit.port, "orders", "replies"), {"order": "o-1"})
                self.publish(rabbit.port, "/", "order.created", {"id": "o-2"})
                self.assertEqual(self.get(rabbit.port, "/", "seen.root"), {"key": "order.created"})
                code, out, err = runner.stop()
                self.assertEqual(code, 0, err)
                # The rule of the URL's vhost did not answer the message in orders.
                self.assertEqual(fired(out, "root-events"), 1)
                self.assertEqual(fired(out, "order-events"), 1)

                # A vhost the broker does not have: refused, naming the rule.
                line = self.FILES["vhosts.yaml"].splitlines().index(
                    "  - identifier: order-events") + 1
                for exchange, expected in (
                        ("events", f"bad.yaml:{line}:5: order-events.when.exchange: scenario run "
                                   "binds to exchange 'events' as its type says: declare it in "
                                   "amqp.exchanges (in vhost 'nowhere')"),
                        ("amq.topic", f"bad.yaml:{line}:5: order-events.when.vhost: amqp: cannot "
                                      "listen in vhost 'nowhere'")):
                    bad = directory({"bad.yaml": self.FILES["vhosts.yaml"].replace(
                        "when: {protocol: amqp, vhost: orders, exchange: events",
                        f"when: {{protocol: amqp, vhost: nowhere, exchange: {exchange}")})
                    try:
                        proc = subprocess.run(
                            [BIN, "scenario", "run", bad, "--timeout", "20",
                             "--amqp-url", f"amqp://guest:guest@127.0.0.1:{rabbit.port}/"],
                            capture_output=True, text=True, timeout=120)
                        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
                        self.assertIn(expected, proc.stderr)
                        if exchange == "amq.topic":
                            self.assertIn("rabbitmqctl add_vhost", proc.stderr)
                    finally:
                        shutil.rmtree(bad, ignore_errors=True)
        finally:
            if runner:
                runner.kill()
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
