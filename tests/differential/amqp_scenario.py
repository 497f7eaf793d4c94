"""AMQP 0-9-1 scenarios: a seeded generator of pika steps and an executor that runs them
against one broker and returns what the client observed, one entry per step.

A scenario uses two connections with two channels each. Every step names what it acts on
(connection, channel, queue and exchange names from a small pool, so that steps collide:
redeclares with other flags, exclusive queues from the other connection, deletes of queues
with consumers). Steps that would only race with the broker are followed by a barrier (a
passive declare of amq.direct on the same channel), so an asynchronous channel error is
seen at the step that caused it. Consumer deliveries are observed at `drain` steps, which
wait until no more arrive; acks, nacks and rejects act on deliveries already drained."""

import hashlib
import re

import pika
from pika.exceptions import (AMQPChannelError, AMQPConnectionError, ChannelClosed,
                             ChannelClosedByBroker, ChannelWrongStateError, ConnectionClosed,
                             ConnectionClosedByBroker, DuplicateConsumerTag, NackError,
                             StreamLostError, UnroutableError)

CONNECTIONS = 2
CHANNELS = 2

QUEUES = ["dq.a", "dq.b", "dq/ü€😀", "dq=x", "dq." + "l" * 252, "amq.dq", ""]
EXCHANGES = ["", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "dx.direct",
             "dx.fanout", "dx.topic", "dx/é=1", "amq.dx"]
EXCHANGE_TYPES = ["direct", "fanout", "topic", "headers"]
KEYS = ["k1", "k2", "a.b", "a.*", "#", "", "dq.a", "dq.b", "dq=x"]
SIZES = [0, 1, 7, 100, 4096, 140000]


