"""Runs the librdkafka C-API round-trip program against a mockforge server."""

import os
import subprocess
import unittest

from kafka_test_base import KafkaTestCase

MESSAGES = 100_000


class LibrdkafkaTest(KafkaTestCase):
    def test_every_codec_round_trips_with_idempotence(self):
        # 100k messages per codec, as the issue asks; each is checked by key, value and offset.
        result = subprocess.run([os.environ["LIBRDKAFKA_ROUNDTRIP_BIN"], self.bootstrap,
                                 str(MESSAGES)], capture_output=True, timeout=280)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            self.assertIn(f"{codec}: {MESSAGES} messages round-tripped", result.stdout.decode())

    def test_admin_api(self):
        result = subprocess.run([os.environ["LIBRDKAFKA_ADMIN_BIN"], self.bootstrap],
                                capture_output=True, timeout=120)
        out = result.stdout.decode()
        self.assertEqual(result.returncode, 0, out + result.stderr.decode(errors="replace"))
        for step in ["create topics (invalid config refused", "describe and alter configs",
                     "create partitions (3)", "delete records (low watermark 6",
                     "list and describe consumer groups", "delete topics"]:
            self.assertIn("ok: " + step, out)


if __name__ == "__main__":
    unittest.main()
