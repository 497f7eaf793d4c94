#!/usr/bin/python3
"""Hostile input against a real `mockforge serve`, on every protocol.

Each attack runs over raw sockets while well-behaved clients (paho-mqtt, pika,
confluent-kafka) keep doing round trips; for each it reports what the broker
answered (the protocol's error, or a close), when, the broker's resident memory
(VmRSS from /proc/<pid>/status) before and at its peak, and whether the other
clients were served throughout.

    /usr/bin/python3 tests/soak/hostile.py [--bin build/asan/cli/mockforge]
        [--connections 32] [--loris-seconds 30] [--json]

The attacks:
  slow-loris      one byte per second of a valid first frame (MQTT CONNECT,
                  AMQP header then Connection.Start-Ok, Kafka ApiVersions,
                  a WebSocket upgrade request)
  oversize        length prefixes far beyond the limits: Kafka 1 GiB and
                  2 GiB-1, AMQP 1 GiB frames, MQTT a Remaining Length of five
                  bytes and one of 256 MiB (the protocol's largest)
  held frames     many connections each declaring a large frame that is
                  allowed and sending only its first 64 KiB (bounded memory)
  deep nesting    AMQP field tables nested past the limit, and as deep as a
                  128 KiB frame allows
  bad UTF-8       an MQTT topic that is not UTF-8, in 3.1.1 and 5
  broken upgrade  bad WebSocket upgrades on the MQTT WebSocket port

tests/integration/hostile runs the same attacks, shorter, as a ctest that asserts
the behaviour.
"""

import argparse
import json
import os
import select
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import mockforge_harness  # noqa: E402
from mockforge_harness import Mockforge  # noqa: E402
from slow_reader import read_exactly  # noqa: E402

TIMEOUT = 15


# ---- memory ------------------------------------------------------------------------------------

def status_kib(pid, field):
    """A size from /proc/<pid>/status: VmRSS (resident), VmData (allocated, touched or not)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    return status_kib(pid, "VmRSS")


class RssWatch:
    """Samples the broker's VmRSS and VmData every 50 ms, keeping the peaks."""

    def __init__(self, pid):
        self.pid = pid
        self.start = rss_kib(pid)
        self.peak = self.start
        self.data_start = status_kib(pid, "VmData")
        self.data_peak = self.data_start
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self):
        self.peak = max(self.peak, rss_kib(self.pid))
        self.data_peak = max(self.data_peak, status_kib(self.pid, "VmData"))

    def _run(self):
        while not self._halt.wait(0.05):
            try:
                self._sample()
            except OSError:
                return

    def stop(self):
        self._halt.set()
        self._thread.join()
        self._sample()
        return self


# ---- well-behaved clients ------------------------------------------------------------------------

