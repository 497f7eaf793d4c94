"""MQTT scenarios: a seeded generator of paho-mqtt steps (3.1.1 and 5) and an executor
that runs them against one broker and returns what the clients observed, one entry per
step.

Three client slots, each with its own protocol version for the scenario. Every topic and
client id carries a per-run prefix, so runs against one long-lived Mosquitto never see
each other's retained messages or sessions; the prefix is normalised out. The executor
drives paho's loop itself (no threads): a step waits for its own acknowledgement, a QoS 0
publish is followed by a barrier (an UNSUBSCRIBE round trip of a filter nobody uses), and
deliveries are reported at `drain` steps, which wait until no more arrive. A step on a
slot that is not connected connects it first (clean, default options)."""

import hashlib
import json
import socket
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCodes
from paho.mqtt.subscribeoptions import SubscribeOptions

SLOTS = 3
MOSQUITTO_CONFIG = ""

TOPICS = ["a", "a/b", "a/b/c", "b", "ü/€", "a//b", "x y", "a/b/"]
FILTERS = ["a", "a/+", "a/#", "+/b", "+", "#", "a/b/+", "+/+/c", "ü/#", "a//b", "a/b/#",
           "$share/g/a/+", "$share/g/#"]
SIZES = [0, 1, 5, 300, 70000]


