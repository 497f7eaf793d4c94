"""More real clients over the TLS listeners: amqplib over amqps:// (PLAIN, and EXTERNAL with a
client certificate) and MQTT.js over wss:// (tls_clients_test.js, node), Eclipse Paho C over
ssl:// (MQTTAsync, libpaho-mqtt3as; MQTT 3.1.1 and 5, with a client certificate), and
rabbitmq-c through amqp-tools (`amqp-publish` / `amqp-get` with --ssl --cacert, and with
--cert/--key)."""

import os
import shutil
import subprocess
import tempfile
import unittest

from mockforge_harness import Mockforge
from test_tls import generate_certs, tls_args

CONFIG = """
tls:
  client_auth: optional
amqp:
  auth_mechanisms: [PLAIN, AMQPLAIN, EXTERNAL]
  users: ["guest:guest", "CN=mockforge-client,O=mockforge test:unused"]
"""


class TlsClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        generate_certs(cls.certs)
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.client_cert = os.path.join(cls.certs, "client.pem")
        cls.client_key = os.path.join(cls.certs, "client-key.pem")
        path = os.path.join(cls.certs, "mockforge.yaml")
        with open(path, "w") as f:
            f.write(CONFIG)
        cls.mf = Mockforge(*tls_args(cls.certs, "--config", path))

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def test_amqplib_amqps_and_mqttjs_wss(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls_clients_test.js")
        done = subprocess.run(["node", script, str(self.mf.ports["amqp_tls"]),
                               str(self.mf.ports["mqtt_wss"]), self.certs],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + self.mf.output()[-3000:])
        self.assertIn("amqplib amqps ok", done.stdout)
        self.assertIn("mqttjs wss ok", done.stdout)

    @unittest.skipUnless(os.environ.get("PAHO_C_SSL_CLIENT"), "libpaho-mqtt3as not found")
    def test_paho_c_over_ssl(self):
        env = {**os.environ, "PAHO_C_CAFILE": self.ca}
        uri = f"ssl://localhost:{self.mf.ports['mqtt_tls']}"
        for version in ("4", "5"):
            with self.subTest(version=version):
                done = subprocess.run([os.environ["PAHO_C_SSL_CLIENT"], uri, version, "roundtrip",
                                       f"tls/pahoc{version}"],
                                      capture_output=True, text=True, timeout=60, env=env)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                received = sorted(line for line in done.stdout.splitlines()
                                  if line.startswith("recv "))
                self.assertEqual(len(received), 3, done.stdout)
        # With a client certificate as well.
        env.update(PAHO_C_CERT=self.client_cert, PAHO_C_KEY=self.client_key)
        done = subprocess.run([os.environ["PAHO_C_SSL_CLIENT"], uri, "5", "connect", "-", "-"],
                              capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(done.stdout.strip(), "connack 0", done.stderr)

    def amqp_tool(self, tool, *args):
        url = f"amqps://guest:guest@localhost:{self.mf.ports['amqp_tls']}"
        return subprocess.run([tool, "--url", url, "--ssl", "--cacert", self.ca, *args],
                              capture_output=True, timeout=60)

    def test_amqp_tools_over_ssl(self):
        done = self.amqp_tool("amqp-declare-queue", "-q", "tls.tools")
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.amqp_tool("amqp-publish", "-r", "tls.tools", "-b", "over ssl")
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.amqp_tool("amqp-publish", "-r", "tls.tools", "-b", "with a certificate",
                              "--cert", self.client_cert, "--key", self.client_key)
        self.assertEqual(done.returncode, 0, done.stderr)
        bodies = []
        for _ in range(2):
            done = self.amqp_tool("amqp-get", "-q", "tls.tools")
            self.assertEqual(done.returncode, 0, done.stderr)
            bodies.append(done.stdout)
        self.assertEqual(bodies, [b"over ssl", b"with a certificate"])

    def test_amqp_tools_refuse_an_unverified_server(self):
        other = tempfile.mkdtemp(prefix="mockforge-other-ca-")
        self.addCleanup(shutil.rmtree, other, True)
        generate_certs(other)
        done = subprocess.run(["amqp-publish", "--url",
                               f"amqps://guest:guest@localhost:{self.mf.ports['amqp_tls']}",
                               "--ssl", "--cacert", os.path.join(other, "ca.pem"), "-r", "x",
                               "-b", "x"], capture_output=True, timeout=60)
        # rabbitmq-c reports a failed verification as a failure to open the socket.
        self.assertIn(b"opening socket", done.stderr)
        self.assertNotEqual(done.returncode, 0)


if __name__ == "__main__":
    unittest.main()