class Bystander(threading.Thread):
    """A real client doing round trips until stopped; counts successes and failures."""

    def __init__(self, name, ports):
        super().__init__(daemon=True, name=f"bystander-{name}")
        self.protocol = name
        self.ports = ports
        self.ok = 0
        self.failures = []
        self._halt = threading.Event()
        self.ready = threading.Event()

    def stop(self):
        self._halt.set()
        self.join(timeout=30)

    def run(self):
        try:
            getattr(self, "_run_" + self.protocol)()
        except Exception as error:  # reported, not raised: the thread has no caller
            self.failures.append(f"{type(error).__name__}: {error}")
            self.ready.set()

    def _loop(self, round_trip):
        self.ready.set()
        while not self._halt.is_set():
            try:
                round_trip()
                self.ok += 1
            except Exception as error:
                self.failures.append(f"{type(error).__name__}: {error}")
            self._halt.wait(0.1)

    def _run_mqtt(self):
        import queue

        import paho.mqtt.client as mqtt
        received = queue.Queue()
        subscribed = threading.Event()
        client = mqtt.Client(client_id="bystander", protocol=mqtt.MQTTv5)
        client.on_message = lambda c, u, msg: received.put(msg.payload)
        client.on_subscribe = lambda *args: subscribed.set()
        client.connect("127.0.0.1", self.ports["mqtt"], keepalive=30)
        client.loop_start()
        client.subscribe("bystander/echo", qos=1)
        if not subscribed.wait(TIMEOUT):
            raise TimeoutError("no SUBACK")
        counter = iter(range(1 << 30))

        def round_trip():
            payload = str(next(counter)).encode()
            client.publish("bystander/echo", payload, qos=1).wait_for_publish(TIMEOUT)
            while received.get(timeout=TIMEOUT) != payload:
                pass

        try:
            self._loop(round_trip)
        finally:
            client.disconnect()
            client.loop_stop()

    def _run_amqp(self):
        import pika
        params = pika.ConnectionParameters("127.0.0.1", self.ports["amqp"], heartbeat=0,
                                           blocked_connection_timeout=TIMEOUT)
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        queue_name = channel.queue_declare("", exclusive=True).method.queue
        counter = iter(range(1 << 30))

        def round_trip():
            payload = str(next(counter)).encode()
            channel.basic_publish("", queue_name, payload)
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                method, _, body = channel.basic_get(queue_name, auto_ack=True)
                if method is not None:
                    if body != payload:
                        raise AssertionError(f"got {body!r}, sent {payload!r}")
                    return
                connection.sleep(0.01)
            raise TimeoutError("message not back")

        try:
            self._loop(round_trip)
        finally:
            connection.close()

    def _run_kafka(self):
        from confluent_kafka import Consumer, Producer, TopicPartition
        bootstrap = f"127.0.0.1:{self.ports['kafka']}"
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bystander",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition("bystander", 0, 0)])
        counter = iter(range(1 << 30))

        def round_trip():
            payload = str(next(counter)).encode()
            errors = []
            producer.produce("bystander", payload, partition=0,
                             on_delivery=lambda err, msg: err and errors.append(err))
            if producer.flush(TIMEOUT) != 0 or errors:
                raise RuntimeError(f"produce failed: {errors}")
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None or message.error():
                    continue
                if message.value() == payload:
                    return
            raise TimeoutError("message not fetched")

        try:
            self._loop(round_trip)
        finally:
            consumer.close()


# ---- raw sockets ---------------------------------------------------------------------------------

