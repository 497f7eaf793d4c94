"""Real clients over the TLS listeners: openssl s_client, mosquitto_pub/sub, paho-mqtt
(TLS and wss), pika, confluent-kafka and kcat with security.protocol=SSL. Certificates are
made at run time by `mockforge certs generate`."""

import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest
import uuid

import paho.mqtt.client as paho
import pika
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient

from mockforge_harness import BIN, Mockforge

TLS_PORTS = ("--mqtt-tls-port", "0", "--mqtt-wss-port", "0", "--amqp-tls-port", "0",
             "--kafka-tls-port", "0")


def generate_certs(directory):
    done = subprocess.run([BIN, "certs", "generate", directory], capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"certs generate failed: {done.stderr}")


def tls_args(certs, *extra):
    return (*TLS_PORTS, "--tls-cert-file", os.path.join(certs, "server.pem"),
            "--tls-key-file", os.path.join(certs, "server-key.pem"),
            "--tls-ca-file", os.path.join(certs, "ca.pem"), *extra)


class TlsTestCase(unittest.TestCase):
    extra_args = ()
    env = None

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        generate_certs(cls.certs)
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.client_cert = os.path.join(cls.certs, "client.pem")
        cls.client_key = os.path.join(cls.certs, "client-key.pem")
        cls.mf = Mockforge(*tls_args(cls.certs, *cls.extra_args), env=cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def port(self, name):
        return self.mf.ports[name]

    def metric(self, name):
        status, _, body = self.mf.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        match = re.search("^" + re.escape(name) + r" ([0-9.e+]+)$", body, re.M)
        return float(match.group(1)) if match else 0.0

    def wait_for(self, predicate, what, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        self.fail(f"timed out waiting for {what}\n{self.mf.output()[-3000:]}")

    def mosquitto_sub_started(self, topic, *extra):
        """mosquitto_sub, once its subscription is in (after earlier ones are gone)."""
        self.wait_for(lambda: self.metric("mqtt_subscriptions") == 0, "no subscriptions left")
        sub = self.mosquitto_sub(topic, *extra)
        self.wait_subscribed()
        return sub

    def wait_subscribed(self):
        self.wait_for(lambda: self.metric("mqtt_subscriptions") >= 1, "the subscription")

    def s_client(self, port, *args):
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                               "-CAfile", self.ca, "-verify_return_error", *args],
                              input="", capture_output=True, text=True, timeout=30)

    def mosquitto_sub(self, topic, *extra):
        return subprocess.Popen(["mosquitto_sub", "-h", "localhost", "-p",
                                 str(self.port("mqtt_tls")), "--cafile", self.ca, "-t", topic,
                                 "-C", "1", "-W", "20", *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def mosquitto_pub(self, topic, message, *extra):
        return subprocess.run(["mosquitto_pub", "-h", "localhost", "-p",
                               str(self.port("mqtt_tls")), "--cafile", self.ca, "-t", topic,
                               "-m", message, *extra],
                              capture_output=True, text=True, timeout=30)


class TlsListeners(TlsTestCase):
    def test_ready_file_reports_the_tls_ports(self):
        for name in ("mqtt_tls", "mqtt_wss", "amqp_tls", "kafka_tls"):
            self.assertIn(name, self.mf.ports)
            self.assertGreater(self.mf.ports[name], 0)

    def test_s_client_handshake_verifies_the_chain(self):
        for name in ("mqtt_tls", "amqp_tls", "kafka_tls"):
            with self.subTest(listener=name):
                done = self.s_client(self.port(name), "-servername", "localhost")
                self.assertIn("Verify return code: 0 (ok)", done.stdout, done.stderr)

    def test_tls_1_1_refused_1_2_accepted(self):
        # SECLEVEL=0 lets OpenSSL's client offer TLS 1.1 at all; the server refuses it.
        old = self.s_client(self.port("mqtt_tls"), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        self.assertNotEqual(old.returncode, 0)
        self.assertIn("no peer certificate available", old.stdout)
        self.assertIn("Cipher is (NONE)", old.stdout)
        self.wait_for(lambda: "TLS handshake with" in self.mf.output(), "the failure logged")
        self.assertGreaterEqual(self.metric("mockforge_tls_handshake_failures_total"), 1)
        new = self.s_client(self.port("mqtt_tls"), "-tls1_2")
        self.assertIn("New, TLSv1.2, Cipher is", new.stdout, new.stderr)

    def test_plain_text_client_on_a_tls_port_is_refused(self):
        # A plain MQTT CONNECT to the TLS port: the handshake fails, the connection closes.
        with socket.create_connection(("127.0.0.1", self.port("mqtt_tls")), timeout=10) as s:
            s.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertNotIn(b"\x20\x02", data[:2])  # no CONNACK

    def test_mosquitto_pub_sub(self):
        sub = self.mosquitto_sub_started("tls/mosquitto")
        done = self.mosquitto_pub("tls/mosquitto", "over tls")
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(sub.returncode, 0, err)
        self.assertEqual(out.strip(), "over tls")

    def paho_roundtrip(self, transport, port):
        self.wait_for(lambda: self.metric("mqtt_subscriptions") == 0, "no subscriptions left")
        received = []
        client = paho.Client(client_id=f"tls-{transport}-{uuid.uuid4().hex[:8]}",
                             transport=transport, protocol=paho.MQTTv311)
        client.tls_set(ca_certs=self.ca)
        client.on_message = lambda c, u, m: received.append(m.payload)
        client.connect("localhost", port)
        client.loop_start()
        try:
            topic = f"tls/paho/{transport}"
            result, _ = client.subscribe(topic, qos=1)
            self.assertEqual(result, paho.MQTT_ERR_SUCCESS)
            self.wait_subscribed()
            client.publish(topic, b"hello", qos=1).wait_for_publish(10)
            self.wait_for(lambda: received, "the message back")
            self.assertEqual(received, [b"hello"])
        finally:
            client.disconnect()
            client.loop_stop()

    def test_paho_over_tls(self):
        self.paho_roundtrip("tcp", self.port("mqtt_tls"))

    def test_paho_over_secure_websocket(self):
        self.paho_roundtrip("websockets", self.port("mqtt_wss"))

    def test_pika_over_tls(self):
        context = ssl.create_default_context(cafile=self.ca)
        params = pika.ConnectionParameters(host="localhost", port=self.port("amqp_tls"),
                                           ssl_options=pika.SSLOptions(context, "localhost"))
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            channel.queue_declare("tls-pika")
            channel.basic_publish("", "tls-pika", b"secret")
            method, _, body = channel.basic_get("tls-pika", auto_ack=True)
            self.assertIsNotNone(method)
            self.assertEqual(body, b"secret")
        finally:
            connection.close()

    def ssl_config(self, bootstrap):
        return {"bootstrap.servers": bootstrap, "security.protocol": "SSL",
                "ssl.ca.location": self.ca}

    def test_confluent_kafka_over_ssl_sees_the_ssl_listener_advertised(self):
        tls_port = self.port("kafka_tls")
        bootstrap = f"localhost:{tls_port}"
        admin = AdminClient(self.ssl_config(bootstrap))
        brokers = admin.list_topics(timeout=20).brokers
        self.assertEqual([b.port for b in brokers.values()], [tls_port])
        producer = Producer(self.ssl_config(bootstrap))
        producer.produce("tls-confluent", b"v1")
        self.assertEqual(producer.flush(30), 0)
        consumer = Consumer({**self.ssl_config(bootstrap), "group.id": "tls-group",
                             "auto.offset.reset": "earliest"})
        try:
            consumer.subscribe(["tls-confluent"])
            deadline = time.monotonic() + 30
            message = None
            while message is None and time.monotonic() < deadline:
                polled = consumer.poll(0.5)
                if polled is not None and not polled.error():
                    message = polled
            self.assertIsNotNone(message)
            self.assertEqual(message.value(), b"v1")
        finally:
            consumer.close()
        # The plain listener still advertises itself to plain clients.
        plain = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.port('kafka')}"})
        self.assertEqual([b.port for b in plain.list_topics(timeout=20).brokers.values()],
                         [self.port("kafka")])

    def test_kcat_over_ssl(self):
        bootstrap = f"localhost:{self.port('kafka_tls')}"
        ssl_args = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={self.ca}"]
        produced = subprocess.run(["kcat", "-b", bootstrap, *ssl_args, "-P", "-t", "tls-kcat"],
                                  input="one\ntwo\n", capture_output=True, text=True,
                                  timeout=60)
        self.assertEqual(produced.returncode, 0, produced.stderr)
        consumed = subprocess.run(["kcat", "-b", bootstrap, *ssl_args, "-C", "-t", "tls-kcat",
                                   "-o", "beginning", "-c", "2", "-e"],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(consumed.returncode, 0, consumed.stderr)
        self.assertEqual(consumed.stdout.split(), ["one", "two"])

    def cli(self, *args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)

    def test_cli_mqtt_over_tls(self):
        sub = self.mosquitto_sub_started("tls/cli")
        done = self.cli("mqtt", "publish", "--host", "localhost", "--port",
                        str(self.port("mqtt_tls")), "--cafile", self.ca, "--topic", "tls/cli",
                        "--payload", "from the cli")
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "from the cli", err)

    def test_cli_mqtt_refuses_an_unverified_server(self):
        # No --cafile: the system's CAs do not know the test CA.
        done = self.cli("mqtt", "publish", "--tls", "--host", "localhost", "--port",
                        str(self.port("mqtt_tls")), "--topic", "t", "--payload", "x")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("certificate", done.stderr)

    def test_cli_amqp_amqps_url(self):
        url = f"amqps://guest:guest@localhost:{self.port('amqp_tls')}/"
        for args in (("queue", "declare", "--name", "tls-cli"),
                     ("publish", "--routing-key", "tls-cli", "--body", "via amqps")):
            done = self.cli("amqp", *args, "--url", url, "--cafile", self.ca)
            self.assertEqual(done.returncode, 0, done.stderr)
        got = self.cli("amqp", "get", "--queue", "tls-cli", "--url", url, "--cafile", self.ca)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertIn("via amqps", got.stdout)

    def test_cli_kafka_over_ssl(self):
        bootstrap = f"localhost:{self.port('kafka_tls')}"
        produced = self.cli("kafka", "produce", "-b", bootstrap, "--cafile", self.ca, "-t",
                            "tls-cli", "--key", "k", "--value", "v-ssl")
        self.assertEqual(produced.returncode, 0, produced.stderr)
        consumed = self.cli("kafka", "consume", "-b", bootstrap, "--cafile", self.ca, "--topic",
                            "tls-cli", "--from-beginning", "--max-messages", "1",
                            "--timeout-ms", "10000")
        self.assertEqual(consumed.returncode, 0, consumed.stderr)
        self.assertIn("v-ssl", consumed.stdout)

    def test_client_killed_mid_handshake_does_not_affect_others(self):
        # Half a real ClientHello, then a reset.
        context = ssl.create_default_context(cafile=self.ca)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        with self.assertRaises(ssl.SSLWantReadError):
            tls.do_handshake()
        hello = outgoing.read()
        victims = []
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", self.port("mqtt_tls")), timeout=10)
            s.sendall(hello[: len(hello) // 2])
            victims.append(s)
        for s in victims:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        sub = self.mosquitto_sub_started("tls/after-kill")
        done = self.mosquitto_pub("tls/after-kill", "still fine")
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "still fine", err)

    def test_s_time_handshakes_count_as_completed(self):
        # openssl s_time -new: a full handshake per connection, then a reset (SO_LINGER 0)
        # right after the client's Finished, often before mockforge has sent its TLS 1.3 session
        # tickets. Each is a completed handshake, not a failure, and logs no warning. (s_time
        # makes a connection or two beyond those it reports.)
        before_done = self.metric("mockforge_tls_handshakes_total")
        before_failed = self.metric("mockforge_tls_handshake_failures_total")
        before_warnings = self.mf.output().count("TLS handshake with")
        done = subprocess.run(["openssl", "s_time", "-connect",
                               f"localhost:{self.port('mqtt_tls')}", "-CAfile", self.ca, "-new",
                               "-time", "2"], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        match = re.search(r"^(\d+) connections in [0-9.]+ real seconds", done.stdout, re.M)
        self.assertIsNotNone(match, done.stdout)
        count = int(match.group(1))
        self.assertGreater(count, 0)
        self.wait_for(
            lambda: self.metric("mockforge_tls_handshakes_total") - before_done >= count,
            f"{count} completed handshakes")
        self.assertEqual(self.metric("mockforge_tls_handshake_failures_total"), before_failed)
        self.assertEqual(self.mf.output().count("TLS handshake with"), before_warnings)

    def test_silent_client_is_dropped_after_the_handshake_timeout(self):
        # Kafka's idle timeout is 10 minutes; the handshake's is far shorter.
        with socket.create_connection(("127.0.0.1", self.port("kafka_tls")), timeout=60) as s:
            self.assertEqual(s.recv(1), b"")

    def test_sighup_reloads_certificates(self):
        generate_certs(self.certs)  # a new CA and server certificate, in the same files
        # Still the old certificate, which the new CA did not sign.
        before = self.s_client(self.port("amqp_tls"))
        self.assertNotIn("Verify return code: 0 (ok)", before.stdout)
        self.mf.signal(signal.SIGHUP)
        self.wait_for(lambda: "TLS certificates reloaded" in self.mf.output(), "the reload")
        # Verified against the new CA: the new certificate is served.
        after = self.s_client(self.port("amqp_tls"))
        self.assertIn("Verify return code: 0 (ok)", after.stdout, after.stderr)


class ClientCertificateRequired(TlsTestCase):
    env = {"MOCKFORGE_TLS_CLIENT_AUTH": "required"}

    def test_mosquitto_with_client_certificate(self):
        sub = self.mosquitto_sub_started("tls/mtls", "--cert", self.client_cert,
                                         "--key", self.client_key)
        done = self.mosquitto_pub("tls/mtls", "mutual", "--cert", self.client_cert,
                                  "--key", self.client_key)
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "mutual", err)

    def test_without_client_certificate_refused(self):
        done = self.mosquitto_pub("tls/mtls", "anonymous")
        self.assertNotEqual(done.returncode, 0)
        self.wait_for(lambda: "peer did not return a certificate" in self.mf.output(),
                      "the refusal logged with its reason")

    def test_pika_with_client_certificate(self):
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.client_cert, self.client_key)
        params = pika.ConnectionParameters(host="localhost", port=self.port("amqp_tls"),
                                           ssl_options=pika.SSLOptions(context, "localhost"))
        connection = pika.BlockingConnection(params)
        self.assertTrue(connection.is_open)
        connection.close()


class SaslOverTls(TlsTestCase):
    """security.protocol=SASL_SSL: the Kafka TLS listener with SCRAM, as production configures it."""
    env = {"MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN,SCRAM-SHA-512",
           "MOCKFORGE_KAFKA_SASL_USERS": "svc:s3cret"}

    def config(self, password="s3cret", mechanism="SCRAM-SHA-512"):
        return {"bootstrap.servers": f"localhost:{self.port('kafka_tls')}",
                "security.protocol": "SASL_SSL", "ssl.ca.location": self.ca,
                "sasl.mechanisms": mechanism, "sasl.username": "svc", "sasl.password": password}

    def test_confluent_kafka_sasl_ssl_round_trip(self):
        producer = Producer(self.config())
        producer.produce("sasl-ssl", value=b"secret payload")
        self.assertEqual(producer.flush(30), 0)
        consumer = Consumer({**self.config(mechanism="PLAIN"), "group.id": "sasl-ssl",
                             "auto.offset.reset": "earliest"})
        try:
            consumer.subscribe(["sasl-ssl"])
            message = None
            deadline = time.monotonic() + 30
            while message is None and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None and message.error():
                    message = None
            self.assertIsNotNone(message)
            self.assertEqual(message.value(), b"secret payload")
        finally:
            consumer.close()

    def test_wrong_password_over_tls_fails_authentication(self):
        errors = []
        producer = Producer({**self.config(password="wrong"), "error_cb": errors.append})
        deadline = time.monotonic() + 30
        while not errors and time.monotonic() < deadline:
            producer.poll(0.2)
        self.assertTrue(errors)
        self.assertEqual(errors[0].code(), KafkaError._AUTHENTICATION, str(errors[0]))
        self.assertNotIn("wrong", self.mf.output())

    def test_kcat_and_the_cli_with_kcat_style_properties(self):
        args = ["-X", "security.protocol=SASL_SSL", "-X", f"ssl.ca.location={self.ca}",
                "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", "sasl.username=svc",
                "-X", "sasl.password=s3cret"]
        bootstrap = f"localhost:{self.port('kafka_tls')}"
        produced = subprocess.run([BIN, "kafka", "produce", "--bootstrap", bootstrap, *args,
                                   "--topic", "sasl-ssl-cli", "--value", "from-cli"],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(produced.returncode, 0, produced.stderr)
        kcat_args = [a.replace("sasl.mechanism=", "sasl.mechanisms=") for a in args]
        consumed = subprocess.run(["kcat", "-b", bootstrap, *kcat_args, "-C", "-t",
                                   "sasl-ssl-cli", "-o", "beginning", "-c", "1", "-e"],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(consumed.returncode, 0, consumed.stderr)
        self.assertEqual(consumed.stdout.split(), ["from-cli"])


class MinimumVersion13(TlsTestCase):
    env = {"MOCKFORGE_TLS_MIN_VERSION": "1.3"}

    def test_tls_1_2_refused(self):
        old = self.s_client(self.port("amqp_tls"), "-tls1_2")
        self.assertNotEqual(old.returncode, 0)
        self.assertIn("protocol version", old.stdout + old.stderr)
        new = self.s_client(self.port("amqp_tls"), "-tls1_3")
        self.assertIn("New, TLSv1.3, Cipher is", new.stdout, new.stderr)


if __name__ == "__main__":
    unittest.main()
