"""Snapshots that restore everything: each protocol's state round-trips through a restart
(storage.snapshot_file) and through the admin API's snapshot/restore, checked with real
clients: every message, property and committed offset, and the AMQP topology."""

import os
import shutil
import tempfile
import time
import unittest

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import Consumer, Producer, TopicPartition

from mockforge_harness import Mockforge


class Restart:
    """A mockforge that snapshots to one file on shutdown and restores it on start."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mockforge-snap-")
        self.file = os.path.join(self.dir, "state.snap")

    def start(self):
        return Mockforge("--snapshot-dir", self.dir,
                         env={"MOCKFORGE_STORAGE_SNAPSHOT_FILE": self.file})

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def consume_all(bootstrap, group, topic, count, timeout=20):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg)
    return consumer, got


class KafkaSnapshot(unittest.TestCase):
    def test_messages_and_committed_offsets_survive_a_restart(self):
        restart = Restart()
        self.addCleanup(restart.close)
        sent = [(f"k{i}".encode(), f"v{i}".encode(), [("h", f"{i}".encode())]) for i in range(20)]
        with restart.start() as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            producer = Producer({"bootstrap.servers": bootstrap})
            for key, value, headers in sent:
                producer.produce("orders", key=key, value=value, headers=headers, partition=0)
            self.assertEqual(producer.flush(10), 0)
            consumer, got = consume_all(bootstrap, "billing", "orders", 12)
            self.assertEqual(len(got), 12)
            consumer.commit(offsets=[TopicPartition("orders", 0, 12)], asynchronous=False)
            consumer.close()
        with restart.start() as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            # The committed offset is back: the group resumes at 12.
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "billing",
                                 "auto.offset.reset": "earliest", "enable.auto.commit": False})
            committed = consumer.committed([TopicPartition("orders", 0)], timeout=10)
            self.assertEqual(committed[0].offset, 12)
            consumer.subscribe(["orders"])
            rest = []
            deadline = time.monotonic() + 20
            while len(rest) < 8 and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and not msg.error():
                    rest.append(msg)
            consumer.close()
            self.assertEqual([m.offset() for m in rest], list(range(12, 20)))
            # Every message, from the start, with its key and headers.
            _, everything = consume_all(bootstrap, "audit", "orders", 20)
            self.assertEqual([(m.key(), m.value(), m.headers()) for m in everything], sent)


class AmqpSnapshot(unittest.TestCase):
    def declare_and_publish(self, port):
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = conn.channel()
        ch.exchange_declare("notifications", exchange_type="topic", durable=True,
                            arguments={"alternate-exchange": "unrouted"})
        ch.exchange_declare("unrouted", exchange_type="fanout", durable=True)
        ch.queue_declare("email.queue", durable=True, arguments={"x-max-priority": 5})
        ch.queue_declare("dead", durable=True)
        ch.queue_bind("email.queue", "notifications", routing_key="notification.email.*")
        ch.queue_bind("dead", "unrouted")
        ch.confirm_delivery()
        for i in range(10):
            ch.basic_publish("notifications", "notification.email.order", f"m{i}".encode(),
                             pika.BasicProperties(message_id=str(i), headers={"n": i},
                                                  content_type="text/plain", priority=i % 3))
        conn.close()

    def drain(self, port, queue, count):
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = conn.channel()
        got = []
        for _ in range(count):
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                break
            got.append((body, props.message_id, props.headers, props.content_type, props.priority))
        conn.close()
        return got

    def check_topology_routes(self, port):
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = conn.channel()
        ch.confirm_delivery()
        # Declaring with other arguments fails if the restored queue kept its own.
        ch.queue_declare("email.queue", durable=True, arguments={"x-max-priority": 5})
        ch.basic_publish("notifications", "notification.email.again", b"after")
        ch.basic_publish("notifications", "nobody.listens", b"to-alternate")
        conn.close()
        self.assertEqual([g[0] for g in self.drain(port, "email.queue", 5)], [b"after"])
        self.assertEqual([g[0] for g in self.drain(port, "dead", 5)], [b"to-alternate"])

    def expected(self):
        # Priority queue order: priority 2 first, then 1, then 0, each FIFO.
        msgs = [(f"m{i}".encode(), str(i), {"n": i}, "text/plain", i % 3) for i in range(10)]
        return sorted(msgs, key=lambda m: -m[4])

    def test_exchanges_queues_bindings_and_messages_survive_a_restart(self):
        restart = Restart()
        self.addCleanup(restart.close)
        with restart.start() as mf:
            self.declare_and_publish(mf.ports["amqp"])
        with restart.start() as mf:
            status, _, body = mf.request("GET", "/__mockforge/api/amqp/bindings?queue=email.queue")
            self.assertEqual(status, 200, body)
            self.assertEqual(self.drain(mf.ports["amqp"], "email.queue", 20), self.expected())
            self.check_topology_routes(mf.ports["amqp"])

    def test_admin_restore_brings_the_topology_back(self):
        with tempfile.TemporaryDirectory() as snaps:
            with Mockforge("--snapshot-dir", snaps) as mf:
                self.declare_and_publish(mf.ports["amqp"])
                status, _, body = mf.request("POST", "/__mockforge/api/snapshot?path=a.snap")
                self.assertEqual(status, 200, body)
                status, _, _ = mf.request("DELETE", "/__mockforge/api/amqp/queues/email.queue")
                self.assertEqual(status, 200)
                status, _, body = mf.request("POST", "/__mockforge/api/restore?path=a.snap")
                self.assertEqual(status, 200, body)
                self.assertEqual(self.drain(mf.ports["amqp"], "email.queue", 20), self.expected())
                self.check_topology_routes(mf.ports["amqp"])


class MqttSnapshot(unittest.TestCase):
    def test_retained_messages_and_persistent_sessions_survive_a_restart(self):
        restart = Restart()
        self.addCleanup(restart.close)
        with restart.start() as mf:
            port = mf.ports["mqtt"]
            sub = mqtt.Client(client_id="dashboard", clean_session=False)
            sub.connect("127.0.0.1", port)
            sub.loop_start()
            sub.subscribe("alerts/#", qos=1).__class__  # noqa: B018
            time.sleep(0.3)
            sub.loop_stop()
            sub.disconnect()
            pub = mqtt.Client(client_id="sensor")
            pub.connect("127.0.0.1", port)
            pub.loop_start()
            pub.publish("status/line-1", b"running", qos=1, retain=True).wait_for_publish()
            for i in range(5):
                pub.publish("alerts/critical", f"a{i}".encode(), qos=1).wait_for_publish()
            pub.loop_stop()
            pub.disconnect()
        with restart.start() as mf:
            port = mf.ports["mqtt"]
            got = []
            sub = mqtt.Client(client_id="dashboard", clean_session=False)
            sub.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.qos))
            sub.connect("127.0.0.1", port)
            sub.loop_start()
            deadline = time.monotonic() + 10
            while len(got) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(got, [("alerts/critical", f"a{i}".encode(), 1) for i in range(5)])
            retained = []
            other = mqtt.Client(client_id="late")
            other.on_message = lambda c, u, m: retained.append((m.topic, m.payload, m.retain))
            other.connect("127.0.0.1", port)
            other.subscribe("status/#", qos=1)
            other.loop_start()
            deadline = time.monotonic() + 10
            while not retained and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(retained, [("status/line-1", b"running", 1)])
            for c in (sub, other):
                c.loop_stop()
                c.disconnect()


if __name__ == "__main__":
    unittest.main()
