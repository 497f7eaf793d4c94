"""Kafka SASL OAUTHBEARER (RFC 7628) with unsecured JWS tokens and real clients: kcat and
confluent-kafka with librdkafka's unsecured JWT builder (enable.sasl.oauthbearer.unsecure.jwt)
and with an oauth_cb handing out our own tokens, and KafkaJS with an oauthBearerProvider.
Valid tokens authenticate as their sub; expired tokens and tokens with the wrong audience,
issuer or scope are refused with the RFC 7628 error challenge and SASL_AUTHENTICATION_FAILED;
the session lifetime is min(token exp, kafka.sasl_session_lifetime)."""

import base64
import json
import os
import socket
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer

from mockforge_harness import Mockforge

CLIENTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsecured_jws(claims):
    return (b64url(json.dumps({"alg": "none"}).encode()) + "." +
            b64url(json.dumps(claims).encode()) + ".")


def claims_for(sub, lifetime=3600, **extra):
    now = time.time()
    return {"sub": sub, "iat": now, "exp": now + lifetime, **extra}


def unsecure_jwt_config(bootstrap, oauth_config):
    return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "OAUTHBEARER", "enable.sasl.oauthbearer.unsecure.jwt": True,
            "sasl.oauthbearer.config": oauth_config}


def oauth_cb_config(bootstrap, claims, errors=None):
    def token(_config):
        # librdkafka refuses to hand out a token it knows to be expired: tell it a future
        # expiry, so that the token's own exp claim reaches mockforge.
        return unsecured_jws(claims), max(claims["exp"], time.time() + 60)
    config = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT",
              "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": token}
    if errors is not None:
        config["error_cb"] = errors.append
    return config


