"""Bad input over raw sockets: the offending connection gets the right reason
code or is closed, and a well-behaved client keeps working."""

import socket
import struct
import subprocess
import unittest

from mqtt_support import MqttTestCase

TIMEOUT = 10


def utf8(text):
    data = text if isinstance(text, bytes) else text.encode()
    return struct.pack(">H", len(data)) + data


def packet(first_byte, body):
    length = len(body)
    encoded = bytearray()
    while True:
        byte = length % 128
        length //= 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([first_byte]) + bytes(encoded) + body


def connect_packet(client_id, level=4, properties=b""):
    body = utf8("MQTT") + bytes([level, 0x02]) + struct.pack(">H", 30)
    if level == 5:
        body += bytes([len(properties)]) + properties
    return packet(0x10, body + utf8(client_id))


class BadInput(MqttTestCase):
    env = {"MOCKFORGE_MQTT_MAXIMUM_PACKET_SIZE": "1024"}

    def open(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        self.addCleanup(sock.close)
        return sock

    def read_all(self, sock):
        """Everything the broker sends until it closes the connection."""
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk

    def assert_others_still_served(self):
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port),
                               "-t", "still/ok", "-m", "x", "-q", "1"],
                              capture_output=True, text=True, timeout=20)
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_garbage_closes_without_reply(self):
        sock = self.open()
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(self.read_all(sock), b"")
        self.assert_others_still_served()

    def test_first_packet_not_connect_closes(self):
        sock = self.open()
        sock.sendall(bytes([0xC0, 0x00]))  # PINGREQ
        self.assertEqual(self.read_all(sock), b"")
        self.assert_others_still_served()

    def test_unsupported_protocol_level_gets_connack_0x01(self):
        sock = self.open()
        sock.sendall(connect_packet("lvl", level=7))
        self.assertEqual(self.read_all(sock), b"\x20\x02\x00\x01")

    def test_v311_empty_client_id_without_clean_session_gets_0x02(self):
        sock = self.open()
        body = utf8("MQTT") + bytes([4, 0x00]) + struct.pack(">H", 30) + utf8("")
        sock.sendall(packet(0x10, body))
        self.assertEqual(self.read_all(sock), b"\x20\x02\x00\x02")

    def test_v5_reserved_flags_get_disconnect_malformed(self):
        sock = self.open()
        sock.sendall(connect_packet("flags5", level=5))
        self.assertEqual(sock.recv(2)[0], 0x20)
        sock.recv(64)
        sock.sendall(bytes([0xC1, 0x00]))  # PINGREQ with a reserved flag bit set
        self.assertEqual(self.read_all(sock), b"\xe0\x01\x81")
        self.assert_others_still_served()

    def test_v311_reserved_flags_close(self):
        sock = self.open()
        sock.sendall(connect_packet("flags4"))
        self.assertEqual(sock.recv(4), b"\x20\x02\x00\x00")
        sock.sendall(bytes([0x80, 0x02, 0x00, 0x01]))  # SUBSCRIBE flags must be 0010
        self.assertEqual(self.read_all(sock), b"")

    def test_v5_bad_utf8_topic_gets_disconnect(self):
        sock = self.open()
        sock.sendall(connect_packet("utf5", level=5))
        self.assertEqual(sock.recv(2)[0], 0x20)
        sock.recv(64)
        sock.sendall(packet(0x30, utf8(b"bad\xc3\x28") + b"\x00" + b"payload"))
        reply = self.read_all(sock)
        self.assertEqual(reply[:1], b"\xe0")
        self.assertIn(reply[2], (0x81, 0x90))  # malformed / topic name invalid
        self.assert_others_still_served()

    def test_second_connect_v5_gets_protocol_error(self):
        sock = self.open()
        sock.sendall(connect_packet("twice", level=5))
        self.assertEqual(sock.recv(2)[0], 0x20)
        sock.recv(64)
        sock.sendall(connect_packet("twice", level=5))
        self.assertEqual(self.read_all(sock), b"\xe0\x01\x82")

    def test_v5_unknown_auth_method_gets_connack_0x8c(self):
        sock = self.open()
        props = b"\x15" + utf8("SCRAM-SHA-256")
        sock.sendall(connect_packet("auth5", level=5, properties=props))
        reply = self.read_all(sock)
        self.assertEqual(reply[0], 0x20)
        self.assertEqual(reply[3], 0x8C)

    def test_oversize_packet_refused(self):
        sock = self.open()
        sock.sendall(connect_packet("big", level=5))
        self.assertEqual(sock.recv(2)[0], 0x20)
        sock.recv(64)
        # Remaining Length beyond mqtt.maximum_packet_size (1024 here).
        sock.sendall(bytes([0x30]) + bytes([0x80 | (2000 % 128), 2000 // 128]))
        self.assertEqual(self.read_all(sock), b"\xe0\x01\x95")



if __name__ == "__main__":
    unittest.main()
