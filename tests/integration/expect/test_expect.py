"""POST /__mockforge/api/expect, GET /__mockforge/api/history, `mockforge expect`
and `mockforge history`, with confluent-kafka, paho-mqtt and pika sending."""

import json
import subprocess
import threading
import unittest

import paho.mqtt.client as mqtt
import pika
from confluent_kafka import Producer

from mockforge_harness import BIN, Mockforge


class Expect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge()

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def setUp(self):
        status, _, _ = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)

    def expect(self, spec):
        status, _, body = self.mf.request("POST", "/__mockforge/api/expect", body=json.dumps(spec),
                                          headers={"Content-Type": "application/json"})
        return status, json.loads(body)

    def produce(self, topic, value, key=None, headers=None):
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{self.mf.ports['kafka']}",
                             "client.id": "order-service"})
        producer.produce(topic, value.encode(), key=key, headers=headers)
        self.assertEqual(producer.flush(10), 0)

    def cli(self, *args):
        return subprocess.run([BIN, *args, "--admin-url", f"http://127.0.0.1:{self.mf.ports['admin']}"],
                              capture_output=True, text=True, timeout=60)

    def test_kafka_expectation_met_and_missed_with_reasons(self):
        self.produce("orders.confirmed", '{"order_id": "o-1", "status": "pending"}', key="o-1")
        self.produce("orders.created", '{"order_id": "o-2", "status": "confirmed"}', key="o-2",
                     headers=[("source", b"web")])
        status, verdict = self.expect({
            "protocol": "kafka", "topic": "orders.confirmed",
            "match": {"json": [{"path": "$.status", "equals": "confirmed"}]}, "timeout_ms": 200})
        self.assertEqual(status, 417, verdict)
        self.assertFalse(verdict["met"])
        self.assertEqual(verdict["window_messages"], 2)
        reasons = [r for miss in verdict["closest_misses"] for r in miss["reasons"]]
        self.assertIn('$.status is "pending", expected "confirmed"', reasons)

        status, verdict = self.expect({
            "protocol": "kafka", "topic": "orders.created",
            "match": {"key": "o-2", "headers": {"source": "web"}, "client_id": "order-service",
                      "json": [{"path": "$.status", "equals": "confirmed"}]}})
        self.assertEqual(status, 200, verdict)
        self.assertEqual(verdict["matched"], 1)

    def test_an_expectation_registered_before_the_traffic_answers_when_it_arrives(self):
        result = {}

        def wait():
            result["reply"] = self.expect({"protocol": "mqtt", "topic": "alerts/+",
                                           "match": {"json": [{"path": "$.celsius", "gt": 80}]},
                                           "since": "now", "timeout_ms": 30000})

        waiter = threading.Thread(target=wait)
        waiter.start()
        client = mqtt.Client(client_id="sensor-7", protocol=mqtt.MQTTv311)
        client.connect("127.0.0.1", self.mf.ports["mqtt"])
        client.loop_start()
        try:
            # Until the expectation is registered, publishes may come before it;
            # keep publishing hot readings until it answers.
            while waiter.is_alive():
                client.publish("alerts/critical", json.dumps({"celsius": 85}), qos=1).wait_for_publish(5)
                waiter.join(0.05)
        finally:
            client.loop_stop()
            client.disconnect()
        status, verdict = result["reply"]
        self.assertEqual(status, 200, verdict)
        self.assertTrue(verdict["met"])

    def test_amqp_routing_key_and_properties(self):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", self.mf.ports["amqp"], client_properties={"connection_name": "notifier"}))
        channel = connection.channel()
        channel.exchange_declare("notifications", "topic")
        channel.basic_publish("notifications", "notification.email.order", b'{"to": "a@b.c"}',
                              pika.BasicProperties(correlation_id="c-1"))
        connection.close()
        status, verdict = self.expect({"protocol": "amqp", "exchange": "notifications",
                                       "routing_key": "notification.email.*",
                                       "match": {"properties": {"correlation_id": "c-1"},
                                                 "client_id": "notifier"}})
        self.assertEqual(status, 200, verdict)
        status, verdict = self.expect({"protocol": "amqp", "exchange": "notifications",
                                       "count": {"exactly": 2}, "timeout_ms": 100})
        self.assertEqual(status, 417, verdict)

    def test_none_fails_when_one_arrives_and_reset_starts_a_new_window(self):
        self.produce("payments.refunded", '{"order_id": "o-9"}')
        status, verdict = self.expect({"protocol": "kafka", "topic": "payments.refunded",
                                       "count": {"none": True}, "timeout_ms": 100})
        self.assertEqual(status, 417, verdict)
        self.mf.request("POST", "/__mockforge/api/reset")
        status, verdict = self.expect({"protocol": "kafka", "topic": "payments.refunded",
                                       "count": {"none": True}, "timeout_ms": 100})
        self.assertEqual(status, 200, verdict)

    def test_malformed_expectations_are_400_naming_the_field(self):
        status, body = self.expect({"protocol": "kafka", "match": {"json": [{"path": "status"}]}})
        self.assertEqual(status, 400)
        self.assertIn("match.json[0].path", body["error"]["message"])
        status, _, body = self.mf.request("POST", "/__mockforge/api/expect", body="not json")
        self.assertEqual(status, 400)

    def test_history_lists_messages_with_their_senders(self):
        self.produce("orders.created", '{"order_id": "o-3"}', key="o-3")
        status, _, body = self.mf.request("GET", "/__mockforge/api/history?protocol=kafka")
        self.assertEqual(status, 200)
        messages = json.loads(body)["messages"]
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages[0]["destination"], "orders.created")
        self.assertEqual(messages[0]["client_id"], "order-service")
        self.assertEqual(messages[0]["payload"]["data"], '{"order_id": "o-3"}')
        self.assertEqual(messages[0]["key"]["data"], "o-3")
        result = self.cli("history", "--protocol", "kafka")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("orders.created", result.stdout)
        self.assertIn("order-service", result.stdout)

    def test_cli_exit_codes(self):
        self.produce("orders.confirmed", '{"order_id": "o-4", "status": "confirmed", "total": 99.5}')
        met = self.cli("expect", "--protocol", "kafka", "--topic", "orders.confirmed",
                       "--json", "$.status=confirmed", "--json", "$.total>=99")
        self.assertEqual(met.returncode, 0, met.stdout + met.stderr)
        self.assertIn("met", met.stdout)
        missed = self.cli("expect", "--protocol", "kafka", "--topic", "orders.confirmed",
                          "--json", "$.status=cancelled", "--timeout-ms", "100")
        self.assertEqual(missed.returncode, 1, missed.stdout + missed.stderr)
        self.assertIn('$.status is "confirmed", expected "cancelled"', missed.stdout)
        bad = self.cli("expect", "--protocol", "nats")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("protocol", bad.stderr)


class HistoryOff(unittest.TestCase):
    def test_expect_is_409_and_history_empty_when_the_history_is_off(self):
        with Mockforge(env={"MOCKFORGE_HISTORY_MAX_MESSAGES": "0"}) as mf:
            producer = Producer({"bootstrap.servers": f"127.0.0.1:{mf.ports['kafka']}"})
            producer.produce("t", b"x")
            self.assertEqual(producer.flush(10), 0)
            status, _, body = mf.request("POST", "/__mockforge/api/expect",
                                         body=json.dumps({"protocol": "kafka"}))
            self.assertEqual(status, 409, body)
            self.assertIn("history.max_messages", json.loads(body)["error"]["message"])
            status, _, body = mf.request("GET", "/__mockforge/api/history")
            self.assertEqual(json.loads(body)["messages"], [])


if __name__ == "__main__":
    unittest.main()
