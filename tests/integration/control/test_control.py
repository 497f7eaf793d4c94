"""The admin control API, inspected after real clients created the state."""

import base64
import json
import threading
import time
import unittest
import urllib.parse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
import pika
from confluent_kafka import Consumer, Producer, TopicPartition

from mockforge_harness import Mockforge


def api(mf, method, path, **query):
    if query:
        path += "?" + urllib.parse.urlencode(query)
    status, _, body = mf.request(method, "/__mockforge/api/" + path)
    return status, json.loads(body)


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class KafkaControl(unittest.TestCase):
    def setUp(self):
        self.mf = Mockforge()
        self.bootstrap = f"127.0.0.1:{self.mf.ports['kafka']}"

    def tearDown(self):
        self.mf.close()

    def produce(self, topic, messages):
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for key, value, headers in messages:
            producer.produce(topic, key=key, value=value, headers=headers, partition=0)
        self.assertEqual(producer.flush(10), 0)

    def test_topics_peek_groups_lag_and_delete(self):
        self.produce("orders.created", [
            (b"order-1", b'{"id": 1}', [("source", b"web")]),
            (b"order-2", b"\xff\x00binary", None),
            (None, b'{"id": 3}', None),
            (b"order-4", b'{"id": 4}', None),
        ])
        status, body = api(self.mf, "GET", "kafka/topics")
        self.assertEqual(status, 200)
        topic = next(t for t in body["topics"] if t["name"] == "orders.created")
        self.assertEqual(topic["partitions"][0]["log_start_offset"], 0)
        self.assertEqual(topic["partitions"][0]["high_watermark"], 4)
        self.assertEqual(topic["partitions"][0]["last_stable_offset"], 4)

        # Peek: text, base64, key, headers; a range that consumes nothing.
        status, body = api(self.mf, "GET", "kafka/topics/orders.created/messages",
                           partition=0, offset=0, limit=2)
        self.assertEqual(status, 200, body)
        first, second = body["messages"]
        self.assertEqual((first["offset"], second["offset"]), (0, 1))
        self.assertEqual(first["key"], {"encoding": "utf8", "data": "order-1", "size": 7})
        self.assertEqual(first["value"]["data"], '{"id": 1}')
        self.assertEqual(first["headers"][0]["key"], "source")
        self.assertEqual(first["headers"][0]["value"]["data"], "web")
        self.assertEqual(second["value"]["encoding"], "base64")
        self.assertEqual(base64.b64decode(second["value"]["data"]), b"\xff\x00binary")
        _, body = api(self.mf, "GET", "kafka/topics/orders.created/messages", offset=2, end=3)
        self.assertEqual([m["offset"] for m in body["messages"]], [2])
        self.assertIsNone(body["messages"][0]["key"])
        status, _ = api(self.mf, "GET", "kafka/topics/orders.created/messages", offset=9)
        self.assertEqual(status, 416)

        # A consumer group that reads three and commits: lag 1.
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "inventory-service",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(["orders.created"])
        seen = []
        deadline = time.monotonic() + 20
        while len(seen) < 3 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                seen.append(msg)
        self.assertEqual(len(seen), 3)
        consumer.commit(offsets=[TopicPartition("orders.created", 0, 3)], asynchronous=False)
        status, group = api(self.mf, "GET", "kafka/groups/inventory-service")
        self.assertEqual(status, 200, group)
        self.assertEqual(group["state"], "Stable")
        self.assertEqual(group["protocol_type"], "consumer")
        self.assertTrue(group["protocol"])
        self.assertEqual(len(group["members"]), 1)
        self.assertEqual(group["members"][0]["assignment"], {"orders.created": [0]})
        self.assertEqual(group["offsets"], [{
            "topic": "orders.created", "partition": 0, "high_watermark": 4,
            "committed_offset": 3, "metadata": group["offsets"][0]["metadata"], "lag": 1}])
        self.assertEqual(group["lag"], 1)
        _, groups = api(self.mf, "GET", "kafka/groups")
        self.assertEqual([g["group_id"] for g in groups["groups"]], ["inventory-service"])

        # Deleting a group with members is refused, as Kafka does.
        status, _ = api(self.mf, "DELETE", "kafka/groups/inventory-service")
        self.assertEqual(status, 409)
        consumer.close()
        status, _ = api(self.mf, "DELETE", "kafka/groups/inventory-service")
        self.assertEqual(status, 200)
        status, _ = api(self.mf, "GET", "kafka/groups/inventory-service")
        self.assertEqual(status, 404)

        # Purge keeps the topic and moves the log start to the high watermark.
        status, body = api(self.mf, "POST", "kafka/topics/orders.created/purge")
        self.assertEqual((status, body["purged"]["messages"]), (200, 4))
        _, topic = api(self.mf, "GET", "kafka/topics/orders.created")
        self.assertEqual(topic["partitions"][0]["log_start_offset"], 4)
        status, _ = api(self.mf, "DELETE", "kafka/topics/orders.created")
        self.assertEqual(status, 200)
        status, _ = api(self.mf, "GET", "kafka/topics/orders.created")
        self.assertEqual(status, 404)

    def test_reset_of_kafka_alone_keeps_mqtt_retained(self):
        self.produce("t1", [(None, b"x", None)])
        client = mqtt.Client(client_id="keeper", protocol=mqtt.MQTTv311)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        client.publish("keep/me", b"retained", qos=1, retain=True).wait_for_publish()
        client.loop_stop()
        client.disconnect()
        status, _ = api(self.mf, "POST", "kafka/reset")
        self.assertEqual(status, 200)
        _, topics = api(self.mf, "GET", "kafka/topics")
        self.assertEqual(topics["topics"], [])
        _, retained = api(self.mf, "GET", "mqtt/retained")
        self.assertEqual([r["topic"] for r in retained["retained"]], ["keep/me"])

    def test_bad_requests(self):
        status, body = api(self.mf, "GET", "kafka/topics/x/messages", offset="abc")
        self.assertEqual(status, 404)  # no topic x
        self.produce("t2", [(None, b"x", None)])
        status, body = api(self.mf, "GET", "kafka/topics/t2/messages", offset="abc")
        self.assertEqual(status, 400)
        self.assertIn("offset", body["error"]["message"])
        status, _ = api(self.mf, "GET", "kafka/nothing")
        self.assertEqual(status, 404)
        status, _ = api(self.mf, "POST", "kafka/topics/t2")
        self.assertEqual(status, 404)


