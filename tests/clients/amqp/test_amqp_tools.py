"""The rabbitmq-c command line tools (Debian amqp-tools) against the real binary."""

import subprocess
import unittest

from mockforge_harness import Mockforge


class AmqpToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge()
        cls.url = f"amqp://guest:guest@127.0.0.1:{cls.server.ports['amqp']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def run_tool(self, *args, stdin=None):
        result = subprocess.run([*args, "--url", self.url], input=stdin, capture_output=True,
                                timeout=20)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result.stdout

    def test_declare_publish_get_consume(self):
        self.assertEqual(self.run_tool("amqp-declare-queue", "-q", "tools.q").strip(), b"tools.q")
        self.run_tool("amqp-publish", "-r", "tools.q", "-b", "first", "-C", "text/plain")
        self.run_tool("amqp-publish", "-r", "tools.q", "-b", "second")
        self.run_tool("amqp-publish", "-r", "tools.q", "-b", "")
        self.assertEqual(self.run_tool("amqp-get", "-q", "tools.q"), b"first")
        out = self.run_tool("amqp-consume", "-q", "tools.q", "-c", "2", "cat")
        self.assertEqual(out, b"second")
        # The queue is now empty: amqp-get exits non-zero on get-empty.
        result = subprocess.run(["amqp-get", "-q", "tools.q", "--url", self.url],
                                capture_output=True, timeout=20)
        self.assertNotEqual(result.returncode, 0)

    def test_consume_through_an_exchange_binding(self):
        proc = subprocess.Popen(["amqp-consume", "--url", self.url, "-q", "tools.bound", "-e",
                                 "amq.topic", "-r", "logs.#", "-c", "1", "cat"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # The binding exists once the consumer is in; publish until it gets one.
            for _ in range(200):
                self.run_tool("amqp-publish", "-e", "amq.topic", "-r", "logs.app.error",
                              "-b", "boom")
                try:
                    out, err = proc.communicate(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.fail("amqp-consume received nothing")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(out, b"boom", err.decode())


if __name__ == "__main__":
    unittest.main()
