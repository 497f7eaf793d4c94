"""Malformed frames over raw sockets: Kafka closes the connection (or answers ApiVersions
with UNSUPPORTED_VERSION), and other clients keep working."""

import json
import socket
import struct
import subprocess
import unittest

from kafka_test_base import KafkaTestCase


def api_versions_request(version, correlation_id=7):
    header = struct.pack(">hhi", 18, version, correlation_id) + struct.pack(">h", 4) + b"test"
    if version >= 3:
        # Header v2 tags, then compact client software name/version and body tags.
        body = b"\x00" + b"\x05mock" + b"\x020" + b"\x00"
    else:
        body = b""
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


class MalformedTest(KafkaTestCase):
    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.server.ports["kafka"]), timeout=10)
        return sock

    def read_frame(self, sock):
        size = struct.unpack(">i", self.read_exactly(sock, 4))[0]
        return self.read_exactly(sock, size)

    @staticmethod
    def read_exactly(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def assert_closed(self, sock):
        # recv returns b"" at EOF (or the peer resets); no response bytes come first.
        try:
            self.assertEqual(sock.recv(1024), b"")
        except ConnectionResetError:
            pass
        sock.close()

    def assert_other_client_works(self):
        listing = json.loads(subprocess.run(
            ["kcat", "-b", self.bootstrap, "-L", "-J"], capture_output=True, timeout=30,
            check=True).stdout)
        self.assertEqual(len(listing["brokers"]), 1)

    def test_api_versions_v3_lists_served_apis(self):
        sock = self.connect()
        sock.sendall(api_versions_request(3))
        frame = self.read_frame(sock)
        correlation_id, error_code = struct.unpack(">ih", frame[:6])
        self.assertEqual((correlation_id, error_code), (7, 0))
        sock.close()

    def test_unsupported_api_versions_version_gets_v0_error_35(self):
        sock = self.connect()
        sock.sendall(api_versions_request(99))
        frame = self.read_frame(sock)
        correlation_id, error_code, count = struct.unpack(">ihi", frame[:10])
        self.assertEqual((correlation_id, error_code), (7, 35))
        keys = {}
        for i in range(count):
            key, low, high = struct.unpack(">hhh", frame[10 + 6 * i:16 + 6 * i])
            keys[key] = (low, high)
        self.assertEqual(keys[18], (0, 4))
        self.assertIn(0, keys)  # Produce
        self.assertIn(1, keys)  # Fetch
        # The connection stays usable: the client retries with a version we serve.
        sock.sendall(api_versions_request(0, correlation_id=8))
        frame = self.read_frame(sock)
        self.assertEqual(struct.unpack(">ih", frame[:6]), (8, 0))
        sock.close()

    def test_negative_size_closes(self):
        sock = self.connect()
        sock.sendall(struct.pack(">i", -5) + b"junk")
        self.assert_closed(sock)
        self.assert_other_client_works()

    def test_oversize_frame_closes_before_body(self):
        sock = self.connect()
        sock.sendall(struct.pack(">i", 2**31 - 1))  # above kafka.max_frame_bytes
        self.assert_closed(sock)
        self.assert_other_client_works()

    def test_unknown_api_key_closes(self):
        sock = self.connect()
        payload = struct.pack(">hhih", 999, 0, 1, -1)
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        self.assert_closed(sock)
        self.assert_other_client_works()

    def test_unsupported_produce_version_closes(self):
        sock = self.connect()
        payload = struct.pack(">hhih", 0, 1, 1, -1) + b"\x00" * 10  # Produce v1: not served
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        self.assert_closed(sock)

    def test_garbage_body_closes(self):
        sock = self.connect()
        payload = struct.pack(">hhih", 3, 1, 1, -1) + b"\xff\xff\xff"  # Metadata v1, bad array
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        self.assert_closed(sock)
        self.assert_other_client_works()

    def test_truncated_frame_then_disconnect_leaves_others_working(self):
        sock = self.connect()
        sock.sendall(struct.pack(">i", 100) + b"\x00\x12\x00")
        sock.close()
        self.assert_other_client_works()

    def test_responses_come_in_request_order(self):
        sock = self.connect()
        sock.sendall(b"".join(api_versions_request(v, correlation_id=100 + v) for v in range(4)))
        ids = [struct.unpack(">i", self.read_frame(sock)[:4])[0] for _ in range(4)]
        self.assertEqual(ids, [100, 101, 102, 103])
        sock.close()


if __name__ == "__main__":
    unittest.main()
