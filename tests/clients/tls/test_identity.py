"""Who a client is, with real clients: AMQP loopback_users (pika from a non-loopback address),
user tags (admin API, impersonator), AMQP EXTERNAL with a TLS client certificate (pika's
ExternalCredentials), MQTT use_identity_as_username and use_subject_as_username
(mosquitto_pub/sub and paho-mqtt with client certificates, the ACL applied to the certificate's
CN or whole subject) and MQTT password files written by mosquitto_passwd (mosquitto_pub/sub and paho-mqtt, v3.1.1 and v5 refusals)."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid

import paho.mqtt.client as paho
import pika
import pika.exceptions

from mockforge_harness import Mockforge
from test_tls import generate_certs, tls_args


def non_loopback_address():
    """An IPv4 address of this host other than 127.x, or None."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                             timeout=10).stdout
    except OSError:
        return None
    for address in out.split():
        if "." in address and not address.startswith("127."):
            return address
    return None


class ConfiguredServer(unittest.TestCase):
    """A mockforge with TLS listeners, test certificates and a config file."""
    config = ""
    extra_args = ()
    env = None

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        generate_certs(cls.certs)
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.client_cert = os.path.join(cls.certs, "client.pem")
        cls.client_key = os.path.join(cls.certs, "client-key.pem")
        cls.prepare()
        path = os.path.join(cls.certs, "mockforge.yaml")
        with open(path, "w") as f:
            f.write(cls.config.format(certs=cls.certs))
        cls.mf = Mockforge(*tls_args(cls.certs, "--config", path, *cls.extra_args), env=cls.env)

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def port(self, name):
        return self.mf.ports[name]

    def wait_for(self, predicate, what, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        self.fail(f"timed out waiting for {what}\n{self.mf.output()[-3000:]}")


# --- AMQP: loopback_users ---

ADDRESS = non_loopback_address()


@unittest.skipIf(ADDRESS is None, "this host has no non-loopback IPv4 address")
class AmqpLoopbackUsers(ConfiguredServer):
    """RabbitMQ's loopback_users default [guest]: guest only from 127.0.0.0/8 and ::1."""
    config = """
amqp:
  users: ["guest:guest", "app:app-pw"]
"""
    extra_args = ("--bind", "0.0.0.0")

    def open(self, host, user, password):
        params = pika.ConnectionParameters(
            host=host, port=self.port("amqp"), credentials=pika.PlainCredentials(user, password),
            socket_timeout=10, connection_attempts=1)
        connection = pika.BlockingConnection(params)
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection

    def test_guest_from_a_non_loopback_address_is_refused_403(self):
        with self.assertRaises(pika.exceptions.ProbableAuthenticationError) as caught:
            self.open(ADDRESS, "guest", "guest")
        # pika announces authentication_failure_close: connection.close 403, as RabbitMQ.
        self.assertIn("403", str(caught.exception))
        self.assertIn("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN",
                      str(caught.exception))
        self.wait_for(lambda: "user 'guest' can only connect via localhost" in self.mf.output(),
                      "the reason in the log")
        self.assertNotIn("guest:guest", self.mf.output())

    def test_guest_from_loopback_and_other_users_from_anywhere(self):
        self.assertTrue(self.open("127.0.0.1", "guest", "guest").channel().is_open)
        channel = self.open(ADDRESS, "app", "app-pw").channel()
        channel.queue_declare("loopback.q")
        status, _, body = self.mf.request("GET", "/__mockforge/api/amqp/connections")
        self.assertEqual(status, 200)
        addresses = {c["user"]: c["address"] for c in json.loads(body)["connections"]}
        self.assertTrue(addresses["app"].startswith(ADDRESS + ":"), addresses)


@unittest.skipIf(ADDRESS is None, "this host has no non-loopback IPv4 address")
class AmqpLoopbackUsersLifted(ConfiguredServer):
    config = """
amqp:
  loopback_users: []
"""
    extra_args = ("--bind", "0.0.0.0")

    def test_guest_from_anywhere_when_the_list_is_empty(self):
        params = pika.ConnectionParameters(host=ADDRESS, port=self.port("amqp"),
                                           socket_timeout=10, connection_attempts=1)
        connection = pika.BlockingConnection(params)
        self.assertTrue(connection.channel().is_open)
        connection.close()


# --- AMQP: tags and EXTERNAL ---

class AmqpTagsAndExternal(ConfiguredServer):
    """EXTERNAL offered on TLS connections with a verified client certificate; the user is the
    certificate's subject DN (RabbitMQ's default ssl_cert_login_from)."""
    config = """
tls:
  client_auth: optional
amqp:
  auth_mechanisms: [PLAIN, AMQPLAIN, EXTERNAL]
  users: ["guest:guest", "CN=mockforge-client,O=mockforge test:unused", "ops:ops-pw", "svc:svc-pw"]
  user_tags: ["ops administrator monitoring", "svc impersonator"]
"""

    def tls_params(self, credentials, with_certificate=True):
        context = ssl.create_default_context(cafile=self.ca)
        if with_certificate:
            context.load_cert_chain(self.client_cert, self.client_key)
        return pika.ConnectionParameters(
            host="localhost", port=self.port("amqp_tls"), credentials=credentials,
            ssl_options=pika.SSLOptions(context, "localhost"), socket_timeout=10,
            connection_attempts=1)

    def connect(self, params):
        connection = pika.BlockingConnection(params)
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection

    def test_admin_api_lists_tags(self):
        status, _, body = self.mf.request("GET", "/__mockforge/api/amqp/users")
        self.assertEqual(status, 200)
        tags = {u["name"]: u["tags"] for u in json.loads(body)["users"]}
        self.assertEqual(tags["ops"], ["administrator", "monitoring"])
        self.assertEqual(tags["svc"], ["impersonator"])
        self.assertEqual(tags["guest"], [])
        self.assertNotIn("ops-pw", body)

    def test_impersonator_may_publish_with_another_user_id(self):
        params = pika.ConnectionParameters(host="127.0.0.1", port=self.port("amqp"),
                                           credentials=pika.PlainCredentials("svc", "svc-pw"))
        channel = self.connect(params).channel()
        channel.queue_declare("tags.q")
        channel.confirm_delivery()
        channel.basic_publish("", "tags.q", b"on behalf",
                              pika.BasicProperties(user_id="someone-else"))
        _, props, body = channel.basic_get("tags.q", auto_ack=True)
        self.assertEqual((props.user_id, body), ("someone-else", b"on behalf"))
        # Without the tag: 406, as RabbitMQ.
        params = pika.ConnectionParameters(host="127.0.0.1", port=self.port("amqp"),
                                           credentials=pika.PlainCredentials("ops", "ops-pw"))
        channel = self.connect(params).channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            channel.basic_publish("", "tags.q", b"x", pika.BasicProperties(user_id="svc"))
            channel.queue_declare("tags.q", passive=True)
        self.assertEqual(caught.exception.reply_code, 406)

    def test_external_with_a_client_certificate(self):
        connection = self.connect(self.tls_params(pika.credentials.ExternalCredentials()))
        channel = connection.channel()
        channel.queue_declare("external.q")
        channel.basic_publish("", "external.q", b"by certificate")
        _, _, body = channel.basic_get("external.q", auto_ack=True)
        self.assertEqual(body, b"by certificate")
        status, _, listing = self.mf.request("GET", "/__mockforge/api/amqp/connections")
        users = {c["user"] for c in json.loads(listing)["connections"]}
        self.assertIn("CN=mockforge-client,O=mockforge test", users)

    def test_plain_still_works_over_tls_with_a_certificate(self):
        connection = self.connect(self.tls_params(pika.PlainCredentials("ops", "ops-pw")))
        self.assertTrue(connection.channel().is_open)

    def test_external_is_not_offered_without_a_certificate(self):
        # pika gives up itself when the server does not offer EXTERNAL.
        with self.assertRaises(pika.exceptions.AMQPConnectionError):
            self.connect(self.tls_params(pika.credentials.ExternalCredentials(),
                                         with_certificate=False))
        # ... and a PLAIN login on that connection still works.
        connection = self.connect(self.tls_params(pika.PlainCredentials("guest", "guest"),
                                                  with_certificate=False))
        self.assertTrue(connection.is_open)

    def test_external_is_not_offered_on_the_plain_listener(self):
        params = pika.ConnectionParameters(host="127.0.0.1", port=self.port("amqp"),
                                           credentials=pika.credentials.ExternalCredentials(),
                                           connection_attempts=1)
        with self.assertRaises(pika.exceptions.AMQPConnectionError):
            self.connect(params)

    def test_external_by_hand_without_the_offer_is_command_invalid(self):
        # A client that sends start-ok EXTERNAL although it was not offered: 503, as RabbitMQ.
        sock = socket.create_connection(("127.0.0.1", self.port("amqp")), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        start = read_frame(sock)
        self.assertIn(b"PLAIN AMQPLAIN", start)
        self.assertNotIn(b"EXTERNAL", start)
        args = (shortstr_table() + shortstr(b"EXTERNAL") + longstr(b"") + shortstr(b"en_US"))
        sock.sendall(method_frame(10, 11, args))
        close = read_frame(sock)
        self.assertIn(b"COMMAND_INVALID - invalid authentication mechanism 'EXTERNAL'", close)


class AmqpExternalCommonName(ConfiguredServer):
    config = """
tls:
  client_auth: required
amqp:
  auth_mechanisms: [EXTERNAL]
  ssl_cert_login_from: common_name
  users: ["mockforge-client:unused"]
  permissions: ["mockforge-client / ^ext\\\\. ^ext\\\\. ^ext\\\\."]
"""

    def test_external_takes_the_common_name_and_its_permissions(self):
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.client_cert, self.client_key)
        params = pika.ConnectionParameters(
            host="localhost", port=self.port("amqp_tls"),
            credentials=pika.credentials.ExternalCredentials(),
            ssl_options=pika.SSLOptions(context, "localhost"), connection_attempts=1)
        connection = pika.BlockingConnection(params)
        self.addCleanup(lambda: connection.is_open and connection.close())
        channel = connection.channel()
        channel.queue_declare("ext.q")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            channel.queue_declare("other.q")
        self.assertEqual(caught.exception.reply_code, 403)
        self.assertIn("refused for user 'mockforge-client'", caught.exception.reply_text)

    def test_password_logins_are_not_offered(self):
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.client_cert, self.client_key)
        params = pika.ConnectionParameters(
            host="localhost", port=self.port("amqp_tls"),
            credentials=pika.PlainCredentials("mockforge-client", "unused"),
            ssl_options=pika.SSLOptions(context, "localhost"), connection_attempts=1)
        with self.assertRaises(pika.exceptions.AMQPConnectionError):
            pika.BlockingConnection(params)


