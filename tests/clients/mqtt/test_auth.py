"""Authentication, the ACL and $SYS topics with real clients: paho-mqtt 1.6
(3.1.1 and 5) and mosquitto_pub/mosquitto_sub, against `mockforge serve`
configured by a YAML file (users, inline ACL lines) and an acl_file."""

import os
import queue
import subprocess
import tempfile
import time
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from mqtt_support import MqttTestCase

TIMEOUT = 15

ACL_FILE = """\
# Mosquitto acl_file syntax
topic read public/#

user alice
topic readwrite sensors/#
topic deny sensors/secret

user bob
topic read sensors/#
topic read $SYS/#

pattern write devices/%c/#
"""


def write_config(extra=""):
    directory = tempfile.mkdtemp(prefix="mockforge-auth-")
    acl_path = os.path.join(directory, "acl")
    with open(acl_path, "w") as f:
        f.write(ACL_FILE)
    config_path = os.path.join(directory, "mockforge.yaml")
    with open(config_path, "w") as f:
        f.write(f"""\
mqtt:
  auth_enabled: true
  users: ["alice:secret", "bob:b:with:colons", "dev:dev"]
  acl_file: {acl_path}
  acl:
    - "user dev"
    - "topic read devices/+/commands"
  sys_interval: 200ms
{extra}""")
    return config_path


def connect(test, client_id, user=None, password=None, protocol=mqtt.MQTTv311):
    """A connected paho client, or the CONNACK code it was refused with."""
    events = queue.Queue()
    client = mqtt.Client(client_id=client_id, protocol=protocol)
    if user is not None:
        client.username_pw_set(user, password)
    client.on_connect = lambda c, u, flags, rc, *props: events.put(rc)
    client.on_subscribe = lambda c, u, mid, granted, *props: events.put(granted)
    client.messages = queue.Queue()
    client.on_message = lambda c, u, msg: client.messages.put(msg)
    client.events = events
    client.connect("127.0.0.1", test.port, keepalive=30)
    client.loop_start()
    rc = events.get(timeout=TIMEOUT)
    code = rc.value if hasattr(rc, "value") else rc
    if code != 0:
        client.loop_stop()
        return code
    return client


def granted(client, filters):
    """SUBACK codes for one SUBSCRIBE of `filters` at QoS 1."""
    if client._protocol == mqtt.MQTTv5:
        client.subscribe([(f, SubscribeOptions(qos=1)) for f in filters])
    else:
        client.subscribe([(f, 1) for f in filters])
    codes = client.events.get(timeout=TIMEOUT)
    return [c.value if hasattr(c, "value") else c for c in codes]


def close(client):
    client.disconnect()
    client.loop_stop()


class Authentication(MqttTestCase):
    @classmethod
    def setUpClass(cls):
        cls.extra_args = ("--config", write_config())
        super().setUpClass()

    def test_good_credentials_connect(self):
        for protocol in (mqtt.MQTTv311, mqtt.MQTTv5):
            client = connect(self, "good", "alice", "secret", protocol)
            self.assertNotIsInstance(client, int)
            close(client)
        # The password is everything after the first colon.
        close(connect(self, "colons", "bob", "b:with:colons"))

    def test_bad_credentials(self):
        # 3.1.1: 0x05 Not authorized; v5: 0x86 Bad User Name or Password.
        self.assertEqual(connect(self, "bad", "alice", "wrong"), 5)
        self.assertEqual(connect(self, "bad", "nobody", "x"), 5)
        self.assertEqual(connect(self, "bad", "alice", "wrong", mqtt.MQTTv5), 0x86)

    def test_anonymous_refused(self):
        self.assertEqual(connect(self, "anon"), 5)
        self.assertEqual(connect(self, "anon", protocol=mqtt.MQTTv5), 0x87)

    def test_mosquitto_sub_reports_refusal(self):
        for version, text in (("mqttv311", "not authorised"), ("mqttv5", "Bad User Name")):
            result = subprocess.run(
                ["mosquitto_sub", "-p", str(self.port), "-h", "127.0.0.1", "-V", version,
                 "-u", "alice", "-P", "wrong", "-t", "x", "-W", "5"],
                capture_output=True, text=True, timeout=TIMEOUT)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn(text.lower(), result.stderr.lower())

    def test_subscriptions_checked_against_read_rules(self):
        filters = ["sensors/#", "sensors/secret", "other/#", "#"]
        v3 = connect(self, "alice-v3", "alice", "secret")
        self.assertEqual(granted(v3, filters), [1, 0x80, 0x80, 1])
        close(v3)
        v5 = connect(self, "alice-v5", "alice", "secret", mqtt.MQTTv5)
        self.assertEqual(granted(v5, filters), [1, 0x87, 0x87, 1])
        close(v5)

    def test_publish_rights_and_delivery_filter(self):
        sub = connect(self, "bob-sub", "bob", "b:with:colons", mqtt.MQTTv5)
        self.assertEqual(granted(sub, ["sensors/#"]), [1])
        pub = connect(self, "alice-pub", "alice", "secret", mqtt.MQTTv5)
        dev = connect(self, "dev-7", "dev", "dev")
        pub.publish("sensors/secret", "denied", qos=1).wait_for_publish(TIMEOUT)
        dev.publish("sensors/x", "denied for dev", qos=1).wait_for_publish(TIMEOUT)
        pub.publish("sensors/t", "allowed", qos=1).wait_for_publish(TIMEOUT)
        msg = sub.messages.get(timeout=TIMEOUT)
        self.assertEqual((msg.topic, msg.payload), ("sensors/t", b"allowed"))
        # %c pattern: dev-7 may write devices/dev-7/..., and read its commands.
        self.assertEqual(granted(dev, ["devices/dev-7/commands", "devices/dev-8/state"]), [1, 0x80])
        alice_sub = connect(self, "alice-watch", "alice", "secret")
        self.assertEqual(granted(alice_sub, ["#"]), [1])
        dev.publish("devices/dev-7/state", "own", qos=1).wait_for_publish(TIMEOUT)
        dev.publish("devices/dev-8/state", "other's", qos=1).wait_for_publish(TIMEOUT)
        pub.publish("sensors/after", "marker", qos=1).wait_for_publish(TIMEOUT)
        # alice reads sensors/# only: neither device message reaches her.
        self.assertEqual(alice_sub.messages.get(timeout=TIMEOUT).topic, "sensors/after")
        self.assertTrue(alice_sub.messages.empty())
        self.assertEqual(sub.messages.get(timeout=TIMEOUT).topic, "sensors/after")
        self.assertTrue(sub.messages.empty())
        self.assertGreaterEqual(
            self.metric("mqtt_messages_dropped_total", 'reason="not_authorized"'), 3)
        for client in (sub, pub, dev, alice_sub):
            close(client)

    def test_mosquitto_pub_v5_reports_not_authorized(self):
        result = subprocess.run(
            ["mosquitto_pub", "-p", str(self.port), "-h", "127.0.0.1", "-V", "mqttv5",
             "-u", "alice", "-P", "secret", "-t", "public/x", "-m", "m", "-q", "1", "-d"],
            capture_output=True, text=True, timeout=TIMEOUT)
        output = result.stdout + result.stderr
        self.assertIn("PUBACK", output)
        self.assertIn("Not authorized", output)

    def test_will_on_a_forbidden_topic_is_refused(self):
        client = mqtt.Client(client_id="will-bob", protocol=mqtt.MQTTv5)
        client.username_pw_set("bob", "b:with:colons")
        client.will_set("sensors/bye", "gone")
        events = queue.Queue()
        client.on_connect = lambda c, u, flags, rc, *props: events.put(rc.value)
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        self.assertEqual(events.get(timeout=TIMEOUT), 0x87)
        client.loop_stop()

    def test_sys_topics(self):
        # bob may read $SYS/#; a leading wildcard never matches $SYS.
        bob = connect(self, "bob-sys", "bob", "b:with:colons")
        self.assertEqual(granted(bob, ["$SYS/broker/+", "$SYS/broker/clients/#"]), [1, 1])
        seen = {}
        # The retained values come first; bob is counted at the next update.
        while int(seen.get("$SYS/broker/clients/connected", "0")) < 1:
            msg = bob.messages.get(timeout=TIMEOUT)
            seen[msg.topic] = msg.payload.decode()
        self.assertRegex(seen["$SYS/broker/version"], r"^mockforge version \d")
        self.assertRegex(seen["$SYS/broker/uptime"], r"^\d+ seconds$")
        alice = connect(self, "alice-sys", "alice", "secret")
        self.assertEqual(granted(alice, ["$SYS/#"]), [0x80])  # no read rule for $SYS
        close(alice)
        close(bob)


