"""Live validation against an AsyncAPI document, seen by real clients of the
real `mockforge serve --asyncapi`: in reject mode paho-mqtt (MQTT 5) gets
PUBACK/PUBREC 0x99 and MQTT 3.1.1 messages are dropped and counted,
confluent-kafka gets INVALID_RECORD, pika with confirms gets a nack and
without them the message is dropped (or the channel closed, when configured);
valid messages pass; the violations endpoint lists each failure with its JSON
pointer and keyword; warn mode delivers and records. Also: channels created
from the bindings, loading at run time (admin API and `mockforge asyncapi
load`), and start-up errors with file, line and pointer."""

import json
import os
import queue
import subprocess
import time
import unittest

import paho.mqtt.client as mqtt
import pika
import pika.exceptions
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient

from mockforge_harness import BIN, Mockforge, files_dir

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = os.path.join(HERE, "contract.yaml")
TIMEOUT = 30
PAYLOAD_FORMAT_INVALID = 0x99


def wait_until(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def pairs(violation):
    """The (JSON pointer, keyword) of each failure of a listed violation."""
    return {(v["pointer"], v["keyword"]) for v in violation["violations"]}


class AckRecordingClient(mqtt.Client):
    """paho 1.6 does not pass PUBACK/PUBREC reason codes on; record them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.acks = queue.Queue()

    def _ack_code(self):
        packet = self._in_packet["packet"]
        return packet[2] if len(packet) > 2 else 0

    def _handle_pubackcomp(self, cmd):
        if cmd == "PUBACK":
            self.acks.put(("puback", self._ack_code()))
        return super()._handle_pubackcomp(cmd)

    def _handle_pubrec(self):
        self.acks.put(("pubrec", self._ack_code()))
        return super()._handle_pubrec()


class ContractTestCase(unittest.TestCase):
    ARGS = ()
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(*cls.ARGS, env=cls.ENV)
        cls.admin = f"http://127.0.0.1:{cls.mf.ports['admin']}"
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def setUp(self):
        self.api("DELETE", "/__mockforge/api/asyncapi/violations")

    def api(self, method, path, body=None):
        return self.mf.api(method, path, body)

    def violations(self):
        status, body = self.api("GET", "/__mockforge/api/asyncapi/violations")
        self.assertEqual(status, 200, body)
        return body["violations"]

    def failures(self, protocol, channel):
        _, _, text = self.mf.request("GET", "/__mockforge/metrics")
        prefix = (f'mockforge_validation_failures_total{{protocol="{protocol}",'
                  f'channel="{channel}"}} ')
        for line in text.splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix):])
        return 0.0

    def mqtt_client(self, name, protocol=mqtt.MQTTv5):
        client = AckRecordingClient(client_id=name, protocol=protocol)
        connected = queue.Queue()
        client.on_connect = lambda *args: connected.put(True)
        client.received = queue.Queue()
        client.on_message = lambda c, u, m: client.received.put((m.topic, m.payload))
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        connected.get(timeout=TIMEOUT)
        self.addCleanup(lambda: (client.disconnect(), client.loop_stop()))
        return client

    def subscribe(self, client, topic):
        subscribed = queue.Queue()
        client.on_subscribe = lambda *args: subscribed.put(True)
        client.subscribe(topic, qos=1)
        subscribed.get(timeout=TIMEOUT)

    def publish_wait(self, client, topic, payload, qos):
        info = client.publish(topic, payload, qos=qos)
        info.wait_for_publish(timeout=TIMEOUT)
        self.assertTrue(info.is_published())

    def produce(self, topic, value):
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0,
                             "message.send.max.retries": 0})
        reports = []
        producer.produce(topic, value=value, on_delivery=lambda err, msg: reports.append(err))
        self.assertEqual(producer.flush(TIMEOUT), 0)
        self.assertEqual(len(reports), 1)
        return reports[0]

    def amqp_channel(self):
        connection = pika.BlockingConnection(
            pika.ConnectionParameters("127.0.0.1", self.mf.ports["amqp"]))
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection, connection.channel()


class RejectModeTest(ContractTestCase):
    ARGS = ("--asyncapi", f"reject={CONTRACT}")

    def test_mqtt5_invalid_payload_gets_0x99_on_puback_and_pubrec(self):
        sub = self.mqtt_client("v5-sub")
        self.subscribe(sub, "sensors/+/reading")
        pub = self.mqtt_client("v5-pub")
        before = self.failures("mqtt", "sensors/{sensorId}/reading")
        for qos, ack in ((1, "puback"), (2, "pubrec")):
            self.publish_wait(pub, "sensors/s1/reading", json.dumps({"sensorId": "s1"}), qos)
            self.assertEqual(pub.acks.get(timeout=TIMEOUT), (ack, PAYLOAD_FORMAT_INVALID))
        self.publish_wait(pub, "sensors/s1/reading", '{"sensorId":"s1","value":21.5}', 1)
        self.assertEqual(pub.acks.get(timeout=TIMEOUT), ("puback", 0))
        # Only the valid message arrives.
        self.assertEqual(sub.received.get(timeout=TIMEOUT),
                         ("sensors/s1/reading", b'{"sensorId":"s1","value":21.5}'))
        self.assertTrue(sub.received.empty())
        self.assertEqual(self.failures("mqtt", "sensors/{sensorId}/reading"), before + 2)
        listed = self.violations()
        self.assertEqual(len(listed), 2)
        self.assertEqual(listed[0]["protocol"], "mqtt")
        self.assertEqual(listed[0]["destination"], "sensors/s1/reading")
        self.assertEqual(listed[0]["client_id"], "v5-pub")
        self.assertEqual(listed[0]["channel"], "sensors/{sensorId}/reading")
        self.assertEqual(listed[0]["mode"], "reject")
        self.assertTrue(listed[0]["refused"])
        self.assertIn({"pointer": "", "keyword": "required",
                       "message": "Missing required property 'value'."},
                      listed[0]["violations"])

    def test_mqtt311_invalid_payload_is_acknowledged_dropped_and_counted(self):
        sub = self.mqtt_client("v3-sub", mqtt.MQTTv311)
        self.subscribe(sub, "sensors/+/reading")
        pub = self.mqtt_client("v3-pub", mqtt.MQTTv311)
        before = self.failures("mqtt", "sensors/{sensorId}/reading")
        self.publish_wait(pub, "sensors/s2/reading", '{"sensorId":"s2","value":"hot"}', 1)
        self.publish_wait(pub, "sensors/s2/reading", '{"sensorId":"s2","value":3}', 1)
        self.assertEqual(sub.received.get(timeout=TIMEOUT),
                         ("sensors/s2/reading", b'{"sensorId":"s2","value":3}'))
        self.assertTrue(sub.received.empty())
        self.assertEqual(self.failures("mqtt", "sensors/{sensorId}/reading"), before + 1)
        [violation] = self.violations()
        self.assertIn(("/value", "type"), pairs(violation))

    def connect_with_will(self, name, protocol, will_payload):
        """CONNECT with a will on the covered channel; the CONNACK's reason code."""
        client = mqtt.Client(client_id=name, protocol=protocol)
        client.will_set("sensors/w1/reading", will_payload, qos=1)
        answered = queue.Queue()
        client.on_connect = lambda c, u, flags, rc, *props: answered.put(
            rc.value if hasattr(rc, "value") else rc)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        self.addCleanup(client.loop_stop)
        return client, answered.get(timeout=TIMEOUT)

    def test_mqtt5_will_is_checked_at_connect(self):
        before = self.failures("mqtt", "sensors/{sensorId}/reading")
        # mosquitto_pub: paho-mqtt 1.6 cannot read a CONNACK 0x99 (its reason-code table
        # lacks it for CONNACK, and its network thread dies on the assertion).
        refused = subprocess.run(
            ["mosquitto_pub", "-V", "5", "-h", "127.0.0.1", "-p", str(self.mf.ports["mqtt"]),
             "-i", "v5-bad-will", "--will-topic", "sensors/w1/reading",
             "--will-payload", '{"sensorId":"w1"}', "-t", "unrelated", "-m", "x"],
            capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("Connection error: Payload format invalid", refused.stderr)
        [violation] = self.violations()
        self.assertEqual((violation["client_id"], violation["destination"]),
                         ("v5-bad-will", "sensors/w1/reading"))
        self.assertIn(("", "required"), pairs(violation))
        self.assertEqual(self.failures("mqtt", "sensors/{sensorId}/reading"), before + 1)
        # A valid will is accepted, and published when the client goes away.
        sub = self.mqtt_client("will-watcher")
        self.subscribe(sub, "sensors/+/reading")
        client, code = self.connect_with_will("v5-good-will", mqtt.MQTTv5,
                                              '{"sensorId":"w1","value":1}')
        self.assertEqual(code, 0)
        client.loop_stop()
        client.socket().close()  # no DISCONNECT: the will goes out
        self.assertEqual(sub.received.get(timeout=TIMEOUT),
                         ("sensors/w1/reading", b'{"sensorId":"w1","value":1}'))

    def test_mqtt311_invalid_will_is_dropped_and_counted(self):
        sub = self.mqtt_client("will-watcher-3", mqtt.MQTTv311)
        self.subscribe(sub, "sensors/+/reading")
        client, code = self.connect_with_will("v3-bad-will", mqtt.MQTTv311,
                                              '{"sensorId":"w1","value":"hot"}')
        self.assertEqual(code, 0)  # 3.1.1 has no code for it: connected, without the will
        [violation] = self.violations()
        self.assertIn(("/value", "type"), pairs(violation))
        client.loop_stop()
        client.socket().close()
        # Proof that nothing came: a valid message published after the drop arrives first.
        pub = self.mqtt_client("v3-after", mqtt.MQTTv311)
        self.publish_wait(pub, "sensors/w2/reading", '{"sensorId":"w2","value":2}', 1)
        self.assertEqual(sub.received.get(timeout=TIMEOUT),
                         ("sensors/w2/reading", b'{"sensorId":"w2","value":2}'))
        self.assertTrue(sub.received.empty())

    def test_kafka_produce_gets_invalid_record(self):
        error = self.produce("orders", b'{"orderId":"nope","amount":-1}')
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), KafkaError.INVALID_RECORD)
        self.assertIsNone(self.produce("orders", b'{"orderId":"ORD-7","amount":12.5}'))
        [violation] = self.violations()
        self.assertEqual(violation["protocol"], "kafka")
        self.assertEqual(violation["channel"], "orders")
        self.assertIn(("/orderId", "pattern"), pairs(violation))
        self.assertIn(("/amount", "minimum"), pairs(violation))
        self.assertEqual(self.failures("kafka", "orders"), 1)

    def test_long_strings_are_checked_and_the_broker_stays_up(self):
        # The pattern and date-time checks used std::regex, whose matcher recursed once per
        # character: a string of some 40,000 characters took the whole process down.
        digits = "1" * 300_000
        self.assertIsNone(self.produce("orders", json.dumps(
            {"orderId": f"ORD-{digits}", "amount": 1}).encode()))
        error = self.produce("orders", json.dumps(
            {"orderId": f"ORD-{digits}x", "amount": 1,
             "placedAt": f"{digits}-01-01T00:00:00.{digits}Z"}).encode())
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), KafkaError.INVALID_RECORD)
        [violation] = self.violations()
        self.assertLessEqual({("/orderId", "pattern"), ("/placedAt", "format")}, pairs(violation))
        # Everyone else is served as before.
        self.assertIsNone(self.produce("orders", b'{"orderId":"ORD-8","amount":2,'
                                                 b'"placedAt":"2026-12-06T13:00:00.25Z"}'))
        sub = self.mqtt_client("after-long-sub")
        self.subscribe(sub, "sensors/+/reading")
        pub = self.mqtt_client("after-long")
        self.publish_wait(pub, "sensors/s9/reading", '{"sensorId":"s9","value":1}', 1)
        self.assertEqual(pub.acks.get(timeout=TIMEOUT), ("puback", 0))
        self.assertEqual(sub.received.get(timeout=TIMEOUT),
                         ("sensors/s9/reading", b'{"sensorId":"s9","value":1}'))

    def test_kafka_topic_is_created_with_the_binding_partitions(self):
        metadata = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=TIMEOUT)
        self.assertIn("orders", metadata.topics)
        self.assertEqual(len(metadata.topics["orders"].partitions), 3)

    def test_amqp_confirms_get_a_nack_and_unconfirmed_is_dropped(self):
        _, channel = self.amqp_channel()
        # The exchange comes from the document's binding: passive declare finds it.
        channel.exchange_declare("shipments", passive=True)
        queue_name = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue_name, "shipments", "shipments.*")
        channel.basic_publish("shipments", "shipments.eu", b'{"carrier":"x"}')  # dropped
        channel.confirm_delivery()
        with self.assertRaises(pika.exceptions.NackError):
            channel.basic_publish("shipments", "shipments.eu", b'{"carrier":"x"}')
        channel.basic_publish("shipments", "shipments.eu", b'{"orderId":"ORD-1"}')
        wait_until(lambda: channel.queue_declare(queue_name, passive=True)
                   .method.message_count == 1, "the valid message")
        _, _, body = channel.basic_get(queue_name, auto_ack=True)
        self.assertEqual(body, b'{"orderId":"ORD-1"}')
        listed = self.violations()
        self.assertEqual(len(listed), 2)
        self.assertEqual(listed[1]["protocol"], "amqp")
        self.assertEqual(listed[1]["routing_key"], "shipments.eu")
        self.assertIn(("", "required"), pairs(listed[1]))
        self.assertEqual(self.failures("amqp", "shipments.{region}"), 2)

    def test_violations_clear_and_reset(self):
        pub = self.mqtt_client("clearing")
        self.publish_wait(pub, "sensors/s3/reading", "not json", 1)
        listed = self.violations()
        self.assertEqual(listed[0]["violations"][0]["message"], "the payload is not JSON")
        status, body = self.api("DELETE", "/__mockforge/api/asyncapi/violations")
        self.assertEqual((status, body), (200, {"cleared": 1}))
        self.assertEqual(self.violations(), [])
        self.publish_wait(pub, "sensors/s3/reading", "not json", 1)
        self.assertEqual(len(self.violations()), 1)
        status, _ = self.api("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        self.assertEqual(self.violations(), [])

    def test_documents_are_listed(self):
        status, body = self.api("GET", "/__mockforge/api/asyncapi")
        self.assertEqual(status, 200)
        [document] = body["documents"]
        self.assertEqual(document["path"], CONTRACT)
        self.assertEqual(document["validate"], "reject")
        self.assertEqual(document["title"], "Validation test contract")
        self.assertIn("kafka topic orders (3 partitions)", document["declared"])


class AmqpCloseTest(ContractTestCase):
    ARGS = ("--asyncapi", f"reject={CONTRACT}")
    ENV = {"MOCKFORGE_ASYNCAPI_AMQP_UNCONFIRMED": "close"}

    def test_unconfirmed_refusal_closes_the_channel_with_406(self):
        _, channel = self.amqp_channel()
        channel.basic_publish("shipments", "shipments.us", b"[]")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as closed:
            channel.queue_declare("", exclusive=True)  # a round trip to see the close
        self.assertEqual(closed.exception.reply_code, 406)
        self.assertIn("PRECONDITION_FAILED", closed.exception.reply_text)
        self.assertIn("shipments.{region}", closed.exception.reply_text)


class WarnModeTest(ContractTestCase):
    ARGS = ("--asyncapi", CONTRACT)  # asyncapi.validate defaults to warn

    def test_warn_delivers_and_records(self):
        sub = self.mqtt_client("warn-sub")
        self.subscribe(sub, "sensors/+/reading")
        pub = self.mqtt_client("warn-pub")
        self.publish_wait(pub, "sensors/w/reading", '{"sensorId":"w","value":1,"unit":"K"}', 1)
        self.assertEqual(pub.acks.get(timeout=TIMEOUT), ("puback", 0))
        self.assertEqual(sub.received.get(timeout=TIMEOUT)[0], "sensors/w/reading")
        self.assertIsNone(self.produce("orders", b'{"amount":1}'))
        [mqtt_violation, kafka_violation] = self.violations()
        self.assertEqual(mqtt_violation["mode"], "warn")
        self.assertFalse(mqtt_violation["refused"])
        self.assertIn(("/unit", "enum"), pairs(mqtt_violation))
        self.assertEqual(kafka_violation["channel"], "orders")
        self.assertIn("asyncapi", self.mf.output())
        self.assertIn("#/unit [enum]", self.mf.output())


class ChannelModesTest(ContractTestCase):
    """A document in warn mode with one channel in reject mode
    (asyncapi.channel_validate), and one loaded at run time with a channel off
    (`mockforge asyncapi load --channel`)."""
    ARGS = ("--asyncapi", f"warn={CONTRACT}",
            "--asyncapi-channel-validate", "sensors/{sensorId}/reading=reject")

    def test_the_channel_mode_overrides_the_documents(self):
        status, body = self.api("GET", "/__mockforge/api/asyncapi")
        self.assertEqual(status, 200, body)
        [document] = body["documents"]
        self.assertEqual(document["validate"], "warn")
        self.assertEqual(document["channel_validate"], {"sensors/{sensorId}/reading": "reject"})
        pub = self.mqtt_client("modes-pub")
        self.publish_wait(pub, "sensors/s9/reading", json.dumps({"sensorId": "s9"}), 1)
        self.assertEqual(pub.acks.get(timeout=TIMEOUT), ("puback", PAYLOAD_FORMAT_INVALID))
        # The document's other channels warn: Kafka delivers.
        self.assertIsNone(self.produce("orders", b"not json"))
        modes = [(v["channel"], v["mode"], v["refused"]) for v in self.violations()]
        self.assertEqual(modes, [("sensors/{sensorId}/reading", "reject", True),
                                 ("orders", "warn", False)])

        # At run time: the same document, reject, with the orders channel off.
        self.api("DELETE", "/__mockforge/api/asyncapi/violations")
        result = subprocess.run([BIN, "asyncapi", "load", CONTRACT, "--validate", "reject",
                                 "--channel", "orders=off", "--admin-url", self.admin],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("channel orders: validate off", result.stdout)
        self.assertIsNone(self.produce("orders", b"not json"))  # not checked
        self.assertEqual(self.violations(), [])
        status, body = self.api("POST", "/__mockforge/api/asyncapi",
                                {"path": CONTRACT, "channels": {"nosuch": "reject"}})
        self.assertEqual(status, 422, body)
        self.assertIn("the document has no channel 'nosuch'", body["errors"][0])
        status, body = self.api("POST", "/__mockforge/api/asyncapi",
                                {"path": CONTRACT, "channels": {"orders": "loud"}})
        self.assertEqual(status, 400, body)


class RunTimeLoadingTest(ContractTestCase):
    def test_admin_api_and_cli_load(self):
        status, body = self.api("GET", "/__mockforge/api/asyncapi")
        self.assertEqual((status, body), (200, {"documents": []}))
        # No document: nothing is checked.
        self.assertIsNone(self.produce("orders", b"not json"))
        result = subprocess.run([BIN, "asyncapi", "load", CONTRACT, "--validate", "reject",
                                 "--admin-url", self.admin],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Validation test contract", result.stdout)
        error = self.produce("orders", b"not json")
        self.assertEqual(error.code(), KafkaError.INVALID_RECORD)

        # A document sent as text, in warn mode.
        with open(CONTRACT) as f:
            text = f.read().replace("pattern: '^ORD-[0-9]+$'", "pattern: '^X$'")
        status, body = self.api("POST", "/__mockforge/api/asyncapi",
                                {"document": text, "name": "strict.yaml", "validate": "off"})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["validate"], "off")
        status, _ = self.api("DELETE", "/__mockforge/api/asyncapi?path=" + CONTRACT)
        self.assertEqual(status, 200)
        self.assertIsNone(self.produce("orders", b"not json"))  # only an 'off' document left

        # Errors name the file, line and pointer; nothing is loaded.
        bad = files_dir({"bad.yaml": "asyncapi: 3.0.0\ninfo:\n  title: t\n  version: '1'\n"
                                     "channels:\n  a:\n    $ref: '#/components/channels/nope'\n"})
        result = subprocess.run([BIN, "asyncapi", "load", os.path.join(bad, "bad.yaml"),
                                 "--admin-url", self.admin],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("bad.yaml:", result.stderr)
        self.assertIn("#/channels/a", result.stderr)
        status, body = self.api("POST", "/__mockforge/api/asyncapi", {"validate": "loud"})
        self.assertEqual(status, 400)


class StartupErrorTest(unittest.TestCase):
    def test_a_bad_document_stops_serve_with_file_line_and_pointer(self):
        bad = files_dir({"bad.yaml": "asyncapi: 2.6.0\ninfo:\n  title: t\n  version: '1'\n"
                                     "servers:\n  m:\n    url: x\n    protocol: mqtt\n"
                                     "channels:\n  a/b:\n    publish:\n      message:\n"
                                     "        $ref: '#/components/messages/Missing'\n"})
        path = os.path.join(bad, "bad.yaml")
        with self.assertRaises(RuntimeError) as failed:
            Mockforge("--asyncapi", path)
        self.assertIn("invalid AsyncAPI document", str(failed.exception))
        self.assertIn(f"{path}:", str(failed.exception))
        self.assertIn("#/channels/a~1b/publish/message", str(failed.exception))


if __name__ == "__main__":
    unittest.main()