class MqttControl(unittest.TestCase):
    def setUp(self):
        self.mf = Mockforge()

    def tearDown(self):
        self.mf.close()

    def client(self, client_id, version=mqtt.MQTTv311, clean=True, keepalive=30):
        if version == mqtt.MQTTv5:
            c = mqtt.Client(client_id=client_id, protocol=version)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 0 if clean else 3600
            c.connect("127.0.0.1", self.mf.ports["mqtt"], keepalive=keepalive, clean_start=clean,
                      properties=props)
        else:
            c = mqtt.Client(client_id=client_id, protocol=version, clean_session=clean)
            c.connect("127.0.0.1", self.mf.ports["mqtt"], keepalive=keepalive)
        c.loop_start()
        return c

    def test_clients_sessions_subscriptions_retained_and_stats(self):
        sensor = self.client("sensor-1", mqtt.MQTTv5, keepalive=45)
        dash = self.client("dashboard", mqtt.MQTTv311, clean=False, keepalive=20)
        options = mqtt.SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True)
        sensor.subscribe("alerts/+", options=options)
        dash.subscribe("warehouse/sensors/#", qos=2)
        dash.subscribe("$share/dash/dashboard/updates", qos=0)
        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = "application/json"
        props.UserProperty = ("zone", "1")
        sensor.publish("warehouse/sensors/temperature/zone-1", b'{"temp": 25.5}', qos=1,
                       retain=True, properties=props).wait_for_publish()
        sensor.publish("warehouse/sensors/raw", b"\x00\x01\xfe", qos=0, retain=True).wait_for_publish()

        clients = wait_for(lambda: (lambda b: len(b["clients"]) == 2 and b["clients"])(
            api(self.mf, "GET", "mqtt/clients")[1]), what="two clients")
        by_id = {c["client_id"]: c for c in clients}
        self.assertEqual(by_id["sensor-1"]["protocol_version"], 5)
        self.assertEqual(by_id["sensor-1"]["keep_alive"], 45)
        self.assertEqual(by_id["dashboard"]["protocol_version"], 4)
        self.assertEqual(by_id["dashboard"]["keep_alive"], 20)
        self.assertTrue(by_id["dashboard"]["address"].startswith("127.0.0.1:"))
        # Its QoS 1 delivery is acknowledged by paho: nothing stays in flight.
        wait_for(lambda: [c for c in api(self.mf, "GET", "mqtt/clients")[1]["clients"]
                          if c["client_id"] == "dashboard" and c["inflight"] == 0],
                 what="no message in flight")

        subs = wait_for(lambda: (lambda b: len(b["subscriptions"]) == 3 and b["subscriptions"])(
            api(self.mf, "GET", "mqtt/subscriptions")[1]), what="three subscriptions")
        by_filter = {s["filter"]: s for s in subs}
        self.assertEqual(by_filter["alerts/+"]["client_id"], "sensor-1")
        self.assertEqual(by_filter["alerts/+"]["qos"], 1)
        self.assertTrue(by_filter["alerts/+"]["no_local"])
        self.assertTrue(by_filter["alerts/+"]["retain_as_published"])
        self.assertEqual(by_filter["warehouse/sensors/#"]["qos"], 2)
        self.assertIsNone(by_filter["warehouse/sensors/#"]["share_group"])
        self.assertEqual(by_filter["dashboard/updates"]["share_group"], "dash")
        _, only = api(self.mf, "GET", "mqtt/subscriptions", client="sensor-1")
        self.assertEqual([s["filter"] for s in only["subscriptions"]], ["alerts/+"])

        _, retained = api(self.mf, "GET", "mqtt/retained", filter="warehouse/sensors/#")
        by_topic = {r["topic"]: r for r in retained["retained"]}
        temp = by_topic["warehouse/sensors/temperature/zone-1"]
        self.assertEqual(temp["payload"]["data"], '{"temp": 25.5}')
        self.assertEqual(temp["qos"], 1)
        self.assertEqual(temp["properties"]["content_type"], "application/json")
        self.assertEqual(temp["properties"]["user_property"], [["zone", "1"]])
        raw = by_topic["warehouse/sensors/raw"]
        self.assertEqual(raw["payload"]["encoding"], "base64")
        self.assertEqual(base64.b64decode(raw["payload"]["data"]), b"\x00\x01\xfe")
        status, one = api(self.mf, "GET", "mqtt/retained", topic="warehouse/sensors/raw")
        self.assertEqual((status, one["topic"]), (200, "warehouse/sensors/raw"))

        _, stats = api(self.mf, "GET", "mqtt/stats")
        self.assertEqual(stats["connections"], 2)
        self.assertEqual(stats["subscriptions"], 3)
        self.assertEqual(stats["retained"], 2)
        self.assertGreaterEqual(stats["messages_received"], 2)

        # The persistent session outlives its connection; then it can be deleted.
        status, _ = api(self.mf, "DELETE", "mqtt/sessions/dashboard")
        self.assertEqual(status, 409)
        dash.loop_stop()
        dash.disconnect()
        sessions = wait_for(lambda: (lambda b: [s for s in b["sessions"] if s["client_id"] == "dashboard"
                                               and not s["connected"]])(
            api(self.mf, "GET", "mqtt/sessions")[1]), what="offline session")
        self.assertEqual(sessions[0]["subscriptions"], 2)
        status, _ = api(self.mf, "DELETE", "mqtt/sessions/dashboard")
        self.assertEqual(status, 200)
        _, body = api(self.mf, "GET", "mqtt/sessions")
        self.assertNotIn("dashboard", [s["client_id"] for s in body["sessions"]])

        # Retained messages: delete one, purge the rest.
        status, _ = api(self.mf, "DELETE", "mqtt/retained", topic="warehouse/sensors/raw")
        self.assertEqual(status, 200)
        status, body = api(self.mf, "POST", "mqtt/retained/purge")
        self.assertEqual((status, body["purged"]["retained"]), (200, 1))
        _, retained = api(self.mf, "GET", "mqtt/retained")
        self.assertEqual(retained["retained"], [])
        sensor.loop_stop()
        sensor.disconnect()

    def test_inflight_counts_unacknowledged_qos1(self):
        # A raw MQTT 3.1.1 subscriber that never sends PUBACK.
        import socket
        sock = socket.create_connection(("127.0.0.1", self.mf.ports["mqtt"]))
        cid = b"slow"
        connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
        sock.sendall(b"\x10" + bytes([len(connect)]) + connect)
        self.assertEqual(sock.recv(4)[0], 0x20)
        sub = b"\x00\x01" + (3).to_bytes(2, "big") + b"q/1" + b"\x01"
        sock.sendall(b"\x82" + bytes([len(sub)]) + sub)
        sock.recv(5)
        pub = self.client("pub")
        for i in range(3):
            pub.publish("q/1", f"m{i}".encode(), qos=1).wait_for_publish()
        slow = wait_for(lambda: [c for c in api(self.mf, "GET", "mqtt/clients")[1]["clients"]
                                 if c["client_id"] == "slow" and c["inflight"] == 3],
                        what="three in flight")
        self.assertEqual(slow[0]["keep_alive"], 60)
        sock.close()
        pub.loop_stop()
        pub.disconnect()


