"""Differential AMQP 0-9-1 tests: every scenario runs with pika against mockforge
and against Debian's rabbitmq-server (started once, on its own loopback port),
and the normalised transcripts are compared: what each basic.get / consumer /
basic.return saw (exchange, routing key, redelivered flag, delivery tag, body and
every property, headers decoded with their field types), confirms, counts from
declare-ok / purge-ok / delete-ok, and every channel and connection exception
(reply code and reply text).

Properties are decoded from the raw content header (pika's decoder would hide
field types), so a header that comes back as another type is a difference.
Normalised: server-named queue and consumer-tag suffixes and the x-death `time`
values. Scenarios use names of their own: they all share one RabbitMQ node.

Where the two differ, KNOWN_DIFFERENCES says how and why; the test then checks
mockforge against the transcript it must produce instead (and that the
difference is still there, so the table does not go stale). The same list is in
docs/compatibility.md.

Waits are bounded: deliveries and dead-lettered messages are polled for;
prefetch scenarios let a short quiet period pass before counting (the thing
measured is that nothing more arrives), and the TTL scenarios let messages
expire.

MOCKFORGE_DIFF_DUMP=DIR writes each transcript to DIR/<scenario>.<broker>.
MOCKFORGE_RABBITMQ_PORT=N uses a RabbitMQ node already listening there (with
no leftovers from an earlier run) instead of starting one.
"""

import contextlib
import copy
import decimal
import os
import pprint
import re
import struct
import time
import unittest
from decimal import Decimal

import pika
from pika import spec
from pika.exceptions import (ChannelClosedByBroker, ConnectionClosedByBroker, NackError,
                             UnroutableError)

import peers
from mockforge_harness import Mockforge

TIMEOUT = 10
QUIET = 0.4  # seconds with no delivery before "no more will come"

# ---- raw content headers ------------------------------------------------------------------
# pika decodes properties into Python values, which merges field types (I/l/s/b are all
# int). Keep the raw bytes of every content header pika receives and decode them here.

_pika_decode = spec.BasicProperties.decode


def _keep_raw(self, encoded, offset=0):
    self.raw = bytes(encoded[offset:])
    return _pika_decode(self, encoded, offset)


spec.BasicProperties.decode = _keep_raw


class RawProperties(spec.BasicProperties):
    """Properties sent exactly as the given bytes (flags + fields)."""

    def __init__(self, raw):
        super().__init__()
        self._raw_out = raw

    def encode(self):
        return [self._raw_out]


PROPERTY_FIELDS = [("content-type", "s"), ("content-encoding", "s"), ("headers", "F"),
                   ("delivery-mode", "o"), ("priority", "o"), ("correlation-id", "s"),
                   ("reply-to", "s"), ("expiration", "s"), ("message-id", "s"),
                   ("timestamp", "T"), ("type", "s"), ("user-id", "s"), ("app-id", "s"),
                   ("cluster-id", "s")]

_FIXED = {"b": ">b", "B": ">B", "s": ">h", "u": ">H", "I": ">i", "i": ">I", "l": ">q",
          "L": ">Q", "f": ">f", "d": ">d", "T": ">Q", "t": ">B"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        out = self.data[self.pos:self.pos + n]
        assert len(out) == n, "truncated content header"
        self.pos += n
        return out

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def shortstr(self):
        return self.take(self.unpack(">B")).decode(errors="backslashreplace")

    def longstr(self):
        return self.take(self.unpack(">I"))

    def value(self):
        tag = self.take(1).decode()
        if tag in _FIXED:
            return (tag, self.unpack(_FIXED[tag]))
        if tag == "D":
            return (tag, (self.unpack(">B"), self.unpack(">i")))
        if tag in "Sx":
            return (tag, self.longstr())
        if tag == "F":
            return (tag, self.table())
        if tag == "A":
            end = self.pos + 4 + self.unpack(">I")
            items = []
            while self.pos < end:
                items.append(self.value())
            return (tag, items)
        if tag == "V":
            return (tag, None)
        raise AssertionError(f"unknown field type {tag!r}")

    def table(self):
        end = self.pos + 4 + self.unpack(">I")
        items = []
        while self.pos < end:
            key = self.shortstr()
            value = self.value()
            if key == "time" and value[0] == "T":
                value = ("T", "*")  # x-death time: when it happened
            items.append((key, value))
        return sorted(items)  # a field table is a map: its order is not compared


def decode_properties(raw):
    """[(name, value)] for the properties present, field tables typed."""
    r = Reader(raw)
    flags = r.unpack(">H")
    out = []
    for i, (name, kind) in enumerate(PROPERTY_FIELDS):
        if not flags & (1 << (15 - i)):
            continue
        if kind == "s":
            out.append((name, r.shortstr()))
        elif kind == "F":
            out.append((name, r.table()))
        elif kind == "o":
            out.append((name, r.unpack(">B")))
        else:
            out.append((name, r.unpack(">Q")))
    return out


def _enc_short(text):
    data = text.encode()
    return bytes([len(data)]) + data


def encode_value(tag, value):
    if tag in _FIXED:
        return tag.encode() + struct.pack(_FIXED[tag], value)
    if tag == "D":
        return b"D" + struct.pack(">Bi", *value)
    if tag in "Sx":
        return tag.encode() + struct.pack(">I", len(value)) + value
    if tag == "F":
        return b"F" + encode_table(value)
    if tag == "A":
        body = b"".join(encode_value(*v) for v in value)
        return b"A" + struct.pack(">I", len(body)) + body
    if tag == "V":
        return b"V"
    raise ValueError(tag)


def encode_table(items):
    body = b"".join(_enc_short(k) + encode_value(*v) for k, v in items)
    return struct.pack(">I", len(body)) + body


def encode_properties(fields):
    """Raw properties from [(name, value)] in PROPERTY_FIELDS order."""
    given = dict(fields)
    flags, body = 0, b""
    for i, (name, kind) in enumerate(PROPERTY_FIELDS):
        if name not in given:
            continue
        flags |= 1 << (15 - i)
        value = given[name]
        if kind == "s":
            body += _enc_short(value)
        elif kind == "F":
            body += encode_table(value)
        elif kind == "o":
            body += struct.pack(">B", value)
        else:
            body += struct.pack(">Q", value)
    return struct.pack(">H", flags) + body


# ---- one run of a scenario against one broker ----------------------------------------------

_NAMES = [(re.compile(r"amq\.gen-[A-Za-z0-9_-]+"), "amq.gen-*"),
          (re.compile(r"amq\.ctag-[A-Za-z0-9_-]+"), "amq.ctag-*")]


def normalise(value):
    if isinstance(value, str):
        for pattern, repl in _NAMES:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, bytes):
        return normalise(value.decode(errors="backslashreplace")).encode()
    if isinstance(value, (list, tuple)):
        return type(value)(normalise(v) for v in value)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def message(method, props, body):
    return (method.exchange, method.routing_key, int(method.redelivered), method.delivery_tag,
            body.decode(errors="backslashreplace"), decode_properties(props.raw))


class Run:
    def __init__(self, port):
        self.port = port
        self.t = []
        self.conns = []

    def log(self, *entry):
        self.t.append(normalise(entry))

    def connect(self, **kwargs):
        params = pika.ConnectionParameters("127.0.0.1", self.port, blocked_connection_timeout=10,
                                           socket_timeout=10, **kwargs)
        conn = pika.BlockingConnection(params)
        self.conns.append(conn)
        return conn

    def channel(self, conn=None):
        return (conn or self.connect()).channel()

    def close(self):
        for conn in self.conns:
            with contextlib.suppress(Exception):
                if conn.is_open:
                    conn.close()

    # -- operations that log what they see --

    def get(self, ch, queue, auto_ack=False, wait=False):
        deadline = time.monotonic() + TIMEOUT
        while True:
            method, props, body = ch.basic_get(queue, auto_ack=auto_ack)
            if method is not None or not wait or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if method is None:
            self.log("get-empty", queue)
        else:
            self.log("get", queue, method.message_count, *message(method, props, body))
        return method

    def drain(self, ch, queue, auto_ack=True):
        """basic.get until empty (the messages are known to be there)."""
        while self.get(ch, queue, auto_ack=auto_ack) is not None:
            pass

    def count(self, ch, queue, label="declare"):
        """Passive declare-ok counts once they have settled. RabbitMQ hands publishes,
        requeues and acks to the queue asynchronously (not ordered with the declare)."""
        previous, stable = None, 0
        deadline = time.monotonic() + TIMEOUT
        while stable < 4 and time.monotonic() < deadline:
            m = ch.queue_declare(queue, passive=True).method
            now = (m.message_count, m.consumer_count)
            stable = stable + 1 if now == previous else 0
            previous = now
            time.sleep(0.02)
        self.log(label, queue, *previous)

    def attempt(self, label, fn, *args, **kwargs):
        """Runs fn; logs its result or the exception the broker answered with."""
        try:
            result = fn(*args, **kwargs)
        except ChannelClosedByBroker as e:
            self.log(label, "channel-closed", e.reply_code, e.reply_text)
            return None
        except ConnectionClosedByBroker as e:
            self.log(label, "connection-closed", e.reply_code, e.reply_text)
            return None
        self.log(label, "ok", summarise(result))
        return result


def summarise(result):
    """declare-ok / purge-ok / delete-ok and friends as plain tuples."""
    method = getattr(result, "method", None)
    if method is None:
        return None
    fields = [(k, v) for k, v in sorted(vars(method).items()) if not k.startswith("_")]
    return (method.NAME, tuple(fields))


