"""Kafka SASL_PLAINTEXT with real clients: kcat (librdkafka), confluent-kafka, kafka-python
(SaslHandshake v0 and raw tokens) and KafkaJS, for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512;
wrong passwords fail with an authentication error in the client, and unauthenticated
requests are refused."""

import os
import socket
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError as KafkaPythonError

from mockforge_harness import Mockforge

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
CLIENTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One password with a colon, as name:password entries allow.
USERS = {"alice": "alice-secret", "bob": "bob:has:colons"}


class SaslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": ",".join(MECHANISMS),
            "MOCKFORGE_KAFKA_SASL_USERS": ",".join(f"{u}:{p}" for u, p in USERS.items()),
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def librdkafka_config(self, mechanism, user="alice", password=None):
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": mechanism, "sasl.username": user,
                "sasl.password": USERS[user] if password is None else password}

    def kcat(self, mechanism, *args, user="alice", password=None, stdin=None, check=True):
        config = self.librdkafka_config(mechanism, user, password)
        command = ["kcat", "-b", self.bootstrap]
        for key in ["security.protocol", "sasl.mechanisms", "sasl.username", "sasl.password"]:
            command += ["-X", f"{key}={config[key]}"]
        result = subprocess.run(command + list(args), input=stdin, capture_output=True,
                                timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result

    # ---- kcat (librdkafka 2.0.2: SaslHandshake v1 + SaslAuthenticate) ----

    def test_kcat_produces_and_consumes_with_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                topic = "kcat-sasl-" + mechanism.lower()
                self.kcat(mechanism, "-P", "-t", topic, user="bob", stdin=b"one\ntwo\n")
                out = self.kcat(mechanism, "-C", "-t", topic, "-e", "-o", "beginning",
                                "-f", "%s\n", user="bob").stdout.decode()
                self.assertEqual(out.split(), ["one", "two"])

    def test_kcat_wrong_password_is_an_authentication_error(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                result = self.kcat(mechanism, "-L", "-m", "5", password="not-alices-password",
                                   check=False)
                self.assertNotEqual(result.returncode, 0)
                stderr = result.stderr.decode(errors="replace")
                self.assertIn("Authentication failed", stderr)
                self.assertNotIn("not-alices-password", self.server.output())

    def test_kcat_without_sasl_is_refused(self):
        result = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-m", "3"],
                                capture_output=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)

    # ---- confluent-kafka ----

    def test_confluent_kafka_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                topic = "cf-sasl-" + mechanism.lower()
                producer = Producer({**self.librdkafka_config(mechanism), "linger.ms": 5})
                for i in range(5):
                    producer.produce(topic, value=b"v%d" % i)
                self.assertEqual(producer.flush(30), 0)
                consumer = Consumer({**self.librdkafka_config(mechanism), "group.id": topic,
                                     "auto.offset.reset": "earliest"})
                consumer.subscribe([topic])
                got = []
                deadline = time.monotonic() + 30
                while len(got) < 5 and time.monotonic() < deadline:
                    msg = consumer.poll(0.5)
                    if msg is not None and not msg.error():
                        got.append(msg.value())
                consumer.close()
                self.assertEqual(got, [b"v%d" % i for i in range(5)])

    def test_confluent_kafka_wrong_password_reports_authentication_error(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                errors = []
                producer = Producer({**self.librdkafka_config(mechanism, password="nope"),
                                     "error_cb": errors.append})
                deadline = time.monotonic() + 30
                while not errors and time.monotonic() < deadline:
                    producer.poll(0.2)
                self.assertTrue(errors)
                self.assertEqual(errors[0].code(), KafkaError._AUTHENTICATION, str(errors[0]))

    # ---- kafka-python 2.0.2 (SaslHandshake v0, then raw size-prefixed tokens) ----

    def kafka_python_config(self, mechanism, password=None):
        return {"bootstrap_servers": self.bootstrap, "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": mechanism, "sasl_plain_username": "bob",
                "sasl_plain_password": USERS["bob"] if password is None else password}

    def test_kafka_python_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                topic = "kp-sasl-" + mechanism.lower()
                producer = KafkaProducer(**self.kafka_python_config(mechanism))
                futures = [producer.send(topic, b"m%d" % i) for i in range(3)]
                producer.flush(30)
                self.assertEqual([f.get(timeout=30).offset for f in futures], [0, 1, 2])
                producer.close()
                consumer = KafkaConsumer(topic, **self.kafka_python_config(mechanism),
                                         auto_offset_reset="earliest",
                                         consumer_timeout_ms=10000)
                got = []
                for message in consumer:
                    got.append(message.value)
                    if len(got) == 3:
                        break
                consumer.close()
                self.assertEqual(got, [b"m0", b"m1", b"m2"])

    def test_kafka_python_wrong_password_fails(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                with self.assertRaises(KafkaPythonError):
                    KafkaProducer(**self.kafka_python_config(mechanism, password="nope"),
                                  api_version_auto_timeout_ms=5000)

    # ---- KafkaJS ----

    def test_kafkajs_scram_sha_512_and_wrong_password(self):
        result = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "kafkajs_sasl_test.js"), self.bootstrap, "alice",
             USERS["alice"]],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs sasl ok", result.stdout.decode())

    # ---- unauthenticated requests ----

    def test_request_before_authentication_closes_the_connection(self):
        with socket.create_connection(("127.0.0.1", self.server.ports["kafka"]), timeout=10) as s:
            # Metadata v1 for all topics: key 3, version 1, correlation 7, client id "raw".
            body = struct.pack(">hhih", 3, 1, 7, 3) + b"raw" + struct.pack(">i", -1)
            s.sendall(struct.pack(">i", len(body)) + body)
            self.assertEqual(s.recv(100), b"")

    def test_no_credentials_in_metrics_or_log(self):
        status, _, metrics = self.server.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        for password in USERS.values():
            self.assertNotIn(password, metrics)
            self.assertNotIn(password, self.server.output())



class SaslSessionLifetimeTest(unittest.TestCase):
    """kafka.sasl_session_lifetime (KIP-368): KafkaJS re-authenticates on its connection;
    librdkafka 2.0.2, which does not, has its expired connection closed and reconnects."""

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN",
            "MOCKFORGE_KAFKA_SASL_USERS": "alice:alice-secret",
            "MOCKFORGE_KAFKA_SASL_SESSION_LIFETIME": "1s",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def handshakes(self):
        _, _, metrics = self.server.request("GET", "/__mockforge/metrics")
        for line in metrics.splitlines():
            if line.startswith('kafka_requests_total{api="SaslHandshake"}'):
                return float(line.split()[-1])
        return 0.0

    def test_kafkajs_reauthenticates_and_keeps_producing(self):
        result = subprocess.run(
            ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "kafkajs_sasl_reauth_test.js"), self.bootstrap, "alice",
             "alice-secret", "1500"],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs reauth ok", result.stdout.decode())

    def test_librdkafka_reconnects_after_expiry(self):
        config = {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                  "sasl.mechanisms": "PLAIN", "sasl.username": "alice",
                  "sasl.password": "alice-secret"}
        producer = Producer(config)
        producer.produce("rd-reauth", value=b"before")
        self.assertEqual(producer.flush(30), 0)
        before = self.handshakes()
        time.sleep(1.5)
        producer.produce("rd-reauth", value=b"after")
        self.assertEqual(producer.flush(30), 0)
        # The expired connection was closed and a new one authenticated.
        self.assertGreater(self.handshakes(), before)

if __name__ == "__main__":
    unittest.main()