class AmqpControl(unittest.TestCase):
    def setUp(self):
        self.mf = Mockforge()
        params = pika.ConnectionParameters("127.0.0.1", self.mf.ports["amqp"],
                                           client_properties={"connection_name": "notifier"})
        self.conn = pika.BlockingConnection(params)
        self.ch = self.conn.channel()

    def tearDown(self):
        try:
            self.conn.close()
        except Exception:
            pass
        self.mf.close()

    def test_topology_counts_peek_consumers_connections_and_delete(self):
        ch = self.ch
        ch.exchange_declare("notifications", exchange_type="topic", durable=True)
        ch.queue_declare("email.queue", durable=True)
        ch.queue_declare("sms.queue")
        ch.queue_bind("email.queue", "notifications", routing_key="notification.email.*")
        ch.queue_bind("sms.queue", "notifications", routing_key="notification.sms.*")
        ch.confirm_delivery()
        ch.basic_publish("notifications", "notification.email.order", b'{"order_id": "12345"}',
                         pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                              headers={"tenant": "acme"}, message_id="m-1"))
        ch.basic_publish("notifications", "notification.email.order", b"\xfe\xff")
        ch.basic_publish("notifications", "notification.email.order", b"third")

        status, body = api(self.mf, "GET", "amqp/exchanges")
        self.assertEqual(status, 200)
        ex = {e["name"]: e for e in body["exchanges"]}
        self.assertEqual(ex["notifications"]["type"], "topic")
        self.assertTrue(ex["notifications"]["durable"])
        self.assertIn("amq.direct", ex)

        _, body = api(self.mf, "GET", "amqp/bindings", queue="email.queue")
        self.assertEqual([(b["source"], b["routing_key"]) for b in body["bindings"]],
                         [("", "email.queue"), ("notifications", "notification.email.*")])
        _, body = api(self.mf, "GET", "amqp/bindings", exchange="notifications")
        self.assertEqual(sorted(b["destination"] for b in body["bindings"]),
                         ["email.queue", "sms.queue"])

        # Peek: the head, nothing consumed.
        status, body = api(self.mf, "GET", "amqp/queues/email.queue/messages", limit=2)
        self.assertEqual(status, 200, body)
        first, second = body["messages"]
        self.assertEqual(first["payload"]["data"], '{"order_id": "12345"}')
        self.assertEqual(first["routing_key"], "notification.email.order")
        self.assertEqual(first["exchange"], "notifications")
        self.assertEqual(first["properties"]["content_type"], "application/json")
        self.assertEqual(first["properties"]["delivery_mode"], 2)
        self.assertEqual(first["properties"]["headers"], {"tenant": "acme"})
        self.assertEqual(first["properties"]["message_id"], "m-1")
        self.assertEqual(second["payload"]["encoding"], "base64")

        # One delivered and unacked to a consumer with prefetch 1.
        ch2 = self.conn.channel()
        ch2.basic_qos(prefetch_count=1)
        got = []
        ch2.basic_consume("email.queue", lambda c, m, p, b: got.append(m.delivery_tag),
                          consumer_tag="email-worker")
        wait_for(lambda: (self.conn.process_data_events(0.05), got)[1], what="a delivery")
        _, body = api(self.mf, "GET", "amqp/queues")
        q = {x["name"]: x for x in body["queues"]}
        self.assertEqual(q["email.queue"]["messages_ready"], 2)
        self.assertEqual(q["email.queue"]["messages_unacked"], 1)
        self.assertEqual(q["email.queue"]["consumers"], 1)
        self.assertEqual(q["sms.queue"]["messages_ready"], 0)
        _, body = api(self.mf, "GET", "amqp/consumers")
        self.assertEqual([(c["queue"], c["consumer_tag"], c["unacked"]) for c in body["consumers"]],
                         [("email.queue", "email-worker", 1)])

        _, body = api(self.mf, "GET", "amqp/connections")
        self.assertEqual(len(body["connections"]), 1)
        conn = body["connections"][0]
        self.assertEqual((conn["name"], conn["user"], conn["vhost"]), ("notifier", "guest", "/"))
        self.assertTrue(conn["address"].startswith("127.0.0.1:"))
        channels = {c["number"]: c for c in conn["channels"]}
        self.assertTrue(channels[1]["confirm"])
        self.assertEqual(channels[2]["prefetch_count"], 1)
        self.assertEqual(channels[2]["consumers"], 1)
        _, body = api(self.mf, "GET", "amqp/channels")
        self.assertEqual(len(body["channels"]), 2)
        _, body = api(self.mf, "GET", "amqp/vhosts")
        self.assertEqual(body["vhosts"][0]["name"], "/")
        self.assertEqual(body["vhosts"][0]["connections"], 1)

        # Purge drops the ready ones; delete removes the queue (the consumer is cancelled).
        status, body = api(self.mf, "POST", "amqp/queues/email.queue/purge")
        self.assertEqual((status, body["purged"]["messages"]), (200, 2))
        status, _ = api(self.mf, "DELETE", "amqp/queues/sms.queue")
        self.assertEqual(status, 200)
        status, _ = api(self.mf, "GET", "amqp/queues/sms.queue")
        self.assertEqual(status, 404)
        status, body = api(self.mf, "DELETE", "amqp/exchanges/amq.direct")
        self.assertEqual(status, 403)
        status, _ = api(self.mf, "DELETE", "amqp/exchanges/notifications")
        self.assertEqual(status, 200)

    def test_reset_of_amqp_alone(self):
        self.ch.queue_declare("q1")
        status, _ = api(self.mf, "POST", "amqp/reset")
        self.assertEqual(status, 200)
        _, body = api(self.mf, "GET", "amqp/queues")
        self.assertEqual(body["queues"], [])


class OpenApiDocument(unittest.TestCase):
    """docs/admin-api.openapi.yaml names only endpoints that exist."""

    def test_every_documented_get_without_parameters_answers(self):
        import os
        import yaml
        path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs",
                            "admin-api.openapi.yaml")
        with open(path) as f:
            document = yaml.safe_load(f)
        with Mockforge() as mf:
            checked = 0
            for route, operations in document["paths"].items():
                if "{" in route or "get" not in operations:
                    continue
                get = operations["get"]
                # Those that need a query parameter, and streams that stay open.
                if any(p.get("required") for p in get.get("parameters", [])
                       if isinstance(p, dict) and "in" in p):
                    continue
                if "text/event-stream" in get["responses"].get("200", {}).get("content", {}):
                    continue
                status, _, body = mf.request("GET", route)
                self.assertIn(str(status), operations["get"]["responses"], (route, body))
                self.assertEqual(status, 200, (route, body))
                checked += 1
            for route, operations in document["paths"].items():
                if route.endswith("/reset") and "post" in operations:
                    status, _, body = mf.request("POST", route)
                    self.assertEqual(status, 200, (route, body))
            self.assertGreater(checked, 15)


if __name__ == "__main__":
    unittest.main()
