#!/usr/bin/python3
"""Load: many concurrent connections per protocol, and slow consumers that never read
(docs/reliability.md, "Load").

    /usr/bin/python3 tests/soak/load.py --bin build/debug/cli/mockforge
        [--mqtt 10000] [--amqp 2000] [--kafka 2000] [--flood-mib 64] [--json]

Phase 1, connections. Raises RLIMIT_NOFILE (soft to hard) for itself and the broker it
starts, then opens the connections over raw sockets, each with its protocol's real
handshake: MQTT CONNECT/CONNACK (3.1.1, keep alive 0); AMQP protocol header,
connection.start/start-ok (PLAIN guest)/tune/tune-ok (heartbeat 0)/open/open-ok and a
channel; Kafka ApiVersions v0 and Metadata v1. The broker's VmRSS (/proc/PID/status) is
read before and after each protocol's batch: the growth divided by the count is the
resident memory per connection. At the end every held connection must still answer
(MQTT PINGREQ, AMQP basic.qos, Kafka ApiVersions).

Meanwhile real clients (paho-mqtt, pika, confluent-kafka; tests/soak/hostile.py's
Bystander) make round trips every 0.1 s, each checked: what was sent comes back.

Phase 2, slow consumers. Raw-socket consumers that never read their socket, while a
publisher floods:
  MQTT  subscribers at QoS 0 and QoS 1 (3.1.1, so no Receive Maximum of their own);
  AMQP  basic.consume without a prefetch limit (manual acks), with prefetch 100, and
        with no-ack, each on a queue of x-max-length 1000 (RabbitMQ drops the head);
  Kafka a connection that sends Fetch requests for the flooded topic's start (200 in
        one write, then one every 20 ms), and one that sends 200 long-polling Fetches at
        the log's end before 1 MiB more is produced; neither reads the answers.
Alongside each flood a fast real client must receive every message: paho at QoS 1 on
the flooded topic, pika on its own queue bound to the flooded exchange, and a
confluent-kafka consumer reading the flooded topic from its start. The broker's VmRSS
peak is reported against the bytes flooded; with the per-connection caps it stays
bounded (the slow consumers' data waits in the broker's queue, capped by its limits, or
is dropped as Mosquitto drops QoS 0), not in per-connection output buffers.

The broker runs with history.max_messages 0: the history of recent messages (64 MiB by
default) would otherwise be most of the growth (and, under AddressSanitizer, with a
quarantine of 4 MiB). Exit status 0 when every check holds; --max-growth-mib makes the
slow-consumer RSS growth a check too (for Kafka, the growth beyond the bytes its log must
hold). Nothing here is timed as a test.
"""

import argparse
import json
import os
import resource
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)

import mockforge_harness  # noqa: E402
from mockforge_harness import Mockforge  # noqa: E402
from slow_reader import read_exactly  # noqa: E402

TIMEOUT = 60
BATCH = 250  # connections handshaking at once


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the broker inherits it
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def status_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RssPeak:
    """Samples the broker's VmRSS every 50 ms, keeping the peak."""

    def __init__(self, pid):
        self.pid = pid
        self.start = status_kib(pid)
        self.peak = self.start
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._halt.wait(0.05):
            try:
                self.peak = max(self.peak, status_kib(self.pid))
            except OSError:
                return

    def stop(self):
        self._halt.set()
        self._thread.join()
        self.end = status_kib(self.pid)
        self.peak = max(self.peak, self.end)
        return self


# ---- raw protocol frames -------------------------------------------------------------------

def mqtt_string(text):
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def mqtt_remaining(length):
    out = bytearray()
    while True:
        byte = length % 128
        length //= 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def mqtt_packet(first, body):
    return bytes([first]) + mqtt_remaining(len(body)) + body


def mqtt_connect(client_id):
    body = mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 0) + mqtt_string(client_id)
    return mqtt_packet(0x10, body)


def mqtt_subscribe(packet_id, topic, qos):
    return mqtt_packet(0x82, struct.pack(">H", packet_id) + mqtt_string(topic) + bytes([qos]))


