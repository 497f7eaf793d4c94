"""Runs the rabbitmq-c client program against the real mockforge binary."""

import os
import subprocess
import unittest

from mockforge_harness import Mockforge


class RabbitmqCTest(unittest.TestCase):
    def test_publish_consume_reject_ack(self):
        with Mockforge() as server:
            result = subprocess.run([os.environ["RABBITMQ_C_CLIENT"], str(server.ports["amqp"])],
                                    capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr.decode() + server.output())
            self.assertEqual(result.stdout, b"rabbitmq-c ok\n")


if __name__ == "__main__":
    unittest.main()
