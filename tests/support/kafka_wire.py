"""Kafka requests as raw bytes, for the client suites that check what no client
library sends or shows (error codes, fields of newer versions, pipelining).

Encoders (`string`, `uvarint`, `compact_string`, `compact_array`), a `Cursor`
over a response body, and `RawClient`: one socket, request header v1 (v2 for
flexible versions, with an empty tagged-field section), client id "raw".
"""

import socket
import struct


def string(text):
    """A non-flexible STRING: int16 length, then the UTF-8 bytes."""
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def uvarint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def compact_string(text):
    data = text.encode()
    return uvarint(len(data) + 1) + data


def compact_array(items, encode=None):
    """A COMPACT_ARRAY of `items`, each already encoded or passed through `encode`;
    None is the null array."""
    if items is None:
        return b"\x00"
    if encode is not None:
        items = [encode(item) for item in items]
    return uvarint(len(items) + 1) + b"".join(items)


class Cursor:
    """Reads a response body front to back."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def int8(self):
        return self.take(">b")

    def int16(self):
        return self.take(">h")

    def int32(self):
        return self.take(">i")

    def int64(self):
        return self.take(">q")

    def string(self):
        """A nullable non-flexible STRING."""
        length = self.int16()
        if length < 0:
            return None
        value = self.data[self.pos:self.pos + length].decode()
        self.pos += length
        return value

    def uvarint(self):
        shift = value = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def compact_string(self):
        length = self.uvarint() - 1
        if length < 0:
            return None
        value = self.data[self.pos:self.pos + length].decode()
        self.pos += length
        return value

    def compact_array(self, read_item):
        """The items `read_item` reads, or None for the null array."""
        count = self.uvarint() - 1
        return None if count < 0 else [read_item() for _ in range(count)]

    def int32s(self):
        return self.compact_array(self.int32)

    def tags(self):
        """Skips a tagged-field section."""
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()

    def at_end(self):
        return self.pos == len(self.data)


class RawClient:
    """Kafka requests as bytes over one socket."""

    string = staticmethod(string)

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation = 0

    def close(self):
        self.sock.close()

    def send(self, api_key, version, body, flexible=False):
        """Sends one request without waiting for its answer; returns its correlation id."""
        self.correlation += 1
        header = struct.pack(">hhi", api_key, version, self.correlation) + string("raw")
        frame = header + (b"\x00" if flexible else b"") + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        return self.correlation

    def receive(self):
        """The next response: (correlation id, the bytes after it)."""
        data = self.read(struct.unpack(">i", self.read(4))[0])
        return struct.unpack(">i", data[:4])[0], data[4:]

    def request(self, api_key, version, body, flexible=False):
        """One round trip: the response's bytes after its correlation id (for flexible
        versions these start with the response header's tagged fields)."""
        correlation = self.send(api_key, version, body, flexible)
        answered, data = self.receive()
        assert answered == correlation, (answered, correlation)
        return data

    def call(self, api_key, version, body, flexible=False):
        """One round trip: a Cursor at the start of the response body."""
        cursor = Cursor(self.request(api_key, version, body, flexible))
        if flexible:
            cursor.tags()
        return cursor

    def sasl_plain(self, user, password):
        """SaslHandshake v1 + SaslAuthenticate v0 with PLAIN: the authenticate error code."""
        assert Cursor(self.request(17, 1, string("PLAIN"))).int16() == 0
        token = b"\0" + user.encode() + b"\0" + password.encode()
        return Cursor(self.request(36, 0, struct.pack(">i", len(token)) + token)).int16()

    def read(self, count):
        out = b""
        while len(out) < count:
            chunk = self.sock.recv(count - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out
