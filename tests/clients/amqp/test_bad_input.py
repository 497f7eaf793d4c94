"""Malformed input over raw sockets gets the right close, and pika keeps working."""

import socket
import struct
import unittest

import pika

from pika_test_base import PikaTestCase

HEADER = b"AMQP\x00\x00\x09\x01"


def frame(frame_type, channel, payload, end=b"\xce"):
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + end


def method(class_id, method_id, arguments=b""):
    return struct.pack(">HH", class_id, method_id) + arguments


def shortstr(text):
    return bytes([len(text)]) + text


def longstr(data):
    return struct.pack(">I", len(data)) + data


class RawClient:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def read_frame(self):
        while len(self.buffer) < 7 or len(self.buffer) < 8 + struct.unpack(">I", self.buffer[3:7])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        size = struct.unpack(">I", self.buffer[3:7])[0]
        frame_type, channel = struct.unpack(">BH", self.buffer[:3])
        payload = self.buffer[7:7 + size]
        self.buffer = self.buffer[8 + size:]
        return frame_type, channel, payload

    def handshake(self):
        self.sock.sendall(HEADER)
        self.read_frame()  # connection.start
        start_ok = struct.pack(">I", 0) + shortstr(b"PLAIN") + longstr(b"\0guest\0guest") + \
            shortstr(b"en_US")
        self.sock.sendall(frame(1, 0, method(10, 11, start_ok)))
        self.read_frame()  # connection.tune
        self.sock.sendall(frame(1, 0, method(10, 31, struct.pack(">HIH", 2047, 131072, 0))))
        self.sock.sendall(frame(1, 0, method(10, 40, shortstr(b"/") + shortstr(b"") + b"\0")))
        self.read_frame()  # connection.open-ok

    def expect_connection_close(self):
        frame_type, channel, payload = self.read_frame()
        class_id, method_id, code = struct.unpack(">HHH", payload[:6])
        assert (frame_type, channel, class_id, method_id) == (1, 0, 10, 50), payload
        return code

    def close(self):
        self.sock.close()


class BadInputTest(PikaTestCase):
    def setUp(self):
        self.good = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.port))
        self.good_channel = self.good.channel()
        self.queue = self.good_channel.queue_declare("", exclusive=True).method.queue

    def tearDown(self):
        # The well-behaved client still works after every bad one.
        self.good_channel.basic_publish("", self.queue, b"still fine")
        self.assertEqual(self.good_channel.basic_get(self.queue, auto_ack=True)[2], b"still fine")
        self.good.close()

    def raw(self):
        client = RawClient(self.port)
        self.addCleanup(client.close)
        return client

    def test_wrong_protocol_header_gets_ours_back(self):
        client = self.raw()
        client.sock.sendall(b"AMQP\x01\x01\x00\x09")
        self.assertEqual(client.sock.recv(8), HEADER)
        self.assertEqual(client.sock.recv(8), b"")

    def test_http_request_gets_our_header(self):
        client = self.raw()
        client.sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(client.sock.recv(8), HEADER)

    def test_bad_frame_end_is_501(self):
        client = self.raw()
        client.handshake()
        client.sock.sendall(frame(1, 1, method(20, 10, shortstr(b"")), end=b"\x00"))
        self.assertEqual(client.expect_connection_close(), 501)

    def test_frame_on_unopened_channel_is_504(self):
        client = self.raw()
        client.handshake()
        client.sock.sendall(frame(1, 5, method(60, 70, b"\0\0" + shortstr(b"q") + b"\0")))
        self.assertEqual(client.expect_connection_close(), 504)

    def test_content_without_method_is_505(self):
        client = self.raw()
        client.handshake()
        client.sock.sendall(frame(1, 1, method(20, 10, shortstr(b""))))
        client.read_frame()  # channel.open-ok
        client.sock.sendall(frame(3, 1, b"body"))
        self.assertEqual(client.expect_connection_close(), 505)

    def test_oversize_frame_is_501(self):
        client = self.raw()
        client.handshake()
        client.sock.sendall(struct.pack(">BHI", 3, 1, 10_000_000))
        self.assertEqual(client.expect_connection_close(), 501)

    def test_unknown_mechanism_is_refused(self):
        client = self.raw()
        client.sock.sendall(HEADER)
        client.read_frame()
        start_ok = struct.pack(">I", 0) + shortstr(b"EXTERNAL") + longstr(b"") + shortstr(b"en_US")
        client.sock.sendall(frame(1, 0, method(10, 11, start_ok)))
        self.assertEqual(client.expect_connection_close(), 503)


if __name__ == "__main__":
    unittest.main()
