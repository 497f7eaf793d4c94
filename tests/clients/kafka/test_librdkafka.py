"""Runs the librdkafka C-API round-trip program against a mockforge server."""

import os
import subprocess
import unittest

from kafka_test_base import KafkaTestCase


class LibrdkafkaTest(KafkaTestCase):
    def test_every_codec_round_trips_with_idempotence(self):
        result = subprocess.run([os.environ["LIBRDKAFKA_ROUNDTRIP_BIN"], self.bootstrap],
                                capture_output=True, timeout=240)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            self.assertIn(f"{codec}: 500 messages round-tripped", result.stdout.decode())

    def test_admin_api(self):
        result = subprocess.run([os.environ["LIBRDKAFKA_ADMIN_BIN"], self.bootstrap],
                                capture_output=True, timeout=120)
        out = result.stdout.decode()
        self.assertEqual(result.returncode, 0, out + result.stderr.decode(errors="replace"))
        for step in ["create topics (unknown config refused", "describe and alter configs",
                     "create partitions (3)", "delete records (low watermark 6",
                     "list and describe consumer groups", "delete topics"]:
            self.assertIn("ok: " + step, out)


if __name__ == "__main__":
    unittest.main()
