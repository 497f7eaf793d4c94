"""kafka.max_inflight_requests: a connection with that many unanswered requests
is not read further until one is answered; other connections go on.

A raw client pipelines five long-polling Fetches (30 s max wait) at the end of
an empty topic and reads nothing. The broker counts a request when it reads it
(kafka_requests_total{api="Fetch"}): with a cap of 2 it reads two and holds the
rest in the socket, with the default (16) all five. A confluent-kafka producer
then produces to the topic meanwhile, which answers the waiting Fetches; the
held ones are read next, and all five answers come back in order."""

import re
import struct
import time
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kafka_wire import Cursor, RawClient, string
from mockforge_harness import Mockforge

PIPELINED = 5
TOPIC = "inflight"


def fetch_v4(topic, offset, max_wait_ms):
    body = struct.pack(">iiiib", -1, max_wait_ms, 1, 1 << 20, 0)
    body += struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", 0, offset, 1 << 20)
    return body


def fetched_records_bytes(data):
    """The record bytes a single-partition Fetch v4 answer carries."""
    cursor = Cursor(data)
    cursor.int32()  # throttle
    assert cursor.int32() == 1
    assert cursor.string() == TOPIC
    assert cursor.int32() == 1
    partition, error = cursor.int32(), cursor.int16()
    assert (partition, error) == (0, 0), (partition, error)
    cursor.int64()  # high watermark
    cursor.int64()  # last stable offset
    aborted = cursor.int32()
    cursor.pos += max(aborted, 0) * 16
    return cursor.int32()


class InflightCap(unittest.TestCase):
    def fetches_read(self, mf):
        status, _, body = mf.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        match = re.search(r'^kafka_requests_total\{api="Fetch"\} ([0-9.e+]+)$', body, re.M)
        return int(float(match.group(1))) if match else 0

    def run_pipeline(self, env, expect_read):
        with Mockforge("--no-mqtt", "--no-amqp", env=env) as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            admin = AdminClient({"bootstrap.servers": bootstrap})
            admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(timeout=10)

            raw = RawClient(mf.ports["kafka"])
            self.addCleanup(raw.close)
            raw.sock.settimeout(60)
            sent = [raw.send(1, 4, fetch_v4(TOPIC, 0, 30000)) for _ in range(PIPELINED)]
            mf.wait_until(lambda: self.fetches_read(mf) >= expect_read,
                          f"{expect_read} Fetches read")
            # The rest stay unread while the first ones wait for data (checked after a
            # pause: a broker that read them would have counted them by then).
            time.sleep(0.5)
            self.assertEqual(self.fetches_read(mf), expect_read)

            # Another client is unaffected: it produces, which answers the waiting Fetches.
            producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
            producer.produce(TOPIC, b"wakes the fetches")
            self.assertEqual(producer.flush(20), 0)

            answers = [raw.receive() for _ in range(PIPELINED)]
            self.assertEqual([correlation for correlation, _ in answers], sent)
            for _, data in answers:
                self.assertGreater(fetched_records_bytes(data), 0)
            self.assertEqual(self.fetches_read(mf), PIPELINED)

    def test_small_cap_stops_reading(self):
        self.run_pipeline({"MOCKFORGE_KAFKA_MAX_INFLIGHT_REQUESTS": "2"}, 2)

    def test_default_cap_reads_them_all(self):
        self.run_pipeline(None, PIPELINED)


if __name__ == "__main__":
    unittest.main()
