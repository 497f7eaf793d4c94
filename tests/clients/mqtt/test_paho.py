"""paho-mqtt 1.6 (Debian, /usr/bin/python3) for MQTT 3.1.1 and 5: persistent
sessions with offline queue, redelivery, wills, subscription identifiers,
shared subscriptions, topic aliases."""

import queue
import socket
import struct
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

import peers
from mqtt_support import MqttTestCase

TIMEOUT = 15


class PahoClient:
    """A paho client running its network loop, with received messages queued."""

    def __init__(self, test, client_id, protocol=mqtt.MQTTv311, clean=True, will=None,
                 connect_properties=None):
        self.messages = queue.Queue()
        self.events = queue.Queue()
        kwargs = {"clean_session": clean} if protocol != mqtt.MQTTv5 else {}
        self.client = mqtt.Client(client_id=client_id, protocol=protocol, **kwargs)
        if will:
            self.client.will_set(*will)
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        self.client.on_connect = lambda c, u, flags, rc, *props: self.events.put(
            ("connect", flags, rc))
        self.client.on_subscribe = lambda c, u, mid, granted, *props: self.events.put(
            ("subscribe", mid, granted))
        self.client.on_disconnect = lambda c, u, rc, *props: self.events.put(("disconnect", rc))
        if protocol == mqtt.MQTTv5:
            self.client.connect("127.0.0.1", test.port, keepalive=30, clean_start=clean,
                                properties=connect_properties)
        else:
            self.client.connect("127.0.0.1", test.port, keepalive=30)
        self.client.loop_start()
        kind, self.flags, self.rc = self.events.get(timeout=TIMEOUT)
        test.assertEqual(kind, "connect")
        test.assertEqual(self.rc, 0)

    def subscribe(self, test, *args, **kwargs):
        result, mid = self.client.subscribe(*args, **kwargs)
        test.assertEqual(result, mqtt.MQTT_ERR_SUCCESS)
        kind, got_mid, granted = self.events.get(timeout=TIMEOUT)
        test.assertEqual((kind, got_mid), ("subscribe", mid))
        return granted

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(timeout=TIMEOUT)
        assert info.is_published()

    def next(self):
        return self.messages.get(timeout=TIMEOUT)

    def disconnect(self):
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self):
        """Ends the connection without DISCONNECT (abnormal close)."""
        self.client.loop_stop()
        self.client.socket().close()


def own_copy_order(port, protocol, qos):
    """A client subscribed to its own topic publishes once: the order of its
    callbacks, ("message", ...) for its copy and ("acked", ...) for the
    PUBACK (QoS 1) or PUBCOMP (QoS 2) of its publish."""
    events = queue.Queue()
    client = mqtt.Client(client_id=f"own-copy-{protocol}-{qos}", protocol=protocol)
    client.on_message = lambda c, u, msg: events.put(("message", msg.payload))
    client.on_publish = lambda c, u, mid: events.put(("acked", mid))
    client.on_subscribe = lambda c, u, mid, granted, *props: events.put(("subscribed", mid))
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        client.subscribe("own/copy", qos=qos)
        assert events.get(timeout=TIMEOUT)[0] == "subscribed"
        info = client.publish("own/copy", b"mine", qos=qos)
        order = [events.get(timeout=TIMEOUT), events.get(timeout=TIMEOUT)]
        return [(kind, value if kind == "message" else value == info.mid) for kind, value in order]
    finally:
        client.disconnect()
        client.loop_stop()


