"""Eclipse Paho C (Debian libpaho-mqtt-dev, the MQTTAsync API) for MQTT 3.1.1
and 5: connect, QoS 0/1/2 round trip, retained, will, and the reason codes
of authentication and the ACL. The C program is paho_c_client.c."""

import os
import subprocess
import tempfile
import unittest

from mqtt_support import MqttTestCase

CLIENT = os.environ.get("PAHO_C_CLIENT", "paho_c_client")
TIMEOUT = 30


class PahoC(MqttTestCase):
    def run_client(self, version, *args):
        uri = f"tcp://127.0.0.1:{self.port}"
        result = subprocess.run([CLIENT, uri, str(version), *args], capture_output=True,
                                text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr + self.mf.output()[-2000:])
        return result.stdout.splitlines()

    def test_qos_round_trip(self):
        for version in (4, 5):
            with self.subTest(version=version):
                self.assertEqual(self.run_client(version, "roundtrip", f"pahoc/{version}"), [
                    f"recv pahoc/{version}/q{qos} {qos} payload-{qos} retained=0 dup=0"
                    for qos in range(3)])

    def test_retained(self):
        for version in (4, 5):
            with self.subTest(version=version):
                self.assertEqual(self.run_client(version, "retained", f"pahoc/{version}/kept"),
                                 [f"recv pahoc/{version}/kept 1 kept retained=1 dup=0"])

    def test_will_on_abnormal_close(self):
        uri = f"tcp://127.0.0.1:{self.port}"
        for version in (4, 5):
            with self.subTest(version=version):
                topic = f"pahoc/wills/{version}"
                watcher = subprocess.Popen([CLIENT, uri, str(version), "expect", topic],
                                           stdout=subprocess.PIPE, text=True)
                self.assertEqual(watcher.stdout.readline().strip(), "subscribed")
                dying = subprocess.Popen([CLIENT, uri, str(version), "will", topic],
                                         stdout=subprocess.PIPE, text=True)
                self.assertEqual(dying.stdout.readline().strip(), "connected")
                dying.kill()  # no DISCONNECT: the will goes out
                dying.wait()
                out, _ = watcher.communicate(timeout=TIMEOUT)
                self.assertEqual(watcher.returncode, 0)
                self.assertEqual(out.strip(), f"recv {topic} 1 paho-c gone retained=0 dup=0")


class PahoCAuth(MqttTestCase):
    @classmethod
    def setUpClass(cls):
        directory = tempfile.mkdtemp(prefix="mockforge-pahoc-")
        config = os.path.join(directory, "mockforge.yaml")
        with open(config, "w") as f:
            f.write('mqtt:\n'
                    '  auth_enabled: true\n'
                    '  users: ["alice:secret"]\n'
                    '  acl: ["user alice", "topic readwrite sensors/#", "topic read alerts"]\n')
        cls.extra_args = ("--config", config)
        super().setUpClass()

    run_client = PahoC.run_client

    def test_connect_codes(self):
        self.assertEqual(self.run_client(4, "connect", "alice", "secret"), ["connack 0"])
        self.assertEqual(self.run_client(5, "connect", "alice", "secret"), ["connack 0"])
        # Bad credentials: 0x05 (3.1.1), 0x86 Bad User Name or Password (v5).
        self.assertEqual(self.run_client(4, "connect", "alice", "wrong"), ["connack 5"])
        self.assertEqual(self.run_client(5, "connect", "alice", "wrong"), ["connack 134"])
        # No credentials: 0x05 (3.1.1), 0x87 Not authorized (v5).
        self.assertEqual(self.run_client(4, "connect", "-", "-"), ["connack 5"])
        self.assertEqual(self.run_client(5, "connect", "-", "-"), ["connack 135"])

    def test_subscription_codes(self):
        self.assertEqual(self.run_client(5, "suback", "alice", "secret", "sensors/#", "secrets/#"),
                         ["suback sensors/# 1", "suback secrets/# 135"])
        self.assertEqual(self.run_client(4, "suback", "alice", "secret", "sensors/#", "secrets/#"),
                         ["suback sensors/# 1", "suback secrets/# 128"])

    def test_publish_codes(self):
        # v5: PUBACK / PUBREC 0x87 for a topic alice may not write.
        self.assertEqual(self.run_client(5, "puback", "alice", "secret", "alerts", "1"),
                         ["puback 135"])
        self.assertEqual(self.run_client(5, "puback", "alice", "secret", "alerts", "2"),
                         ["puback 135"])
        # Allowed (0x10 No matching subscribers on the wire, which Paho C 1.3
        # reports as plain success).
        self.assertIn(self.run_client(5, "puback", "alice", "secret", "sensors/x", "1"),
                      (["puback 0"], ["puback 16"]))
        # 3.1.1 cannot say no: acknowledged, and dropped.
        self.assertEqual(self.run_client(4, "puback", "alice", "secret", "alerts", "1"),
                         ["puback 0"])


if __name__ == "__main__":
    unittest.main()