def mqtt_read_packet(sock):
    first = read_exactly(sock, 1)[0]
    length, shift = 0, 0
    while True:
        byte = read_exactly(sock, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first, read_exactly(sock, length)


def amqp_shortstr(text):
    raw = text.encode()
    return bytes([len(raw)]) + raw


def amqp_longstr(raw):
    return struct.pack(">I", len(raw)) + raw


def amqp_method(channel, class_id, method_id, args=b""):
    payload = struct.pack(">HH", class_id, method_id) + args
    return struct.pack(">BHI", 1, channel, len(payload)) + payload + b"\xce"


def amqp_read_frame(sock):
    kind, channel, size = struct.unpack(">BHI", read_exactly(sock, 7))
    payload = read_exactly(sock, size + 1)[:-1]
    return kind, channel, payload


def amqp_expect(sock, class_id, method_id):
    while True:
        kind, _channel, payload = amqp_read_frame(sock)
        if kind == 8:  # heartbeat
            continue
        got = struct.unpack(">HH", payload[:4]) if kind == 1 else None
        if got == (class_id, method_id):
            return payload[4:]
        raise ConnectionError(f"expected AMQP method {class_id}.{method_id}, got {kind} {got}")


AMQP_START_OK = amqp_method(0, 10, 11, struct.pack(">I", 0) + amqp_shortstr("PLAIN")
                            + amqp_longstr(b"\0guest\0guest") + amqp_shortstr("en_US"))
AMQP_OPEN = amqp_method(0, 10, 40, amqp_shortstr("/") + amqp_shortstr("") + b"\0")
AMQP_CHANNEL_OPEN = amqp_method(1, 20, 10, amqp_shortstr(""))


def amqp_tune_ok(tune_args):
    channel_max, frame_max, _heartbeat = struct.unpack(">HIH", tune_args[:8])
    return amqp_method(0, 10, 31, struct.pack(">HIH", channel_max, frame_max, 0))


def amqp_qos(prefetch):
    return amqp_method(1, 60, 10, struct.pack(">IHB", 0, prefetch, 0))


def amqp_consume(queue, tag, no_ack):
    return amqp_method(1, 60, 20, struct.pack(">H", 0) + amqp_shortstr(queue) + amqp_shortstr(tag)
                       + bytes([0x02 if no_ack else 0]) + struct.pack(">I", 0))


def kafka_request(api_key, version, correlation, body=b""):
    client = b"load"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    return struct.pack(">i", len(header) + len(body)) + header + body


def kafka_read_response(sock):
    (size,) = struct.unpack(">i", read_exactly(sock, 4))
    return read_exactly(sock, size)


KAFKA_API_VERSIONS = kafka_request(18, 0, 1)
KAFKA_METADATA = kafka_request(3, 1, 2, struct.pack(">i", -1))  # v1, null: all topics


def kafka_fetch(correlation, topic, offset, max_bytes, max_wait_ms=0):
    name = topic.encode()
    body = struct.pack(">iiiib", -1, max_wait_ms, 1, max_bytes, 0)  # v4, read_uncommitted
    body += struct.pack(">ih", 1, len(name)) + name
    body += struct.pack(">iiqi", 1, 0, offset, max_bytes)
    return kafka_request(1, 4, correlation, body)


# ---- phase 1: held connections ---------------------------------------------------------------

def open_batch(port, count, steps):
    """Opens `count` sockets and runs the handshake `steps` on all of them in lockstep: each step
    is (bytes to send or a function of the last answer, a function reading the answer)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            socks.append(sock)
        answers = [None] * count
        for send, read in steps:
            for i, sock in enumerate(socks):
                sock.sendall(send(answers[i], i) if callable(send) else send)
            for i, sock in enumerate(socks):
                answers[i] = read(sock)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def mqtt_steps(offset):
    def connack(sock):
        first, body = mqtt_read_packet(sock)
        if first != 0x20 or body[1] != 0:
            raise ConnectionError(f"CONNACK {first:#x} {body!r}")
    return [(lambda _a, i: mqtt_connect(f"load-{offset + i}"), connack)]


def amqp_steps():
    return [
        (b"AMQP\x00\x00\x09\x01", lambda s: amqp_expect(s, 10, 10)),
        (AMQP_START_OK, lambda s: amqp_expect(s, 10, 30)),
        (lambda tune, _i: amqp_tune_ok(tune) + AMQP_OPEN, lambda s: amqp_expect(s, 10, 41)),
        (AMQP_CHANNEL_OPEN, lambda s: amqp_expect(s, 20, 11)),
    ]


def kafka_steps():
    def api_versions(sock):
        body = kafka_read_response(sock)
        if struct.unpack(">ih", body[:6]) != (1, 0):
            raise ConnectionError(f"ApiVersions answer {body[:6]!r}")

    def metadata(sock):
        body = kafka_read_response(sock)
        if struct.unpack(">i", body[:4])[0] != 2:
            raise ConnectionError("Metadata answer out of order")
    return [(KAFKA_API_VERSIONS, api_versions), (KAFKA_METADATA, metadata)]


def open_many(port, count, steps_for):
    socks = []
    while len(socks) < count:
        n = min(BATCH, count - len(socks))
        socks += open_batch(port, n, steps_for(len(socks)))
    return socks


def check_alive(protocol, socks):
    """Every held connection still answers: MQTT PINGREQ, AMQP basic.qos, Kafka ApiVersions."""
    send, read = {
        "mqtt": (b"\xc0\x00", lambda s: mqtt_read_packet(s)[0] == 0xD0),
        "amqp": (amqp_qos(10), lambda s: amqp_expect(s, 60, 11) is not None),
        "kafka": (KAFKA_API_VERSIONS, lambda s: struct.unpack(">ih", kafka_read_response(s)[:6])
                  == (1, 0)),
    }[protocol]
    dead = 0
    for start in range(0, len(socks), BATCH):
        batch = socks[start:start + BATCH]
        for sock in batch:
            try:
                sock.sendall(send)
            except OSError:
                pass
        for sock in batch:
            try:
                if not read(sock):
                    dead += 1
            except (OSError, ConnectionError, struct.error):
                dead += 1
    return dead


# ---- phase 2: slow consumers -----------------------------------------------------------------

class Silent:
    """Sockets that never read after their handshake; closed at the end."""

    def __init__(self):
        self.socks = []

    def add(self, sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.socks.append(sock)
        return sock

    def close(self):
        for sock in self.socks:
            sock.close()


def slow_mqtt(port, silent, topic):
    for qos in (0, 1):
        sock = silent.add(open_batch(port, 1, mqtt_steps(90000 + qos))[0])
        sock.sendall(mqtt_subscribe(1, topic, qos))
        first, _ = mqtt_read_packet(sock)
        assert first == 0x90, "no SUBACK"


def slow_amqp(port, silent, queues):
    for queue, prefetch, no_ack in queues:
        sock = silent.add(open_batch(port, 1, amqp_steps())[0])
        sock.sendall(amqp_qos(prefetch))
        amqp_expect(sock, 60, 11)
        sock.sendall(amqp_consume(queue, "slow", no_ack))
        amqp_expect(sock, 60, 21)


class SlowFetcher(threading.Thread):
    """Sends Fetch requests for a topic and never reads the answers: 200 in one write for its
    start (each answered with 1 MiB), then one every 20 ms; or, with `offset`, 200 long-polling
    ones (30 s) at that offset, the log's end, which data produced later answers all at once."""

    def __init__(self, port, silent, topic, offset=None):
        super().__init__(daemon=True)
        self.sock = silent.add(open_batch(port, 1, kafka_steps())[0])
        self.sock.settimeout(None)
        self.topic = topic
        self.offset = offset
        self.halt = threading.Event()
        self.sent = 0
        self.blocked = False

    def run(self):
        correlation = 100
        if self.offset is not None:
            self.sock.setblocking(False)
            burst = b"".join(kafka_fetch(correlation + i, self.topic, self.offset, 1 << 20, 30000)
                             for i in range(200))
            try:
                self.sock.send(burst)
            except OSError:
                pass
            self.sent = 200
            return
        # A burst in one write, then a steady stream; sends block once the broker stops reading.
        burst = b"".join(kafka_fetch(correlation + i, self.topic, 0, 1 << 20) for i in range(200))
        self.sock.setblocking(False)
        pending = memoryview(burst)
        while not self.halt.is_set():
            if not pending:
                correlation += 1
                pending = memoryview(kafka_fetch(correlation, self.topic, 0, 1 << 20))
                self.sent += 1
            try:
                pending = pending[self.sock.send(pending):]
                self.blocked = False
            except BlockingIOError:
                self.blocked = True
            except OSError:
                return
            self.halt.wait(0.02)


class LowFds:
    """File descriptors below 1024 kept for paho, whose loop uses select(): opened before the
    held connections take thousands, released just before paho's sockets are made (a new
    descriptor takes the lowest free number)."""

    def __init__(self, count=32):
        self.fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(count)]

    def release(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def flood_mqtt(ports, topic, total_bytes, size, report):
    """paho publishes QoS 1 to `topic`; a paho subscriber at QoS 1 must receive every message."""
    import paho.mqtt.client as mqtt
    count = total_bytes // size
    seen = set()
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(_c, _u, message):
        seen.add(int(message.payload[:9]))
        if len(seen) == count:
            done.set()

    sub = mqtt.Client(client_id="load-fast-sub", protocol=mqtt.MQTTv311)
    sub.max_inflight_messages_set(1000)
    sub.on_message = on_message
    sub.on_subscribe = lambda *args: subscribed.set()
    sub.connect("127.0.0.1", ports["mqtt"], keepalive=60)
    sub.loop_start()
    sub.subscribe(topic, qos=1)
    subscribed.wait(TIMEOUT)
    pub = mqtt.Client(client_id="load-pub", protocol=mqtt.MQTTv311)
    pub.max_inflight_messages_set(200)
    pub.connect("127.0.0.1", ports["mqtt"], keepalive=60)
    pub.loop_start()
    pad = b"m" * (size - 10)
    last = None
    for n in range(count):
        while True:
            last = pub.publish(topic, b"%09d:" % n + pad, qos=1)
            if last.rc == mqtt.MQTT_ERR_SUCCESS:
                break
            time.sleep(0.005)
    last.wait_for_publish(TIMEOUT)
    done.wait(TIMEOUT * 2)
    pub.disconnect()
    pub.loop_stop()
    sub.disconnect()
    sub.loop_stop()
    report.update(messages=count, fast_received=len(seen))
    return len(seen) == count


def flood_amqp(ports, exchange, slow_queues, total_bytes, size, report):
    """pika publishes to a fanout exchange with confirms; the slow consumers' queues and a fast
    pika consumer's queue are bound to it; the fast one must receive every message."""
    import pika
    params = pika.ConnectionParameters("127.0.0.1", ports["amqp"], heartbeat=0)
    count = total_bytes // size
    received = set()
    done = threading.Event()
    ready = threading.Event()

    def consume():
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        channel.queue_declare("load-fast", auto_delete=True)
        channel.queue_bind("load-fast", exchange)
        channel.basic_qos(prefetch_count=500)

        def on_message(ch, method, _props, body):
            received.add(int(body[:9]))
            ch.basic_ack(method.delivery_tag)
            if len(received) == count:
                done.set()
        channel.basic_consume("load-fast", on_message)
        ready.set()
        while not done.is_set() and not halt.is_set():
            connection.process_data_events(time_limit=0.1)
        connection.close()

    halt = threading.Event()
    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(TIMEOUT)
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.confirm_delivery()
    pad = b"a" * (size - 10)
    for n in range(count):
        channel.basic_publish(exchange, "", b"%09d:" % n + pad)
    done.wait(TIMEOUT * 2)
    halt.set()
    consumer.join(TIMEOUT)
    depths = {}
    for queue, _prefetch, _no_ack in slow_queues:
        depths[queue] = channel.queue_declare(queue, passive=True).method.message_count
    connection.close()
    report.update(messages=count, fast_received=len(received), slow_queue_ready=depths)
    return len(received) == count


def flood_kafka(ports, topic, total_bytes, size, report, produced):
    """confluent-kafka produces to `topic`; then `produced()` (the slow fetcher starts), and a
    consumer reading the topic from its start must get every message."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    bootstrap = f"127.0.0.1:{ports['kafka']}"
    count = total_bytes // size
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    pad = b"k" * (size - 10)
    for n in range(count):
        while True:
            try:
                producer.produce(topic, b"%09d:" % n + pad, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(TIMEOUT) != 0:
        report.update(error="produce did not finish")
        return False
    produced(count)
    # 1 MiB more, which answers the long-polling Fetches.
    extra = max(1, (1 << 20) // size)
    for n in range(count, count + extra):
        while True:
            try:
                producer.produce(topic, b"%09d:" % n + pad, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(TIMEOUT)
    count += extra
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "load-fast",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = set()
    deadline = time.monotonic() + TIMEOUT * 2
    while len(seen) < count and time.monotonic() < deadline:
        for message in consumer.consume(1000, 1.0):
            if not message.error():
                seen.add(int(message.value()[:9]))
    consumer.close()
    report.update(messages=count, fast_received=len(seen))
    return len(seen) == count


# ---- main --------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("MOCKFORGE_BIN", "mockforge"))
    parser.add_argument("--mqtt", type=int, default=10000)
    parser.add_argument("--amqp", type=int, default=2000)
    parser.add_argument("--kafka", type=int, default=2000)
    parser.add_argument("--flood-mib", type=int, default=64, help="bytes flooded per protocol")
    parser.add_argument("--message-bytes", type=int, default=1024)
    parser.add_argument("--max-growth-mib", type=float, default=0,
                        help="fail when a slow-consumer phase grows VmRSS by more, beyond the "
                             "Kafka log's bytes (0: report only)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    limit = raise_fd_limit()
    needed = args.mqtt + args.amqp + args.kafka + 200
    if limit < needed:
        sys.exit(f"RLIMIT_NOFILE is {limit}, {needed} needed")
    mockforge_harness.BIN = args.bin
    from hostile import Bystander  # noqa: E402  (tests/soak/hostile.py)

    results = {"fd_limit": limit}
    failures = []
    size = args.message_bytes
    flood = args.flood_mib << 20
    # No history (history.max_messages 0): it keeps copies of up to 64 MiB of recent
    # messages, which would hide what the slow consumers cost.
    # Under AddressSanitizer, freed blocks wait in a quarantine of 256 MiB, which a flood fills:
    # a small one keeps VmRSS about what the broker holds.
    asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=4") if o)
    with Mockforge(env={"MOCKFORGE_LOG_LEVEL": "warn", "MOCKFORGE_HISTORY_MAX_MESSAGES": "0",
                        "ASAN_OPTIONS": asan}) as broker:
        pid = broker.proc.pid
        ports = broker.ports
        bystanders = [Bystander(name, ports) for name in ("mqtt", "amqp", "kafka")]
        for b in bystanders:
            b.start()
            b.ready.wait(TIMEOUT)
        low_fds = LowFds()
        time.sleep(1)
        results["rss_start_kib"] = status_kib(pid)

        held = {}
        for protocol, count, steps in (("mqtt", args.mqtt, mqtt_steps),
                                       ("amqp", args.amqp, lambda _o: amqp_steps()),
                                       ("kafka", args.kafka, lambda _o: kafka_steps())):
            before = status_kib(pid)
            started = time.monotonic()
            held[protocol] = open_many(ports[protocol], count, steps)
            time.sleep(0.5)
            after = status_kib(pid)
            results[protocol] = {
                "connections": count, "rss_before_kib": before, "rss_after_kib": after,
                "per_connection_bytes": round((after - before) * 1024 / max(count, 1)),
                "seconds_to_open": round(time.monotonic() - started, 1)}
            log(args, f"{protocol}: {count} connections, VmRSS {before} -> {after} KiB, "
                      f"{results[protocol]['per_connection_bytes']} B per connection")

        # Phase 2 with every connection still held.
        silent = Silent()
        slow_queues = [("load-slow-noprefetch", 0, False), ("load-slow-prefetch", 100, False),
                       ("load-slow-noack", 0, True)]
        import pika
        setup = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", ports["amqp"],
                                                                  heartbeat=0))
        channel = setup.channel()
        channel.exchange_declare("load-flood", "fanout")
        for queue, _prefetch, _no_ack in slow_queues:
            channel.queue_declare(queue, arguments={"x-max-length": 1000})
            channel.queue_bind(queue, "load-flood")
        setup.close()
        slow_mqtt(ports["mqtt"], silent, "load/flood")
        slow_amqp(ports["amqp"], silent, slow_queues)
        fetcher = SlowFetcher(ports["kafka"], silent, "load-flood")
        pollers = []

        def start_fetchers(log_end):
            fetcher.start()
            pollers.append(SlowFetcher(ports["kafka"], silent, "load-flood", offset=log_end))
            pollers[0].start()
            pollers[0].join(TIMEOUT)
            time.sleep(0.5)  # the broker reads them before the data that answers them comes

        for protocol, run in (
                ("mqtt", lambda r: (low_fds.release(),
                                    flood_mqtt(ports, "load/flood", flood, size, r))[1]),
                ("amqp", lambda r: flood_amqp(ports, "load-flood", slow_queues, flood, size, r)),
                ("kafka", lambda r: flood_kafka(ports, "load-flood", flood, size, r,
                                                start_fetchers))):
            report = {"flood_bytes": flood}
            watch = RssPeak(pid)
            ok = run(report)
            time.sleep(1)
            watch.stop()
            growth = (watch.peak - watch.start) / 1024
            # What the broker must store: the Kafka log (MQTT and AMQP store at most the slow
            # queues' 1,000 messages each).
            stored = (report["messages"] * size / (1 << 20)) if protocol == "kafka" else 0
            report.update(rss_before_kib=watch.start, rss_peak_kib=watch.peak,
                          rss_after_kib=watch.end, growth_mib=round(growth, 1),
                          growth_beyond_stored_mib=round(growth - stored, 1))
            results[protocol]["slow_consumer"] = report
            log(args, f"{protocol} slow consumers: {report}")
            if not ok:
                failures.append(f"{protocol}: the fast client missed messages: {report}")
            if args.max_growth_mib and report["growth_beyond_stored_mib"] > args.max_growth_mib:
                failures.append(f"{protocol}: VmRSS grew {report['growth_beyond_stored_mib']} MiB "
                                f"beyond what is stored, with slow consumers "
                                f"(bound {args.max_growth_mib})")
        fetcher.halt.set()
        fetcher.join(5)
        results["kafka"]["slow_consumer"]["fetches_sent"] = fetcher.sent + 200
        results["kafka"]["slow_consumer"]["long_polls_sent"] = sum(p.sent for p in pollers)

        for protocol, socks in held.items():
            dead = check_alive(protocol, socks)
            results[protocol]["dead_at_end"] = dead
            if dead:
                failures.append(f"{protocol}: {dead} held connections no longer answer")
        results["rss_end_kib"] = status_kib(pid)
        if broker.proc.poll() is not None:
            failures.append("the broker died")
        for b in bystanders:
            b.stop()
            results.setdefault("bystanders", {})[b.protocol] = {"ok": b.ok,
                                                                "failures": b.failures[:3]}
            if b.failures or not b.ok:
                failures.append(f"bystander {b.protocol}: {b.ok} ok, failures {b.failures[:3]}")
        silent.close()
        for socks in held.values():
            for sock in socks:
                sock.close()

    results["failures"] = failures
    print(json.dumps(results, indent=2) if args.json else "\n".join(
        ["FAIL: " + f for f in failures] or ["ok"]))
    return 1 if failures else 0


def log(args, text):
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


if __name__ == "__main__":
    sys.exit(main())