def _body(seed_text, size):
    out = b""
    block = hashlib.sha256(seed_text.encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return out[:size]


def _headers(rng):
    choices = [
        lambda: ("s", rng.choice(["x", "ü", "", "a=b/c"])),
        lambda: ("i", rng.choice([0, -1, 7, 2**31 - 1, 2**40])),
        lambda: ("b", rng.choice([True, False])),
        lambda: ("t", {"inner": rng.choice(["v", 1])}),
        lambda: ("a", [1, "two", True]),
        lambda: ("y", {"$bytes": "00ff"}),
        lambda: ("n", None),
    ]
    headers = {}
    for i in range(rng.randint(1, 3)):
        kind, value = rng.choice(choices)()
        headers[f"h{i}{kind}"] = value
    if rng.random() < 0.2:
        headers["x-k"] = rng.choice(["v", "w"])
    return headers


def _binding_arguments(rng):
    """Headers-exchange binding arguments (other exchange types keep them unread): an
    x-match of every kind, valid or not, and keys drawn as message headers are, so that
    some bindings match."""
    arguments = {}
    if rng.random() < 0.8:
        arguments["x-match"] = rng.choice(["all", "any", "all-with-x", "any-with-x", "some", 1])
    arguments.update(_headers(rng))
    return arguments


def _from_json(value):
    """Step values are JSON; {"$bytes": hex} stands for a byte string."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _properties(rng):
    props = {}
    for name, make in [
        ("content_type", lambda: rng.choice(["text/plain", "application/json", ""])),
        ("content_encoding", lambda: "gzip"),
        ("headers", lambda: _headers(rng)),
        ("delivery_mode", lambda: rng.choice([1, 2])),
        ("priority", lambda: rng.randint(0, 9)),
        ("correlation_id", lambda: rng.choice(["c1", "ü-id"])),
        ("reply_to", lambda: "rq"),
        ("expiration", lambda: rng.choice(["60000", "abc", "-1"])),
        ("message_id", lambda: "m" + str(rng.randint(0, 99))),
        ("timestamp", lambda: rng.choice([0, 1700000000])),
        ("type", lambda: "t"),
        ("user_id", lambda: rng.choice(["guest", "guest", "other"])),
        ("app_id", lambda: "difftest"),
    ]:
        if rng.random() < 0.2:
            props[name] = make()
    return props


def generate(rng, length):
    """A list of steps (plain dicts, JSON-serialisable)."""
    steps = [{"op": "open_conn", "c": 0}, {"op": "open_ch", "c": 0, "ch": 0}]
    # A prelude that builds some topology, so that later steps have something to act on.
    for _ in range(rng.randint(2, 6)):
        kind = rng.random()
        if kind < 0.35:
            steps.append({"op": "exchange_declare", "c": 0, "ch": 0,
                          "name": rng.choice(EXCHANGES[5:9]),
                          "type": rng.choice(EXCHANGE_TYPES), "durable": False,
                          "auto_delete": False, "passive": False, "internal": False})
        elif kind < 0.7:
            steps.append({"op": "queue_declare", "c": 0, "ch": 0,
                          "name": rng.choice(QUEUES[:5] + [""]), "durable": False,
                          "exclusive": False, "auto_delete": False, "passive": False})
        else:
            steps.append({"op": "queue_bind", "c": 0, "ch": 0,
                          "queue": rng.choice(QUEUES[:5] + ["@gen0"]),
                          "exchange": rng.choice(EXCHANGES[1:9]), "key": rng.choice(KEYS)})
    weights = {
        "open_conn": 1, "close_conn": 2, "open_ch": 1, "close_ch": 3, "qos": 2, "confirm": 1,
        "exchange_declare": 6, "exchange_delete": 2, "queue_declare": 9, "queue_bind": 6,
        "queue_unbind": 2, "queue_purge": 1, "queue_delete": 2, "publish": 14, "consume": 5,
        "cancel": 2, "get": 5, "ack": 5, "nack": 2, "reject": 2, "recover": 1, "drain": 8,
    }
    ops = list(weights)
    for _ in range(length):
        op = rng.choices(ops, [weights[o] for o in ops])[0]
        step = {"op": op, "c": rng.randrange(CONNECTIONS), "ch": rng.randrange(CHANNELS)}
        queue = rng.choice(QUEUES + ["@gen0", "@gen1"])
        exchange = rng.choice(EXCHANGES)
        if op in ("open_conn", "close_conn"):
            del step["ch"]
        elif op == "qos":
            step.update(prefetch=rng.choice([0, 1, 2, 5]), glob=rng.random() < 0.3)
        elif op == "exchange_declare":
            step.update(name=rng.choice(EXCHANGES[1:]), type=rng.choice(EXCHANGE_TYPES +
                                                                     ["direct"] * 2),
                        durable=rng.random() < 0.5, auto_delete=rng.random() < 0.2,
                        passive=rng.random() < 0.15, internal=rng.random() < 0.05)
        elif op == "exchange_delete":
            step.update(name=rng.choice(EXCHANGES), if_unused=rng.random() < 0.3)
        elif op == "queue_declare":
            step.update(name=queue, durable=rng.random() < 0.4, exclusive=rng.random() < 0.25,
                        auto_delete=rng.random() < 0.2, passive=rng.random() < 0.15)
            if rng.random() < 0.15:
                step["arguments"] = rng.choice([
                    {"x-max-length": 2}, {"x-message-ttl": 60000}, {"x-max-priority": 5},
                    {"x-max-length": "two"}, {"x-queue-type": "quorum"},
                    {"x-queue-type": "quorum", "x-delivery-limit": 1},
                    {"x-overflow": "reject-publish", "x-max-length": 1}, {"x-expires": 0},
                    {"x-single-active-consumer": True}, {"x-queue-mode": "lazy"},
                    {"x-dead-letter-exchange": "dx.fanout", "x-message-ttl": 0}])
        elif op in ("queue_bind", "queue_unbind"):
            step.update(queue=queue, exchange=exchange, key=rng.choice(KEYS))
            if rng.random() < 0.15:
                step["arguments"] = _binding_arguments(rng)
        elif op == "queue_purge":
            step.update(queue=queue)
        elif op == "queue_delete":
            step.update(queue=queue, if_unused=rng.random() < 0.2, if_empty=rng.random() < 0.2)
        elif op == "publish":
            step.update(exchange=exchange, key=rng.choice(KEYS), size=rng.choice(SIZES),
                        mandatory=rng.random() < 0.3, props=_properties(rng),
                        body_seed=rng.randrange(1 << 30))
            if rng.random() < 0.2:
                step["count"] = rng.randint(2, 5)
        elif op == "consume":
            step.update(queue=queue, no_ack=rng.random() < 0.3, exclusive=rng.random() < 0.15,
                        tag=rng.choice(["", "ct1", "ct2"]))
        elif op == "cancel":
            step.update(tag=rng.choice(["@0", "@1", "ct1", "ct2", "nosuch"]))
        elif op == "get":
            step.update(queue=queue, no_ack=rng.random() < 0.4)
        elif op in ("ack", "nack", "reject"):
            step.update(which=rng.choice(["first", "last", "first", "bogus"]),
                        multiple=rng.random() < 0.3, requeue=rng.random() < 0.6)
            if op == "ack":
                del step["requeue"]
            if op == "reject":
                del step["multiple"]
        elif op == "recover":
            step.update(requeue=True)
        elif op == "drain":
            for key in ("c", "ch"):
                del step[key]
        steps.append(step)
    steps.append({"op": "drain"})
    return steps


class _ChannelState:
    def __init__(self, channel):
        self.channel = channel
        self.pending = []  # delivered by the broker, not yet drained
        self.unacked = []  # delivery tags drained (or got) and not settled
        self.max_tag = 0
        self.returns = []
        self.cancelled = []
        self.confirm = False
        self.no_ack_tags = {}


def _props_view(props):
    out = {}
    for name in ("content_type", "content_encoding", "headers", "delivery_mode", "priority",
                 "correlation_id", "reply_to", "expiration", "message_id", "timestamp", "type",
                 "user_id", "app_id", "cluster_id"):
        value = getattr(props, name, None)
        if value is not None:
            out[name] = _jsonable(value)
    return out


def _jsonable(value):
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def _body_view(body):
    if len(body) <= 16:
        return body.hex()
    return f"{len(body)}:{hashlib.sha256(body).hexdigest()[:16]}"


class Executor:
    """Runs steps against one broker at `host:port` (guest/guest, vhost /)."""

    def __init__(self, host, port, hints=None, quiet=0.25):
        self.params = pika.ConnectionParameters(host=host, port=port, heartbeat=0,
                                                blocked_connection_timeout=None,
                                                connection_attempts=1)
        self.connections = [None] * CONNECTIONS
        self.channels = {}
        self.generated = []  # server-named queues, in order
        self.gen_tags = []  # server-generated consumer tags, in order
        self.names = {}  # real consumer tag -> normalised
        self.hints = hints or {}
        self.quiet = quiet

    # ---- naming -----------------------------------------------------------------------
    def queue_name(self, ref):
        if ref.startswith("@gen"):
            index = int(ref[4:])
            return self.generated[index] if index < len(self.generated) else "dq.nogen"
        return ref

    def norm(self, text):
        if not isinstance(text, str):
            return text
        for i, name in enumerate(self.generated):
            text = text.replace(name, f"<gen{i}>")
        for real, alias in self.names.items():
            text = text.replace(real, alias)
        # A server-generated name the client never learnt (its declare failed).
        return re.sub(r"amq\.gen-[A-Za-z0-9_-]{10,}", "amq.gen-<unknown>", text)

    # ---- connections and channels -----------------------------------------------------
    def conn(self, c):
        connection = self.connections[c]
        if connection is None or not connection.is_open:
            return None
        return connection

    def chan(self, c, ch):
        state = self.channels.get((c, ch))
        if state is None or not state.channel.is_open or self.conn(c) is None:
            return None
        return state

    def _lost_connection(self, c):
        for key in [k for k in self.channels if k[0] == c]:
            del self.channels[key]

    def _error(self, exc, c, ch):
        if isinstance(exc, ConnectionClosedByBroker):
            self._lost_connection(c)
            return {"error": "connection", "code": exc.reply_code,
                    "text": self.norm(exc.reply_text)}
        if isinstance(exc, ChannelClosedByBroker):
            self.channels.pop((c, ch), None)
            return {"error": "channel", "code": exc.reply_code,
                    "text": self.norm(exc.reply_text)}
        if isinstance(exc, (StreamLostError, ConnectionClosed, AMQPConnectionError)):
            self._lost_connection(c)
            return {"error": "connection-lost", "what": type(exc).__name__}
        if isinstance(exc, DuplicateConsumerTag):
            # pika refuses a tag its channel still holds, without asking the broker: what
            # it holds follows from what the broker did, so both sides are compared.
            return {"error": "client", "what": type(exc).__name__}
        raise exc

    def barrier(self, c, ch):
        state = self.chan(c, ch)
        if state is not None:
            state.channel.exchange_declare("amq.direct", passive=True)

    # ---- running ----------------------------------------------------------------------
    def run(self, steps):
        trace = []
        try:
            for index, step in enumerate(steps):
                try:
                    trace.append(self.step(index, step))
                except (ValueError, TypeError, AssertionError) as exc:
                    # pika refused the input on the client side: the same on both brokers
                    trace.append({"client-error": type(exc).__name__})
        finally:
            self.close_all()
        return trace

    def step(self, index, step):
        op = step["op"]
        if op == "drain":
            return self.drain(index)
        c = step["c"]
        if op == "open_conn":
            if self.conn(c) is not None:
                return {"skip": "open"}
            self.connections[c] = pika.BlockingConnection(self.params)
            return {"ok": True}
        reopened = []
        connection = self.conn(c)
        if connection is None:
            if op == "close_conn":
                return {"skip": "closed"}
            connection = self.connections[c] = pika.BlockingConnection(self.params)
            reopened.append("connection")
        if op == "close_conn":
            try:
                connection.close()
            except Exception as exc:  # noqa: BLE001 (observed as a result)
                return {"close-error": type(exc).__name__}
            self._lost_connection(c)
            return {"ok": True}
        ch = step["ch"]
        state = self.chan(c, ch)
        if state is None:
            if op == "close_ch":
                return {"skip": "closed", "reopened": reopened}
            try:
                state = _ChannelState(connection.channel())
            except Exception as exc:  # noqa: BLE001
                return self._error(exc, c, ch)
            self.channels[(c, ch)] = state
            self._attach(state, c, ch)
            reopened.append("channel")
        if op == "open_ch":
            return {"ok": True, "reopened": reopened}
        result = self._run_op(op, state, step, c, ch)
        if reopened:
            result["reopened"] = reopened
        return result

    def _run_op(self, op, state, step, c, ch):
        try:
            return getattr(self, "op_" + op)(state, step, c, ch)
        except (AMQPChannelError, AMQPConnectionError, ChannelClosed) as exc:
            return self._error(exc, c, ch)

    def _attach(self, state, c, ch):
        def on_return(_channel, method, props, body):
            state.returns.append({"code": method.reply_code, "text": method.reply_text,
                                  "exchange": method.exchange,
                                  "key": self.norm(method.routing_key),
                                  "props": _props_view(props), "body": _body_view(body)})

        def on_cancel(method):
            state.cancelled.append(self.norm(method.method.consumer_tag))

        state.channel.add_on_return_callback(on_return)
        state.channel.add_on_cancel_callback(on_cancel)

    def _consumer_callback(self, state, c, ch):
        def on_message(_channel, method, props, body):
            state.pending.append({"tag": self.norm(method.consumer_tag),
                                  "dtag": method.delivery_tag,
                                  "redelivered": method.redelivered,
                                  "exchange": method.exchange,
                                  "key": self.norm(method.routing_key),
                                  "props": _props_view(props), "body": _body_view(body),
                                  "no_ack": state.no_ack_tags.get(method.consumer_tag, False)})
            state.max_tag = max(state.max_tag, method.delivery_tag)

        return on_message

    # ---- operations -------------------------------------------------------------------
    def op_close_ch(self, state, step, c, ch):
        state.channel.close()
        self.channels.pop((c, ch), None)
        return {"ok": True}

    def op_qos(self, state, step, c, ch):
        state.channel.basic_qos(prefetch_count=step["prefetch"], global_qos=step["glob"])
        return {"ok": True}

    def op_confirm(self, state, step, c, ch):
        state.channel.confirm_delivery()
        state.confirm = True
        return {"ok": True}

    def op_exchange_declare(self, state, step, c, ch):
        state.channel.exchange_declare(step["name"], exchange_type=step["type"],
                                       passive=step["passive"], durable=step["durable"],
                                       auto_delete=step["auto_delete"],
                                       internal=step["internal"])
        return {"ok": True}

    def op_exchange_delete(self, state, step, c, ch):
        state.channel.exchange_delete(step["name"], if_unused=step["if_unused"])
        return {"ok": True}

    def op_queue_declare(self, state, step, c, ch):
        name = self.queue_name(step["name"])
        frame = state.channel.queue_declare(name, passive=step["passive"],
                                            durable=step["durable"],
                                            exclusive=step["exclusive"],
                                            auto_delete=step["auto_delete"],
                                            arguments=step.get("arguments"))
        method = frame.method
        if name == "" and method.queue not in self.generated:
            self.generated.append(method.queue)
        return {"queue": self.norm(method.queue), "messages": method.message_count,
                "consumers": method.consumer_count}

    def op_queue_bind(self, state, step, c, ch):
        state.channel.queue_bind(self.queue_name(step["queue"]), step["exchange"],
                                 routing_key=step["key"],
                                 arguments=_from_json(step.get("arguments")))
        return {"ok": True}

    def op_queue_unbind(self, state, step, c, ch):
        state.channel.queue_unbind(self.queue_name(step["queue"]), step["exchange"],
                                   routing_key=step["key"],
                                   arguments=_from_json(step.get("arguments")))
        return {"ok": True}

    def op_queue_purge(self, state, step, c, ch):
        frame = state.channel.queue_purge(self.queue_name(step["queue"]))
        return {"purged": frame.method.message_count}

    def op_queue_delete(self, state, step, c, ch):
        frame = state.channel.queue_delete(self.queue_name(step["queue"]),
                                           if_unused=step["if_unused"],
                                           if_empty=step["if_empty"])
        return {"deleted": frame.method.message_count}

    def op_publish(self, state, step, c, ch):
        props = pika.BasicProperties(**_from_json(step["props"]))
        results = []
        for n in range(step.get("count", 1)):
            body = _body(f"{step['body_seed']}:{n}", step["size"])
            try:
                state.channel.basic_publish(step["exchange"], step["key"], body, props,
                                            mandatory=step["mandatory"])
                results.append("ok" if state.confirm else "sent")
            except UnroutableError:
                results.append("returned")
            except NackError:
                results.append("nacked")
        if not state.confirm:
            self.barrier(c, ch)
        returns, state.returns = state.returns, []
        return {"published": results, "returns": returns}

    def op_consume(self, state, step, c, ch):
        tag = state.channel.basic_consume(self.queue_name(step["queue"]),
                                          self._consumer_callback(state, c, ch),
                                          auto_ack=step["no_ack"], exclusive=step["exclusive"],
                                          consumer_tag=step["tag"] or None)
        state.no_ack_tags[tag] = step["no_ack"]
        if not step["tag"]:
            self.names[tag] = f"<ctag{len(self.gen_tags)}>"
            self.gen_tags.append(tag)
        return {"tag": self.norm(tag)}

    def op_cancel(self, state, step, c, ch):
        tag = step["tag"]
        if tag.startswith("@"):
            index = int(tag[1:])
            if index >= len(self.gen_tags):
                return {"skip": "no tag"}
            tag = self.gen_tags[index]
        state.channel.basic_cancel(tag)
        return {"ok": True}

    def op_get(self, state, step, c, ch):
        method, props, body = state.channel.basic_get(self.queue_name(step["queue"]),
                                                      auto_ack=step["no_ack"])
        if method is None:
            return {"empty": True}
        state.max_tag = max(state.max_tag, method.delivery_tag)
        if not step["no_ack"]:
            state.unacked.append(method.delivery_tag)
        return {"dtag": method.delivery_tag, "redelivered": method.redelivered,
                "exchange": method.exchange, "key": self.norm(method.routing_key),
                "remaining": method.message_count, "props": _props_view(props),
                "body": _body_view(body)}

    def _pick(self, state, step):
        which = step["which"]
        if which == "bogus" or not state.unacked:
            return state.max_tag + 100
        return state.unacked[0] if which == "first" else state.unacked[-1]

    def _settle(self, state, tag, multiple):
        if multiple:
            state.unacked = [t for t in state.unacked if t > tag]
        else:
            state.unacked = [t for t in state.unacked if t != tag]

    def op_ack(self, state, step, c, ch):
        tag = self._pick(state, step)
        state.channel.basic_ack(tag, multiple=step["multiple"])
        self._settle(state, tag, step["multiple"])
        self.barrier(c, ch)
        return {"ok": True}

    def op_nack(self, state, step, c, ch):
        tag = self._pick(state, step)
        state.channel.basic_nack(tag, multiple=step["multiple"], requeue=step["requeue"])
        self._settle(state, tag, step["multiple"])
        self.barrier(c, ch)
        return {"ok": True}

    def op_reject(self, state, step, c, ch):
        tag = self._pick(state, step)
        state.channel.basic_reject(tag, requeue=step["requeue"])
        self._settle(state, tag, False)
        self.barrier(c, ch)
        return {"ok": True}

    def op_recover(self, state, step, c, ch):
        state.channel.basic_recover(requeue=True)
        state.unacked = []
        return {"ok": True}

    # ---- draining ---------------------------------------------------------------------
    def _delivered(self):
        return sum(len(s.pending) for s in self.channels.values())

    def _pump(self, seconds):
        import time
        deadline = time.monotonic() + seconds
        for c in range(CONNECTIONS):
            connection = self.conn(c)
            if connection is None:
                continue
            try:
                connection.process_data_events(time_limit=max(0.0, deadline - time.monotonic()))
            except (AMQPConnectionError, ConnectionClosed):
                self._lost_connection(c)

    def drain(self, index):
        import time
        hint = self.hints.get(index, 0)
        deadline = time.monotonic() + 5.0
        last_count, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self._pump(0.02)
            count = self._delivered()
            if count != last_count:
                last_count, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since >= (self.quiet if count >= hint else 1.0):
                break
        out = {}
        for (c, ch), state in sorted(self.channels.items()):
            seen = {}
            if state.pending:
                seen["deliveries"] = state.pending
                for d in state.pending:
                    if not d.pop("no_ack"):
                        state.unacked.append(d["dtag"])
                state.pending = []
            if state.returns:
                seen["returns"], state.returns = state.returns, []
            if state.cancelled:
                seen["cancelled"], state.cancelled = state.cancelled, []
            if seen:
                out[f"{c}.{ch}"] = seen
        closed = [f"{c}" for c in range(CONNECTIONS)
                  if self.connections[c] is not None and not self.connections[c].is_open]
        return {"drained": out, "count": sum(len(v.get("deliveries", [])) for v in out.values()),
                "closed_conns": closed}

    def close_all(self):
        for c, connection in enumerate(self.connections):
            if connection is not None and connection.is_open:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001 (already gone)
                    pass
            self.connections[c] = None
        self.channels = {}


def cleanup(host, port, generated=()):
    """Deletes every name the pool can create, so the next scenario starts empty."""
    connection = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=port,
                                                                   heartbeat=0))
    try:
        for kind, names in (("queue", [q for q in QUEUES if q] + ["dq.nogen"] + list(generated)),
                            ("exchange", [e for e in EXCHANGES if e and not
                                          e.startswith("amq.")])):
            for name in names:
                channel = connection.channel()
                try:
                    if kind == "queue":
                        channel.queue_delete(name)
                    else:
                        channel.exchange_delete(name)
                    channel.close()
                except (ChannelClosedByBroker, ChannelWrongStateError):
                    pass
    finally:
        connection.close()


def hints_from(trace):
    """Delivery counts per drain step, from a reference run."""
    return {i: obs["count"] for i, obs in enumerate(trace) if isinstance(obs, dict)
            and "drained" in obs}


def execute(host, port, steps, hints=None, nonce=""):
    """Runs steps on the broker at host:port and returns the transcript (one entry per
    step). A reference run (hints None) waits longer for quiet at drains; the other run
    waits until it has seen as many deliveries as the reference did, then for quiet."""
    executor = Executor(host, port, hints, quiet=0.25 if hints is None else 0.1)
    try:
        return executor.run(steps)
    finally:
        cleanup(host, port, executor.generated)
