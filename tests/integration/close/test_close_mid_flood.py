"""A client that is still writing when the broker closes must read the
broker's last frame and a clean end of stream, never a reset: after a close
handshake or a protocol error the broker half-closes and discards input
until the peer closes (or a timeout), as RabbitMQ does."""

import os
import socket
import struct
import subprocess
import threading
import unittest

from mockforge_harness import Mockforge

HERE = os.path.dirname(os.path.abspath(__file__))
FLOOD_BYTES = 8 << 20


class Flood(threading.Thread):
    """Writes `first` and then FLOOD_BYTES more, as a client still publishing
    when the broker closes. `error` is what a write failed with: against a
    broker that closes with unread input, EPIPE or ECONNRESET; against one
    that half-closes and drains, nothing."""

    def __init__(self, sock, first, chunk):
        super().__init__()
        self.sock, self.first, self.chunk, self.error = sock, first, chunk, None

    def run(self):
        try:
            self.sock.sendall(self.first)
            sent = 0
            while sent < FLOOD_BYTES:
                self.sock.sendall(self.chunk)
                sent += len(self.chunk)
        except OSError as error:
            self.error = error


def read_until_eof(sock):
    """What the broker sends until it closes; raises ConnectionResetError on a reset."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def mqtt_packet(first_byte, body):
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([first_byte]) + bytes(encoded) + body


def utf8(text):
    return struct.pack(">H", len(text)) + text.encode()


class CloseMidFlood(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge()

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def test_amqplib_closes_cleanly_while_its_publishes_are_still_buffered(self):
        for attempt in range(3):
            result = subprocess.run(
                ["node", os.path.join(HERE, "amqplib_close_mid_flood.js"), str(self.mf.ports["amqp"])],
                capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 0,
                             f"attempt {attempt}: " + result.stdout.decode() + result.stderr.decode())
            self.assertIn(b"closed cleanly", result.stdout)

    def test_mqtt5_client_reads_the_disconnect_reason_after_a_protocol_error_mid_flood(self):
        sock = socket.create_connection(("127.0.0.1", self.mf.ports["mqtt"]), timeout=10)
        self.addCleanup(sock.close)
        connect = utf8("MQTT") + bytes([5, 0x02]) + struct.pack(">H", 30) + b"\x00" + utf8("flooder")
        sock.sendall(mqtt_packet(0x10, connect))
        connack = sock.recv(4096)
        self.assertEqual(connack[0], 0x20, connack)
        publish = mqtt_packet(0x30, utf8("flood/topic") + b"\x00" + b"p" * 200)
        # A PUBLISH with QoS 3 is malformed: the broker answers DISCONNECT 0x81.
        bad = mqtt_packet(0x36, utf8("flood/topic") + struct.pack(">H", 1) + b"\x00" + b"x")
        writer = Flood(sock, publish * 100 + bad, publish * 1000)
        writer.start()
        data = read_until_eof(sock)
        writer.join()
        self.assertTrue(data.startswith(b"\xe0"), data[:16])
        self.assertEqual(data[2], 0x81, data[:16])
        self.assertIsNone(writer.error)

    def test_kafka_client_reads_a_clean_end_of_stream_after_an_oversize_request_mid_flood(self):
        sock = socket.create_connection(("127.0.0.1", self.mf.ports["kafka"]), timeout=10)
        self.addCleanup(sock.close)
        # A request size past kafka.max_frame_bytes closes the connection at once.
        writer = Flood(sock, struct.pack(">i", 0x7FFFFFF0), b"\x00" * 262144)
        writer.start()
        data = read_until_eof(sock)
        writer.join()
        self.assertEqual(data, b"")
        self.assertIsNone(writer.error)

    def test_other_clients_are_unaffected(self):
        with socket.create_connection(("127.0.0.1", self.mf.ports["mqtt"]), timeout=10) as sock:
            sock.sendall(mqtt_packet(0x10, utf8("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 30)
                                     + utf8("bystander")))
            self.assertEqual(sock.recv(4)[:1], b"\x20")


if __name__ == "__main__":
    unittest.main()
