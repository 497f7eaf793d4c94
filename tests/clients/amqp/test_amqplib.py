"""Runs amqplib_test.js (node) against the real mockforge binary."""

import os
import subprocess
import tempfile
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

    def test_users_vhosts_and_update_secret(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "mockforge.yaml")
            with open(config, "w") as f:
                f.write('amqp:\n  users: ["guest:guest", "admin:s3cret"]\n'
                        '  vhosts: ["/", "v2"]\n')
            with Mockforge("--config", config) as server:
                script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "amqplib_access_test.js")
                result = subprocess.run(["node", script, str(server.ports["amqp"])],
                                        capture_output=True, timeout=60)
                self.assertEqual(result.returncode, 0,
                                 result.stdout.decode() + result.stderr.decode() + server.output())
                self.assertIn(b"amqplib access ok", result.stdout)


if __name__ == "__main__":
    unittest.main()
