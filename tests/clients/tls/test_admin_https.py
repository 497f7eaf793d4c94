"""The admin API over HTTPS (admin.tls_port): curl --cacert, Python's ssl, the CLI's admin client
(`mockforge faults`, `mockforge tail`) with --admin-url https://... --cafile, the bearer token on
HTTPS, client certificates, certificate reload (admin call and SIGHUP), HTTPS only
(admin.tls_only), and openssl s_client refused below the minimum version. Certificates are made at
run time by `mockforge certs generate`."""

import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

from mockforge_harness import BIN, Mockforge
from test_tls import generate_certs

TOKEN = "admin-https-token"


def cert_args(certs, *extra):
    return ("--admin-tls-port", "0",
            "--tls-cert-file", os.path.join(certs, "server.pem"),
            "--tls-key-file", os.path.join(certs, "server-key.pem"),
            "--tls-ca-file", os.path.join(certs, "ca.pem"), *extra)


class HttpsCase(unittest.TestCase):
    extra_args = ()
    config = None

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        generate_certs(cls.certs)
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.client_cert = os.path.join(cls.certs, "client.pem")
        cls.client_key = os.path.join(cls.certs, "client-key.pem")
        extra = list(cls.extra_args)
        if cls.config:
            path = os.path.join(cls.certs, "mockforge.yaml")
            with open(path, "w") as f:
                f.write(cls.config)
            extra += ["--config", path]
        cls.mf = Mockforge(*cert_args(cls.certs, *extra))
        cls.https_port = cls.mf.ports["admin_tls"]
        cls.url = f"https://localhost:{cls.https_port}"

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def https(self, method, path, token=None, cert=True, context=None):
        if context is None:
            context = ssl.create_default_context(cafile=self.ca)
            if cert:
                context.load_cert_chain(self.client_cert, self.client_key)
        conn = http.client.HTTPSConnection("localhost", self.https_port, context=context,
                                           timeout=10)
        try:
            conn.request(method, path,
                         headers={"Authorization": f"Bearer {token}"} if token else {})
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", self.ca, *args],
                              capture_output=True, text=True, timeout=30)

    def cli(self, *args, timeout=30):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)

    def s_client(self, *args):
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.https_port}",
                               "-CAfile", self.ca, *args], input="", capture_output=True,
                              text=True, timeout=30)

    def metric(self, name):
        status, body = self.https("GET", "/__mockforge/metrics", token=TOKEN)
        self.assertEqual(status, 200, body)
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0