def _payload(seed, size):
    out, block = b"", hashlib.sha256(str(seed).encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return out[:size]


def _publish_props(rng):
    props = {}
    if rng.random() < 0.3:
        props["user"] = [["k", rng.choice(["v", "ü", ""])], ["k", "second"]]
    if rng.random() < 0.2:
        props["content_type"] = rng.choice(["text/plain", "application/json"])
    if rng.random() < 0.15:
        props["response_topic"] = "r/t"
    if rng.random() < 0.15:
        props["correlation"] = "c0ffee"
    if rng.random() < 0.15:
        props["format"] = 1
    if rng.random() < 0.1:
        props["expiry"] = 3600
    return props


def generate(rng, length):
    versions = [rng.choice([4, 5]) for _ in range(SLOTS)]
    steps = []
    weights = {"connect": 5, "disconnect": 3, "drop": 2, "subscribe": 8, "unsubscribe": 3,
               "publish": 16, "publish_drop": 1, "drain": 7}
    ops = list(weights)
    for _ in range(length):
        op = rng.choices(ops, [weights[o] for o in ops])[0]
        c = rng.randrange(SLOTS)
        step = {"op": op, "c": c, "v": versions[c]}
        if op == "connect":
            step.update(clean=rng.random() < 0.6, empty_id=rng.random() < 0.08,
                        keepalive=60)
            if rng.random() < 0.3:
                step["will"] = {"topic": rng.choice(TOPICS), "qos": rng.randint(0, 2),
                                "retain": rng.random() < 0.3, "size": rng.choice(SIZES[:4]),
                                "seed": rng.randrange(1 << 20)}
            if versions[c] == 5:
                step["expiry"] = rng.choice([None, 0, 60])
        elif op == "disconnect":
            if versions[c] == 5:
                step["with_will"] = rng.random() < 0.3
        elif op == "subscribe":
            subs = []
            for _ in range(rng.choice([1, 1, 2])):
                filter_ = rng.choice(FILTERS)
                # No Local on a shared subscription is a protocol error (a known difference:
                # Mosquitto accepts it); rarely generated so the rest of a scenario runs.
                no_local = rng.random() < (0.02 if filter_.startswith("$share/") else 0.2)
                subs.append({"filter": filter_, "qos": rng.randint(0, 2), "nl": no_local,
                             "rap": rng.random() < 0.3, "rh": rng.choice([0, 0, 1, 2])})
            step["subs"] = subs
        elif op == "unsubscribe":
            step["filters"] = [rng.choice(FILTERS)]
        elif op in ("publish", "publish_drop"):
            step.update(topic=rng.choice(TOPICS), qos=rng.choice([0, 1, 1, 2]),
                        retain=rng.random() < 0.25, size=rng.choice(SIZES),
                        seed=rng.randrange(1 << 20))
            if rng.random() < 0.08:
                step["retain"], step["size"] = True, 0  # clears the retained message
            if versions[c] == 5:
                step["props"] = _publish_props(rng)
        elif op == "drain":
            step = {"op": "drain"}
        steps.append(step)
    steps.append({"op": "drain"})
    return steps


def _code(rc):
    if isinstance(rc, ReasonCodes):
        return rc.value
    return int(rc)


class _Paho(mqtt.Client):
    """paho 1.6 keeps the reason codes of PUBACK/PUBREC/PUBCOMP and of a short DISCONNECT
    to itself; these hooks record them."""

    def _hook_init(self):
        self.ack_codes = {}
        self.server_disconnect = None

    def _last_ack(self):
        packet = self._in_packet["packet"]
        return packet[2] if len(packet) > 2 else 0

    def _handle_pubackcomp(self, cmd):
        mid = int.from_bytes(self._in_packet["packet"][:2], "big")
        self.ack_codes.setdefault(mid, []).append([cmd.lower(), self._last_ack()])
        return super()._handle_pubackcomp(cmd)

    def _handle_pubrec(self):
        mid = int.from_bytes(self._in_packet["packet"][:2], "big")
        self.ack_codes.setdefault(mid, []).append(["pubrec", self._last_ack()])
        return super()._handle_pubrec()

    def _handle_disconnect(self):
        packet = self._in_packet["packet"]
        self.server_disconnect = packet[0] if packet else 0
        return super()._handle_disconnect()


def topic_matches(filter_, topic):
    """MQTT topic matching of a (non-shared) filter; `$` topics are not generated."""
    f, t = filter_.split("/"), topic.split("/")
    for i, level in enumerate(f):
        if level == "#":
            return True
        if i >= len(t):
            return False
        if level != "+" and level != t[i]:
            return False
    return len(f) == len(t) or (len(f) == len(t) + 1 and f[-1] == "#")


class _Slot:
    def __init__(self):
        self.subs = {}  # filter (unprefixed) -> granted, as far as the client knows
        self.options = {}  # filter -> (No Local, Retain As Published) of its first SUBSCRIBE
        self.options_changed = set()  # filters re-subscribed with other nl/rap (v5)
        self.client = None
        self.connected = False
        self.messages = []
        self.closed = []  # how the connection ended, when not by the client
        self.events = {}


class Executor:
    def __init__(self, host, port, nonce, hints=None, quiet=0.25):
        self.host, self.port = host, port
        self.nonce = nonce
        self.base = f"dt{nonce}/"
        self.slots = [_Slot() for _ in range(SLOTS)]
        self.hints = hints or {}
        self.quiet = quiet
        self.assigned = {}
        self.unreleased = set()  # payloads of QoS 2 PUBLISHes dropped before PUBREL
        self.retained_payloads = set()  # payloads published with the retain flag

    def topic(self, name):
        return self.base + name

    def filter(self, name):
        if name.startswith("$share/"):
            _, group, rest = name.split("/", 2)
            return f"$share/{group}/{self.base}{rest}"
        return self.base + name

    def norm(self, text):
        if isinstance(text, bytes):
            text = text.decode(errors="backslashreplace")
        text = text.replace(self.base, "").replace(f"dt{self.nonce}", "")
        for real, alias in self.assigned.items():
            text = text.replace(real, alias)
        return text

    # ---- pumping ----------------------------------------------------------------------
    def pump_once(self, timeout=0.01):
        for slot in self.slots:
            if slot.client is not None and slot.connected:
                rc = slot.client.loop(timeout=timeout / SLOTS)
                if rc != mqtt.MQTT_ERR_SUCCESS and slot.connected:
                    slot.connected = False

    def wait(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.pump_once()
        return predicate()

    # ---- connecting -------------------------------------------------------------------
    def _client_id(self, c, empty):
        return "" if empty else f"dt{self.nonce}c{c}"

    def connect(self, c, v, clean=True, empty_id=False, keepalive=60, will=None,
                expiry=None):
        slot = self.slots[c]
        if slot.client is not None and slot.connected:
            self.disconnect(c, v)
        slot.client = None
        protocol = mqtt.MQTTv5 if v == 5 else mqtt.MQTTv311
        kwargs = {"client_id": self._client_id(c, empty_id), "protocol": protocol}
        if v != 5:
            kwargs["clean_session"] = clean
        try:
            client = _Paho(**kwargs)
        except ValueError as exc:  # paho refuses it before anything is sent
            return {"client-error": str(exc)}
        client._hook_init()
        client.enable_logger(None)
        result = {}

        def on_connect(_c, _u, flags, rc, properties=None):
            result["rc"] = _code(rc)
            result["sp"] = flags.get("session present", 0)
            if properties is not None:
                assigned = getattr(properties, "AssignedClientIdentifier", None)
                if assigned:
                    self.assigned[assigned] = f"<assigned{len(self.assigned)}>"
                    result["assigned"] = True

        def on_disconnect(_c, _u, rc, properties=None):
            slot.connected = False
            slot.closed.append({"rc": _code(rc), "server": client.server_disconnect})

        def on_message(_c, _u, msg):
            entry = {"topic": self.norm(msg.topic), "payload": _payload_view(msg.payload),
                     "qos": msg.qos, "retain": int(msg.retain)}
            matching = [f for f in slot.subs
                        if not f.startswith("$share/") and topic_matches(f, entry["topic"])]
            shared = [f for f in slot.subs if f.startswith("$share/")
                      and topic_matches(f.split("/", 2)[2], entry["topic"])]
            if len(matching) > 1 or (v != 5 and len(matching) + len(shared) > 1):
                entry["overlap"] = len(matching) + len(shared)
            if any(f in slot.options_changed for f in matching + shared):
                entry["resubscribed_options"] = True
            if entry["payload"] in self.unreleased:
                entry["qos2_unreleased"] = True
            if any(sum(1 for other in self.slots if f in other.subs) > 1 for f in shared):
                entry["shared_group"] = True
            # Decided from what was published, not from the copy's retain flag, so that
            # both brokers' copies of a message are marked alike (a live copy's flag
            # follows Retain As Published, and the two send different copies).
            if shared and entry["payload"] in self.retained_payloads:
                entry["retained_via_shared"] = True
            if v == 5 and msg.properties is not None:
                entry["props"] = _props_view(msg.properties, self)
            slot.messages.append(entry)

        client.on_connect, client.on_disconnect, client.on_message = (on_connect,
                                                                      on_disconnect,
                                                                      on_message)
        if will:
            if will["retain"]:
                self.retained_payloads.add(_payload_view(_payload(will["seed"], will["size"])))
            client.will_set(self.topic(will["topic"]), _payload(will["seed"], will["size"]),
                            will["qos"], will["retain"])
        connect_props = None
        if v == 5 and expiry is not None:
            connect_props = Properties(PacketTypes.CONNECT)
            connect_props.SessionExpiryInterval = expiry
        slot.client = client
        slot.connected = True
        slot.closed = []
        try:
            if v == 5:
                client.connect(self.host, self.port, keepalive, clean_start=clean,
                               properties=connect_props)
            else:
                client.connect(self.host, self.port, keepalive)
        except (OSError, ValueError) as exc:
            slot.connected = False
            return {"connect-error": type(exc).__name__}
        self.wait(lambda: "rc" in result or not slot.connected)
        if "rc" not in result:
            return {"closed": slot.closed}
        if result["rc"] != 0:
            self.wait(lambda: not slot.connected, 2.0)
            slot.connected = False
        if not result.get("sp"):
            slot.subs = {}
            slot.options, slot.options_changed = {}, set()
        return result

    def barrier(self, slot):
        """Two UNSUBSCRIBE round trips: everything the broker sent this client before the
        first has been read once it returns (so a disconnect does not race with
        deliveries), and the second brings the PUBREL of any QoS 2 delivery whose PUBREC
        the client sent meanwhile (paho hands such a message over on PUBREL; a broker that
        routes QoS 2 on PUBREL, as Mosquitto does, sends it later than one that routes on
        PUBLISH)."""
        for _ in range(2):
            if slot.client is not None and slot.connected:
                self._unsubscribe(slot, [self.base + "__barrier"])

    def disconnect(self, c, v, with_will=False):
        slot = self.slots[c]
        if slot.client is None or not slot.connected:
            return {"skip": "not connected"}
        self.barrier(slot)
        if not slot.connected:
            return {"closed": slot.closed}
        if v == 5 and with_will:
            slot.client.disconnect(reasoncode=ReasonCodes(PacketTypes.DISCONNECT, identifier=4))
        else:
            slot.client.disconnect()
        self.wait(lambda: not slot.connected, 2.0)
        slot.connected = False
        return {"ok": True}

    def drop(self, c, barrier=True):
        slot = self.slots[c]
        if slot.client is None or not slot.connected:
            return {"skip": "not connected"}
        if barrier:
            self.barrier(slot)
        # FIN after everything written, then read (and discard) until the broker closes:
        # closing with unread input would send a reset, and a reset can overtake data the
        # broker has not read yet, which would make the outcome a matter of timing.
        sock = slot.client.socket()
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(True)
            sock.settimeout(3.0)
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()
        slot.connected = False
        return {"ok": True}

    def ensure(self, c, v):
        slot = self.slots[c]
        if slot.client is not None and slot.connected:
            return None
        result = self.connect(c, v)
        if result.get("rc") != 0:
            return result
        return "connected"

    # ---- steps ------------------------------------------------------------------------
    def run(self, steps):
        trace = []
        try:
            for index, step in enumerate(steps):
                trace.append(self.step(index, step))
        finally:
            for c, slot in enumerate(self.slots):
                if slot.client is not None and slot.connected:
                    try:
                        slot.client.disconnect()
                        self.wait(lambda s=slot: not s.connected, 1.0)
                    except Exception:  # noqa: BLE001 (already gone)
                        pass
        return trace

    def step(self, index, step):
        op = step["op"]
        if op == "drain":
            return self.drain(index)
        c, v = step["c"], step["v"]
        if op == "connect":
            return self.connect(c, v, step["clean"], step["empty_id"], step["keepalive"],
                                step.get("will"), step.get("expiry"))
        if op == "disconnect":
            return self.disconnect(c, v, step.get("with_will", False))
        if op == "drop":
            return self.drop(c)
        opened = self.ensure(c, v)
        if isinstance(opened, dict):
            return {"auto-connect": opened}
        result = getattr(self, "op_" + op)(c, v, step)
        if opened:
            result["auto-connected"] = True
        slot = self.slots[c]
        if not slot.connected:
            result["closed"] = slot.closed
        return result

    def _await(self, slot, key):
        self.wait(lambda: key in slot.events or not slot.connected)
        return slot.events.pop(key, None)

    def op_subscribe(self, c, v, step):
        slot = self.slots[c]
        subs = []
        for s in step["subs"]:
            if v == 5:
                subs.append((self.filter(s["filter"]),
                             SubscribeOptions(qos=s["qos"], noLocal=s["nl"],
                                              retainAsPublished=s["rap"],
                                              retainHandling=s["rh"])))
            else:
                subs.append((self.filter(s["filter"]), s["qos"]))

        def on_subscribe(_c, _u, mid, granted, properties=None):
            codes = [_code(g) for g in granted]
            # Tracked here, before retained messages that follow the SUBACK are read.
            for s, code in zip(step["subs"], codes):
                if code < 0x80:
                    slot.subs[s["filter"]] = code
                    wanted = (s.get("nl", False), s.get("rap", False))
                    if slot.options.setdefault(s["filter"], wanted) != wanted:
                        slot.options_changed.add(s["filter"])
            slot.events[("sub", mid)] = codes

        slot.client.on_subscribe = on_subscribe
        rc, mid = slot.client.subscribe(subs)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            return {"subscribe-error": rc}
        granted = self._await(slot, ("sub", mid))
        # The retained messages that follow the SUBACK are read (QoS 2: handed over) in
        # this step, whenever each broker sends them.
        self.barrier(slot)
        return {"granted": granted}

    def op_unsubscribe(self, c, v, step):
        slot = self.slots[c]
        codes = self._unsubscribe(slot, [self.filter(f) for f in step["filters"]])
        for f in step["filters"]:
            slot.subs.pop(f, None)
            slot.options.pop(f, None)
            slot.options_changed.discard(f)
        return {"unsuback": codes}

    def _unsubscribe(self, slot, filters):
        def on_unsubscribe(_c, _u, mid, properties=None, codes=None):
            if codes is None:
                value = True
            elif isinstance(codes, list):
                value = [_code(x) for x in codes]
            else:
                value = [_code(codes)]
            slot.events[("unsub", mid)] = value

        slot.client.on_unsubscribe = on_unsubscribe
        rc, mid = slot.client.unsubscribe(filters)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            return {"unsubscribe-error": rc}
        return self._await(slot, ("unsub", mid))

    def _publish(self, c, v, step):
        slot = self.slots[c]
        props = None
        if v == 5 and step.get("props"):
            props = Properties(PacketTypes.PUBLISH)
            p = step["props"]
            if "user" in p:
                props.UserProperty = [tuple(kv) for kv in p["user"]]
            if "content_type" in p:
                props.ContentType = p["content_type"]
            if "response_topic" in p:
                props.ResponseTopic = self.topic(p["response_topic"])
            if "correlation" in p:
                props.CorrelationData = bytes.fromhex(p["correlation"])
            if "format" in p:
                props.PayloadFormatIndicator = p["format"]
            if "expiry" in p:
                props.MessageExpiryInterval = p["expiry"]
        payload = _step_payload(step)
        if step["retain"]:
            self.retained_payloads.add(_payload_view(payload))
        return slot.client.publish(self.topic(step["topic"]), payload, step["qos"],
                                   step["retain"], properties=props)

    def op_publish(self, c, v, step):
        slot = self.slots[c]
        published = {}

        def on_publish(_c, _u, mid):
            published[mid] = True

        slot.client.on_publish = on_publish
        info = self._publish(c, v, step)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return {"publish-error": info.rc}
        if step["qos"] == 0:
            result = {"sent": True}
        else:
            self.wait(lambda: info.mid in published or not slot.connected)
            result = {"acks": slot.client.ack_codes.pop(info.mid, []),
                      "complete": info.mid in published}
        # Every client has read what this publish sent it before the next step, so that
        # what is known of the subscriptions when a message is read (shared groups,
        # overlaps) is the same with both brokers. A broker that routes QoS 2 on PUBREL
        # (Mosquitto) delivers later than one that routes on PUBLISH, and paho hands a
        # QoS 2 delivery over only on its PUBREL: the barrier waits for that too.
        for other in self.slots:
            self.barrier(other)
        return result

    def op_publish_drop(self, c, v, step):
        slot = self.slots[c]
        # What the broker sent this client before (retained messages after a SUBACK, say)
        # is read first: the drop discards whatever is unread.
        self.barrier(slot)
        self._publish(c, v, step)
        # The whole PUBLISH is written (not the acknowledgement awaited) before the drop.
        deadline = time.monotonic() + 5.0
        while slot.client.want_write() and time.monotonic() < deadline:
            slot.client.loop_write()
        if step["qos"] == 2:
            self.unreleased.add(_payload_view(_step_payload(step)))
        return self.drop(c, barrier=False)

    # ---- draining ---------------------------------------------------------------------
    def _delivered(self):
        return sum(len(s.messages) for s in self.slots)

    def drain(self, index):
        hint = self.hints.get(index, 0)
        for slot in self.slots:
            self.barrier(slot)
        deadline = time.monotonic() + 5.0
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self.pump_once(0.02)
            count = self._delivered()
            if count != last:
                last, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since >= (self.quiet if count >= hint else 1.0):
                break
        out = {}
        for c, slot in enumerate(self.slots):
            seen = {}
            if slot.messages:
                seen["messages"], slot.messages = slot.messages, []
            if slot.closed and not slot.connected:
                seen["closed"] = slot.closed
            if seen:
                out[str(c)] = seen
        return {"drained": out, "count": sum(len(v.get("messages", [])) for v in out.values())}


def _step_payload(step):
    """The bytes a publish step sends (with Payload Format Indicator 1, UTF-8 text)."""
    payload = _payload(step["seed"], step["size"])
    if step.get("props", {}).get("format") == 1:
        payload = payload.hex().encode()[:step["size"]]
    return payload


def _payload_view(payload):
    if len(payload) <= 16:
        return payload.hex()
    return f"{len(payload)}:{hashlib.sha256(payload).hexdigest()[:16]}"


def _props_view(properties, executor):
    out = {}
    for name in ("UserProperty", "ContentType", "ResponseTopic", "CorrelationData",
                 "PayloadFormatIndicator", "MessageExpiryInterval", "SubscriptionIdentifier"):
        value = getattr(properties, name, None)
        if value is None:
            continue
        if name == "ResponseTopic":
            value = executor.norm(value)
        elif name == "MessageExpiryInterval":
            value = "set"  # the broker counts it down while the message waits
        elif name == "CorrelationData":
            value = value.hex()
        elif name == "UserProperty":
            value = [list(kv) for kv in value]
        out[name] = value
    return out


def _one_copy_for_overlaps(obs):
    """Known difference mqtt-overlapping-subscriptions: a message matching several of a
    client's subscriptions is kept once, without its QoS and subscription identifiers."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    for seen in obs["drained"].values():
        messages = seen.get("messages")
        if not messages:
            continue
        out = []
        for m in messages:
            if m.get("overlap"):
                m = dict(m, qos="*", retain="*")
                m.get("props", {}).pop("SubscriptionIdentifier", None)
                m.pop("overlap")
                if m in out:  # Mosquitto's other copies need not be adjacent
                    continue
            out.append(m)
        seen["messages"] = out
    obs["count"] = sum(len(v.get("messages", [])) for v in obs["drained"].values())
    return obs


def _no_retained_for_shared(obs):
    """Known difference mqtt-retained-on-shared-subscribe: messages published with the
    retain flag that a shared subscription of the client matches are left out (every copy:
    a retained one Mosquitto sends on the shared subscribe, and live ones)."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    for seen in obs["drained"].values():
        if seen.get("messages"):
            seen["messages"] = [m for m in seen["messages"] if not m.get("retained_via_shared")]
            if not seen["messages"]:
                del seen["messages"]
    obs["drained"] = {k: v for k, v in obs["drained"].items() if v}
    obs["count"] = sum(len(v.get("messages", [])) for v in obs["drained"].values())
    return obs


def _drop_unreleased_qos2(obs):
    """Known difference mqtt-qos2-routed-on-publish: messages of a QoS 2 PUBLISH whose
    publisher went away before PUBREL are left out."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    for seen in obs["drained"].values():
        if seen.get("messages"):
            seen["messages"] = [m for m in seen["messages"] if not m.get("qos2_unreleased")]
            if not seen["messages"]:
                del seen["messages"]
    obs["drained"] = {k: v for k, v in obs["drained"].items() if v}
    obs["count"] = sum(len(v.get("messages", [])) for v in obs["drained"].values())
    return obs


def _sort_unordered(obs):
    """Known difference mqtt-unordered-copies: the order among retained messages sent for
    one subscribe, and among copies of one message, is not defined; such runs are sorted."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    key = lambda m: json.dumps(m, sort_keys=True)  # noqa: E731
    for seen in obs["drained"].values():
        messages = seen.get("messages")
        if not messages:
            continue
        out, run = [], []
        for m in messages + [None]:
            # A retain flag of "*" is one the overlap normalizer blanked: it may be set.
            if run and m is not None and (
                    (m["retain"] in (1, "*") and run[-1]["retain"] in (1, "*")) or
                    (m["topic"], m["payload"]) == (run[-1]["topic"], run[-1]["payload"])):
                run.append(m)
                continue
            out.extend(sorted(run, key=key))
            run = [m] if m is not None else []
        seen["messages"] = out
    return obs


def _drop_resubscribed_options(obs):
    """Known difference mqtt-resubscribe-keeps-options: messages that a subscription
    re-subscribed with another No Local or Retain As Published matches are left out."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    for seen in obs["drained"].values():
        if seen.get("messages"):
            seen["messages"] = [m for m in seen["messages"] if not m.get("resubscribed_options")]
            if not seen["messages"]:
                del seen["messages"]
    obs["drained"] = {k: v for k, v in obs["drained"].items() if v}
    obs["count"] = sum(len(v.get("messages", [])) for v in obs["drained"].values())
    return obs


def _drop_group_choice(obs):
    """Known difference mqtt-shared-group-choice: messages that a shared subscription with
    several members matches (which member gets one is the broker's choice) are left out."""
    if not isinstance(obs, dict) or "drained" not in obs:
        return obs
    for seen in obs["drained"].values():
        if seen.get("messages"):
            seen["messages"] = [m for m in seen["messages"] if not m.get("shared_group")]
            if not seen["messages"]:
                del seen["messages"]
    obs["drained"] = {k: v for k, v in obs["drained"].items() if v}
    obs["count"] = sum(len(v.get("messages", [])) for v in obs["drained"].values())
    return obs


NORMALIZERS = {"one_copy_for_overlaps": _one_copy_for_overlaps,
               "drop_group_choice": _drop_group_choice,
               "sort_unordered": _sort_unordered,
               "drop_unreleased_qos2": _drop_unreleased_qos2,
               "no_retained_for_shared": _no_retained_for_shared,
               "drop_resubscribed_options": _drop_resubscribed_options}


def _shared_no_local(step):
    return step.get("op") == "subscribe" and step.get("v") == 5 and any(
        s["nl"] and s["filter"].startswith("$share/") for s in step["subs"])


STEP_PREDICATES = {"shared_no_local": _shared_no_local}


def execute(host, port, steps, hints=None, nonce=""):
    executor = Executor(host, port, nonce, hints, quiet=0.25 if hints is None else 0.1)
    return executor.run(steps)


def hints_from(trace):
    return {i: obs["count"] for i, obs in enumerate(trace) if isinstance(obs, dict)
            and "drained" in obs}
