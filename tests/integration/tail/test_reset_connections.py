"""Resets that keep or close client connections (?connections=keep|close):
paho-mqtt v5 sees DISCONNECT 0x98, a 3.1.1 client a closed socket, pika a
connection.close 320, a Kafka socket closes only when asked."""

import json
import socket
import struct
import threading
import unittest

import paho.mqtt.client as mqtt
import pika
import pika.exceptions

from mockforge_harness import Mockforge
from tail_support import PATIENCE


class MqttClient:
    def __init__(self, mf, client_id, protocol):
        self.disconnected = threading.Event()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.reason = None
        self.client = mqtt.Client(client_id=client_id, protocol=protocol,
                                  **({} if protocol == mqtt.MQTTv5 else {"clean_session": True}))
        self.client.on_connect = lambda *a: self.connected.set()
        self.client.on_subscribe = lambda *a: self.subscribed.set()

        def on_disconnect(_c, _u, rc, *rest):
            self.reason = rc
            self.disconnected.set()

        self.client.on_disconnect = on_disconnect
        self.client.connect("127.0.0.1", mf.ports["mqtt"])
        self.client.loop_start()
        assert self.connected.wait(PATIENCE)
        self.client.subscribe("reset/#", qos=1)
        assert self.subscribed.wait(PATIENCE)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


class ResetConnections(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge()

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def reset(self, path="reset", query=""):
        status, _, body = self.mf.request("POST", f"/__mockforge/api/{path}{query}")
        return status, json.loads(body)

    def mqtt_clients(self):
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/clients")
        self.assertEqual(status, 200)
        return [c["client_id"] for c in json.loads(body)["clients"]]

    def test_mqtt_v5_client_gets_disconnect_0x98_on_reset(self):
        client = MqttClient(self.mf, "reset-v5", mqtt.MQTTv5)
        try:
            status, body = self.reset()
            self.assertEqual(status, 200, body)
            # paho-mqtt 1.6.1 reports a server DISCONNECT to on_disconnect as
            # MQTT_ERR_CONN_LOST (7), not its reason code: it sees the disconnect...
            self.assertTrue(client.disconnected.wait(PATIENCE))
            self.assertNotEqual(client.reason, 0)
        finally:
            client.close()
        # ...and the reason on the wire is 0x98 (Administrative action).
        sock = socket.create_connection(("127.0.0.1", self.mf.ports["mqtt"]), timeout=PATIENCE)
        try:
            client_id = b"reset-raw-v5"
            body = (b"\x00\x04MQTT\x05\x02\x00\x3c\x00" + len(client_id).to_bytes(2, "big") +
                    client_id)
            sock.sendall(bytes([0x10, len(body)]) + body)
            connack = self.recv_exact(sock, 2)
            self.assertEqual(connack[0], 0x20)
            self.recv_exact(sock, connack[1])  # the rest of the CONNACK
            status, body = self.reset()
            self.assertEqual(status, 200, body)
            data = b""
            while len(data) < 3:
                chunk = sock.recv(16)
                if not chunk:
                    break
                data += chunk
            self.assertEqual(data[:3], b"\xe0\x01\x98")  # DISCONNECT, reason 0x98
        finally:
            sock.close()

    def test_mqtt_311_client_is_closed_on_an_mqtt_reset(self):
        client = MqttClient(self.mf, "reset-v311", mqtt.MQTTv311)
        try:
            status, body = self.reset("mqtt/reset")
            self.assertEqual(status, 200, body)
            self.assertGreaterEqual(body["disconnected"], 1)
            self.assertTrue(client.disconnected.wait(PATIENCE))
            self.assertNotEqual(client.reason, 0)  # not a clean disconnect: the socket closed
        finally:
            client.close()

    def test_mqtt_keep_leaves_the_connection_open(self):
        client = MqttClient(self.mf, "reset-keep", mqtt.MQTTv5)
        try:
            status, body = self.reset("mqtt/reset", "?connections=keep")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["disconnected"], 0)
            # Still connected: a QoS 1 publish is acknowledged.
            info = client.client.publish("elsewhere/x", b"alive", qos=1)
            info.wait_for_publish(PATIENCE)
            self.assertTrue(info.is_published())
            self.assertFalse(client.disconnected.is_set())
            self.assertIn("reset-keep", self.mqtt_clients())
        finally:
            client.close()

    def test_amqp_connection_closed_with_320_and_keep_refused(self):
        status, body = self.reset("amqp/reset", "?connections=keep")
        self.assertEqual(status, 400)
        self.assertIn("CONNECTION_FORCED", body["error"]["message"])
        connection = pika.BlockingConnection(pika.URLParameters(
            f"amqp://guest:guest@127.0.0.1:{self.mf.ports['amqp']}/%2F?heartbeat=0"))
        channel = connection.channel()
        channel.queue_declare("reset-q")
        status, body = self.reset("amqp/reset", "?connections=close")
        self.assertEqual(status, 200, body)
        with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as closed:
            for _ in range(PATIENCE * 10):
                connection.process_data_events(time_limit=0.1)
        self.assertEqual(closed.exception.reply_code, 320)

    def kafka_socket(self):
        sock = socket.create_connection(("127.0.0.1", self.mf.ports["kafka"]), timeout=PATIENCE)
        return sock

    def api_versions(self, sock, correlation_id):
        client_id = b"raw"
        body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", self.recv_exact(sock, 4))[0]
        reply = self.recv_exact(sock, size)
        return struct.unpack(">i", reply[:4])[0]

    def recv_exact(self, sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def test_kafka_connections_stay_by_default_and_close_when_asked(self):
        sock = self.kafka_socket()
        try:
            self.assertEqual(self.api_versions(sock, 1), 1)
            status, body = self.reset("kafka/reset")
            self.assertEqual(status, 200, body)
            self.assertEqual(self.api_versions(sock, 2), 2)  # still served
            status, body = self.reset("reset", "?connections=close")
            self.assertEqual(status, 200, body)
            self.assertEqual(sock.recv(1), b"")  # closed by the broker
        finally:
            sock.close()

    def test_bad_connections_value_is_400(self):
        for path in ("reset", "kafka/reset", "mqtt/reset"):
            status, body = self.reset(path, "?connections=maybe")
            self.assertEqual(status, 400, path)
            self.assertIn("keep or close", body["error"]["message"])


if __name__ == "__main__":
    unittest.main()