class PahoClients(MqttTestCase):
    def test_own_copy_arrives_before_the_acknowledgement(self):
        # As Mosquitto does it (checked against Debian's mosquitto here too): a
        # client that gets its own QoS 1 message has it before the PUBACK. (QoS 2:
        # Mosquitto routes on PUBREL, so its PUBCOMP comes first; mockforge routes on
        # PUBLISH, docs/compatibility.md.)
        with peers.mosquitto() as mosquitto:
            for port in (self.port, mosquitto.port):
                for protocol in (mqtt.MQTTv311, mqtt.MQTTv5):
                    for qos in (1,) if port == mosquitto.port else (1, 2):
                        with self.subTest(port=port, protocol=protocol, qos=qos):
                            self.assertEqual(own_copy_order(port, protocol, qos),
                                             [("message", b"mine"), ("acked", True)])

    def test_persistent_session_offline_queue_v311(self):
        sub = PahoClient(self, "paho-durable", clean=False)
        self.assertEqual(sub.subscribe(self, "offline/q", qos=1), (1,))
        sub.disconnect()
        self.wait_idle()
        pub = PahoClient(self, "paho-pub-1")
        for i in range(3):
            pub.publish("offline/q", f"m{i}", qos=1)
        pub.publish("offline/q", "qos0-not-queued", qos=0)
        pub.disconnect()
        again = PahoClient(self, "paho-durable", clean=False)
        self.assertEqual(again.flags["session present"], 1)
        got = [again.next() for _ in range(3)]
        self.assertEqual([m.payload for m in got], [b"m0", b"m1", b"m2"])
        self.assertTrue(all(m.qos == 1 for m in got))
        again.disconnect()
        # Clean session discards it.
        fresh = PahoClient(self, "paho-durable", clean=True)
        self.assertEqual(fresh.flags["session present"], 0)
        fresh.disconnect()

    def test_persistent_session_v5_expiry(self):
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
        sub = PahoClient(self, "paho-v5-durable", mqtt.MQTTv5, clean=False,
                         connect_properties=props)
        sub.subscribe(self, "offline5/q", options=SubscribeOptions(qos=2))
        sub.disconnect()
        self.wait_idle()
        pub = PahoClient(self, "paho-pub-2", mqtt.MQTTv5)
        pub.publish("offline5/q", "later", qos=2)
        pub.disconnect()
        again = PahoClient(self, "paho-v5-durable", mqtt.MQTTv5, clean=False,
                           connect_properties=props)
        self.assertEqual(again.flags["session present"], 1)
        msg = again.next()
        self.assertEqual((msg.payload, msg.qos), (b"later", 2))
        again.disconnect()

    def test_unacknowledged_message_redelivered_with_dup(self):
        # The first connection is a raw socket that never sends PUBACK, which
        # paho cannot be told to do; the redelivery goes to paho.
        self.wait_idle()
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        client_id = b"redeliver-me"
        body = b"\x00\x04MQTT\x04\x00\x00\x1e" + struct.pack(">H", len(client_id)) + client_id
        raw.sendall(bytes([0x10, len(body)]) + body)
        self.assertEqual(raw.recv(4), b"\x20\x02\x00\x00")
        topic = b"redeliver/t"
        sub_body = b"\x00\x01" + struct.pack(">H", len(topic)) + topic + b"\x01"
        raw.sendall(bytes([0x82, len(sub_body)]) + sub_body)
        self.assertEqual(raw.recv(5), b"\x90\x03\x00\x01\x01")
        pub = PahoClient(self, "paho-pub-3")
        pub.publish("redeliver/t", "again", qos=1)
        pub.disconnect()
        header = raw.recv(1)
        self.assertEqual(header[0] & 0xF6, 0x32)  # PUBLISH QoS 1, not DUP yet
        raw.close()
        self.wait_idle()
        again = PahoClient(self, "redeliver-me", clean=False)
        self.assertEqual(again.flags["session present"], 1)
        msg = again.next()
        self.assertEqual(msg.payload, b"again")
        self.assertTrue(msg.dup)
        again.disconnect()

    def test_takeover_redelivers_inflight_with_dup_and_same_packet_id(self):
        # A raw 3.1.1 connection takes a QoS 1 message and never acknowledges
        # it; paho takes the session over while that connection is still open.
        self.wait_idle()
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        client_id = b"takeover-me"
        body = b"\x00\x04MQTT\x04\x00\x00\x1e" + struct.pack(">H", len(client_id)) + client_id
        raw.sendall(bytes([0x10, len(body)]) + body)
        self.assertEqual(raw.recv(4), b"\x20\x02\x00\x00")
        topic = b"takeover/t"
        sub_body = b"\x00\x01" + struct.pack(">H", len(topic)) + topic + b"\x01"
        raw.sendall(bytes([0x82, len(sub_body)]) + sub_body)
        self.assertEqual(raw.recv(5), b"\x90\x03\x00\x01\x01")
        pub = PahoClient(self, "paho-pub-4")
        pub.publish("takeover/t", "in flight", qos=1)
        header = raw.recv(2)
        self.assertEqual(header[0] & 0xF6, 0x32)  # PUBLISH QoS 1, not DUP
        rest = b""
        while len(rest) < header[1]:
            rest += raw.recv(header[1] - len(rest))
        packet_id = rest[2 + len(topic):4 + len(topic)]
        again = PahoClient(self, "takeover-me", clean=False)
        self.assertEqual(again.flags["session present"], 1)
        self.assertEqual(raw.recv(1), b"")  # the old connection was closed
        raw.close()
        msg = again.next()
        self.assertEqual(msg.payload, b"in flight")
        self.assertTrue(msg.dup)
        self.assertEqual(struct.pack(">H", msg.mid), packet_id)
        pub.publish("takeover/t", "after", qos=1)
        msg = again.next()
        self.assertEqual(msg.payload, b"after")
        self.assertFalse(msg.dup)
        again.disconnect()
        pub.disconnect()

    def test_will_on_abnormal_close_not_on_disconnect(self):
        watcher = PahoClient(self, "will-watcher", mqtt.MQTTv5)
        watcher.subscribe(self, "wills/#", options=SubscribeOptions(qos=1))
        polite = PahoClient(self, "polite", will=("wills/polite", "gone", 1))
        polite.disconnect()
        rude = PahoClient(self, "rude", will=("wills/rude", "gone", 1))
        rude.drop()
        msg = watcher.next()  # the polite will would have come first
        self.assertEqual((msg.topic, msg.payload), ("wills/rude", b"gone"))
        watcher.disconnect()

    def test_subscription_identifiers(self):
        sub = PahoClient(self, "sid-sub", mqtt.MQTTv5)
        for identifier, topic in ((5, "sid/+"), (6, "sid/a")):
            props = Properties(PacketTypes.SUBSCRIBE)
            props.SubscriptionIdentifier = identifier
            sub.subscribe(self, topic, options=SubscribeOptions(qos=1), properties=props)
        pub = PahoClient(self, "sid-pub", mqtt.MQTTv5)
        pub.publish("sid/a", "both", qos=1)
        msg = sub.next()
        self.assertEqual(msg.payload, b"both")
        self.assertEqual(sorted(msg.properties.SubscriptionIdentifier), [5, 6])
        pub.publish("sid/b", "one", qos=1)
        msg = sub.next()
        self.assertEqual(msg.properties.SubscriptionIdentifier, [5])
        sub.disconnect()
        pub.disconnect()

    def test_shared_subscription_round_robin(self):
        members = [PahoClient(self, f"worker-{i}", mqtt.MQTTv5) for i in range(2)]
        for member in members:
            member.subscribe(self, "$share/workers/jobs", options=SubscribeOptions(qos=1))
        pub = PahoClient(self, "job-pub", mqtt.MQTTv5)
        for i in range(4):
            pub.publish("jobs", f"job{i}", qos=1)
        got = [sorted(m.next().payload for _ in range(2)) for m in members]
        self.assertEqual(sorted(got[0] + got[1]), [b"job0", b"job1", b"job2", b"job3"])
        for member in members:
            self.assertTrue(member.messages.empty())
            member.disconnect()
        pub.disconnect()

    def test_topic_alias_from_client(self):
        sub = PahoClient(self, "alias-sub", mqtt.MQTTv5)
        sub.subscribe(self, "alias/long/topic", options=SubscribeOptions(qos=1))
        pub = PahoClient(self, "alias-pub", mqtt.MQTTv5)
        props = Properties(PacketTypes.PUBLISH)
        props.TopicAlias = 1
        pub.publish("alias/long/topic", "first", qos=1, properties=props)
        pub.publish("", "second", qos=1, properties=props)
        first, second = sub.next(), sub.next()
        self.assertEqual((first.topic, first.payload), ("alias/long/topic", b"first"))
        self.assertEqual((second.topic, second.payload), ("alias/long/topic", b"second"))
        sub.disconnect()
        pub.disconnect()

    def test_assigned_client_identifier(self):
        client = PahoClient(self, "", mqtt.MQTTv5)
        client.subscribe(self, "assigned/t", options=SubscribeOptions(qos=0))
        client.publish("assigned/t", "hi")
        self.assertEqual(client.next().payload, b"hi")
        client.disconnect()


if __name__ == "__main__":
    unittest.main()
