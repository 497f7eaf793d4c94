"""mqtt.max_connection_unsent_bytes: past that many bytes unsent to a client,
the broker stops reading the client's connection until half of them are sent;
mqtt.max_unsent_bytes, which holds back deliveries, is independent of it.

A raw MQTT 3.1.1 client with a small receive buffer subscribes (QoS 0) to the
topic it then floods with 1,500 16 KiB QoS 0 PUBLISHes, and reads nothing: each
publish it sends is delivered back to it. mqtt.max_unsent_bytes is 1 GiB, so no
delivery is dropped or held back. The broker counts a PUBLISH when it reads it
(mqtt_messages_published_total): with a connection cap of 64 KiB it reads no more
than the socket buffers and the cap hold, with the default (8 MiB) at least
8 MiB's worth. A paho client is served meanwhile. Then the raw client reads:
every message comes back, in order. With a keep-alive, the connection outlives a
stop longer than 1.5 times it: the client's packets wait unread in the socket,
so the broker pauses the keep-alive while it does not read."""

import struct
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from mockforge_harness import Mockforge
from slow_reader import kernel_send_buffer_max, metric_sum, read_exactly, settled, slow_socket

TOPIC = "loop"
COUNT = 1500
SIZE = 16 * 1024
SMALL_CAP = 64 << 10
DEFAULT_CAP = 8 << 20
RECEIVE_BUFFER = 16 << 10


def remaining_length(length):
    out = b""
    while True:
        byte = length & 0x7F
        length >>= 7
        out += bytes([byte | (0x80 if length else 0)])
        if not length:
            return out


def mqtt_string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def packet(first_byte, body):
    return bytes([first_byte]) + remaining_length(len(body)) + body


def publish(sequence):
    payload = struct.pack(">I", sequence) + b"x" * (SIZE - 4)
    return packet(0x30, mqtt_string(TOPIC) + payload)


class RawMqtt:
    def __init__(self, port):
        self.sock = slow_socket(port, RECEIVE_BUFFER)

    def read(self, count):
        return read_exactly(self.sock, count)

    def receive(self):
        """The next packet: (first byte, body)."""
        first = self.read(1)[0]
        length, shift = 0, 0
        while True:
            byte = self.read(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first, self.read(length)


class ConnectionUnsentCap(unittest.TestCase):
    def published(self, mf):
        return metric_sum(mf, r"mqtt_messages_published_total\{[^}]*\}")

    def settled_count(self, mf):
        return settled(lambda: self.published(mf))

    def run_flood(self, env, keep_alive=0, stall=0):
        with Mockforge("--no-kafka", "--no-amqp",
                       env={"MOCKFORGE_MQTT_MAX_UNSENT_BYTES": "1GiB", **env}) as mf:
            port = mf.ports["mqtt"]
            raw = RawMqtt(port)
            self.addCleanup(raw.sock.close)
            connect = (mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack(">H", keep_alive) +
                       mqtt_string("raw-flooder"))
            raw.sock.sendall(packet(0x10, connect))
            self.assertEqual(raw.receive(), (0x20, b"\x00\x00"))
            raw.sock.sendall(packet(0x82, struct.pack(">H", 1) + mqtt_string(TOPIC) + b"\x00"))
            self.assertEqual(raw.receive(), (0x90, b"\x00\x01\x00"))

            sender = threading.Thread(
                target=lambda: raw.sock.sendall(b"".join(publish(i) for i in range(COUNT))),
                daemon=True)
            sender.start()
            mf.wait_until(lambda: self.published(mf) > 0, "a PUBLISH read")
            read = self.settled_count(mf)

            # Another client is served meanwhile: a round trip through the broker.
            got = threading.Event()
            other = mqtt.Client(client_id="bystander", protocol=mqtt.MQTTv311)
            other.on_message = lambda _c, _u, message: got.set()
            other.connect("127.0.0.1", port)
            other.loop_start()
            result, _ = other.subscribe("bystander", qos=1)
            self.assertEqual(result, 0)
            time.sleep(0.2)
            other.publish("bystander", b"served meanwhile", qos=1).wait_for_publish(10)
            self.assertTrue(got.wait(10), "the bystander's message did not come back")
            other.loop_stop()
            other.disconnect()
            time.sleep(stall)

            # With a keep-alive, PINGREQs follow the flood while the client reads.
            stop = threading.Event()

            def ping():
                sender.join()
                while keep_alive and not stop.wait(keep_alive / 2):
                    raw.sock.sendall(b"\xc0\x00")

            pinger = threading.Thread(target=ping, daemon=True)
            pinger.start()
            self.addCleanup(stop.set)

            # Reading again, the flooder gets all its messages back, in order.
            sequences = []
            while len(sequences) < COUNT:
                first, body = raw.receive()
                if first == 0xD0:  # PINGRESP
                    continue
                self.assertEqual(first, 0x30)
                topic_length = struct.unpack(">H", body[:2])[0]
                self.assertEqual(body[2:2 + topic_length].decode(), TOPIC)
                payload = body[2 + topic_length:]
                self.assertEqual(len(payload), SIZE)
                sequences.append(struct.unpack(">I", payload[:4])[0])
            self.assertEqual(sequences, list(range(COUNT)))
            sender.join(30)
            self.assertFalse(sender.is_alive())
            return read

    def test_small_cap_stops_reading(self):
        read = self.run_flood({"MOCKFORGE_MQTT_MAX_CONNECTION_UNSENT_BYTES": "64KiB"})
        absorbed = kernel_send_buffer_max() + 2 * RECEIVE_BUFFER + SMALL_CAP
        bound = absorbed // SIZE + 2
        print(f"64KiB cap: read {read} of {COUNT} PUBLISHes (bound {bound})")
        self.assertLessEqual(read, bound)

    def test_keep_alive_is_paused_while_reading_is_stopped(self):
        # Keep-alive 1 s: a client silent for 1.5 s is closed. Here reading stays stopped for
        # over 5 s (the count settling, the bystander, the stall), and the client gets every
        # message back.
        read = self.run_flood({"MOCKFORGE_MQTT_MAX_CONNECTION_UNSENT_BYTES": "64KiB"},
                              keep_alive=1, stall=3)
        self.assertLess(read, COUNT)

    def test_default_cap_reads_more(self):
        read = self.run_flood({})
        print(f"8MiB cap: read {read} of {COUNT} PUBLISHes")
        self.assertGreaterEqual(read, DEFAULT_CAP // (SIZE + 16))
        self.assertLess(read, COUNT)


if __name__ == "__main__":
    unittest.main()