def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_closed(sock, timeout=TIMEOUT):
    """Everything the peer sends until it closes; None if it is still open at `timeout`."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data
        if not chunk:
            return data
        data += chunk


def slow_loris(port, payload, interval=1.0, limit=30.0):
    """Sends `payload` one byte per `interval` seconds (then waits) until the broker
    closes or `limit` seconds pass. Returns (seconds until closed or None, bytes sent)."""
    sock = connect(port)
    started = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - started < limit:
            if sent < len(payload):
                try:
                    sock.send(payload[sent:sent + 1])
                    sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    return time.monotonic() - started, sent
            ready, _, _ = select.select([sock], [], [], interval)
            if ready:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    return time.monotonic() - started, sent
                time.sleep(max(0.0, interval - 0.01))  # an answer (AMQP Start) is not a close
        return None, sent
    finally:
        sock.close()


# ---- MQTT ----------------------------------------------------------------------------------------

def mqtt_string(data):
    data = data if isinstance(data, bytes) else data.encode()
    return struct.pack(">H", len(data)) + data


def mqtt_length(length):
    out = bytearray()
    while True:
        byte = length % 128
        length //= 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def mqtt_packet(first_byte, body):
    return bytes([first_byte]) + mqtt_length(len(body)) + body


def mqtt_connect(client_id, level=4):
    body = mqtt_string("MQTT") + bytes([level, 0x02]) + struct.pack(">H", 30)
    if level == 5:
        body += b"\x00"  # no properties
    return mqtt_packet(0x10, body + mqtt_string(client_id))


def mqtt_connected(port, client_id, level=4):
    sock = connect(port)
    sock.sendall(mqtt_connect(client_id, level))
    connack = read_exactly(sock, 4 if level == 4 else 5)
    if connack[0] != 0x20 or connack[3 if level == 4 else 3] != 0:
        raise AssertionError(f"CONNACK refused: {connack.hex()}")
    if level == 5 and connack[1] > 3:
        read_exactly(sock, connack[1] - 3)
    return sock


def mqtt_bad_utf8(port, level):
    """PUBLISH to a topic that is not UTF-8. Returns what came back before the close."""
    sock = mqtt_connected(port, f"badutf8-{level}", level)
    try:
        body = mqtt_string(b"bad/\xc3\x28/topic")
        if level == 5:
            body += b"\x00"
        sock.sendall(mqtt_packet(0x30, body + b"payload"))
        return read_until_closed(sock)
    finally:
        sock.close()


# ---- AMQP ----------------------------------------------------------------------------------------

AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


def amqp_frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def amqp_method(channel, class_id, method_id, args):
    return amqp_frame(1, channel, struct.pack(">HH", class_id, method_id) + args)


def amqp_shortstr(text):
    data = text.encode()
    return bytes([len(data)]) + data


def amqp_longstr(data):
    return struct.pack(">I", len(data)) + data


def amqp_read_frame(sock):
    kind, channel, size = struct.unpack(">BHI", read_exactly(sock, 7))
    payload = read_exactly(sock, size)
    read_exactly(sock, 1)
    return kind, channel, payload


def amqp_start_ok():
    return amqp_method(0, 10, 11, amqp_longstr(b"") + amqp_shortstr("PLAIN") +
                       amqp_longstr(b"\x00guest\x00guest") + amqp_shortstr("en_US"))


def amqp_open_channel(port):
    """A raw connection, handshake done and channel 1 open."""
    sock = connect(port)
    sock.sendall(AMQP_HEADER)
    amqp_read_frame(sock)  # Connection.Start
    sock.sendall(amqp_start_ok())
    amqp_read_frame(sock)  # Connection.Tune
    sock.sendall(amqp_method(0, 10, 31, struct.pack(">HIH", 0, 131072, 0)))
    sock.sendall(amqp_method(0, 10, 40, amqp_shortstr("/") + amqp_shortstr("") + b"\x00"))
    amqp_read_frame(sock)  # Connection.Open-Ok
    sock.sendall(amqp_method(1, 20, 10, amqp_shortstr("")))
    amqp_read_frame(sock)  # Channel.Open-Ok
    return sock


def amqp_close_code(data):
    """The reply code of the Connection.Close in `data` (frames as received), or None."""
    offset = 0
    while offset + 7 <= len(data):
        kind, _, size = struct.unpack(">BHI", data[offset:offset + 7])
        payload = data[offset + 7:offset + 7 + size]
        offset += 8 + size
        if kind == 1 and payload[:4] == struct.pack(">HH", 10, 50):
            return struct.unpack(">H", payload[4:6])[0]
    return None


def nested_table(depth):
    """A field table holding a table holding ... `depth` levels deep (key "a", type F)."""
    table = struct.pack(">I", 0)
    for _ in range(depth):
        table = struct.pack(">I", 3 + len(table)) + b"\x01aF" + table
    return table


def amqp_await_close(sock):
    """Reads frames until Connection.Close, answers Close-Ok as a client does, and waits
    for the broker to close. Returns the reply code, or None if the socket closed first."""
    sock.settimeout(TIMEOUT)
    try:
        while True:
            kind, _, payload = amqp_read_frame(sock)
            if kind == 1 and payload[:4] == struct.pack(">HH", 10, 50):
                code = struct.unpack(">H", payload[4:6])[0]
                sock.sendall(amqp_method(0, 10, 51, b""))
                if read_until_closed(sock) is None:
                    raise AssertionError("still open after Connection.Close-Ok")
                return code
    except ConnectionError:
        return None


def amqp_deep_nesting(port, depth):
    """queue.declare with arguments nested `depth` deep. Returns the Connection.Close code."""
    sock = amqp_open_channel(port)
    try:
        args = struct.pack(">H", 0) + amqp_shortstr("deep") + b"\x00" + nested_table(depth)
        sock.sendall(amqp_method(1, 50, 10, args))
        return amqp_await_close(sock)
    finally:
        sock.close()


def amqp_oversize(port, declared, after_handshake):
    """A frame header declaring `declared` bytes, before or after the handshake."""
    if after_handshake:
        sock = amqp_open_channel(port)
    else:
        sock = connect(port)
        sock.sendall(AMQP_HEADER)
    try:
        sock.sendall(struct.pack(">BHI", 3, 1, declared) + b"x" * 1024)
        data = read_until_closed(sock)
        if data is None:
            return None
        return amqp_close_code(data)
    finally:
        sock.close()


# ---- Kafka ---------------------------------------------------------------------------------------

def kafka_api_versions():
    body = struct.pack(">hhi", 18, 0, 1) + struct.pack(">h", 6) + b"hostil"
    return struct.pack(">i", len(body)) + body


def kafka_oversize(port, declared):
    """A request whose size prefix is `declared`. Returns the bytes answered, None if open."""
    sock = connect(port)
    try:
        sock.sendall(struct.pack(">I", declared & 0xFFFFFFFF) + struct.pack(">hhi", 0, 9, 7))
        return read_until_closed(sock)
    finally:
        sock.close()


# ---- WebSocket -----------------------------------------------------------------------------------

def ws_request(port, request):
    """Sends a raw HTTP request to the MQTT WebSocket port; the status line answered (or '')."""
    sock = connect(port)
    try:
        sock.sendall(request)
        data = read_until_closed(sock)
        if data is None:
            return "still open"
        return data.split(b"\r\n", 1)[0].decode(errors="replace")
    finally:
        sock.close()


WS_CASES = {
    "plain GET": b"GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n",
    "wrong path": (b"GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
    "no key": (b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n"),
    "bad version": (b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n"),
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xff" * 64 + b"\r\n\r\n",
    "64 KiB header": b"GET /mqtt HTTP/1.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n",
}

WS_UPGRADE = (b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


# ---- held frames (memory) ------------------------------------------------------------------------

def hold_frames(ports, protocol, connections, sent_bytes=65536):
    """`connections` sockets each declaring a large frame the broker accepts and sending
    its first `sent_bytes`. Returns the open sockets (the caller closes them)."""
    socks = []
    for index in range(connections):
        if protocol == "kafka":
            sock = connect(ports["kafka"])
            sock.sendall(struct.pack(">I", 99 << 20) + struct.pack(">hhi", 0, 9, index))
        elif protocol == "mqtt":
            sock = mqtt_connected(ports["mqtt"], f"hold-{index}")
            sock.sendall(bytes([0x30]) + mqtt_length(268435455 - 8) + mqtt_string("held"))
        else:  # amqp: a body frame of the negotiated 128 KiB frame_max
            sock = amqp_open_channel(ports["amqp"])
            sock.sendall(struct.pack(">BHI", 3, 1, 131072 - 8))
        sock.sendall(b"\x00" * (sent_bytes - 16))
        socks.append(sock)
    return socks


# ---- the campaign --------------------------------------------------------------------------------

def run(binary, connections, loris_seconds, report):
    mockforge_harness.BIN = binary
    results = {}
    with Mockforge("--log-level", "warn", ready_timeout=60) as mf:
        pid = mf.proc.pid
        ports = mf.ports
        bystanders = {name: Bystander(name, ports) for name in ("mqtt", "amqp", "kafka")}
        for bystander in bystanders.values():
            bystander.start()
        for bystander in bystanders.values():
            bystander.ready.wait(60)

        def attack(name, action):
            watch = RssWatch(pid)
            before = {key: b.ok for key, b in bystanders.items()}
            started = time.monotonic()
            outcome = action()
            seconds = time.monotonic() - started
            watch.stop()
            served = {key: b.ok - before[key] for key, b in bystanders.items()}
            results[name] = {"outcome": outcome, "seconds": round(seconds, 1),
                             "rss_before_kib": watch.start, "rss_peak_kib": watch.peak,
                             "data_growth_kib": watch.data_peak - watch.data_start,
                             "bystander_round_trips": served}
            report(name, results[name])

        # Slow-loris on every protocol at once, plus a WebSocket upgrade trickled.
        loris = {}

        def loris_all():
            payloads = {
                "mqtt": (ports["mqtt"], mqtt_connect("loris" + "x" * 40)),
                "amqp": (ports["amqp"], AMQP_HEADER + amqp_start_ok()),
                "kafka": (ports["kafka"], kafka_api_versions()),
                "mqtt_ws": (ports["mqtt_ws"], WS_UPGRADE),
            }
            threads = []
            for key, (port, payload) in payloads.items():
                def one(key=key, port=port, payload=payload):
                    loris[key] = slow_loris(port, payload, limit=loris_seconds)
                threads.append(threading.Thread(target=one))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return {key: (f"closed after {closed:.1f}s, {sent} bytes sent" if closed is not None
                          else f"still open after {loris_seconds}s, {sent} bytes sent")
                    for key, (closed, sent) in loris.items()}

        attack("slow-loris", loris_all)
        attack("oversize", lambda: {
            "kafka 1 GiB": repr(kafka_oversize(ports["kafka"], 1 << 30)),
            "kafka 2 GiB-1": repr(kafka_oversize(ports["kafka"], (1 << 31) - 1)),
            "kafka negative": repr(kafka_oversize(ports["kafka"], -5)),
            "amqp 1 GiB before tune": amqp_oversize(ports["amqp"], 1 << 30, False),
            "amqp 1 GiB after open": amqp_oversize(ports["amqp"], 1 << 30, True),
            "mqtt 5-byte length": repr(mqtt_oversize(ports["mqtt"])),
        })
        for protocol in ("kafka", "mqtt", "amqp"):
            def held(protocol=protocol):
                socks = hold_frames(ports, protocol, connections)
                time.sleep(1.0)
                alive = mf.proc.poll() is None
                for sock in socks:
                    sock.close()
                return f"{connections} connections holding a partial frame, broker alive: {alive}"
            attack(f"held frames {protocol}", held)
        attack("deep nesting", lambda: {
            "depth 65": amqp_deep_nesting(ports["amqp"], 65),
            "depth 18000": amqp_deep_nesting(ports["amqp"], 18000),
        })
        attack("bad utf-8", lambda: {
            "mqtt 3.1.1": repr(mqtt_bad_utf8(ports["mqtt"], 4)),
            "mqtt 5": repr(mqtt_bad_utf8(ports["mqtt"], 5)),
        })
        attack("broken upgrade", lambda: {
            case: ws_request(ports["mqtt_ws"], request) for case, request in WS_CASES.items()})

        for bystander in bystanders.values():
            bystander.stop()
        results["bystanders"] = {name: {"round_trips": b.ok, "failures": b.failures}
                                 for name, b in bystanders.items()}
        results["broker_alive"] = mf.proc.poll() is None
    return results


def mqtt_oversize(port):
    """A PUBLISH whose Remaining Length goes on for five bytes (beyond 256 MiB)."""
    sock = mqtt_connected(port, "oversize", 5)
    try:
        sock.sendall(b"\x30\xff\xff\xff\xff\x01")
        return read_until_closed(sock)
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("MOCKFORGE_BIN", "build/asan/cli/mockforge"))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--loris-seconds", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    def report(name, result):
        if not args.json:
            print(f"== {name} ({result['seconds']}s): rss {result['rss_before_kib']} -> peak "
                  f"{result['rss_peak_kib']} KiB, VmData +{result['data_growth_kib']} KiB, "
                  f"others served {result['bystander_round_trips']}")
            outcome = result["outcome"]
            for key, value in (outcome.items() if isinstance(outcome, dict) else [("", outcome)]):
                print(f"   {key}: {value}")
            sys.stdout.flush()

    results = run(os.path.abspath(args.bin), args.connections, args.loris_seconds, report)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"== bystanders: {results['bystanders']}")
        print(f"== broker alive: {results['broker_alive']}")
    failed = not results["broker_alive"] or any(b["failures"] for b in results["bystanders"].values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