class SubscribeRefusal0x80(MqttTestCase):
    @classmethod
    def setUpClass(cls):
        cls.extra_args = ("--config", write_config("  suback_refusal_unspecified: true\n"))
        super().setUpClass()

    def test_v5_refusal_is_0x80(self):
        v5 = connect(self, "alice-80", "alice", "secret", mqtt.MQTTv5)
        self.assertEqual(granted(v5, ["sensors/a", "other"]), [1, 0x80])
        close(v5)


class SysTopics(MqttTestCase):
    """No ACL: every client reads $SYS; mosquitto_sub and the CLI read it."""
    env = {"MOCKFORGE_MQTT_SYS_INTERVAL": "100ms"}

    def test_mosquitto_sub_reads_sys(self):
        self.wait_idle()
        result = subprocess.run(
            ["mosquitto_sub", "-p", str(self.port), "-h", "127.0.0.1", "-t", "$SYS/broker/#",
             "-F", "%t|%p", "-W", "3"], capture_output=True, text=True, timeout=TIMEOUT)
        values = dict(line.split("|", 1) for line in result.stdout.splitlines())
        for topic in ("version", "uptime", "clients/connected", "clients/maximum",
                      "messages/received", "messages/sent", "bytes/received", "bytes/sent",
                      "publish/messages/received", "publish/messages/sent",
                      "subscriptions/count", "retained messages/count"):
            self.assertIn("$SYS/broker/" + topic, values)
        self.assertEqual(values["$SYS/broker/clients/connected"], "1")

    def test_counts_follow_traffic(self):
        watcher = connect(self, "sys-watch")
        self.assertEqual(granted(watcher, ["$SYS/broker/publish/messages/received",
                                           "$SYS/broker/retained messages/count"]), [1, 1])
        latest = {}

        def drain_until(predicate):
            deadline = time.monotonic() + TIMEOUT
            while not predicate():
                msg = watcher.messages.get(timeout=max(0.1, deadline - time.monotonic()))
                latest[msg.topic] = int(msg.payload)

        drain_until(lambda: len(latest) == 2)
        before = latest["$SYS/broker/publish/messages/received"]
        pub = connect(self, "sys-pub")
        for i in range(3):
            pub.publish(f"retained/{i}", "r", qos=1, retain=True).wait_for_publish(TIMEOUT)
        drain_until(lambda: latest["$SYS/broker/publish/messages/received"] >= before + 3
                    and latest["$SYS/broker/retained messages/count"] >= 3)
        for i in range(3):
            pub.publish(f"retained/{i}", "", qos=1, retain=True).wait_for_publish(TIMEOUT)
        close(pub)
        close(watcher)


if __name__ == "__main__":
    unittest.main()
