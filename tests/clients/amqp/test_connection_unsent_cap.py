"""amqp.max_connection_unsent_bytes: past that many bytes unsent to a client,
the broker stops reading the client's connection until half of them are sent;
amqp.max_unsent_bytes, which holds back deliveries, is independent of it.

A raw AMQP 0-9-1 client with a small receive buffer consumes (no-ack) a queue it
then floods with 1,500 publishes of 16 KiB, and reads nothing: each publish is
delivered back to it. amqp.max_unsent_bytes is 1 GiB, so no delivery waits. The
broker counts a publish when it reads it (amqp_messages_published_total): with a
connection cap of 64 KiB it reads no more than the socket buffers and the cap
hold, with the default (8 MiB) at least 8 MiB's worth. A pika client is served
meanwhile. Then the raw client reads: every message comes back, in order."""

import struct
import threading
import unittest

import pika

from mockforge_harness import Mockforge
from slow_reader import kernel_send_buffer_max, metric_sum, read_exactly, settled, slow_socket

QUEUE = b"loop"
COUNT = 1500
SIZE = 16 * 1024
SMALL_CAP = 64 << 10
DEFAULT_CAP = 8 << 20
RECEIVE_BUFFER = 16 << 10


def frame(frame_type, channel, payload):
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + b"\xce"


def method(class_id, method_id, arguments=b""):
    return frame(1, 1 if class_id != 10 else 0, struct.pack(">HH", class_id, method_id) + arguments)


def shortstr(text):
    return bytes([len(text)]) + text


def publish(sequence):
    body = struct.pack(">I", sequence) + b"x" * (SIZE - 4)
    return (method(60, 40, struct.pack(">H", 0) + shortstr(b"") + shortstr(QUEUE) + b"\0") +
            frame(2, 1, struct.pack(">HHQH", 60, 0, len(body), 0)) + frame(3, 1, body))


class RawAmqp:
    def __init__(self, port):
        self.sock = slow_socket(port, RECEIVE_BUFFER)

    def read(self, count):
        return read_exactly(self.sock, count)

    def read_frame(self):
        frame_type, channel, size = struct.unpack(">BHI", self.read(7))
        payload = self.read(size + 1)
        assert payload[-1] == 0xCE
        return frame_type, channel, payload[:-1]

    def expect_method(self, class_id, method_id):
        frame_type, _, payload = self.read_frame()
        assert frame_type == 1 and struct.unpack(">HH", payload[:4]) == (class_id, method_id), \
            (frame_type, payload[:16])

    def open(self):
        self.sock.sendall(b"AMQP\x00\x00\x09\x01")
        self.expect_method(10, 10)  # connection.start
        self.sock.sendall(method(10, 11, struct.pack(">I", 0) + shortstr(b"PLAIN") +
                                 struct.pack(">I", 12) + b"\0guest\0guest" + shortstr(b"en_US")))
        self.expect_method(10, 30)  # connection.tune
        self.sock.sendall(method(10, 31, struct.pack(">HIH", 16, 131072, 0)))
        self.sock.sendall(method(10, 40, shortstr(b"/") + shortstr(b"") + b"\0"))
        self.expect_method(10, 41)
        self.sock.sendall(method(20, 10, shortstr(b"")))
        self.expect_method(20, 11)
        self.sock.sendall(method(50, 10, struct.pack(">H", 0) + shortstr(QUEUE) + b"\0" +
                                 struct.pack(">I", 0)))
        self.expect_method(50, 11)
        # basic.consume, no-ack
        self.sock.sendall(method(60, 20, struct.pack(">H", 0) + shortstr(QUEUE) + shortstr(b"") +
                                 b"\x02" + struct.pack(">I", 0)))
        self.expect_method(60, 21)

    def receive_body(self):
        """The body of the next delivery."""
        self.expect_method(60, 60)  # basic.deliver
        frame_type, _, header = self.read_frame()
        assert frame_type == 2
        size = struct.unpack(">Q", header[4:12])[0]
        body = b""
        while len(body) < size:
            frame_type, _, part = self.read_frame()
            assert frame_type == 3
            body += part
        return body


class ConnectionUnsentCap(unittest.TestCase):
    def published(self, mf):
        return metric_sum(mf, r"amqp_messages_published_total\{[^}]*\}")

    def settled_count(self, mf):
        return settled(lambda: self.published(mf))

    def run_flood(self, env):
        with Mockforge("--no-kafka", "--no-mqtt",
                       env={"MOCKFORGE_AMQP_MAX_UNSENT_BYTES": "1GiB", **env}) as mf:
            port = mf.ports["amqp"]
            raw = RawAmqp(port)
            self.addCleanup(raw.sock.close)
            raw.open()

            sender = threading.Thread(
                target=lambda: raw.sock.sendall(b"".join(publish(i) for i in range(COUNT))),
                daemon=True)
            sender.start()
            mf.wait_until(lambda: self.published(mf) > 0, "a publish read")
            read = self.settled_count(mf)

            # Another client is served meanwhile: a round trip through the broker.
            other = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
            channel = other.channel()
            channel.queue_declare("bystander")
            channel.basic_publish("", "bystander", b"served meanwhile")
            method_frame, _, body = channel.basic_get("bystander", auto_ack=True)
            self.assertIsNotNone(method_frame)
            self.assertEqual(body, b"served meanwhile")
            other.close()

            # Reading again, the flooder gets all its messages back, in order.
            sequences = []
            for _ in range(COUNT):
                body = raw.receive_body()
                self.assertEqual(len(body), SIZE)
                sequences.append(struct.unpack(">I", body[:4])[0])
            self.assertEqual(sequences, list(range(COUNT)))
            sender.join(30)
            self.assertFalse(sender.is_alive())
            return read

    def test_small_cap_stops_reading(self):
        read = self.run_flood({"MOCKFORGE_AMQP_MAX_CONNECTION_UNSENT_BYTES": "64KiB"})
        absorbed = kernel_send_buffer_max() + 2 * RECEIVE_BUFFER + SMALL_CAP
        bound = absorbed // SIZE + 2
        print(f"64KiB cap: read {read} of {COUNT} publishes (bound {bound})")
        self.assertLessEqual(read, bound)

    def test_default_cap_reads_more(self):
        read = self.run_flood({})
        print(f"8MiB cap: read {read} of {COUNT} publishes")
        self.assertGreaterEqual(read, DEFAULT_CAP // (SIZE + 128))
        self.assertLess(read, COUNT)


if __name__ == "__main__":
    unittest.main()