def shortstr(value):
    return bytes([len(value)]) + value


def longstr(value):
    return len(value).to_bytes(4, "big") + value


def shortstr_table():
    return (0).to_bytes(4, "big")


def method_frame(class_id, method_id, args):
    payload = class_id.to_bytes(2, "big") + method_id.to_bytes(2, "big") + args
    return b"\x01\x00\x00" + len(payload).to_bytes(4, "big") + payload + b"\xce"


def read_frame(sock):
    header = b""
    while len(header) < 7:
        chunk = sock.recv(7 - len(header))
        if not chunk:
            raise ConnectionError("closed")
        header += chunk
    size = int.from_bytes(header[3:7], "big") + 1
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return body


# --- MQTT: use_identity_as_username ---

class MqttIdentityAsUsername(ConfiguredServer):
    """The certificate's CN is the user; CONNECT's user name and password are ignored, and the
    ACL applies to the CN."""
    config = """
tls:
  client_auth: required
mqtt:
  use_identity_as_username: true
  auth_enabled: true
  users: ["plain-user:plain-pw"]
  acl:
    - "user mockforge-client"
    - "topic readwrite id/#"
    - "user plain-user"
    - "topic readwrite plain/#"
"""

    def mosquitto(self, tool, *args):
        return [tool, "-h", "localhost", "-p", str(self.port("mqtt_tls")), "--cafile", self.ca,
                "--cert", self.client_cert, "--key", self.client_key, *args]

    def test_mosquitto_pub_sub_as_the_certificate_identity(self):
        # A user name and a wrong password in CONNECT do not matter on the TLS listener.
        sub = subprocess.Popen(self.mosquitto("mosquitto_sub", "-t", "id/#", "-C", "1", "-W",
                                              "20", "-u", "someone", "-P", "wrong", "-v"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for(lambda: self.subscriptions() >= 1, "the subscription")
        # Outside the CN's ACL: accepted and dropped (3.1.1 has no refusal for a PUBLISH).
        done = subprocess.run(self.mosquitto("mosquitto_pub", "-t", "plain/x", "-m", "no"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        done = subprocess.run(self.mosquitto("mosquitto_pub", "-t", "id/x", "-m", "yes", "-V",
                                             "mqttv5"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "id/x yes", err)

    def subscriptions(self):
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/stats")
        return json.loads(body)["subscriptions"] if status == 200 else 0

    def test_paho_v5_acl_refuses_a_subscription_outside_the_identity(self):
        granted = []
        client = paho.Client(client_id=f"ident-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)
        client.tls_set(ca_certs=self.ca, certfile=self.client_cert, keyfile=self.client_key)
        client.username_pw_set("plain-user", "plain-pw")  # ignored: the CN is the user
        client.on_subscribe = lambda c, u, mid, codes, props: granted.extend(
            code.value for code in codes)
        client.connect("localhost", self.port("mqtt_tls"))
        client.loop_start()
        self.addCleanup(client.loop_stop)
        self.addCleanup(client.disconnect)
        client.subscribe([("plain/#", 1), ("id/#", 1)])
        self.wait_for(lambda: len(granted) == 2, "the SUBACK")
        self.assertEqual(granted, [0x87, 1])

    def test_paho_over_wss_goes_by_the_certificate_identity(self):
        received = []
        client = paho.Client(client_id=f"ident-wss-{uuid.uuid4().hex[:8]}",
                             transport="websockets", protocol=paho.MQTTv311)
        client.tls_set(ca_certs=self.ca, certfile=self.client_cert, keyfile=self.client_key)
        client.on_message = lambda c, u, m: received.append((m.topic, m.payload))
        granted = []
        client.on_subscribe = lambda c, u, mid, codes: granted.extend(codes)
        client.connect("localhost", self.port("mqtt_wss"))
        client.loop_start()
        self.addCleanup(client.loop_stop)
        self.addCleanup(client.disconnect)
        client.subscribe([("plain/#", 1), ("id/wss", 1)])
        self.wait_for(lambda: len(granted) == 2, "the SUBACK")
        self.assertEqual(granted, [0x80, 1])  # 3.1.1: the ACL refuses outside the CN's topics
        client.publish("id/wss", b"by certificate", qos=1).wait_for_publish(10)
        self.wait_for(lambda: received, "the message back")
        self.assertEqual(received, [("id/wss", b"by certificate")])

    def test_plain_listener_still_checks_passwords(self):
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port("mqtt")),
                               "-t", "plain/x", "-m", "x", "-u", "plain-user", "-P", "plain-pw"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port("mqtt")),
                               "-t", "plain/x", "-m", "x", "-u", "plain-user", "-P", "wrong"],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)


# --- MQTT: use_subject_as_username ---

DEVICE_SUBJECT = "/C=DE/O=Example Org/OU=devices/CN=device-7"
# Mosquitto prints the subject with OpenSSL's RFC 2253 flags: the last RDN first, commas.
DEVICE_USER = "CN=device-7,OU=devices,O=Example Org,C=DE"


class MqttSubjectAsUsername(ConfiguredServer):
    """The certificate's whole subject, in Mosquitto's RFC 2253 form, is the user; CONNECT's
    user name and password are ignored, and the ACL applies to the subject."""
    config = """
tls:
  client_auth: required
mqtt:
  use_subject_as_username: true
  auth_enabled: true
  users: ["plain-user:plain-pw"]
  acl:
    - "user """ + DEVICE_USER + """"
    - "topic readwrite devices/#"
    - "user mockforge-client"
    - "topic readwrite cn/#"
    - "user plain-user"
    - "topic readwrite plain/#"
"""

    @classmethod
    def prepare(cls):
        # A client certificate with a subject of several RDNs, signed by the test CA.
        cls.device_cert = os.path.join(cls.certs, "device.pem")
        cls.device_key = os.path.join(cls.certs, "device-key.pem")
        csr = os.path.join(cls.certs, "device.csr")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-subj", DEVICE_SUBJECT,
                        "-keyout", cls.device_key, "-out", csr],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA",
                        os.path.join(cls.certs, "ca.pem"), "-CAkey",
                        os.path.join(cls.certs, "ca-key.pem"), "-CAcreateserial", "-days", "2",
                        "-out", cls.device_cert], check=True, capture_output=True, timeout=30)

    def mosquitto(self, tool, *args):
        return [tool, "-h", "localhost", "-p", str(self.port("mqtt_tls")), "--cafile", self.ca,
                "--cert", self.device_cert, "--key", self.device_key, *args]

    def subscriptions(self):
        status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/stats")
        return json.loads(body)["subscriptions"] if status == 200 else 0

    def test_openssl_prints_the_subject_as_the_user_name(self):
        done = subprocess.run(["openssl", "x509", "-in", self.device_cert, "-noout", "-subject",
                               "-nameopt", "RFC2253"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.stdout.strip(), "subject=" + DEVICE_USER)

    def test_mosquitto_pub_sub_as_the_certificate_subject(self):
        sub = subprocess.Popen(self.mosquitto("mosquitto_sub", "-t", "devices/#", "-C", "1",
                                              "-W", "20", "-u", "plain-user", "-P", "wrong",
                                              "-v"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for(lambda: self.subscriptions() >= 1, "the subscription")
        # Outside the subject's ACL (plain-user's and the CN's topics): accepted and dropped.
        for topic in ("plain/x", "cn/x"):
            done = subprocess.run(self.mosquitto("mosquitto_pub", "-t", topic, "-m", "no"),
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 0, done.stderr)
        done = subprocess.run(self.mosquitto("mosquitto_pub", "-t", "devices/7", "-m", "yes",
                                             "-V", "mqttv5"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "devices/7 yes", err)

    def paho_subscribe(self, cert, key, topics):
        granted = []
        client = paho.Client(client_id=f"subject-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)
        client.tls_set(ca_certs=self.ca, certfile=cert, keyfile=key)
        client.username_pw_set("plain-user", "plain-pw")  # ignored: the subject is the user
        client.on_subscribe = lambda c, u, mid, codes, props: granted.extend(
            code.value for code in codes)
        client.connect("localhost", self.port("mqtt_tls"))
        client.loop_start()
        self.addCleanup(client.loop_stop)
        self.addCleanup(client.disconnect)
        client.subscribe([(topic, 1) for topic in topics])
        self.wait_for(lambda: len(granted) == len(topics), "the SUBACK")
        return granted

    def test_paho_v5_acl_goes_by_the_subject(self):
        self.assertEqual(
            self.paho_subscribe(self.device_cert, self.device_key,
                                ["plain/#", "cn/#", "devices/#"]), [0x87, 0x87, 1])

    def test_paho_v5_a_cn_only_subject_is_not_the_bare_cn(self):
        # `mockforge certs generate`'s client certificate: its subject, not its CN, is the user,
        # so the "user mockforge-client" rules do not apply to it.
        subject = subprocess.run(["openssl", "x509", "-in", self.client_cert, "-noout",
                                  "-subject", "-nameopt", "RFC2253"], capture_output=True,
                                 text=True, timeout=30).stdout.strip()
        self.assertNotEqual(subject, "subject=mockforge-client")
        self.assertEqual(self.paho_subscribe(self.client_cert, self.client_key, ["cn/#"]), [0x87])

    def test_without_a_certificate_the_handshake_fails(self):
        done = subprocess.run(["mosquitto_pub", "-h", "localhost", "-p",
                               str(self.port("mqtt_tls")), "--cafile", self.ca, "-t",
                               "devices/x", "-m", "x"], capture_output=True, text=True,
                              timeout=30)
        self.assertNotEqual(done.returncode, 0)


# --- MQTT: password files from mosquitto_passwd ---

class MqttPasswordFile(ConfiguredServer):
    config = """
mqtt:
  auth_enabled: true
  password_file: {certs}/passwd
  users: ["inline:inline-pw"]
"""

    @classmethod
    def prepare(cls):
        path = os.path.join(cls.certs, "passwd")
        for i, (user, password) in enumerate((("alice", "alice secret"), ("bob", "hunter2"))):
            args = ["mosquitto_passwd", "-b", path, user, password]
            if i == 0:
                args.insert(1, "-c")
            subprocess.run(args, check=True, capture_output=True, timeout=30)

    def pub(self, *args):
        return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port("mqtt")),
                               "-t", "pw/x", "-m", "x", *args],
                              capture_output=True, text=True, timeout=30)

    def test_mosquitto_pub_with_hashed_and_inline_users(self):
        for user, password in (("alice", "alice secret"), ("bob", "hunter2"),
                               ("inline", "inline-pw")):
            with self.subTest(user=user):
                done = self.pub("-u", user, "-P", password)
                self.assertEqual(done.returncode, 0, done.stderr)
                done = self.pub("-u", user, "-P", password, "-V", "mqttv5")
                self.assertEqual(done.returncode, 0, done.stderr)

    def test_mosquitto_sub_receives_from_a_hashed_user(self):
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port("mqtt")),
                                "-t", "pw/sub", "-C", "1", "-W", "20", "-u", "bob", "-P",
                                "hunter2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, _, body = self.mf.request("GET", "/__mockforge/api/mqtt/stats")
            if json.loads(body)["subscriptions"] >= 1:
                break
            time.sleep(0.02)
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port("mqtt")),
                               "-t", "pw/sub", "-m", "hashed", "-u", "alice", "-P",
                               "alice secret"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.strip(), "hashed", err)

    def paho_connack(self, protocol, user, password):
        codes = []
        client = paho.Client(client_id=f"pw-{uuid.uuid4().hex[:8]}", protocol=protocol)
        client.username_pw_set(user, password)
        if protocol == paho.MQTTv5:
            client.on_connect = lambda c, u, flags, rc, props=None: codes.append(rc.value)
        else:
            client.on_connect = lambda c, u, flags, rc: codes.append(rc)
        client.connect("127.0.0.1", self.port("mqtt"))
        client.loop_start()
        try:
            self.wait_for(lambda: codes, "the CONNACK")
        finally:
            client.disconnect()
            client.loop_stop()
        return codes[0]

    def test_paho_refusals_v5_and_v311(self):
        self.assertEqual(self.paho_connack(paho.MQTTv5, "alice", "alice secret"), 0)
        self.assertEqual(self.paho_connack(paho.MQTTv311, "alice", "alice secret"), 0)
        # Wrong password: v5 0x86 Bad User Name or Password; 3.1.1 0x05 Not authorized.
        self.assertEqual(self.paho_connack(paho.MQTTv5, "alice", "wrong"), 0x86)
        self.assertEqual(self.paho_connack(paho.MQTTv311, "alice", "wrong"), 5)
        self.assertEqual(self.paho_connack(paho.MQTTv5, "nobody", "x"), 0x86)

    def test_mosquitto_pub_wrong_password_refused(self):
        done = self.pub("-u", "alice", "-P", "wrong", "-V", "mqttv5")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("Bad User Name or Password", done.stderr)
        self.assertNotIn("alice secret", self.mf.output())


class MqttIdentityWithoutCertificate(unittest.TestCase):
    def test_config_needs_client_auth_required(self):
        certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        self.addCleanup(shutil.rmtree, certs, True)
        generate_certs(certs)
        with self.assertRaises(RuntimeError) as caught:
            Mockforge(*tls_args(certs), env={"MOCKFORGE_MQTT_USE_IDENTITY_AS_USERNAME": "true"})
        self.assertIn("mqtt.use_identity_as_username", str(caught.exception))
        self.assertIn("needs tls.client_auth: required", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
