"""Runs amqplib_test.js (node) against the real mockforge binary."""

import os
import subprocess
import unittest

from mockforge_harness import Mockforge


class AmqplibTest(unittest.TestCase):
    def test_promise_and_callback_apis(self):
        with Mockforge() as server:
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "amqplib_test.js")
            result = subprocess.run(["node", script, str(server.ports["amqp"])],
                                    capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 0,
                             result.stdout.decode() + result.stderr.decode() + server.output())
            self.assertIn(b"amqplib ok", result.stdout)


if __name__ == "__main__":
    unittest.main()
