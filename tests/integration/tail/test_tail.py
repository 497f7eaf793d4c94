"""GET /__mockforge/api/tail and `mockforge tail`, with events produced by real
clients: mosquitto_pub/mosquitto_sub, kcat, amqp-publish and pika."""

import http.client
import json
import socket
import subprocess
import unittest

import pika

from mockforge_harness import Mockforge
from tail_support import PATIENCE, Tail, find


class TailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge()

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def setUp(self):
        status, _, body = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)
        self.tails = []

    def tearDown(self):
        for tail in self.tails:
            tail.close()

    def tail(self, *args, **kwargs):
        tail = Tail(self.mf, *args, **kwargs)
        self.tails.append(tail)
        return tail

    def mqtt_port(self):
        return str(self.mf.ports["mqtt"])

    def test_mqtt_lifecycle_from_mosquitto_clients(self):
        tail = self.tail("--protocol", "mqtt")
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", self.mqtt_port(),
                                "-V", "mqttv5", "-i", "watcher", "-t", "sensors/#", "-q", "1",
                                "-C", "1"], stdout=subprocess.PIPE, text=True)
        try:
            # The tail says when the subscription is in place.
            tail.wait_for(lambda e: find(e, kind="subscribe", client_id="watcher"),
                          "watcher's subscribe")
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", self.mqtt_port(), "-V",
                            "mqttv311", "-i", "sensor-1", "-t", "sensors/1/temp", "-m", "21.5",
                            "-q", "1"], check=True, timeout=PATIENCE)
            out, _ = sub.communicate(timeout=PATIENCE)
        finally:
            if sub.poll() is None:
                sub.kill()
        self.assertEqual(out.strip(), "21.5")
        events = tail.wait_for(
            lambda e: find(e, kind="disconnect", client_id="sensor-1") and
            find(e, kind="disconnect", client_id="watcher") and
            find(e, kind="ack", client_id="watcher"), "both disconnects and the PUBACK")
        self.assertTrue(all(e["protocol"] == "mqtt" for e in events))
        [sub_connect] = find(events, kind="connect", client_id="watcher")
        self.assertIn("MQTT 5", sub_connect["detail"])
        self.assertRegex(sub_connect["connection"], r"^(127\.0\.0\.1|\[?::1\]?):\d+$")
        [subscribe] = find(events, kind="subscribe", client_id="watcher")
        self.assertEqual(subscribe["topic"], "sensors/#")
        self.assertEqual(subscribe["detail"], "granted qos 1")
        [pub_connect] = find(events, kind="connect", client_id="sensor-1")
        self.assertIn("MQTT 3.1.1", pub_connect["detail"])
        [publish] = find(events, kind="publish")
        self.assertEqual((publish["client_id"], publish["topic"], publish["size"],
                          publish["preview"]), ("sensor-1", "sensors/1/temp", 4, "21.5"))
        [deliver] = find(events, kind="deliver")
        self.assertEqual((deliver["client_id"], deliver["topic"], deliver["size"],
                          deliver["preview"]), ("watcher", "sensors/1/temp", 4, "21.5"))
        self.assertEqual(deliver["detail"], "qos 1")
        [ack] = find(events, kind="ack", client_id="watcher")
        self.assertEqual(ack["topic"], "sensors/1/temp")
        self.assertTrue(ack["detail"].startswith("PUBACK"))
        # In order per client: connect, publish, disconnect.
        kinds = [e["kind"] for e in events if e["client_id"] == "sensor-1"]
        self.assertEqual(kinds, ["connect", "publish", "disconnect"])
        for event in events:
            self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

    def test_kafka_produce_and_consume_with_kcat(self):
        tail = self.tail("--protocol", "kafka")
        bootstrap = f"127.0.0.1:{self.mf.ports['kafka']}"
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "tail-orders", "-k", "o-1",
                        "-X", "client.id=kc-producer"], input="order one", text=True,
                       check=True, timeout=PATIENCE)
        consumed = subprocess.run(
            ["kcat", "-C", "-b", bootstrap, "-t", "tail-orders", "-o", "beginning", "-c", "1",
             "-e", "-X", "client.id=kc-consumer"], capture_output=True, text=True,
            check=True, timeout=PATIENCE)
        self.assertEqual(consumed.stdout.strip(), "order one")
        events = tail.wait_for(lambda e: find(e, kind="deliver", client_id="kc-consumer"),
                               "the consumer's deliver")
        self.assertTrue(find(events, kind="connect", client_id="kc-producer"))
        [publish] = find(events, kind="publish")
        self.assertEqual((publish["client_id"], publish["topic"], publish["size"],
                          publish["preview"]),
                         ("kc-producer", "tail-orders", len("order one"), "order one"))
        deliver = find(events, kind="deliver", client_id="kc-consumer")[0]
        self.assertEqual((deliver["topic"], deliver["offset"], deliver["count"],
                          deliver["preview"]), ("tail-orders", 0, 1, "order one"))
        self.assertIn("partition", deliver)
        self.assertGreater(deliver["size"], len("order one"))  # the record batch

    def test_amqp_publish_deliver_ack_and_nack(self):
        tail = self.tail("--protocol", "amqp")
        params = pika.URLParameters(
            f"amqp://guest:guest@127.0.0.1:{self.mf.ports['amqp']}/%2F?heartbeat=0")
        params.client_properties = {"connection_name": "worker-1"}
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            channel.queue_declare("tail-jobs")
            subprocess.run(["amqp-publish", "--url",
                            f"amqp://guest:guest@127.0.0.1:{self.mf.ports['amqp']}",
                            "-r", "tail-jobs", "-b", "job-1"], check=True, timeout=PATIENCE)
            subprocess.run(["amqp-publish", "--url",
                            f"amqp://guest:guest@127.0.0.1:{self.mf.ports['amqp']}",
                            "-r", "tail-jobs", "-b", "job-2"], check=True, timeout=PATIENCE)
            method, _, body = channel.basic_get("tail-jobs")
            self.assertEqual(body, b"job-1")
            channel.basic_ack(method.delivery_tag)
            method, _, body = channel.basic_get("tail-jobs")
            self.assertEqual(body, b"job-2")
            channel.basic_nack(method.delivery_tag, requeue=False)
            channel.basic_qos(prefetch_count=1)
            channel.basic_consume("tail-jobs", lambda *a: None, consumer_tag="c-1")
        finally:
            connection.close()
        events = tail.wait_for(
            lambda e: find(e, kind="disconnect", client_id="worker-1") and
            find(e, kind="nack", client_id="worker-1"), "worker-1's nack and disconnect")
        publishes = find(events, kind="publish")
        self.assertEqual([(p["exchange"], p["routing_key"], p["preview"]) for p in publishes],
                         [("", "tail-jobs", "job-1"), ("", "tail-jobs", "job-2")])
        delivers = find(events, kind="deliver", client_id="worker-1")
        self.assertEqual([(d["queue"], d["routing_key"], d["preview"], d["size"])
                          for d in delivers],
                         [("tail-jobs", "tail-jobs", "job-1", 5), ("tail-jobs", "tail-jobs",
                                                                   "job-2", 5)])
        [ack] = find(events, kind="ack", client_id="worker-1")
        self.assertEqual(ack["queue"], "tail-jobs")
        [nack] = find(events, kind="nack", client_id="worker-1")
        self.assertIn("dropped", nack["detail"])
        [subscribe] = find(events, kind="subscribe", client_id="worker-1")
        self.assertEqual(subscribe["queue"], "tail-jobs")
        self.assertIn("'c-1'", subscribe["detail"])
        self.assertTrue(find(events, kind="connect", client_id="worker-1"))
        # amqp-publish names no connection: user#id.
        self.assertTrue(all(p["client_id"].startswith("guest#") for p in publishes))

    def test_filters_by_client_kind_and_topic_in_the_human_format(self):
        by_client = self.tail("--client", "sensor-2", json_output=False)
        by_topic = self.tail("--topic", "plant/+/temp", "--kind", "publish")
        for client, topic in [("sensor-1", "plant/a/temp"), ("sensor-2", "plant/b/temp"),
                              ("sensor-3", "plant/c/humidity")]:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", self.mqtt_port(), "-i",
                            client, "-t", topic, "-m", f"from {client}", "-q", "1"],
                           check=True, timeout=PATIENCE)
        lines = by_client.wait_for_lines(
            lambda lines: any(" disconnect " in line for line in lines), "sensor-2's disconnect")
        events = by_topic.wait_for(lambda e: len(e) >= 2, "two publishes")
        self.assertTrue(all(" sensor-2 " in line for line in lines), lines)
        publish = [line for line in lines if " publish " in line]
        self.assertEqual(len(publish), 1)
        self.assertIn("topic=plant/b/temp", publish[0])
        self.assertIn('"from sensor-2"', publish[0])
        self.assertRegex(publish[0], r"^\d\d:\d\d:\d\d\.\d{6} mqtt  publish ")
        self.assertEqual([(e["client_id"], e["topic"]) for e in events],
                         [("sensor-1", "plant/a/temp"), ("sensor-2", "plant/b/temp")])

    def test_injected_messages_show_as_publishes(self):
        tail = self.tail("--kind", "publish")
        status, _, body = self.mf.request(
            "POST", "/__mockforge/api/mqtt/inject?count=2",
            body=json.dumps({"topic": "inj/tail", "payload": "n={{seq}}"}))
        self.assertEqual(status, 200, body)
        events = tail.wait_for(lambda e: len(e) >= 2, "two publishes")
        self.assertEqual([(e["client_id"], e["topic"], e["preview"]) for e in events],
                         [("mockforge:inject", "inj/tail", "n=1"),
                          ("mockforge:inject", "inj/tail", "n=2")])

    def test_a_reader_that_falls_behind_is_told_what_was_dropped(self):
        # A reader that reads nothing while 100,000 events (about 30 MB of
        # JSON) happen: far more than its one-event buffer and the socket
        # buffers hold, so the brokers' side drops instead of waiting.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", self.mf.ports["admin"]))
        sock.sendall(b"GET /__mockforge/api/tail?buffer=1&kinds=publish HTTP/1.1\r\n"
                     b"Host: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            self.assertTrue(chunk, "the tail closed before its head")
            head += chunk
        self.assertIn(b"200 OK", head)
        self.assertIn(b"text/event-stream", head)
        payload = "x" * 64
        # 100,000 messages take a while under the sanitizers: a patient request.
        conn = http.client.HTTPConnection("127.0.0.1", self.mf.ports["admin"],
                                          timeout=PATIENCE * 5)
        try:
            conn.request("POST", "/__mockforge/api/mqtt/inject?count=100000",
                         body=json.dumps({"topic": "flood/t", "payload": payload}))
            response = conn.getresponse()
            self.assertEqual(response.status, 200, response.read()[:200])
            response.read()
        finally:
            conn.close()
        # Now read: somewhere in the stream the reader is told it lost events.
        sock.settimeout(PATIENCE)
        received = b""
        while b"event: dropped" not in received:
            chunk = sock.recv(1 << 16)
            self.assertTrue(chunk, "the stream ended without a dropped notice")
            received += chunk
        sock.close()
        notice = received[received.index(b"event: dropped"):].split(b"\n")[1]
        self.assertTrue(notice.startswith(b"data: "))
        dropped = json.loads(notice[6:])
        self.assertGreater(dropped["dropped"], 0)
        status, _, metrics = self.mf.request("GET", "/__mockforge/metrics")
        [line] = [l for l in metrics.splitlines() if l.startswith("mockforge_tail_dropped_total")]
        self.assertGreaterEqual(float(line.split()[1]), dropped["dropped"])

    def test_bad_filters_are_400(self):
        for query, text in [("protocol=nats", "protocol must be"),
                            ("kinds=publish,sent", "unknown event kind 'sent'"),
                            ("topic=a/%23/b", "not a valid MQTT topic filter"),
                            ("buffer=0", "buffer must be"),
                            ("clients=x", "unknown query parameter 'clients'")]:
            status, _, body = self.mf.request("GET", "/__mockforge/api/tail?" + query)
            self.assertEqual(status, 400, query)
            self.assertIn(text, json.loads(body)["error"]["message"])


if __name__ == "__main__":
    unittest.main()
