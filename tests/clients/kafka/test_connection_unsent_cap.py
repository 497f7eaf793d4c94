"""kafka.max_connection_unsent_bytes: past that many bytes of answers unsent, a
connection is not read further (requests already read wait too) until half of
them are sent; other connections go on.

A raw client with a small receive buffer pipelines Metadata requests for a
topic of 10,000 partitions (each answer about 260 KB) and reads nothing. The
broker counts a request when it reads it (kafka_requests_total{api="Metadata"}).
With a cap of 64 KiB it reads no more than the socket buffers and the cap hold
(the kernel's send buffer is at most tcp_wmem's maximum) and its resident memory
stays about what it was; with the default (8 MiB) it reads at least 8 MiB of
answers' worth. A confluent-kafka producer is served meanwhile. Then the raw
client reads: every answer arrives, in order, and every request was read. The
small cap is checked on the SSL listener (kafka.tls_port) too."""

import os
import re
import shutil
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kafka_wire import Cursor, RawClient, string
from mockforge_harness import BIN, Mockforge
from slow_reader import kernel_send_buffer_max, metric_sum, settled, slow_socket

TOPIC = "wide"
PARTITIONS = 10000
PIPELINED = 200
SMALL_CAP = 64 << 10
DEFAULT_CAP = 8 << 20
RECEIVE_BUFFER = 16 << 10
RSS_BOUND = 32 << 20  # below the ~52 MB of all PIPELINED answers


def metadata_v1(topic):
    return struct.pack(">i", 1) + string(topic)


def partitions_in(data):
    """The partition count of the single topic of a Metadata v1 answer."""
    cursor = Cursor(data)
    for _ in range(cursor.int32()):  # brokers
        cursor.int32()
        cursor.string()
        cursor.int32()
        cursor.string()  # rack
    cursor.int32()  # controller
    assert cursor.int32() == 1
    assert cursor.int16() == 0
    assert cursor.string() == TOPIC
    cursor.int8()  # internal
    return cursor.int32()


def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        match = re.search(r"^VmRSS:\s+(\d+) kB$", f.read(), re.M)
    return int(match.group(1)) << 10


class SlowRawClient(RawClient):
    """A RawClient whose socket has a small receive buffer, set before connecting
    (so the window the broker sees stays small)."""

    def __init__(self, port, ca_file=None):
        self.sock = slow_socket(port, RECEIVE_BUFFER)
        if ca_file:
            context = ssl.create_default_context(cafile=ca_file)
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.correlation = 0


