"""Kafka SASL users from fixture files (kafka.users: name, password, mechanisms) with real
clients: kcat and confluent-kafka authenticate as them with PLAIN and SCRAM; a mechanism the
user may not use fails like a wrong password; the users stay through a reset; bad entries are
errors naming file, line and field (`mockforge fixtures validate`, start-up), and users need
SASL on."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import KafkaError, Producer

from mockforge_harness import BIN, Mockforge

FIXTURES = """kafka:
  topics: [{name: fixture-users, partitions: 1}]
  users:
    - {name: svc-orders, password: orders-secret}
    - {name: legacy, password: "legacy:pw", mechanisms: [PLAIN]}
    - {name: billing, password: b1, mechanisms: [SCRAM-SHA-256]}
"""


def directory(files):
    path = tempfile.mkdtemp(prefix="mockforge-fixture-users-")
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    return path


class FixtureUsersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = directory({"users.yaml": FIXTURES})
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--fixtures", cls.dir, env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN,SCRAM-SHA-256",
            "MOCKFORGE_KAFKA_SASL_USERS": "admin:admin-secret",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def kcat(self, mechanism, user, password, *args, stdin=None):
        return subprocess.run(
            ["kcat", "-b", self.bootstrap, "-X", "security.protocol=SASL_PLAINTEXT",
             "-X", f"sasl.mechanisms={mechanism}", "-X", f"sasl.username={user}",
             "-X", f"sasl.password={password}", *args],
            input=stdin, capture_output=True, timeout=60)

    def test_kcat_as_fixture_users(self):
        for mechanism, user, password in [("SCRAM-SHA-256", "svc-orders", "orders-secret"),
                                          ("PLAIN", "svc-orders", "orders-secret"),
                                          ("PLAIN", "legacy", "legacy:pw"),
                                          ("SCRAM-SHA-256", "billing", "b1")]:
            with self.subTest(mechanism=mechanism, user=user):
                produced = self.kcat(mechanism, user, password, "-P", "-t", "fixture-users",
                                     stdin=b"hello\n")
                self.assertEqual(produced.returncode, 0, produced.stderr.decode())
        consumed = self.kcat("PLAIN", "admin", "admin-secret", "-C", "-t", "fixture-users", "-e",
                             "-o", "beginning", "-f", "%s\n")
        self.assertEqual(consumed.stdout.decode().split(), ["hello"] * 4)

    def auth_error(self, mechanism, user, password):
        errors = []
        producer = Producer({"bootstrap.servers": self.bootstrap,
                             "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": mechanism,
                             "sasl.username": user, "sasl.password": password,
                             "error_cb": errors.append})
        deadline = time.monotonic() + 30
        while not errors and time.monotonic() < deadline:
            producer.poll(0.2)
        return errors[0] if errors else None

    def test_mechanism_not_allowed_fails_like_a_wrong_password(self):
        for mechanism, user, password in [("SCRAM-SHA-256", "legacy", "legacy:pw"),
                                          ("PLAIN", "billing", "b1"),
                                          ("PLAIN", "svc-orders", "wrong")]:
            with self.subTest(mechanism=mechanism, user=user):
                error = self.auth_error(mechanism, user, password)
                self.assertIsNotNone(error)
                self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))

    def test_users_stay_through_a_reset(self):
        status, _, _ = self.server.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        result = self.kcat("SCRAM-SHA-256", "svc-orders", "orders-secret", "-L", "-m", "10")
        self.assertEqual(result.returncode, 0, result.stderr.decode())


class FixtureUserErrorsTest(unittest.TestCase):
    def run_both(self, text, env=None):
        path = directory({"bad.yaml": text})
        try:
            serve = subprocess.run(
                [BIN, "serve", "--fixtures", path, "--admin-port", "0", "--kafka-port", "0",
                 "--no-mqtt", "--no-amqp"], capture_output=True, text=True, timeout=60,
                env={**os.environ, **(env or {})})
            validate = subprocess.run([BIN, "fixtures", "validate", path], capture_output=True,
                                      text=True, timeout=60)
            return serve, validate
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def test_bad_entries_name_file_line_and_field(self):
        serve, validate = self.run_both("""kafka:
  users:
    - {name: a, password: pw, mechanisms: [PLAIN, GSSAPI]}
    - {name: b}
    - {name: c, password: x, role: admin}
""", env={"MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN", "MOCKFORGE_KAFKA_SASL_USERS": "z:z"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertNotEqual(validate.returncode, 0)
        for out in (serve.stdout + serve.stderr, validate.stdout + validate.stderr):
            self.assertIn("bad.yaml:3:", out)
            self.assertIn("kafka.users[0].mechanisms[1]: expected PLAIN, SCRAM-SHA-256 or "
                          "SCRAM-SHA-512", out)
            self.assertIn("bad.yaml:4:", out)
            self.assertIn("kafka.users[1].password", out)
            self.assertIn("kafka.users[2].role: unknown field", out)

    def test_users_need_sasl_and_their_mechanisms_enabled(self):
        serve, _ = self.run_both("""kafka:
  users: [{name: a, password: pw}]
""")
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("Kafka SASL is off", serve.stdout + serve.stderr)
        serve, _ = self.run_both("""kafka:
  users: [{name: a, password: pw, mechanisms: [SCRAM-SHA-512]}]
""", env={"MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN", "MOCKFORGE_KAFKA_SASL_USERS": "z:z"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("SCRAM-SHA-512 is not in kafka.sasl_mechanisms", serve.stdout + serve.stderr)


if __name__ == "__main__":
    unittest.main()
