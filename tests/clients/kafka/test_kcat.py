"""kcat (librdkafka 2.0.2, Debian) against mockforge: metadata, produce, consume, groups."""

import json
import subprocess
import time
import unittest

from kafka_test_base import KafkaTestCase


class KcatTest(KafkaTestCase):
    def test_metadata_lists_this_broker_and_auto_created_topic(self):
        # Producing one message auto-creates the topic (kafka.auto_create_topics).
        self.kcat("-P", "-t", "kcat-meta", stdin=b"one\n")
        listing = json.loads(self.kcat("-L", "-J", "-t", "kcat-meta"))
        self.assertEqual(len(listing["brokers"]), 1)
        self.assertEqual(listing["brokers"][0]["id"], 0)
        self.assertEqual(listing["brokers"][0]["name"], self.bootstrap)
        [topic] = listing["topics"]
        self.assertEqual(topic["topic"], "kcat-meta")
        self.assertEqual(len(topic["partitions"]), 1)
        self.assertEqual(topic["partitions"][0]["leader"], 0)

    def test_produce_then_consume_returns_messages_with_offsets_and_keys(self):
        lines = b"".join(b"k%d:value-%d\n" % (i, i) for i in range(50))
        self.kcat("-P", "-t", "kcat-pc", "-K:", stdin=lines)
        out = self.kcat("-C", "-t", "kcat-pc", "-e", "-o", "beginning", "-f", "%o %k %s\n")
        got = out.strip().split("\n")
        self.assertEqual(got, [f"{i} k{i} value-{i}" for i in range(50)])

    def test_consume_from_offset_and_compression(self):
        for codec in ["gzip", "snappy", "lz4", "zstd"]:
            topic = f"kcat-{codec}"
            self.kcat("-P", "-t", topic, "-z", codec, stdin=b"a\nb\nc\n")
            out = self.kcat("-C", "-t", topic, "-e", "-o", "1", "-f", "%o=%s\n")
            self.assertEqual(out.split(), ["1=b", "2=c"], codec)

    def test_consume_by_timestamp(self):
        self.kcat("-P", "-t", "kcat-ts", stdin=b"early\n")
        time.sleep(0.05)
        middle = int(time.time() * 1000)
        time.sleep(0.05)
        self.kcat("-P", "-t", "kcat-ts", stdin=b"late\n")
        out = self.kcat("-C", "-t", "kcat-ts", "-e", "-o", f"s@{middle}", "-f", "%s\n")
        self.assertEqual(out.split(), ["late"])

    def test_group_consumer_gets_everything_then_resumes_from_commit(self):
        self.kcat("-P", "-t", "kcat-group", stdin=b"".join(b"m%d\n" % i for i in range(10)))
        # -G balanced consumer; -e exits at the end of the partitions; offsets are committed.
        out = self.kcat("-G", "kcat-g1", "kcat-group", "-e", "-f", "%s\n",
                        "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true",
                        "-X", "auto.commit.interval.ms=100")
        self.assertEqual(out.split(), [f"m{i}" for i in range(10)])
        self.kcat("-P", "-t", "kcat-group", stdin=b"m10\nm11\n")
        out = self.kcat("-G", "kcat-g1", "kcat-group", "-e", "-f", "%s\n",
                        "-X", "auto.offset.reset=earliest")
        self.assertEqual(out.split(), ["m10", "m11"])
        self.assertIn('kafka_consumer_lag{group="kcat-g1",topic="kcat-group",partition="0"} 0',
                      self.metrics())

    def test_unknown_topic_without_auto_create_is_reported(self):
        result = subprocess.run(
            ["kcat", "-b", self.bootstrap, "-L", "-J", "-t", "bad topic name!"],
            capture_output=True, timeout=30)
        listing = json.loads(result.stdout.decode() or "{}")
        [topic] = listing["topics"]
        self.assertIn("error", topic)


if __name__ == "__main__":
    unittest.main()
