"""Shared setup for the Kafka real-client tests: one mockforge serve per test class."""

import os
import subprocess
import unittest

from mockforge_harness import Mockforge


class KafkaTestCase(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp")
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.close()

    def metrics(self):
        status, _, body = self.server.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        return body

    def kcat(self, *args, stdin=None, timeout=30):
        result = subprocess.run(["kcat", "-b", self.bootstrap, *args], input=stdin,
                                capture_output=True, timeout=timeout)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result.stdout.decode()
