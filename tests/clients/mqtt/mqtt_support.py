"""Helpers shared by the MQTT client suites: a mockforge per test class and
waiting on broker metrics instead of sleeping."""

import re
import time
import unittest

from mockforge_harness import Mockforge


class MqttTestCase(unittest.TestCase):
    extra_args = ()
    env = None

    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(*cls.extra_args, env=cls.env)
        cls.port = cls.mf.ports["mqtt"]
        cls.ws_port = cls.mf.ports["mqtt_ws"]

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def metric(self, name, labels=""):
        status, _, body = self.mf.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        pattern = re.escape(name + (("{" + labels + "}") if labels else "")) + r" ([0-9.e+]+)$"
        for line in body.splitlines():
            match = re.match(pattern, line)
            if match:
                return float(match.group(1))
        return 0.0

    def wait_for(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.01)
        self.fail(f"timed out waiting for {what}\n{self.mf.output()[-3000:]}")

    def wait_idle(self):
        """Until the broker has seen every earlier client go."""
        self.wait_for(lambda: self.metric("mqtt_clients_connected") == 0, "no clients connected")

    def wait_subscriptions(self, at_least):
        self.wait_for(lambda: self.metric("mqtt_subscriptions") >= at_least,
                      f"{at_least} subscriptions")