def produce_and_consume(test, config, topic, count=3):
    producer = Producer({**config, "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, value=b"v%d" % i)
    test.assertEqual(producer.flush(30), 0)
    consumer = Consumer({**config, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg.value())
    consumer.close()
    test.assertEqual(got, [b"v%d" % i for i in range(count)])


def authentication_error(test, config):
    """Polls a producer until its error_cb reports; returns that first error."""
    errors = []
    producer = Producer({**config, "error_cb": errors.append})
    deadline = time.monotonic() + 30
    while not errors and time.monotonic() < deadline:
        producer.poll(0.2)
    test.assertTrue(errors)
    return errors[0]


def run_kafkajs(test, bootstrap, sub, mode):
    result = subprocess.run(
        ["node", os.path.join(HERE, "kafkajs_oauthbearer_test.js"), bootstrap, sub, mode],
        capture_output=True, timeout=120,
        env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
    test.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
    return result.stdout.decode()


# Raw frames, to read what the server sends: SaslHandshake v1 and SaslAuthenticate v1.
def request(sock, key, version, correlation, body):
    frame = struct.pack(">hhih", key, version, correlation, 3) + b"raw" + body
    sock.sendall(struct.pack(">i", len(frame)) + frame)
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    payload = recv_exactly(sock, size)
    test_correlation = struct.unpack(">i", payload[:4])[0]
    assert test_correlation == correlation
    return payload[4:]


def recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def authenticate_raw(port, token):
    """SaslHandshake v1 OAUTHBEARER then SaslAuthenticate v1 with the client initial response;
    on an error challenge, sends %x01. Returns the list of (error, message, bytes, lifetime)."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        mechanism = b"OAUTHBEARER"
        body = request(s, 17, 1, 1, struct.pack(">h", len(mechanism)) + mechanism)
        assert struct.unpack(">h", body[:2])[0] == 0
        message = b"n,,\x01auth=Bearer " + token.encode() + b"\x01\x01"
        for correlation, token_bytes in ((2, message), (3, b"\x01")):
            body = request(s, 36, 1, correlation, struct.pack(">i", len(token_bytes)) + token_bytes)
            error, length = struct.unpack(">hh", body[:4])
            text = body[4:4 + length].decode() if length >= 0 else None
            rest = body[4 + max(length, 0):]
            size = struct.unpack(">i", rest[:4])[0]
            auth_bytes = rest[4:4 + size]
            lifetime = struct.unpack(">q", rest[4 + size:12 + size])[0]
            answers.append((error, text, auth_bytes, lifetime))
            if error != 0 or not auth_bytes.startswith(b"{"):
                break
    return answers


class OAuthBearerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--log-level", "debug", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "OAUTHBEARER",
            "MOCKFORGE_KAFKA_SASL_SESSION_LIFETIME": "1h",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_kcat_with_librdkafkas_unsecured_jwt(self):
        options = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=OAUTHBEARER",
                   "-X", "enable.sasl.oauthbearer.unsecure.jwt=true",
                   "-X", "sasl.oauthbearer.config=principal=kcat-user scope=produce,consume"]
        produced = subprocess.run(
            ["kcat", "-b", self.bootstrap, *options, "-P", "-t", "kcat-oauth"],
            input=b"one\ntwo\n", capture_output=True, timeout=60)
        self.assertEqual(produced.returncode, 0, produced.stderr.decode(errors="replace"))
        consumed = subprocess.run(["kcat", "-b", self.bootstrap, *options, "-C", "-t", "kcat-oauth",
                                   "-e", "-o", "beginning", "-f", "%s\n"],
                                  capture_output=True, timeout=60)
        self.assertEqual(consumed.returncode, 0, consumed.stderr.decode(errors="replace"))
        self.assertEqual(consumed.stdout.decode().split(), ["one", "two"])
        self.assertIn("authenticated as kcat-user", self.server.output())

    def test_confluent_kafka_unsecured_jwt_principal_is_the_sub(self):
        produce_and_consume(self, unsecure_jwt_config(self.bootstrap, "principal=cf-alice"),
                            "cf-oauth")
        self.assertIn("authenticated as cf-alice", self.server.output())

    def test_confluent_kafka_oauth_cb_token(self):
        produce_and_consume(self, oauth_cb_config(self.bootstrap, claims_for("cf-callback")),
                            "cf-oauth-cb")
        self.assertIn("authenticated as cf-callback", self.server.output())

    def test_confluent_kafka_expired_token_is_an_authentication_error(self):
        error = authentication_error(
            self, oauth_cb_config(self.bootstrap, claims_for("late", lifetime=-60)))
        self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))
        self.assertIn("invalid_token", str(error))

    def test_kafkajs_expired_token_is_refused(self):
        self.assertIn("refused", run_kafkajs(self, self.bootstrap, "js-late", "expired"))

    def test_error_challenge_then_authentication_failed(self):
        answers = authenticate_raw(self.server.ports["kafka"],
                                   unsecured_jws(claims_for("raw", lifetime=-10)))
        self.assertEqual(len(answers), 2, answers)
        self.assertEqual(answers[0][0], 0)
        self.assertEqual(json.loads(answers[0][2]), {"status": "invalid_token"})
        self.assertEqual(answers[1][0], 58)  # SASL_AUTHENTICATION_FAILED
        self.assertEqual(json.loads(answers[1][1]), {"status": "invalid_token"})

    def test_session_lifetime_is_the_tokens_when_shorter(self):
        answers = authenticate_raw(self.server.ports["kafka"],
                                   unsecured_jws(claims_for("raw-ok", lifetime=30)))
        self.assertEqual(answers[0][0], 0)
        self.assertEqual(answers[0][2], b"")
        self.assertGreater(answers[0][3], 25000)
        self.assertLessEqual(answers[0][3], 30000)
        long_lived = authenticate_raw(self.server.ports["kafka"],
                                      unsecured_jws(claims_for("raw-ok", lifetime=7200)))
        self.assertEqual(long_lived[0][3], 3600 * 1000)

    def test_token_expiry_ends_the_session_and_librdkafka_reconnects(self):
        def handshakes():
            _, _, metrics = self.server.request("GET", "/__mockforge/metrics")
            for line in metrics.splitlines():
                if line.startswith('kafka_requests_total{api="SaslHandshake"}'):
                    return float(line.split()[-1])
            return 0.0
        # A fresh two-second token each time librdkafka asks (its own unsecured JWT builder
        # crashes confluent-kafka 1.7.0 when it refreshes a short-lived token).
        def token(_config):
            claims = claims_for("short", lifetime=2)
            return unsecured_jws(claims), claims["exp"]
        producer = Producer({"bootstrap.servers": self.bootstrap,
                             "security.protocol": "SASL_PLAINTEXT",
                             "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": token})
        producer.produce("cf-oauth-expiry", value=b"before")
        self.assertEqual(producer.flush(30), 0)
        before = handshakes()
        time.sleep(2.5)
        producer.produce("cf-oauth-expiry", value=b"after")
        self.assertEqual(producer.flush(30), 0)
        self.assertGreater(handshakes(), before)


class OAuthBearerClaimsTest(unittest.TestCase):
    """Required audience, issuer and scope (kafka.sasl_oauthbearer_*), and a principal claim
    other than sub."""

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--log-level", "debug", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "OAUTHBEARER,PLAIN",
            "MOCKFORGE_KAFKA_SASL_USERS": "admin:admin-secret",
            "MOCKFORGE_KAFKA_SASL_OAUTHBEARER_AUDIENCE": "kafka-test,other",
            "MOCKFORGE_KAFKA_SASL_OAUTHBEARER_ISSUER": "https://issuer.test",
            "MOCKFORGE_KAFKA_SASL_OAUTHBEARER_REQUIRED_SCOPE": "produce",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def good_claims(self, sub, **changes):
        return {**claims_for(sub, aud=["kafka-test"], iss="https://issuer.test",
                             scope=["produce", "consume"]), **changes}

    def test_accepted_with_audience_issuer_and_scope(self):
        produce_and_consume(self, oauth_cb_config(self.bootstrap, self.good_claims("claims-ok")),
                            "claims-ok")
        self.assertIn("authenticated as claims-ok", self.server.output())

    def test_wrong_audience_issuer_or_scope_is_refused(self):
        cases = {"audience": {"aud": "someone-else"}, "issuer": {"iss": "https://evil.test"},
                 "no audience": {"aud": []}}
        for name, change in cases.items():
            with self.subTest(name):
                error = authentication_error(
                    self, oauth_cb_config(self.bootstrap, self.good_claims("x", **change)))
                self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))
                self.assertIn("invalid_token", str(error))
        error = authentication_error(
            self, oauth_cb_config(self.bootstrap, self.good_claims("x", scope="consume")))
        self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))
        self.assertIn("insufficient_scope", str(error))

    def test_librdkafka_unsecured_jwt_without_audience_is_refused(self):
        error = authentication_error(
            self, unsecure_jwt_config(self.bootstrap, "principal=alice scope=produce"))
        self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))

    def test_plain_still_works_beside_oauthbearer(self):
        produce_and_consume(self, {"bootstrap.servers": self.bootstrap,
                                   "security.protocol": "SASL_PLAINTEXT",
                                   "sasl.mechanisms": "PLAIN", "sasl.username": "admin",
                                   "sasl.password": "admin-secret"}, "claims-plain")

    def test_kafkajs_accepted_and_wrong_audience_refused(self):
        self.assertIn("kafkajs oauthbearer ok",
                      run_kafkajs(self, self.bootstrap, "js-carol", "accept"))
        self.assertIn("authenticated as js-carol", self.server.output())
        self.assertIn("refused", run_kafkajs(self, self.bootstrap, "js-carol", "wrong-audience"))


class OAuthBearerPrincipalClaimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--log-level", "debug", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "OAUTHBEARER",
            "MOCKFORGE_KAFKA_SASL_OAUTHBEARER_PRINCIPAL_CLAIM": "client_id",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_principal_from_the_configured_claim(self):
        # librdkafka's builder names the claim with principalClaimName.
        produce_and_consume(self, unsecure_jwt_config(
            self.bootstrap, "principal=svc-orders principalClaimName=client_id"), "claim-topic")
        self.assertIn("authenticated as svc-orders", self.server.output())
        error = authentication_error(self, unsecure_jwt_config(self.bootstrap, "principal=x"))
        self.assertEqual(error.code(), KafkaError._AUTHENTICATION, str(error))


if __name__ == "__main__":
    unittest.main()