class AdminHttps(HttpsCase):
    """HTTPS beside the plain admin port, with a bearer token."""
    extra_args = ("--mqtt-tls-port", "0")
    config = f"admin:\n  token: {TOKEN}\n"

    def test_ready_file_names_both_admin_ports(self):
        self.assertIn("admin", self.mf.ports)
        self.assertIn("admin_tls", self.mf.ports)
        self.assertNotEqual(self.mf.ports["admin"], self.https_port)

    def test_curl_health_and_ready_without_a_token(self):
        for path in ("/__mockforge/health", "/__mockforge/ready"):
            done = self.curl("-w", " %{http_code}", self.url + path)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertTrue(done.stdout.endswith(" 200"), done.stdout)

    def test_curl_token_rules_hold_on_https(self):
        done = self.curl("-w", " %{http_code}", self.url + "/__mockforge/api/info")
        self.assertTrue(done.stdout.endswith(" 401"), done.stdout)
        done = self.curl("-w", " %{http_code}", "-H", "Authorization: Bearer wrong",
                         self.url + "/__mockforge/api/info")
        self.assertTrue(done.stdout.endswith(" 401"), done.stdout)
        done = self.curl("-H", f"Authorization: Bearer {TOKEN}", self.url + "/__mockforge/api/info")
        self.assertEqual(done.returncode, 0, done.stderr)
        info = json.loads(done.stdout)
        self.assertEqual(info["ports"]["admin_tls"], self.https_port)

    def test_curl_refuses_an_unknown_ca(self):
        done = subprocess.run(["curl", "-sS", "--max-time", "10", self.url + "/__mockforge/health"],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)

    def test_cli_faults_over_https(self):
        done = self.cli("faults", "add", "--admin-url", self.url, "--cafile", self.ca,
                        "--admin-token", TOKEN, "--protocol", "mqtt", "--packet", "publish",
                        "--action", "drop",
                        "--topic", "never/#", "--name", "https-rule")
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.cli("faults", "list", "--admin-url", self.url, "--cafile", self.ca,
                        "--admin-token", TOKEN)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("https-rule", done.stdout)
        done = self.cli("faults", "clear", "--admin-url", self.url, "--admin-cafile", self.ca,
                        "--admin-token", TOKEN)
        self.assertEqual(done.returncode, 0, done.stderr)
        # Without the token: the server's 401, on HTTPS as on HTTP.
        done = self.cli("faults", "list", "--admin-url", self.url, "--cafile", self.ca)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("--admin-token", done.stderr)

    def test_cli_checks_the_server_certificate(self):
        other = tempfile.mkdtemp(prefix="mockforge-other-ca-")
        self.addCleanup(shutil.rmtree, other, True)
        generate_certs(other)
        done = self.cli("faults", "list", "--admin-url", self.url, "--cafile",
                        os.path.join(other, "ca.pem"), "--admin-token", TOKEN)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("TLS handshake with localhost", done.stderr)
        self.assertIn("certificate", done.stderr)
        # TLS options with an http:// URL are refused, not ignored.
        done = self.cli("faults", "list", "--admin-url",
                        f"http://127.0.0.1:{self.mf.ports['admin']}", "--cafile", self.ca,
                        "--admin-token", TOKEN)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("https://", done.stderr)

    def test_cli_tail_over_https(self):
        tail = subprocess.Popen([BIN, "tail", "--admin-url", self.url, "--cafile", self.ca,
                                 "--admin-token", TOKEN, "--protocol", "mqtt", "--topic", "tail/https",
                                 "--count", "1",
                                 "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: tail.poll() is None and tail.kill())
        deadline = time.monotonic() + 20
        out = ""
        while time.monotonic() < deadline and tail.poll() is None:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.mf.ports["mqtt"]),
                            "-t", "tail/https", "-m", "over tls"], capture_output=True, timeout=10)
            try:
                out, err = tail.communicate(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        self.assertEqual(tail.returncode, 0, out)
        self.assertIn("tail/https", out)

    def test_admin_and_broker_handshakes_are_counted(self):
        before = self.metric("mockforge_tls_handshake_failures_total")
        done = self.s_client("-tls1_1")
        self.assertNotEqual(done.returncode, 0)
        deadline = time.monotonic() + 5
        while self.metric("mockforge_tls_handshake_failures_total") <= before:
            self.assertLess(time.monotonic(), deadline, "failure not counted")
            time.sleep(0.05)
        self.assertIn("TLS handshake with", self.mf.output())

    def test_s_time_handshakes_count_as_completed(self):
        # openssl s_time -new resets each connection right after its Finished, often before
        # the server's TLS 1.3 session tickets are written: a completed handshake, not a
        # failure, and no warning (as on the brokers' TLS ports, clients.tls).
        before_done = self.metric("mockforge_tls_handshakes_total")
        before_failed = self.metric("mockforge_tls_handshake_failures_total")
        before_warnings = self.mf.output().count("TLS handshake with")
        done = subprocess.run(["openssl", "s_time", "-connect", f"localhost:{self.https_port}",
                               "-CAfile", self.ca, "-new", "-time", "2"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        match = re.search(r"^(\d+) connections in [0-9.]+ real seconds", done.stdout, re.M)
        self.assertIsNotNone(match, done.stdout)
        count = int(match.group(1))
        self.assertGreater(count, 0)
        deadline = time.monotonic() + 10
        while self.metric("mockforge_tls_handshakes_total") - before_done < count:
            self.assertLess(time.monotonic(), deadline, f"{count} completed handshakes")
            time.sleep(0.05)
        self.assertEqual(self.metric("mockforge_tls_handshake_failures_total"), before_failed)
        self.assertEqual(self.mf.output().count("TLS handshake with"), before_warnings)

    def test_s_client_tls12_and_13_are_accepted(self):
        for version in ("-tls1_2", "-tls1_3"):
            done = self.s_client(version, "-verify_return_error", "-brief")
            self.assertIn("Verification: OK", done.stdout + done.stderr, version)

    def fingerprint(self):
        pem = ssl.get_server_certificate(("localhost", self.https_port))
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    def test_reload_by_admin_call_and_sighup(self):
        first = self.fingerprint()
        generate_certs(self.certs)  # new CA and server certificate, same files
        self.ca = os.path.join(self.certs, "ca.pem")
        self.assertEqual(self.fingerprint(), first)  # not before a reload
        done = self.curl("-X", "POST", "-H", f"Authorization: Bearer {TOKEN}",
                         "--insecure", self.url + "/__mockforge/api/tls/reload")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("reloaded", done.stdout)
        second = self.fingerprint()
        self.assertNotEqual(second, first)
        # The new CA verifies the new certificate.
        done = self.curl("-w", " %{http_code}", self.url + "/__mockforge/health")
        self.assertTrue(done.stdout.endswith(" 200"), done.stdout + done.stderr)
        generate_certs(self.certs)
        self.mf.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.fingerprint() == second:
            self.assertLess(time.monotonic(), deadline, "SIGHUP did not reload")
            time.sleep(0.1)


class AdminHttpsOnlyWithClientCertificates(HttpsCase):
    """admin.tls_only: no plain admin port; tls.client_auth required applies to the admin port."""
    extra_args = ("--admin-tls-only",)
    config = "tls:\n  client_auth: required\n  min_version: \"1.3\"\n"

    def test_no_plain_admin_port(self):
        self.assertNotIn("admin", self.mf.ports)
        self.assertIn("admin_tls", self.mf.ports)

    def test_curl_needs_a_client_certificate(self):
        done = self.curl("-w", " %{http_code}", self.url + "/__mockforge/health")
        self.assertNotEqual(done.returncode, 0)
        done = self.curl("-w", " %{http_code}", "--cert", self.client_cert, "--key",
                         self.client_key, self.url + "/__mockforge/ready")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.endswith(" 200"), done.stdout)

    def test_cli_with_a_client_certificate(self):
        done = self.cli("faults", "list", "--admin-url", self.url, "--cafile", self.ca)
        self.assertNotEqual(done.returncode, 0)
        done = self.cli("faults", "list", "--admin-url", self.url, "--cafile", self.ca,
                        "--cert", self.client_cert, "--key", self.client_key)
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_s_client_below_the_minimum_version_is_refused(self):
        done = self.s_client("-tls1_2", "-cert", self.client_cert, "-key", self.client_key)
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stdout + done.stderr, r"(?i)protocol version|alert")
        done = self.s_client("-tls1_3", "-cert", self.client_cert, "-key", self.client_key,
                             "-brief")
        self.assertIn("TLSv1.3", done.stdout + done.stderr)


class AdminHttpsConfigErrors(unittest.TestCase):
    def test_tls_only_needs_a_tls_port(self):
        done = subprocess.run([BIN, "serve", "--admin-port", "0", "--admin-tls-only",
                               "--kafka-port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0",
                               "--amqp-port", "0"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("admin.tls_only", done.stderr + done.stdout)

    def test_https_needs_a_certificate(self):
        done = subprocess.run([BIN, "serve", "--admin-port", "0", "--admin-tls-port", "0",
                               "--kafka-port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0",
                               "--amqp-port", "0"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("tls.cert_file", done.stderr + done.stdout)


if __name__ == "__main__":
    unittest.main()
