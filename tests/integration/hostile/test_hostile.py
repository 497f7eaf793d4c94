"""Hostile input against a real broker while real clients keep working: each attack
gets the protocol's own error or a close, the broker's memory stays bounded, and the
bystanders (paho-mqtt, pika, confluent-kafka) are served throughout."""

import threading
import time
import unittest

import hostile
from mockforge_harness import Mockforge

# The largest growth of the broker's memory allowed while 32 connections each hold
# 64 KiB of a frame declared at up to 256 MiB: resident (VmRSS), and allocated
# (VmData, which counts a buffer reserved for the whole declared frame even if
# its pages were never touched: 8 GiB for 32 such MQTT connections).
HELD_RSS_GROWTH_LIMIT_KIB = 64 * 1024
HELD_DATA_GROWTH_LIMIT_KIB = 512 * 1024
CONNECTIONS = 32


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge("--log-level", "warn", ready_timeout=60)
        cls.ports = cls.mf.ports
        cls.bystanders = [hostile.Bystander(name, cls.ports) for name in ("mqtt", "amqp", "kafka")]
        for bystander in cls.bystanders:
            bystander.start()
        for bystander in cls.bystanders:
            bystander.ready.wait(60)

    @classmethod
    def tearDownClass(cls):
        for bystander in cls.bystanders:
            bystander.stop()
        cls.mf.close()

    def setUp(self):
        self.served_before = [b.ok for b in self.bystanders]

    def tearDown(self):
        # Every bystander made round trips during the attack and none failed.
        for bystander, before in zip(self.bystanders, self.served_before):
            self.assertEqual(bystander.failures, [], bystander.protocol)
            self.wait_for(lambda: bystander.ok > before, f"{bystander.protocol} round trip")
        self.assertIsNone(self.mf.proc.poll(), self.mf.output()[-3000:])

    def wait_for(self, predicate, what, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail(f"timed out waiting for {what}")

    def test_slow_loris_is_closed_by_the_handshake_timeout(self):
        # One byte a second of a first frame that would take longer than the
        # 10 s CONNECT / AMQP handshake / WebSocket upgrade timeouts to arrive.
        results = {}
        cases = {
            "mqtt": (self.ports["mqtt"], hostile.mqtt_connect("loris" + "x" * 20)),
            "amqp": (self.ports["amqp"], hostile.AMQP_HEADER + hostile.amqp_start_ok()),
            "mqtt_ws": (self.ports["mqtt_ws"], hostile.WS_UPGRADE),
        }
        threads = [threading.Thread(target=lambda k=k, p=p, b=b: results.__setitem__(
            k, hostile.slow_loris(p, b, limit=40))) for k, (p, b) in cases.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for key, (closed_after, sent) in results.items():
            self.assertIsNotNone(closed_after, f"{key}: still open after 40 s")
            self.assertLess(sent, len(cases[key][1]), f"{key}: the whole frame got through")

    def test_oversize_length_prefixes_close_with_the_protocol_error(self):
        for declared in (1 << 30, (1 << 31) - 1, 0xFFFFFFFB):  # 1 GiB, 2 GiB-1, -5
            self.assertEqual(hostile.kafka_oversize(self.ports["kafka"], declared), b"")
        for after_handshake in (False, True):
            self.assertEqual(hostile.amqp_oversize(self.ports["amqp"], 1 << 30, after_handshake),
                             501)  # FRAME_ERROR
        # A Remaining Length in five bytes: v5 DISCONNECT Malformed Packet.
        self.assertEqual(hostile.mqtt_oversize(self.ports["mqtt"]), b"\xe0\x01\x81")

    def test_held_partial_frames_keep_memory_bounded(self):
        for protocol in ("kafka", "mqtt", "amqp"):
            watch = hostile.RssWatch(self.mf.proc.pid)
            socks = hostile.hold_frames(self.ports, protocol, CONNECTIONS)
            try:
                time.sleep(0.5)
            finally:
                for sock in socks:
                    sock.close()
            watch.stop()
            self.assertLess(watch.peak - watch.start, HELD_RSS_GROWTH_LIMIT_KIB, protocol)
            self.assertLess(watch.data_peak - watch.data_start, HELD_DATA_GROWTH_LIMIT_KIB,
                            protocol)

    def test_deep_amqp_field_tables_are_a_syntax_error(self):
        for depth in (65, 18000):  # past the limit of 64, and as deep as 128 KiB allows
            self.assertEqual(hostile.amqp_deep_nesting(self.ports["amqp"], depth), 502)

    def test_bad_utf8_topic(self):
        # 3.1.1: the connection is closed without a reply; 5: DISCONNECT 0x81.
        self.assertEqual(hostile.mqtt_bad_utf8(self.ports["mqtt"], 4), b"")
        reply = hostile.mqtt_bad_utf8(self.ports["mqtt"], 5)
        self.assertEqual(reply[:1], b"\xe0")
        self.assertIn(reply[2], (0x80, 0x81))

    def test_broken_websocket_upgrades_are_refused(self):
        expected = {
            "plain GET": "HTTP/1.1 426",
            "wrong path": "HTTP/1.1 404",
            "no key": "HTTP/1.1 400",
            "bad version": "HTTP/1.1 426",  # with the version it speaks (RFC 6455 4.4)
        }
        for case, request in hostile.WS_CASES.items():
            status = hostile.ws_request(self.ports["mqtt_ws"], request)
            self.assertNotEqual(status, "still open", case)
            if case in expected:
                self.assertTrue(status.startswith(expected[case]), f"{case}: {status}")


if __name__ == "__main__":
    unittest.main()