def sync(ch):
    """A round trip on the channel: an error from an earlier asynchronous method
    (publish, ack) surfaces here."""
    ch.exchange_declare("amq.direct", passive=True)


def connection_closed(run, label, conn):
    """Waits for the broker to close `conn` and logs how."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.05)
    except ConnectionClosedByBroker as e:
        run.log(label, "connection-closed", e.reply_code, e.reply_text)
        return
    run.log(label, "still-open")


class Consumer:
    def __init__(self, run, ch, queue, tag, **kwargs):
        self.run, self.ch, self.tag = run, ch, tag
        self.got = []
        ch.basic_consume(queue, self._on_message, consumer_tag=tag, **kwargs)

    def _on_message(self, ch, method, props, body):
        self.got.append(method)
        self.run.log("deliver", self.tag, *message(method, props, body))

    def wait(self, count):
        deadline = time.monotonic() + TIMEOUT
        while len(self.got) < count and time.monotonic() < deadline:
            self.ch.connection.process_data_events(time_limit=0.05)
        assert len(self.got) >= count, f"{self.tag}: {len(self.got)} of {count} deliveries"


def settle(conn):
    """Processes events until QUIET seconds pass without any."""
    conn.process_data_events(time_limit=QUIET)


# ---- scenarios ---------------------------------------------------------------------------

def routing(run):
    ch = run.channel()
    ch.exchange_declare("r.direct", "direct")
    ch.exchange_declare("r.fanout", "fanout")
    ch.exchange_declare("r.topic", "topic")
    ch.exchange_declare("r.headers", "headers")
    for q in ("r.q1", "r.q2", "r.q3", "r.q4", "r.all", "r.any", "r.e2e"):
        ch.queue_declare(q)
    ch.queue_bind("r.q1", "r.direct", "a")
    ch.queue_bind("r.q2", "r.direct", "a")
    ch.queue_bind("r.q2", "r.direct", "b")
    ch.queue_bind("r.q3", "r.fanout", "ignored")
    ch.queue_bind("r.q4", "r.topic", "x.*.z")
    ch.queue_bind("r.q1", "r.topic", "x.#")
    ch.queue_bind("r.q3", "r.topic", "#")
    ch.queue_bind("r.q2", "r.topic", "*.y.#")
    ch.queue_bind("r.all", "r.headers", "", {"x-match": "all", "h1": "v1", "h2": 2})
    ch.queue_bind("r.any", "r.headers", "", {"x-match": "any", "h1": "v1", "h2": 2})
    ch.exchange_bind("r.fanout", "r.direct", "c")  # exchange to exchange
    ch.exchange_declare("r.inner", "fanout", internal=True)
    ch.exchange_bind("r.inner", "r.topic", "e2e.#")
    ch.queue_bind("r.e2e", "r.inner")
    ch.exchange_declare("r.alt", "fanout")
    ch.queue_declare("r.unrouted")
    ch.queue_bind("r.unrouted", "r.alt")
    ch.exchange_declare("r.withalt", "direct", arguments={"alternate-exchange": "r.alt"})
    ch.queue_bind("r.q1", "r.withalt", "known")
    publishes = [("r.direct", "a"), ("r.direct", "b"), ("r.direct", "c"), ("r.direct", "zz"),
                 ("r.fanout", "anything"), ("r.topic", "x.y.z"), ("r.topic", "x"),
                 ("r.topic", "x.y"), ("r.topic", "a.y"), ("r.topic", "x.q.z.w"),
                 ("r.topic", "e2e.deep.key"), ("", "r.q4"), ("", "r.none"),
                 ("r.withalt", "known"), ("r.withalt", "unknown"), ("amq.direct", "nobody")]
    for i, (exchange, key) in enumerate(publishes):
        ch.basic_publish(exchange, key, f"m{i}".encode())
    for i, headers in enumerate([{"h1": "v1", "h2": 2}, {"h1": "v1"}, {"h2": 2, "h3": "x"},
                                 {"h1": "v2"}, {"h1": "v1", "h2": 2, "extra": True}, {}]):
        ch.basic_publish("r.headers", "", f"h{i}".encode(),
                         pika.BasicProperties(headers=headers))
    for q in ("r.q1", "r.q2", "r.q3", "r.q4", "r.all", "r.any", "r.e2e", "r.unrouted"):
        run.drain(ch, q)
    run.attempt("publish-internal", lambda: (ch.basic_publish("r.inner", "", b"x"), sync(ch)))


def returns(run):
    conn = run.connect()
    ch = conn.channel()
    ch.add_on_return_callback(lambda c, method, props, body: run.log(
        "return", method.reply_code, method.reply_text, method.exchange, method.routing_key,
        body.decode(), decode_properties(props.raw)))
    ch.exchange_declare("ret.x", "direct")
    ch.exchange_declare("ret.alt", "fanout")
    ch.queue_declare("ret.alt.q")
    ch.queue_bind("ret.alt.q", "ret.alt")
    ch.exchange_declare("ret.withalt", "direct", arguments={"alternate-exchange": "ret.alt"})
    ch.exchange_declare("ret.deadalt", "direct", arguments={"alternate-exchange": "ret.none"})
    props = pika.BasicProperties(content_type="text/plain", headers={"k": "v"}, priority=3)
    ch.basic_publish("ret.x", "nowhere", b"one", props, mandatory=True)
    ch.basic_publish("", "ret.noqueue", b"two", mandatory=True)
    ch.basic_publish("ret.withalt", "nowhere", b"three", mandatory=True)  # routed by the AE
    ch.basic_publish("ret.deadalt", "nowhere", b"four", mandatory=True)
    ch.basic_publish("ret.x", "nowhere", b"five")  # not mandatory: dropped
    sync(ch)
    conn.process_data_events(time_limit=0)
    run.drain(ch, "ret.alt.q")


def get_ack(run):
    ch = run.channel()
    ch.queue_declare("ga.q")
    run.get(ch, "ga.q")
    for i in range(8):
        ch.basic_publish("", "ga.q", f"m{i}".encode())
    for _ in range(8):
        run.get(ch, "ga.q")  # tags 1..8, unacked
    ch.basic_reject(1, requeue=True)
    ch.basic_nack(3, multiple=True, requeue=True)  # 2 and 3
    ch.basic_nack(4, multiple=False, requeue=False)  # dropped (no DLX)
    ch.basic_ack(6, multiple=True)  # 5 and 6
    ch.basic_reject(7, requeue=False)
    run.count(ch, "ga.q")
    for _ in range(4):
        run.get(ch, "ga.q")  # the requeued three (redelivered, in queue order), then empty
    ch.basic_ack(0, multiple=True)  # everything outstanding: 8, 9, 10, 11
    run.count(ch, "ga.q")
    # auto-ack get
    ch.basic_publish("", "ga.q", b"auto")
    run.get(ch, "ga.q", auto_ack=True)
    run.get(ch, "ga.q")


def recover(run):
    conn = run.connect()
    ch = conn.channel()
    ch.queue_declare("rc.q")
    for i in range(3):
        ch.basic_publish("", "rc.q", f"m{i}".encode())
    c = Consumer(run, ch, "rc.q", "rc-consumer")
    c.wait(3)
    ch.basic_ack(2)
    ch.basic_recover(requeue=True)
    c.wait(5)
    ch.basic_ack(0, multiple=True)
    run.count(ch, "rc.q")


def close_requeues(run):
    conn = run.connect()
    a = conn.channel()
    a.queue_declare("cr.q")
    for i in range(4):
        a.basic_publish("", "cr.q", f"m{i}".encode())
    run.get(a, "cr.q")
    run.get(a, "cr.q")
    a.basic_ack(2)
    c = Consumer(run, a, "cr.q", "cr-consumer")
    c.wait(2)
    a.close()
    b = conn.channel()
    run.count(b, "cr.q")
    run.drain(b, "cr.q", auto_ack=False)
    conn2 = run.connect()
    other = conn2.channel()
    for _ in range(3):
        run.get(other, "cr.q")  # nothing: b holds them unacked
    conn.close()  # the connection: b's unacked come back
    run.get(other, "cr.q", wait=True)
    run.drain(other, "cr.q")


def prefetch(run):
    conn = run.connect()
    ch = conn.channel()
    for q in ("pf.a", "pf.b", "pf.c", "pf.d"):
        ch.queue_declare(q)
        for i in range(6):
            ch.basic_publish("", q, f"{q}-{i}".encode())
    # Per consumer (global=false): each consumer created afterwards may hold 2.
    ch.basic_qos(prefetch_count=2)
    a = Consumer(run, ch, "pf.a", "pf-a")
    b = Consumer(run, ch, "pf.b", "pf-b")
    a.wait(2)
    b.wait(2)
    settle(conn)
    run.log("per-consumer", len(a.got), len(b.got))
    ch.basic_ack(a.got[0].delivery_tag)
    a.wait(3)
    settle(conn)
    run.log("after one ack", len(a.got), len(b.got))
    # Per channel (global=true) on another channel: 3 in all across its consumers,
    # with each consumer also limited to 2 by the per-consumer limit set first.
    ch2 = conn.channel()
    ch2.basic_qos(prefetch_count=2)
    ch2.basic_qos(prefetch_count=3, global_qos=True)
    got = []
    ch2.basic_consume("pf.c", lambda c, m, p, body: got.append(m), consumer_tag="pf-c")
    ch2.basic_consume("pf.d", lambda c, m, p, body: got.append(m), consumer_tag="pf-d")
    deadline = time.monotonic() + TIMEOUT
    while len(got) < 3 and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.05)
    settle(conn)
    # Which consumer gets them is up to the broker; how many is not.
    run.log("global", len(got))
    ch2.basic_ack(0, multiple=True)
    deadline = time.monotonic() + TIMEOUT
    while len(got) < 6 and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.05)
    settle(conn)
    run.log("global after ack", len(got))
    # prefetch 0: unlimited.
    ch3 = conn.channel()
    ch3.basic_qos(prefetch_count=0)
    ch3.queue_declare("pf.e")
    for i in range(7):
        ch3.basic_publish("", "pf.e", f"e{i}".encode())
    e = Consumer(run, ch3, "pf.e", "pf-e")
    e.wait(7)


def ttl(run):
    ch = run.channel()
    ch.exchange_declare("ttl.dlx", "fanout")
    ch.queue_declare("ttl.dead")
    ch.queue_bind("ttl.dead", "ttl.dlx")
    ch.queue_declare("ttl.q", arguments={"x-message-ttl": 150, "x-dead-letter-exchange":
                                         "ttl.dlx"})
    ch.queue_declare("ttl.msg", arguments={"x-dead-letter-exchange": "ttl.dlx"})
    ch.queue_declare("ttl.zero")
    ch.basic_publish("", "ttl.q", b"queue-ttl", pika.BasicProperties(headers={"n": 1}))
    ch.basic_publish("", "ttl.q", b"shorter", pika.BasicProperties(expiration="50"))
    ch.basic_publish("", "ttl.msg", b"keeps")
    ch.basic_publish("", "ttl.msg", b"per-message", pika.BasicProperties(expiration="100"))
    ch.basic_publish("", "ttl.msg", b"long", pika.BasicProperties(expiration="600000"))
    ch.basic_publish("", "ttl.zero", b"zero", pika.BasicProperties(expiration="0"))
    time.sleep(0.5)
    run.count(ch, "ttl.q")
    run.get(ch, "ttl.q")
    run.get(ch, "ttl.zero")
    # "per-message" expired behind "keeps": removed when it reaches the head.
    run.get(ch, "ttl.msg", auto_ack=True)
    run.get(ch, "ttl.msg", auto_ack=True)
    run.get(ch, "ttl.dead", auto_ack=True, wait=True)
    run.get(ch, "ttl.dead", auto_ack=True, wait=True)
    run.get(ch, "ttl.dead", auto_ack=True, wait=True)
    run.get(ch, "ttl.dead", auto_ack=True)
    run.attempt("bad-expiration", lambda: (
        ch.basic_publish("", "ttl.msg", b"x", pika.BasicProperties(expiration="soon")),
        sync(ch)))


def max_length(run):
    ch = run.channel()
    ch.exchange_declare("ml.dlx", "fanout")
    ch.queue_declare("ml.dead")
    ch.queue_bind("ml.dead", "ml.dlx")
    ch.queue_declare("ml.head", arguments={"x-max-length": 2, "x-dead-letter-exchange":
                                           "ml.dlx"})
    for i in range(5):
        ch.basic_publish("", "ml.head", f"h{i}".encode())
    run.count(ch, "ml.head")
    run.drain(ch, "ml.head")
    for _ in range(3):
        run.get(ch, "ml.dead", wait=True, auto_ack=True)
    ch.queue_declare("ml.bytes", arguments={"x-max-length-bytes": 10})
    for body in (b"12345", b"6789", b"abcd"):
        ch.basic_publish("", "ml.bytes", body)
    run.drain(ch, "ml.bytes")
    ch2 = run.channel()
    ch2.confirm_delivery()
    ch2.queue_declare("ml.reject", arguments={"x-max-length": 2, "x-overflow":
                                              "reject-publish", "x-dead-letter-exchange":
                                              "ml.dlx"})
    for i in range(4):
        try:
            ch2.basic_publish("", "ml.reject", f"r{i}".encode())
            run.log("confirm", i, "ack")
        except NackError:
            run.log("confirm", i, "nack")
    run.drain(ch2, "ml.reject")
    run.get(ch2, "ml.dead")  # reject-publish does not dead-letter


def priority(run):
    ch = run.channel()
    ch.queue_declare("pr.q", arguments={"x-max-priority": 5})
    for i, p in enumerate([None, 3, 5, 1, 9, 0, 3, None, 255]):
        ch.basic_publish("", "pr.q", f"m{i}-p{p}".encode(), pika.BasicProperties(priority=p))
    run.drain(ch, "pr.q")
    ch.queue_declare("pr.plain")
    for i, p in enumerate([1, 9, 0]):
        ch.basic_publish("", "pr.plain", f"n{i}".encode(), pika.BasicProperties(priority=p))
    run.drain(ch, "pr.plain")
    run.attempt("too-high", ch.queue_declare, "pr.bad", arguments={"x-max-priority": 256})


def dead_letter(run):
    ch = run.channel()
    ch.exchange_declare("dl.x", "direct")
    ch.exchange_declare("dl.x2", "topic")
    ch.queue_declare("dl.final")
    ch.queue_bind("dl.final", "dl.x2", "#")
    # dl.one --reject--> dl.x ("to-two") --> dl.two --nack--> dl.x2 (original key) --> final
    ch.queue_declare("dl.one", arguments={"x-dead-letter-exchange": "dl.x",
                                          "x-dead-letter-routing-key": "to-two"})
    ch.queue_declare("dl.two", arguments={"x-dead-letter-exchange": "dl.x2"})
    ch.queue_bind("dl.two", "dl.x", "to-two")
    ch.exchange_declare("dl.src", "direct")
    ch.queue_bind("dl.one", "dl.src", "orig.key")
    props = pika.BasicProperties(headers={"mine": "kept"}, content_type="text/plain",
                                 expiration="60000", message_id="id-1")
    ch.basic_publish("dl.src", "orig.key", b"travels", props)
    ch.basic_reject(run.get(ch, "dl.one").delivery_tag, requeue=False)
    ch.basic_nack(run.get(ch, "dl.two", wait=True).delivery_tag, requeue=False)
    run.get(ch, "dl.final", wait=True, auto_ack=True)
    # A cycle with rejections: the same (queue, reason) counts up and moves first.
    ch.queue_declare("dl.ping", arguments={"x-dead-letter-exchange": "",
                                           "x-dead-letter-routing-key": "dl.pong"})
    ch.queue_declare("dl.pong", arguments={"x-dead-letter-exchange": "",
                                           "x-dead-letter-routing-key": "dl.ping"})
    ch.basic_publish("", "dl.ping", b"bounce")
    for q in ("dl.ping", "dl.pong", "dl.ping", "dl.pong"):
        ch.basic_reject(run.get(ch, q, wait=True).delivery_tag, requeue=False)
    run.get(ch, "dl.ping", wait=True, auto_ack=True)
    # A cycle without rejection (TTL only) is dropped.
    ch.queue_declare("dl.loop", arguments={"x-message-ttl": 20, "x-dead-letter-exchange": ""})
    ch.basic_publish("", "dl.loop", b"loops")
    time.sleep(0.3)
    run.get(ch, "dl.loop")
    # A missing dead-letter exchange drops the message.
    ch.queue_declare("dl.nowhere", arguments={"x-dead-letter-exchange": "dl.missing"})
    ch.basic_publish("", "dl.nowhere", b"lost")
    ch.basic_reject(run.get(ch, "dl.nowhere").delivery_tag, requeue=False)
    run.count(ch, "dl.nowhere")
    # CC / BCC headers: extra routing keys; BCC is removed before delivery.
    ch.queue_declare("dl.cc", arguments={"x-dead-letter-exchange": "dl.x2"})
    ch.basic_publish("", "dl.cc", b"copied", pika.BasicProperties(headers={
        "CC": ["dl.cc"], "BCC": ["dl.other"]}))
    ch.basic_reject(run.get(ch, "dl.cc").delivery_tag, requeue=False)
    run.get(ch, "dl.final", wait=True, auto_ack=True)


def confirms_tx(run):
    conn = run.connect()
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare("ct.q")
    ch.add_on_return_callback(lambda c, m, p, b: run.log("return", m.reply_code, b.decode()))
    outcomes = []
    for i, (exchange, key, mandatory) in enumerate([("", "ct.q", False), ("", "ct.none", False),
                                                    ("", "ct.none", True), ("", "ct.q", True)]):
        try:
            ch.basic_publish(exchange, key, f"c{i}".encode(), mandatory=mandatory)
            outcomes.append((i, "ack"))
        except UnroutableError:
            outcomes.append((i, "unroutable"))
        except NackError:
            outcomes.append((i, "nack"))
    run.log("confirms", outcomes)
    run.attempt("tx-after-confirm", ch.tx_select)
    # Many publishes, then the set of confirmed tags (acks may be batched with multiple).
    ch2 = conn.channel()
    confirmed = set()

    def on_confirm(frame):
        m = frame.method
        tags = range(1, m.delivery_tag + 1) if m.multiple else [m.delivery_tag]
        confirmed.update((t, m.NAME) for t in tags)

    ch2._impl.confirm_delivery(on_confirm)  # asynchronous: no wait per publish
    conn.process_data_events(time_limit=0.1)
    for i in range(20):
        ch2._impl.basic_publish("", "ct.q", f"b{i}".encode())
    deadline = time.monotonic() + TIMEOUT
    while len(confirmed) < 20 and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.05)
    run.log("batch confirmed", sorted(confirmed))
    ch2.queue_purge("ct.q")
    # tx
    tx = conn.channel()
    tx.tx_select()
    tx.basic_publish("", "ct.q", b"rolled-back")
    run.count(tx, "ct.q")
    tx.tx_rollback()
    tx.basic_publish("", "ct.q", b"t1")
    tx.basic_publish("", "ct.q", b"t2")
    run.count(tx, "ct.q")
    tx.tx_commit()
    run.count(tx, "ct.q")
    run.get(tx, "ct.q")
    run.get(tx, "ct.q")
    tx.basic_ack(1)
    tx.basic_reject(2, requeue=True)
    tx.tx_rollback()  # the ack and the reject are forgotten; both stay unacked
    run.get(tx, "ct.q")
    tx.basic_ack(2)
    tx.tx_commit()
    run.count(tx, "ct.q")
    tx.close()  # t1 unacked: back with redelivered
    other = conn.channel()
    run.drain(other, "ct.q")
    run.attempt("confirm-after-tx", lambda: (other.tx_select(), other.confirm_delivery()))
    bad = conn.channel()
    run.attempt("commit-without-select", bad.tx_commit)


def tx_publish(run):
    """In a transaction basic.publish is checked and routed when it arrives: a bad publish
    closes the channel before any tx.commit, and where the message goes is decided then
    (a binding made before the commit does not change it; a routed queue deleted before
    the commit makes a mandatory message come back). Storing and returns wait for the
    commit; a direct reply goes to the requester at once."""
    conn = run.connect()
    ch = conn.channel()
    ch.exchange_declare("tp.x", "direct")
    ch.exchange_declare("tp.internal", "fanout", internal=True)
    ch.queue_declare("tp.q")
    ch.queue_declare("tp.late")
    ch.queue_bind("tp.q", "tp.x", "k")
    for label, exchange, props in [
            ("tx-expiration", "tp.x", pika.BasicProperties(expiration="soon")),
            ("tx-expiration-negative", "tp.x", pika.BasicProperties(expiration="-1")),
            ("tx-user-id", "tp.x", pika.BasicProperties(user_id="someone-else")),
            ("tx-reply-to-without-consumer", "tp.x",
             pika.BasicProperties(reply_to="amq.rabbitmq.reply-to")),
            ("tx-missing-exchange-first", "tp.missing", pika.BasicProperties(expiration="soon")),
            ("tx-internal-exchange", "tp.internal", None)]:
        tx = conn.channel()
        tx.tx_select()
        tx.basic_publish("tp.x", "k", b"good")
        run.attempt(label, lambda: (tx.basic_publish(exchange, "k", b"bad", props), sync(tx)))
    run.count(ch, "tp.q")  # the closed channels' publishes were never committed

    tx = conn.channel()
    tx.tx_select()
    tx.add_on_return_callback(lambda c, m, p, b: run.log(
        "return", m.reply_code, m.exchange, m.routing_key, b.decode()))
    ch.queue_declare("tp.gone")
    tx.basic_publish("tp.x", "late", b"before-bind", mandatory=True)
    tx.basic_publish("", "tp.gone", b"to-deleted-queue", mandatory=True)
    ch.queue_bind("tp.late", "tp.x", "late")
    ch.queue_delete("tp.gone")
    tx.basic_publish("tp.x", "late", b"after-bind", mandatory=True)
    tx.basic_publish("tp.x", "k", b"to-q")
    sync(tx)
    conn.process_data_events(time_limit=0)
    run.log("before-commit")
    run.count(ch, "tp.q")
    tx.tx_commit()
    conn.process_data_events(time_limit=0)
    run.drain(ch, "tp.late")
    run.drain(ch, "tp.q")

    # A direct reply published in a transaction reaches the requester before the commit.
    requester = run.connect()
    rch = requester.channel()
    replies = []
    rch.basic_consume("amq.rabbitmq.reply-to", lambda c, m, p, b: replies.append(b.decode()),
                      auto_ack=True)
    rch.basic_publish("", "tp.q", b"request",
                      pika.BasicProperties(reply_to="amq.rabbitmq.reply-to"))
    request = None
    deadline = time.monotonic() + TIMEOUT
    while request is None and time.monotonic() < deadline:
        request = ch.basic_get("tp.q", auto_ack=True)[1]
    tx.basic_publish("", request.reply_to, b"reply")
    sync(tx)
    deadline = time.monotonic() + TIMEOUT
    while not replies and time.monotonic() < deadline:
        requester.process_data_events(time_limit=0.05)
    run.log("replies-before-commit", replies)
    tx.tx_rollback()
    requester.process_data_events(time_limit=QUIET)
    run.log("replies-after-rollback", replies)


def errors(run):
    conn = run.connect()

    def fresh():
        nonlocal conn
        if not conn.is_open:
            conn = run.connect()
        return conn.channel()

    ch = fresh()
    ch.queue_declare("er.q", arguments={"x-message-ttl": 1000})
    ch.exchange_declare("er.x", "direct")
    checks = [
        ("passive-queue", lambda c: c.queue_declare("er.missing", passive=True)),
        ("passive-exchange", lambda c: c.exchange_declare("er.missing", passive=True)),
        ("publish-missing-exchange", lambda c: (c.basic_publish("er.missing", "k", b""),
                                                sync(c))),
        ("bind-missing-exchange", lambda c: c.queue_bind("er.q", "er.missing", "k")),
        ("bind-missing-queue", lambda c: c.queue_bind("er.missing", "er.x", "k")),
        ("unbind-missing-queue", lambda c: c.queue_unbind("er.missing", "er.x", "k")),
        ("unbind-missing-exchange", lambda c: c.queue_unbind("er.q", "er.missing", "k")),
        ("unbind-never-bound", lambda c: c.queue_unbind("er.q", "er.x", "never")),
        ("exchange-bind-missing", lambda c: c.exchange_bind("er.missing", "er.x", "k")),
        ("exchange-unbind-missing", lambda c: c.exchange_unbind("er.missing", "er.x", "k")),
        ("expiration-leftover", lambda c: (c.basic_publish("", "er.q", b"", pika.BasicProperties(
            expiration="12ab")), sync(c))),
        ("expiration-negative", lambda c: (c.basic_publish("", "er.q", b"", pika.BasicProperties(
            expiration="-5")), sync(c))),
        ("expiration-too-large", lambda c: (c.basic_publish(
            "", "er.q", b"", pika.BasicProperties(expiration="4294967296")), sync(c))),
        ("delete-missing-queue", lambda c: c.queue_delete("er.missing")),
        ("delete-missing-exchange", lambda c: c.exchange_delete("er.missing")),
        ("purge-missing", lambda c: c.queue_purge("er.missing")),
        ("get-missing", lambda c: c.basic_get("er.missing")),
        ("consume-missing", lambda c: c.basic_consume("er.missing", lambda *a: None)),
        ("redeclare-args", lambda c: c.queue_declare("er.q", arguments={"x-message-ttl": 2000})),
        ("redeclare-no-args", lambda c: c.queue_declare("er.q")),
        ("redeclare-durable", lambda c: c.queue_declare("er.q", durable=True,
                                                        arguments={"x-message-ttl": 1000})),
        ("redeclare-auto-delete", lambda c: c.queue_declare("er.q", auto_delete=True,
                                                            arguments={"x-message-ttl": 1000})),
        ("redeclare-exclusive", lambda c: c.queue_declare("er.q", exclusive=True,
                                                          arguments={"x-message-ttl": 1000})),
        ("redeclare-arg-added", lambda c: c.queue_declare("er.q", arguments={
            "x-message-ttl": 1000, "x-max-length": 5})),
        ("redeclare-other-arg", lambda c: c.queue_declare("er.q", arguments={
            "x-message-ttl": 1000, "x-custom": "anything"})),
        ("redeclare-string-arg", lambda c: c.queue_declare("er.q", arguments={
            "x-message-ttl": 1000, "x-overflow": "drop-head"})),
        ("redeclare-type", lambda c: c.exchange_declare("er.x", "fanout")),
        ("redeclare-internal", lambda c: c.exchange_declare("er.x", "direct", internal=True)),
        ("redeclare-alternate", lambda c: c.exchange_declare(
            "er.x", "direct", arguments={"alternate-exchange": "amq.fanout"})),
        # The alternate's type is checked for a new exchange only, after its
        # name; an existing one compares arguments instead.
        ("redeclare-bad-alternate", lambda c: c.exchange_declare(
            "er.x", "direct", arguments={"alternate-exchange": 1})),
        ("reserved-bad-alternate", lambda c: c.exchange_declare(
            "amq.er", "direct", arguments={"alternate-exchange": 1})),
        ("redeclare-exchange-other-arg", lambda c: c.exchange_declare(
            "er.x", "direct", arguments={"x-anything": 1})),
        ("redeclare-exchange-durable", lambda c: c.exchange_declare("er.x", "direct",
                                                                    durable=True)),
        ("ack-unknown", lambda c: (c.basic_ack(42), sync(c))),
        ("reject-unknown", lambda c: (c.basic_reject(7), sync(c))),
        # Its own queue: RabbitMQ may requeue the acked message when the channel closes.
        ("double-ack", lambda c: (c.queue_declare("er.acks"), c.basic_publish("", "er.acks", b"x"),
                                  c.basic_get("er.acks"), c.basic_ack(1), c.basic_ack(1),
                                  sync(c))),
        ("queue-amq", lambda c: c.queue_declare("amq.mine")),
        ("exchange-amq", lambda c: c.exchange_declare("amq.mine", "direct")),
        ("passive-amq-queue", lambda c: c.queue_declare("amq.mine", passive=True)),
        ("delete-amq-exchange", lambda c: c.exchange_delete("amq.direct")),
        ("bind-default-exchange", lambda c: c.queue_bind("er.q", "", "er.q")),
        ("unknown-exchange-type", lambda c: c.exchange_declare("er.y", "nonsense")),
        ("qos-prefetch-size", lambda c: c.basic_qos(prefetch_size=10)),
        ("recover-no-requeue", lambda c: (c.basic_recover(requeue=False), sync(c))),
        ("immediate", lambda c: (c.connection._impl._send_method(
            c.channel_number, spec.Basic.Publish(exchange="", routing_key="er.q",
                                                 immediate=True),
            (pika.BasicProperties(), b"now")), sync(c))),
        # Refused before anything else of the declare, the exclusive flag included.
        ("server-named-quorum", lambda c: c.queue_declare(
            "", exclusive=True, arguments={"x-queue-type": "quorum"})),
        ("server-named-stream", lambda c: c.queue_declare(
            "", durable=True, arguments={"x-queue-type": "stream"})),
        ("bad-overflow", lambda c: c.queue_declare("er.o", arguments={"x-overflow": "nope"})),
        ("bad-ttl-type", lambda c: c.queue_declare("er.t", arguments={"x-message-ttl": "x"})),
        ("negative-ttl", lambda c: c.queue_declare("er.n", arguments={"x-message-ttl": -1})),
        ("bad-max-length", lambda c: c.queue_declare("er.m", arguments={"x-max-length": -1})),
        ("dlrk-without-dlx", lambda c: c.queue_declare(
            "er.d", arguments={"x-dead-letter-routing-key": "k"})),
        ("bad-alternate", lambda c: c.exchange_declare("er.ae", "direct",
                                                       arguments={"alternate-exchange": 1})),
        ("delete-if-unused", lambda c: (c.basic_consume("er.q", lambda *a: None),
                                        c.queue_delete("er.q", if_unused=True))),
        ("delete-if-empty", lambda c: (c.basic_publish("", "er.q", b"x"),
                                       c.queue_delete("er.q", if_empty=True))),
        ("exchange-if-unused", lambda c: (c.queue_bind("er.q", "er.x", "k"),
                                          c.exchange_delete("er.x", if_unused=True))),
    ]
    for label, fn in checks:
        c = fresh()
        run.attempt(label, fn, c)
        if c.is_open:
            c.close()
    # Exclusive queues and consumers from another connection.
    ch = fresh()
    ch.queue_declare("er.excl", exclusive=True)
    ch.queue_bind("er.excl", "amq.direct", "bound")
    ch.queue_declare("er.shared")
    ch.basic_consume("er.shared", lambda *a: None, exclusive=True, consumer_tag="owner")
    other = run.connect()
    for label, fn in [
        ("exclusive-declare", lambda c: c.queue_declare("er.excl")),
        ("exclusive-passive", lambda c: c.queue_declare("er.excl", passive=True)),
        ("exclusive-get", lambda c: c.basic_get("er.excl")),
        ("exclusive-consume", lambda c: c.basic_consume("er.excl", lambda *a: None)),
        ("exclusive-bind", lambda c: c.queue_bind("er.excl", "amq.direct", "k")),
        # RabbitMQ checks exclusive access only for a binding that exists.
        ("exclusive-unbind-unbound", lambda c: c.queue_unbind("er.excl", "amq.direct", "k")),
        ("exclusive-unbind-bound", lambda c: c.queue_unbind("er.excl", "amq.direct", "bound")),
        ("exclusive-purge", lambda c: c.queue_purge("er.excl")),
        ("exclusive-delete", lambda c: c.queue_delete("er.excl")),
        ("exclusive-consumer", lambda c: c.basic_consume("er.shared", lambda *a: None)),
    ]:
        run.attempt(label, fn, other.channel())
    # Connection errors: each on a connection of its own.
    c = run.connect()
    ch = c.channel()
    ch.queue_declare("er.tags")
    ch.basic_consume("er.tags", lambda *a: None, consumer_tag="same")
    c._impl._send_method(ch.channel_number, spec.Basic.Consume(queue="er.tags",
                                                               consumer_tag="same"))
    connection_closed(run, "reuse-consumer-tag", c)
    c = run.connect()
    c._impl._send_method(9, spec.Queue.Declare(queue="er.q", passive=True))
    connection_closed(run, "unopened-channel", c)
    c = run.connect()
    ch = c.channel()
    c._impl._send_method(ch.channel_number, spec.Channel.Open())
    connection_closed(run, "second-open", c)
    c = run.connect()
    c._impl._send_method(4000, spec.Channel.Open())
    connection_closed(run, "above-channel-max", c)
    c = run.connect()
    c._impl._send_method(0, spec.Queue.Declare(queue="er.q", passive=True))
    connection_closed(run, "method-on-channel-0", c)
    c = run.connect()
    ch = c.channel()
    c._impl._send_method(ch.channel_number, spec.Basic.GetOk(delivery_tag=1, exchange="",
                                                             routing_key="k", message_count=0))
    connection_closed(run, "server-method", c)
    try:
        run.connect(virtual_host="er-nope")
        run.log("vhost", "opened")
    except pika.exceptions.AMQPConnectionError as e:
        inner = e.args[0] if e.args else e
        run.log("vhost", type(e).__name__, getattr(inner, "reply_code", None),
                getattr(inner, "reply_text", str(inner)))
    try:
        run.connect(credentials=pika.PlainCredentials("guest", "wrong"))
        run.log("login", "opened")
    except pika.exceptions.AMQPConnectionError as e:
        run.log("login", type(e).__name__)


def queues(run):
    conn = run.connect()
    ch = conn.channel()
    ch.queue_declare("qs.q")
    for i in range(3):
        ch.basic_publish("", "qs.q", f"m{i}".encode())
    run.count(ch, "qs.q")
    run.attempt("declare", ch.queue_declare, "qs.q")
    run.get(ch, "qs.q")
    run.count(ch, "qs.q", "one-unacked")
    c = Consumer(run, ch, "qs.q", "qs-c1")
    c.wait(2)
    run.count(ch, "qs.q", "consumer")
    ch.basic_cancel("qs-c1")
    run.attempt("purge", ch.queue_purge, "qs.q")  # unacked ones are not purged
    run.attempt("purge-again", ch.queue_purge, "qs.q")
    ch.basic_ack(0, multiple=True)
    for i in range(2):
        ch.basic_publish("", "qs.q", f"n{i}".encode())
    run.count(ch, "qs.q")
    run.attempt("delete-if-unused", ch.queue_delete, "qs.q", if_unused=True)
    run.attempt("delete-missing-ok", ch.queue_delete, "qs.q")
    server_named = run.attempt("server-named", ch.queue_declare, "", exclusive=True)
    run.attempt("server-named-bind", ch.queue_bind, server_named.method.queue, "amq.fanout")
    run.attempt("empty-name-bind", ch.queue_bind, "", "amq.fanout")  # last declared queue
    ch.basic_publish("amq.fanout", "", b"fan")
    run.get(ch, server_named.method.queue, auto_ack=True)
    run.attempt("declare-empty-passive", conn.channel().queue_declare, "", passive=True)
    run.attempt("declare-empty-passive-after", ch.queue_declare, "", passive=True)
    ch = conn.channel()
    # Cancel notification when the queue is deleted under a consumer.
    ch.queue_declare("qs.del")
    ch.add_on_cancel_callback(lambda frame: run.log("cancelled", frame.method.consumer_tag))
    Consumer(run, ch, "qs.del", "qs-del-c")
    other = run.connect().channel()
    other.queue_delete("qs.del")
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not any(e[0] == "cancelled" for e in run.t):
        conn.process_data_events(time_limit=0.05)
    # Auto-delete: gone when its last consumer is cancelled.
    ch.queue_declare("qs.auto", auto_delete=True)
    Consumer(run, ch, "qs.auto", "qs-auto-c")
    ch.basic_cancel("qs-auto-c")
    run.attempt("auto-deleted", other.queue_declare, "qs.auto", passive=True)
    # Exclusive queue: gone with its connection.
    c2 = run.connect()
    c2.channel().queue_declare("qs.excl", exclusive=True)
    c2.close()
    ch3 = run.connect().channel()
    run.attempt("exclusive-gone", ch3.queue_declare, "qs.excl", passive=True)
    ch4 = run.connect().channel()
    ch4.exchange_declare("qs.autox", "fanout", auto_delete=True)
    ch4.queue_declare("qs.bound")
    ch4.queue_bind("qs.bound", "qs.autox")
    ch4.queue_unbind("qs.bound", "qs.autox")
    run.attempt("auto-delete-exchange", ch4.exchange_declare, "qs.autox", passive=True)


def queue_arguments(run):
    """Each argument RabbitMQ defines, on classic and quorum queues: taken, refused for the
    queue type, or refused for its value; each on a fresh channel."""
    quorum = {"x-queue-type": "quorum"}
    cases = [
        ("classic", {}, [
            ("x-overflow", "reject-publish-dlx"), ("x-queue-mode", "lazy"),
            ("x-queue-mode", "default"), ("x-queue-mode", "sideways"), ("x-queue-version", 2),
            ("x-queue-version", 3), ("x-queue-master-locator", "min-masters"),
            ("x-delivery-limit", 3), ("x-queue-leader-locator", "nearest"),
            ("x-dead-letter-strategy", "at-least-once"), ("x-dead-letter-strategy", "maybe"),
            ("x-max-in-memory-length", 5), ("x-max-in-memory-bytes", 5),
            ("x-quorum-initial-group-size", 3), ("x-queue-leader-locator", "balanced"),
            ("x-max-age", "1D"), ("x-stream-max-segment-size-bytes", 1000),
            ("x-initial-cluster-size", 1), ("x-not-rabbits", 1), ("x-queue-type", "classic"),
            ("x-queue-type", "sideways"), ("x-queue-type", 5)]),
        ("quorum", quorum, [
            ("x-delivery-limit", 3), ("x-delivery-limit", "many"), ("x-delivery-limit", -1),
            ("x-dead-letter-strategy", "at-most-once"), ("x-dead-letter-strategy", "maybe"),
            ("x-max-in-memory-length", 5), ("x-max-in-memory-bytes", 100),
            ("x-max-in-memory-length", -1), ("x-quorum-initial-group-size", 3),
            ("x-quorum-initial-group-size", 0), ("x-quorum-initial-group-size", "three"),
            ("x-queue-leader-locator", "client-local"), ("x-queue-leader-locator", "nearest"),
            ("x-overflow", "reject-publish"), ("x-overflow", "reject-publish-dlx"),
            ("x-message-ttl", 1000), ("x-expires", 60000), ("x-max-length", 3),
            ("x-single-active-consumer", True), ("x-max-priority", 5), ("x-queue-mode", "lazy"),
            ("x-queue-version", 2), ("x-queue-master-locator", "min-masters"),
            ("x-max-age", "1D"), ("x-not-rabbits", 1)]),
    ]
    conn = run.connect()
    for kind, base, arguments in cases:
        for i, (name, value) in enumerate(arguments):
            queue = f"qa.{kind}.{i}"
            ch = conn.channel() if conn.is_open else run.connect().channel()
            run.attempt(f"{kind} {name}={value!r}", ch.queue_declare, queue, durable=True,
                        arguments={**base, name: value})
            if ch.is_open:
                ch.queue_delete(queue)
            conn = ch.connection
    # The flags a quorum queue refuses, in RabbitMQ's order.
    for label, flags in (("non-durable", {}), ("exclusive", {"durable": True, "exclusive": True}),
                         ("auto-delete", {"durable": True, "auto_delete": True}),
                         ("all", {"exclusive": True, "auto_delete": True})):
        ch = run.channel()
        run.attempt(f"quorum {label}", ch.queue_declare, f"qa.flags.{label}", arguments=quorum,
                    **flags)
    # Redeclaring with another type, or without the type.
    ch = run.channel()
    ch.queue_declare("qa.typed", durable=True, arguments=quorum)
    run.attempt("redeclare quorum", ch.queue_declare, "qa.typed", durable=True, arguments=quorum)
    run.attempt("redeclare untyped", ch.queue_declare, "qa.typed", durable=True)
    ch = run.channel()
    run.attempt("redeclare classic", ch.queue_declare, "qa.typed", durable=True,
                arguments={"x-queue-type": "classic"})
    run.channel().queue_delete("qa.typed")


def quorum(run):
    """Quorum queues: x-delivery-count, requeue places, the delivery limit, global QoS."""
    ch = run.channel()
    q = {"x-queue-type": "quorum"}
    ch.queue_declare("qq.dlq", durable=True)
    ch.queue_declare("qq.limited", durable=True,
                     arguments={**q, "x-delivery-limit": 2, "x-dead-letter-exchange": "",
                                "x-dead-letter-routing-key": "qq.dlq"})
    ch.basic_publish("", "qq.limited", b"poison", pika.BasicProperties(headers={"h": 1}))
    ch.basic_publish("", "qq.limited", b"second")
    run.count(ch, "qq.limited")
    for _ in range(4):
        ch.basic_nack(run.get(ch, "qq.limited").delivery_tag, requeue=True)
    run.count(ch, "qq.limited")
    run.get(ch, "qq.dlq", wait=True, auto_ack=True)
    run.drain(ch, "qq.limited")
    # Without a delivery limit a requeued message goes behind the others.
    ch.queue_declare("qq.order", durable=True, arguments=q)
    for body in (b"a", b"b", b"c"):
        ch.basic_publish("", "qq.order", body)
    run.count(ch, "qq.order")
    ch.basic_nack(run.get(ch, "qq.order").delivery_tag, requeue=True)
    run.count(ch, "qq.order")
    run.drain(ch, "qq.order")
    # A consumer: the first delivery has no x-delivery-count, a redelivery has.
    for body in (b"c1", b"c2", b"c3"):
        ch.basic_publish("", "qq.order", body)
    run.count(ch, "qq.order")
    consumer_channel = run.channel()
    consumer_channel.basic_qos(prefetch_count=2)
    c = Consumer(run, consumer_channel, "qq.order", "qq-c")
    c.wait(2)
    consumer_channel.basic_nack(c.got[0].delivery_tag, requeue=True)
    consumer_channel.basic_ack(c.got[1].delivery_tag)
    c.wait(3)
    consumer_channel.basic_ack(c.got[2].delivery_tag)
    c.wait(4)
    consumer_channel.basic_ack(c.got[3].delivery_tag)
    consumer_channel.basic_cancel("qq-c")
    run.count(ch, "qq.order")
    # A channel closed with unacked deliveries returns them (delivery counts go up).
    ch.basic_publish("", "qq.limited", b"closed-on")
    closer = run.channel()
    run.get(closer, "qq.limited", wait=True)
    closer.close()
    run.count(ch, "qq.limited")
    run.get(ch, "qq.limited", wait=True, auto_ack=True)
    # Reject without requeue: dead-lettered (reason rejected).
    ch.basic_publish("", "qq.limited", b"rejected")
    ch.basic_reject(run.get(ch, "qq.limited", wait=True).delivery_tag, requeue=False)
    run.get(ch, "qq.dlq", wait=True, auto_ack=True)
    # reject-publish-dlx: classic queues dead-letter what they refuse.
    ch.queue_declare("qq.full", durable=True, arguments={
        "x-max-length": 1, "x-overflow": "reject-publish-dlx", "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "qq.dlq"})
    ch.confirm_delivery()
    for body in (b"fits", b"refused"):
        try:
            ch.basic_publish("", "qq.full", body)
            run.log("publish", body, "ack")
        except pika.exceptions.NackError:
            run.log("publish", body, "nack")
    run.count(ch, "qq.full")
    run.get(ch, "qq.dlq", wait=True, auto_ack=True)
    # A channel-wide prefetch: quorum queues refuse the consumer.
    ch = run.channel()
    ch.basic_qos(prefetch_count=5, global_qos=True)
    run.attempt("global qos", ch.basic_consume, "qq.order", lambda *a: None)


# Every field type of 0-9-1 (with RabbitMQ's errata letters), nested tables and arrays.
ALL_TYPES = [
    ("bool-t", ("t", 1)), ("bool-f", ("t", 0)), ("i8", ("b", -5)), ("u8", ("B", 250)),
    ("i16", ("s", -30000)), ("u16", ("u", 65000)), ("i32", ("I", -2000000000)),
    ("u32", ("i", 4000000000)), ("i64", ("l", -(1 << 62))), ("f32", ("f", 1.5)),
    ("f64", ("d", -2.25)), ("dec", ("D", (2, 12345))), ("str", ("S", "héllo\x00".encode())),
    ("bin", ("x", b"\x00\x01\xff")), ("ts", ("T", 1700000000)), ("void", ("V", None)),
    ("arr", ("A", [("I", 1), ("S", b"two"), ("A", []), ("F", [("k", ("t", 1))])])),
    ("tbl", ("F", [("inner", ("F", [("deep", ("l", 7))])), ("empty", ("F", []))])),
    ("empty-str", ("S", b"")),
]

FULL_PROPERTIES = [
    ("content-type", "application/x-test"), ("content-encoding", "gzip"),
    ("headers", ALL_TYPES), ("delivery-mode", 2), ("priority", 7), ("correlation-id", "corr"),
    ("reply-to", "somewhere"), ("expiration", "600000"), ("message-id", "mid-1"),
    ("timestamp", 1234567890), ("type", "kind"), ("user-id", "guest"), ("app-id", "tester"),
    ("cluster-id", "cid"),
]


def properties(run):
    conn = run.connect()
    ch = conn.channel()
    ch.queue_declare("pp.q")
    variants = [FULL_PROPERTIES, [], [("headers", [])], [("delivery-mode", 1)],
                [("headers", [("u64", ("L", 1 << 63))])]]
    raws = [encode_properties(v) for v in variants]
    for i, raw in enumerate(raws):
        ch.basic_publish("", "pp.q", f"p{i}".encode(), RawProperties(raw))
    c = Consumer(run, ch, "pp.q", "pp-c")
    c.wait(len(raws))
    ch.basic_recover(requeue=True)  # and once more, redelivered, through basic.get
    ch.basic_cancel("pp-c")
    for _ in raws:
        method, props, body = ch.basic_get("pp.q", auto_ack=True)
        run.log("same bytes", body.decode(), props.raw == raws[int(body[1:])])
    run.attempt("wrong-user-id", lambda: (
        ch.basic_publish("", "pp.q", b"x", pika.BasicProperties(user_id="someone")), sync(ch)))


def _raw_headers(*items):
    return RawProperties(encode_properties([("headers", list(items))]))


def headers_matching(run):
    """Headers exchanges as RabbitMQ 3.10 matches them: the four x-match modes (x- arguments
    compared only by the -with-x ones, x-match never), values compared across integer widths,
    signs, floats and timestamps, long strings against byte arrays, the rest with their types;
    an x-match that is not one of the four, or not a long string, refused at bind."""
    conn = run.connect()
    ch = conn.channel()
    binds = [
        ("int", {"x-match": "all", "n": 5}),
        ("dec", {"x-match": "all", "f": decimal.Decimal("1.5")}),
        ("allx", {"x-match": "all-with-x", "a": 1, "x-k": "v"}),
        ("anyx", {"x-match": "any-with-x", "x-k": "v", "x-j": "w"}),
        ("any-x-only", {"x-match": "any", "x-k": "v"}),
        ("all-x-only", {"x-match": "all", "x-k": "v"}),
        ("anyx-empty", {"x-match": "any-with-x"}),
        ("void", {"p": None}),
        ("str", {"x-match": "all", "s": "5"}),
        ("bool", {"x-match": "all", "b": True}),
        ("arr", {"x-match": "all", "a": [1, "x"]}),
    ]
    for name, arguments in binds:
        ch.exchange_declare("hm." + name, "headers")
        ch.queue_declare("hm." + name)
        ch.queue_bind("hm." + name, "hm." + name, "", arguments)
    messages = [
        ("int", ("b", 5)), ("int", ("B", 5)), ("int", ("s", 5)), ("int", ("u", 5)),
        ("int", ("I", 5)), ("int", ("i", 5)), ("int", ("l", 5)), ("int", ("L", 5)),
        ("int", ("T", 5)), ("int", ("f", 5.0)), ("int", ("d", 5.0)), ("int", ("D", (0, 5))),
        ("int", ("S", b"5")), ("int", ("t", 1)), ("int", ("I", 6)),
        ("dec", ("f", 1.5)), ("dec", ("d", 1.5)), ("dec", ("D", (1, 15))), ("dec", ("D", (2, 150))),
        ("str", ("S", b"5")), ("str", ("x", b"5")), ("str", ("I", 5)),
        ("bool", ("t", 1)), ("bool", ("I", 1)),
        ("arr", ("A", [("I", 1), ("S", b"x")])), ("arr", ("A", [("l", 1), ("S", b"x")])),
        ("arr", ("A", [("I", 1), ("x", b"x")])),
    ]
    key = {"int": "n", "dec": "f", "str": "s", "bool": "b", "arr": "a"}
    for i, (name, value) in enumerate(messages):
        ch.basic_publish("hm." + name, "", f"{name}-{value[0]}-{i}".encode(),
                         _raw_headers((key[name], value)))
    for name, headers in [
            ("allx", []), ("allx", [("a", ("I", 1))]),
            ("allx", [("a", ("I", 1)), ("x-k", ("S", b"v"))]),
            ("allx", [("a", ("I", 1)), ("x-k", ("S", b"v")), ("x-match", ("S", b"zzz"))]),
            ("anyx", [("x-j", ("S", b"w"))]), ("anyx", [("x-k", ("S", b"nope"))]),
            ("anyx", [("x-match", ("S", b"any-with-x"))]),
            ("any-x-only", [("x-k", ("S", b"v"))]), ("all-x-only", []),
            ("anyx-empty", [("z", ("I", 1))]),
            ("void", [("p", ("S", b"x"))]), ("void", [("p", ("V", None))]), ("void", [])]:
        ch.basic_publish("hm." + name, "", f"{name}-{len(headers)}".encode(),
                         _raw_headers(*headers))
    sync(ch)
    for name, _ in binds:
        run.drain(ch, "hm." + name)
    for label, exchange, arguments in [
            ("x-match-unknown", "hm.int", {"x-match": "foo", "n": 1}),
            ("x-match-case", "hm.int", {"x-match": "ANY"}),
            ("x-match-int", "hm.int", {"x-match": 5}),
            ("x-match-on-direct", "amq.direct", {"x-match": "foo"}),
    ]:
        run.attempt(label, lambda c, e=exchange, a=arguments: c.queue_bind("hm.int", e, "k", a),
                    conn.channel())
    run.attempt("x-match-exchange-bind", lambda c: c.exchange_bind(
        "hm.str", "hm.int", "", {"x-match": "nope"}), conn.channel())


def binding_identity(run):
    """A binding is its source, destination, key and arguments as a table sorted by key:
    the same arguments in another order bind nothing new and unbind it; other types do not."""
    conn = run.connect()
    ch = conn.channel()
    ch.exchange_declare("bi.h", "headers")
    ch.exchange_declare("bi.d", "direct")
    for q in ("bi.h", "bi.d", "bi.typed"):
        ch.queue_declare(q)
    ch.queue_bind("bi.h", "bi.h", "", {"x-match": "all", "a": 1, "b": 2})
    ch.queue_bind("bi.h", "bi.h", "", {"b": 2, "a": 1, "x-match": "all"})
    ch.queue_unbind("bi.h", "bi.h", "", {"b": 2, "x-match": "all", "a": 1})
    ch.queue_bind("bi.d", "bi.d", "k", {"p": 1, "q": "two"})
    ch.queue_unbind("bi.d", "bi.d", "k", {"q": "two", "p": 1})
    ch.queue_bind("bi.typed", "bi.d", "t", {"n": 1})  # signedint
    ch.queue_unbind("bi.typed", "bi.d", "t", {"n": "1"})  # another type: not that binding
    ch.basic_publish("bi.h", "", b"headers", pika.BasicProperties(headers={"a": 1, "b": 2}))
    ch.basic_publish("bi.d", "k", b"direct")
    ch.basic_publish("bi.d", "t", b"typed")
    sync(ch)
    for q in ("bi.h", "bi.d", "bi.typed"):
        run.drain(ch, q)


def sender_selected(run):
    """CC and BCC headers (sender-selected distribution): extra routing keys for every
    exchange type, exchange-to-exchange bindings, alternate exchanges and mandatory
    returns; BCC removed before delivery; array elements that are not longstr skipped;
    CC/BCC of another type refused; x-death routing-keys and dead-letter routing."""
    conn = run.connect()
    ch = conn.channel()
    ch.add_on_return_callback(lambda c, method, props, body: run.log(
        "return", method.reply_code, method.reply_text, method.exchange, method.routing_key,
        body.decode(), decode_properties(props.raw)))
    ch.exchange_declare("ss.direct", "direct")
    ch.exchange_declare("ss.topic", "topic")
    ch.exchange_declare("ss.fanout", "fanout")
    ch.exchange_declare("ss.headers", "headers")
    ch.exchange_declare("ss.alt", "fanout")
    ch.exchange_declare("ss.withalt", "direct", arguments={"alternate-exchange": "ss.alt"})
    queues = ("ss.a", "ss.b", "ss.c", "ss.t", "ss.h", "ss.alt.q")
    for q in queues:
        ch.queue_declare(q)
    ch.queue_bind("ss.a", "ss.direct", "a")
    ch.queue_bind("ss.b", "ss.direct", "b")
    ch.queue_bind("ss.c", "ss.direct", "c")
    ch.queue_bind("ss.t", "ss.topic", "t.*")
    ch.exchange_bind("ss.topic", "ss.direct", "to-topic")
    ch.queue_bind("ss.a", "ss.fanout")
    ch.queue_bind("ss.h", "ss.headers", "", {"x-match": "all", "kind": "h"})
    ch.queue_bind("ss.h", "ss.headers", "", {"x-match": "any", "BCC": None})
    ch.queue_bind("ss.alt.q", "ss.alt")
    ch.queue_bind("ss.b", "ss.withalt", "a")

    def publish(body, exchange, key, cc=None, bcc=None, mandatory=False, **headers):
        if cc is not None:
            headers["CC"] = cc
        if bcc is not None:
            headers["BCC"] = bcc
        ch.basic_publish(exchange, key, body.encode(), pika.BasicProperties(headers=headers),
                         mandatory=mandatory)

    publish("d1", "ss.direct", "a", cc=["b"], bcc=["c"], mine="kept")
    publish("d2", "ss.direct", "none", cc=["a", "a", "b"], bcc=["b"])
    publish("d3", "ss.direct", "a", bcc=["b"])  # the headers table is left empty
    publish("e2e", "ss.direct", "to-topic", cc=["t.x"])  # the keys travel on to ss.topic
    publish("t1", "ss.topic", "nomatch", bcc=["t.y"])
    publish("default", "", "ss.a", cc=["ss.b", "ss.none"], bcc=["ss.c"])
    publish("fanout", "ss.fanout", "", cc=["b"])
    publish("headers", "ss.headers", "a", cc=["a"], kind="h")
    publish("bcc-unseen", "ss.headers", "", bcc=["probe"])  # removed before routing
    publish("alt", "ss.withalt", "unknown", cc=["also-unknown"])
    publish("not-alt", "ss.withalt", "unknown", cc=["a"])
    publish("returned", "ss.direct", "none", cc=["none2"], bcc=["none3"], mandatory=True)
    publish("not-returned", "ss.direct", "none", bcc=["a"], mandatory=True)
    # Only longstr elements are keys: the short string, binary, integer and table are skipped.
    ch.basic_publish("", "ss.c", b"mixed", _raw_headers(
        ("CC", ("A", [("x", b"ss.a"), ("S", b"ss.b"), ("I", 5), ("F", [])])),
        ("BCC", ("A", []))))
    sync(ch)
    conn.process_data_events(time_limit=0)
    for q in queues:
        run.drain(ch, q)

    # A CC or BCC header that is not an array closes the channel (CC checked first), after
    # the user_id and expiration checks.
    for label, props in [
            ("cc-longstr", pika.BasicProperties(headers={"CC": "ss.a"})),
            ("bcc-int", pika.BasicProperties(headers={"CC": ["ss.a"], "BCC": 7})),
            ("both", _raw_headers(("BCC", ("F", [])), ("CC", ("V", None)))),
            ("cc-binary", _raw_headers(("CC", ("x", b"ss.a")))),
            ("user-id-first", pika.BasicProperties(user_id="other", headers={"CC": "x"})),
            ("expiration-first", pika.BasicProperties(expiration="soon", headers={"CC": 1}))]:
        bad = conn.channel()
        run.attempt(label, lambda: (bad.basic_publish("", "ss.a", b"bad", props), sync(bad)))
    tx = conn.channel()
    tx.tx_select()
    run.attempt("tx-cc-checked-at-publish", lambda: (
        tx.basic_publish("", "ss.a", b"bad", pika.BasicProperties(headers={"CC": "x"})),
        sync(tx)))
    ch = conn.channel()
    run.count(ch, "ss.a")

    # Dead-lettering: x-death routing-keys hold the routing key and the CC keys; without a
    # dead-letter routing key the message is routed again by all its keys, BCC too.
    ch.exchange_declare("ss.dlx", "direct")
    ch.exchange_declare("ss.dlx2", "fanout")
    ch.queue_declare("ss.dl1", arguments={"x-dead-letter-exchange": "ss.dlx"})
    ch.queue_declare("ss.dl.cc", arguments={"x-dead-letter-exchange": "ss.dlx2",
                                            "x-dead-letter-routing-key": "fixed"})
    ch.queue_declare("ss.dl.bcc")
    ch.queue_declare("ss.dl.final")
    ch.queue_bind("ss.dl.cc", "ss.dlx", "k-cc")
    ch.queue_bind("ss.dl.bcc", "ss.dlx", "k-bcc")
    ch.queue_bind("ss.dl.final", "ss.dlx2")
    ch.basic_publish("", "ss.dl1", b"dl", pika.BasicProperties(headers={
        "CC": ["k-cc"], "BCC": ["k-bcc"]}))
    ch.basic_reject(run.get(ch, "ss.dl1").delivery_tag, requeue=False)
    run.get(ch, "ss.dl.bcc", wait=True, auto_ack=True)
    ch.basic_reject(run.get(ch, "ss.dl.cc", wait=True).delivery_tag, requeue=False)
    run.get(ch, "ss.dl.final", wait=True, auto_ack=True)
    # Expired, dead-lettered with the dead-letter routing key: routing-keys hold that key.
    ch.queue_declare("ss.dl.ttl", arguments={"x-message-ttl": 10,
                                             "x-dead-letter-exchange": "ss.dlx2",
                                             "x-dead-letter-routing-key": "by-ttl"})
    ch.basic_publish("", "ss.dl.ttl", b"ttl", pika.BasicProperties(headers={
        "CC": ["ss.dl.ttl", "k-cc"], "BCC": ["ss.dl.ttl"]}))
    run.get(ch, "ss.dl.final", wait=True, auto_ack=True)


# ---- where RabbitMQ 3.10 and mockforge differ -------------------------------------------------
# scenario name -> (what differs, a function turning RabbitMQ's transcript into the one
# mockforge must produce).

def _each_properties(transcript, edit):
    """Calls edit(entry, properties) for every logged message; returns the new transcript."""
    out = []
    for entry in transcript:
        if entry and entry[0] in ("get", "deliver", "return") and isinstance(entry[-1], list):
            entry = entry[:-1] + (edit(entry, copy.deepcopy(entry[-1])),)
        out.append(entry)
    return out


def _edit_headers(props, edit):
    for i, (name, value) in enumerate(props):
        if name == "headers":
            props[i] = (name, sorted(edit(dict(value)).items()))
    return props


def _last_death(transcript):
    """RabbitMQ 3.13's x-last-death-reason/queue/exchange (from the newest x-death entry),
    which 3.10 does not set."""
    def edit(headers):
        if "x-death" in headers:
            newest = dict(headers["x-death"][1][0][1])
            for field in ("reason", "queue", "exchange"):
                headers[f"x-last-death-{field}"] = newest[field]
        return headers
    return _each_properties(transcript, lambda entry, props: _edit_headers(props, edit))


def _cc_kept_with_dead_letter_routing_key(transcript):
    """RabbitMQ 3.13 and later keep the CC header of a message dead-lettered with an
    x-dead-letter-routing-key; 3.10 removes it."""
    original_cc = {"dl": ("A", [("S", b"k-cc")]),
                   "ttl": ("A", [("S", b"ss.dl.ttl"), ("S", b"k-cc")])}

    def fix(entry, props):
        if entry[1] != "ss.dl.final":
            return props
        return _edit_headers(props, lambda h: {**h, "CC": original_cc[entry[-2]]})
    return _each_properties(transcript, fix)


def _channel_max(transcript):
    return [("above-channel-max", "connection-closed", 530,
             "NOT_ALLOWED - channel 4000 above channel_max 2047")
            if entry == ("above-channel-max", "still-open") else entry for entry in transcript]


def _chain(*fixes):
    def fix(transcript):
        for f in fixes:
            transcript = f(transcript)
        return transcript
    return fix


LAST_DEATH = ("x-last-death-reason/queue/exchange are set as RabbitMQ 3.13 sets them; "
              "3.10 (the Debian peer) does not have them")
KNOWN_DIFFERENCES = {
    "dead_letter": (LAST_DEATH, _last_death),
    "sender_selected": (LAST_DEATH + "; and the CC header of a message dead-lettered with an "
                        "x-dead-letter-routing-key stays, as in RabbitMQ 3.13 and later (3.10 "
                        "removes it)",
                        _chain(_last_death, _cc_kept_with_dead_letter_routing_key)),
    "max_length": (LAST_DEATH, _last_death),
    "quorum": (LAST_DEATH, _last_death),
    "ttl": (LAST_DEATH, _last_death),
    "errors": ("channel.open on a channel number above the negotiated channel-max: mockforge "
               "closes the connection with 530 as the spec says (channel-max is the highest "
               "channel number); RabbitMQ 3.10 only limits how many channels are open",
               _channel_max),
}


class Differential(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        port = os.environ.get("MOCKFORGE_RABBITMQ_PORT")  # a node already running
        cls.rabbit = peers.Peer("127.0.0.1", int(port), None, None) if port else \
            cls.stack.enter_context(peers.rabbitmq())
        cls.mf = Mockforge()
        cls.stack.callback(cls.mf.close)

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def transcripts(self, scenario):
        out = {}
        for name, port in (("rabbitmq", self.rabbit.port), ("mockforge", self.mf.ports["amqp"])):
            run = Run(port)
            try:
                scenario(run)
            except Exception as e:
                raise AssertionError(f"{name}: {e!r}\ntranscript so far:\n" +
                                     "\n".join(map(repr, run.t))) from None
            finally:
                run.close()
                dump = os.environ.get("MOCKFORGE_DIFF_DUMP")  # a directory: keep transcripts
                if dump:
                    with open(os.path.join(dump, f"{scenario.__name__}.{name}"), "w") as f:
                        f.write("".join(pprint.pformat(e, width=100) + "\n" for e in run.t))
            out[name] = run.t
        return out["rabbitmq"], out["mockforge"]

    def compare(self, scenario):
        ref, got = self.transcripts(scenario)
        name = scenario.__name__
        if name in KNOWN_DIFFERENCES:
            note, fix = KNOWN_DIFFERENCES[name]
            self.assertNotEqual(ref, got, f"RabbitMQ now agrees: drop {name} ({note})")
            ref = fix(copy.deepcopy(ref))
        for i, (a, b) in enumerate(zip(got, ref)):
            self.assertEqual(a, b, f"entry {i}: mockforge (first) vs RabbitMQ (second)")
        self.assertEqual(got, ref, "mockforge (first) vs RabbitMQ (second)")

    def test_routing(self):
        self.compare(routing)

    def test_headers_matching(self):
        self.compare(headers_matching)

    def test_binding_identity(self):
        self.compare(binding_identity)

    def test_returns(self):
        self.compare(returns)

    def test_get_ack(self):
        self.compare(get_ack)

    def test_recover(self):
        self.compare(recover)

    def test_close_requeues(self):
        self.compare(close_requeues)

    def test_prefetch(self):
        self.compare(prefetch)

    def test_ttl(self):
        self.compare(ttl)

    def test_max_length(self):
        self.compare(max_length)

    def test_priority(self):
        self.compare(priority)

    def test_dead_letter(self):
        self.compare(dead_letter)

    def test_sender_selected(self):
        self.compare(sender_selected)

    def test_confirms_tx(self):
        self.compare(confirms_tx)

    def test_tx_publish(self):
        self.compare(tx_publish)

    def test_errors(self):
        self.compare(errors)

    def test_queues(self):
        self.compare(queues)

    def test_properties(self):
        self.compare(properties)

    def test_queue_arguments(self):
        self.compare(queue_arguments)

    def test_quorum(self):
        self.compare(quorum)


if __name__ == "__main__":
    unittest.main()
