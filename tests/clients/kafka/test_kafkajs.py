"""Runs the KafkaJS script (node) against a mockforge server."""

import os
import subprocess
import unittest

from kafka_test_base import KafkaTestCase

CLIENTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class KafkaJsTest(KafkaTestCase):
    def test_kafkajs_admin_producer_consumer_group(self):
        result = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs_test.js"),
             self.bootstrap], capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs ok", result.stdout.decode())

    def test_kafkajs_admin_configs_partitions_records(self):
        result = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "kafkajs_admin_test.js"), self.bootstrap],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs admin ok", result.stdout.decode())

    def test_kafkajs_transactions(self):
        result = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "kafkajs_transactions_test.js"), self.bootstrap],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs transactions ok", result.stdout.decode())


if __name__ == "__main__":
    unittest.main()