class ConnectionUnsentCap(unittest.TestCase):
    def metadata_read(self, mf):
        return metric_sum(mf, r'kafka_requests_total\{api="Metadata"\}')

    def settled_count(self, mf):
        """The Metadata requests read, once that count stops moving."""
        return settled(lambda: self.metadata_read(mf))

    def run_pipeline(self, env, tls=False):
        args = ["--no-mqtt", "--no-amqp"]
        ca_file = None
        if tls:
            certs = tempfile.mkdtemp(prefix="mockforge-certs-")
            self.addCleanup(shutil.rmtree, certs, True)
            done = subprocess.run([BIN, "certs", "generate", certs], capture_output=True,
                                  text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            args += ["--kafka-tls-port", "0",
                     "--tls-cert-file", os.path.join(certs, "server.pem"),
                     "--tls-key-file", os.path.join(certs, "server-key.pem")]
            ca_file = os.path.join(certs, "ca.pem")
        # Under AddressSanitizer, freed blocks wait in a quarantine of 256 MiB, which the
        # Metadata answers' temporaries fill: a small one keeps VmRSS about what the broker
        # holds (as tests/soak/load.py does).
        asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=4")
                        if o)
        env = {**(env or {}), "ASAN_OPTIONS": asan}
        with Mockforge(*args, env=env) as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            admin = AdminClient({"bootstrap.servers": bootstrap})
            admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(timeout=30)

            raw = SlowRawClient(mf.ports["kafka_tls" if tls else "kafka"], ca_file)
            self.addCleanup(raw.close)
            # One answer, read: its size, and the broker's memory with it sent.
            first = raw.request(3, 1, metadata_v1(TOPIC))
            self.assertEqual(partitions_in(first), PARTITIONS)
            answer_bytes = len(first) + 8
            time.sleep(0.5)
            before = self.settled_count(mf)
            rss_before = resident_bytes(mf.proc.pid)

            sent = [raw.send(3, 1, metadata_v1(TOPIC)) for _ in range(PIPELINED)]
            mf.wait_until(lambda: self.metadata_read(mf) > before, "a pipelined Metadata read")
            read = self.settled_count(mf) - before
            rss_growth = resident_bytes(mf.proc.pid) - rss_before

            # Another client is served meanwhile.
            producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
            producer.produce("other", b"served meanwhile")
            self.assertEqual(producer.flush(20), 0)
            after_other = self.metadata_read(mf)

            answers = [raw.receive() for _ in range(PIPELINED)]
            self.assertEqual([correlation for correlation, _ in answers], sent)
            self.assertEqual(partitions_in(answers[0][1]), PARTITIONS)
            self.assertEqual(partitions_in(answers[-1][1]), PARTITIONS)
            for _, data in answers:
                self.assertEqual(len(data) + 8, answer_bytes)
            self.assertEqual(self.metadata_read(mf) - after_other, PIPELINED - read)
            del producer, admin  # closed before the broker stops
            return read, answer_bytes, rss_growth

    def test_small_cap_stops_reading(self):
        read, answer_bytes, rss_growth = self.run_pipeline(
            {"MOCKFORGE_KAFKA_MAX_CONNECTION_UNSENT_BYTES": "64KiB"})
        # What the kernel can take (its send buffer, the client's receive buffer,
        # doubled by the kernel) plus the cap, then one answer past it.
        absorbed = kernel_send_buffer_max() + 2 * RECEIVE_BUFFER + SMALL_CAP
        bound = absorbed // answer_bytes + 2
        print(f"64KiB cap: read {read} of {PIPELINED} pipelined ({answer_bytes} bytes each, "
              f"bound {bound}), resident memory grew {rss_growth} bytes")
        self.assertGreaterEqual(read, 1)
        self.assertLessEqual(read, bound)
        self.assertLess(read, PIPELINED)
        # Unbounded, the broker would hold PIPELINED answers (about 52 MB); the bound leaves
        # room for AddressSanitizer's allocator and its 4 MiB quarantine.
        self.assertLess(rss_growth, RSS_BOUND)

    def test_small_cap_stops_reading_over_tls(self):
        read, answer_bytes, rss_growth = self.run_pipeline(
            {"MOCKFORGE_KAFKA_MAX_CONNECTION_UNSENT_BYTES": "64KiB"}, tls=True)
        # As in plain, and one answer more for what TLS buffers and its records add.
        absorbed = kernel_send_buffer_max() + 2 * RECEIVE_BUFFER + SMALL_CAP
        bound = absorbed // answer_bytes + 3
        print(f"64KiB cap, TLS: read {read} of {PIPELINED} pipelined (bound {bound}), "
              f"resident memory grew {rss_growth} bytes")
        self.assertLessEqual(read, bound)
        self.assertLess(rss_growth, RSS_BOUND)

    def test_default_cap_reads_more(self):
        read, answer_bytes, rss_growth = self.run_pipeline(None)
        print(f"8MiB cap: read {read} of {PIPELINED} pipelined ({answer_bytes} bytes each), "
              f"resident memory grew {rss_growth} bytes")
        self.assertGreaterEqual(read, DEFAULT_CAP // answer_bytes)
        self.assertLess(read, PIPELINED)


if __name__ == "__main__":
    unittest.main()
