"""Kafka scenarios: a seeded generator of confluent-kafka (librdkafka) steps and an executor
that runs them against one cluster and returns what the clients observed, one entry per
step.

The peer is librdkafka's own mock cluster (bench/peers/rdkafka_mock_cluster.cpp), which
covers Produce, Fetch, ListOffsets, Metadata, FindCoordinator, OffsetCommit/OffsetFetch
and the group and idempotence APIs; no CreateTopics or DeleteTopics. Topics are therefore
created outside the protocol with the same partition count on both sides: on the mock with
rd_kafka_mock_topic_create (through the peer program's stdin), on mockforge with the admin
client's CreateTopics. A topic's name gives its partition count ("p3": three partitions),
and it is created the first time a step names it, so any sublist of steps (shrinking) still
runs. Every topic and group name carries a per-run prefix, normalised out.

Every step waits for its own answer: a produce flushes and reports its delivery reports, a
consume reads from the assigned offset until the partition's end (enable.partition.eof) or
an error. Messages without a key go to an explicit partition (librdkafka's partitioners
pick a random partition for them, and for empty keys); keyed messages may let the partitioner choose, which is
deterministic (consistent_random: CRC32 of the key modulo the partition count)."""

import hashlib
import time

from confluent_kafka import (OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED, Consumer,
                             KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

TOPICS = ["p1", "p2", "p3"]
GROUPS = ["g1", "g2"]
SIZES = [0, 1, 7, 300, 5000, 100000]
KEYS = [None, "", "k", "key-1", "key-2", "ü", "a-much-longer-key-0123456789"]
# Explicit CreateTime values: well before any run's wall clock, so that a timestamp the
# client set is told apart from one it stamped with the current time.
TS_BASE = 1_500_000_000_000
TS_NOW_FLOOR = 1_650_000_000_000
STEP_TIMEOUT = 10.0


def _payload(seed, size):
    out, block = b"", hashlib.sha256(str(seed).encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return out[:size]


def _partitions(topic):
    return int(topic[1:])


def generate(rng, length):
    steps = []
    weights = {"produce": 14, "consume": 8, "watermarks": 4, "offsets_for_times": 2,
               "commit": 3, "committed": 3, "metadata": 2, "unknown_topic": 1}
    ops = list(weights)
    for _ in range(length):
        op = rng.choices(ops, [weights[o] for o in ops])[0]
        topic = rng.choice(TOPICS)
        n = _partitions(topic)
        step = {"op": op, "topic": topic}
        if op == "produce":
            idem = rng.random() < 0.3
            step["acks"] = "all" if idem else rng.choice(["0", "1", "all"])
            step["idem"] = idem
            messages = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                key = rng.choice(KEYS)
                message = {"key": key, "size": rng.choice(SIZES), "seed": rng.randrange(1 << 20)}
                if not key or rng.random() < 0.5:
                    # Now and then a partition the topic lacks: the client refuses it.
                    message["partition"] = rng.randrange(n + (1 if rng.random() < 0.05 else 0))
                if rng.random() < 0.3:
                    message["headers"] = [[rng.choice(["h", "ü", "x-id"]),
                                           rng.choice([None, "", "v", "wert-ü"])]
                                          for _ in range(rng.choice([1, 2]))]
                if rng.random() < 0.3:
                    message["ts"] = TS_BASE + rng.randrange(0, 1000) * 1000
                messages.append(message)
            step["messages"] = messages
        elif op == "consume":
            step["partition"] = rng.randrange(n)
            step["offset"] = rng.choice(["beginning", "end", "stored", 0, 1, 2, 3, 5, 8, 50])
            step["reset"] = rng.choice(["earliest", "latest", "error"])
            step["group"] = rng.choice(GROUPS)
        elif op in ("watermarks", "committed"):
            step["partition"] = rng.randrange(n)
            if op == "committed":
                step["group"] = rng.choice(GROUPS)
        elif op == "offsets_for_times":
            step["partition"] = rng.randrange(n)
            step["ts"] = rng.choice([-2, -1, 0, TS_BASE, TS_BASE + rng.randrange(0, 1000) * 1000,
                                     TS_NOW_FLOOR * 2])
        elif op == "commit":
            step["partition"] = rng.randrange(n)
            step["group"] = rng.choice(GROUPS)
            step["offset"] = rng.choice([0, 1, 2, 5, 100])
        elif op == "metadata":
            step = {"op": "metadata"}
        elif op == "unknown_topic":
            # A topic nobody created, asked about by a consumer (allow.auto.create.topics
            # false): its own name per step, so that no other step meets it.
            step = {"op": op, "topic": f"u{rng.randrange(1 << 30)}",
                    "what": rng.choice(["metadata", "watermarks", "committed"])}
        steps.append(step)
    return steps


def _err(error):
    if error is None:
        return None
    if isinstance(error, KafkaException):
        error = error.args[0]
    if isinstance(error, KafkaError):
        return error.name()
    return str(error)


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode(errors="backslashreplace")
    return value


def _timestamp(ts):
    """[type, value]: type 1 CreateTime, 2 LogAppendTime; a value past TS_NOW_FLOOR is the
    wall clock (the client's or the broker's) and reads "now"."""
    kind, value = ts
    if kind == 0:  # TIMESTAMP_NOT_AVAILABLE
        return None
    return [kind, value if value < TS_NOW_FLOOR else "now"]


def _message_view(msg):
    value = msg.value() or b""
    return {"p": msg.partition(), "o": msg.offset(), "key": _text(msg.key()),
            "len": len(value), "sha": hashlib.sha256(value).hexdigest()[:12],
            "headers": [[k, _text(v)] for k, v in (msg.headers() or [])] or None,
            "ts": _timestamp(msg.timestamp())}


class Executor:
    def __init__(self, bootstrap, nonce, create_topic):
        self.bootstrap = bootstrap
        self.prefix = f"dt{nonce}-"
        self.create_topic = create_topic
        self.created = set()
        self.producers = {}
        self.group_consumers = {}
        self._meta = None

    def topic(self, name):
        if name.startswith("u"):
            return self.prefix + name  # never created
        if name not in self.created:
            self.create_topic(self.prefix + name, _partitions(name))
            self.created.add(name)
        return self.prefix + name

    def _common(self):
        return {"bootstrap.servers": self.bootstrap, "log_level": 0,
                "logger": _null_logger, "socket.timeout.ms": 5000,
                "topic.metadata.refresh.interval.ms": 1000}

    def producer(self, acks, idem):
        key = (acks, idem)
        if key not in self.producers:
            self.producers[key] = Producer({**self._common(), "acks": acks,
                                            "enable.idempotence": idem, "linger.ms": 0,
                                            "message.timeout.ms": 8000})
        return self.producers[key]

    def consumer(self, group, reset="earliest"):
        return Consumer({**self._common(), "group.id": self.prefix + group,
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "auto.offset.reset": reset, "enable.partition.eof": True,
                         "allow.auto.create.topics": False, "fetch.wait.max.ms": 100,
                         "fetch.error.backoff.ms": 100})

    def meta(self):
        if self._meta is None:
            self._meta = self.consumer("meta")
        return self._meta

    def group_consumer(self, group):
        if group not in self.group_consumers:
            self.group_consumers[group] = self.consumer(group)
        return self.group_consumers[group]

    def close(self):
        for producer in self.producers.values():
            producer.flush(2)
        for consumer in [*self.group_consumers.values(), self._meta]:
            if consumer is not None:
                consumer.close()

    # ---- steps ---------------------------------------------------------------------------
    def run(self, steps):
        out = []
        try:
            for step in steps:
                out.append(getattr(self, "do_" + step["op"])(step))
        finally:
            self.close()
        return out

    def do_produce(self, step):
        topic = self.topic(step["topic"])
        producer = self.producer(step["acks"], step["idem"])
        messages = step["messages"]
        reports = [None] * len(messages)

        def reporter(index):
            def on_delivery(err, msg):
                reports[index] = {"err": _err(err), "p": msg.partition(),
                                  "o": msg.offset() if step["acks"] != "0" else None}
            return on_delivery

        # acks=0: nothing tells when the broker has appended, so the step waits until the
        # high watermarks have grown by what was sent (else a later step on another
        # connection could overtake the produce).
        before = {}
        if step["acks"] == "0":
            for p in range(_partitions(step["topic"])):
                before[p] = self._high(topic, p)
        local = []
        for index, message in enumerate(messages):
            kwargs = {"value": _payload(message["seed"], message["size"]),
                      "on_delivery": reporter(index)}
            if message["key"] is not None:
                kwargs["key"] = message["key"].encode()
            if "partition" in message:
                kwargs["partition"] = message["partition"]
            if message.get("headers"):
                kwargs["headers"] = [(k, v.encode() if v is not None else None)
                                     for k, v in message["headers"]]
            if "ts" in message:
                kwargs["timestamp"] = message["ts"]
            try:
                producer.produce(topic, **kwargs)
                local.append(None)
            except KafkaException as e:
                local.append(_err(e))
            except BufferError as e:
                local.append(f"BufferError {e}")
        left = producer.flush(STEP_TIMEOUT)
        if before:
            sent = {}
            for report in reports:
                if report is not None and report["err"] is None:
                    sent[report["p"]] = sent.get(report["p"], 0) + 1
            deadline = time.monotonic() + 3.0
            for p, count in sent.items():
                while (self._high(topic, p) < before[p] + count
                       and time.monotonic() < deadline):
                    time.sleep(0.02)
        # A partition the topic lacks is refused by produce() when the producer already has
        # the topic's metadata, else in the delivery report: one error either way.
        for index, error in enumerate(local):
            if error is not None:
                reports[index] = {"err": error, "p": messages[index].get("partition"),
                                  "o": None}
        return {"reports": reports, "unflushed": left}

    def _high(self, topic, partition):
        try:
            return self.meta().get_watermark_offsets(TopicPartition(topic, partition),
                                                     timeout=STEP_TIMEOUT)[1]
        except KafkaException:
            return -1

    def do_consume(self, step):
        topic = self.topic(step["topic"])
        offset = {"beginning": OFFSET_BEGINNING, "end": OFFSET_END,
                  "stored": OFFSET_STORED}.get(step["offset"], step["offset"])
        consumer = self.consumer(step["group"], step["reset"])
        messages, events = [], []
        try:
            consumer.assign([TopicPartition(topic, step["partition"], offset)])
            deadline = time.monotonic() + STEP_TIMEOUT
            while time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error() is not None:
                    code = msg.error().name()
                    events.append(code if code != "_PARTITION_EOF" else
                                  f"eof@{msg.offset()}")
                    if code == "_PARTITION_EOF" or not msg.error().retriable():
                        break
                    continue
                messages.append(_message_view(msg))
            else:
                events.append("timeout")
        finally:
            consumer.close()
        return {"messages": messages, "events": events}

    def do_watermarks(self, step):
        topic = self.topic(step["topic"])
        try:
            low, high = self.meta().get_watermark_offsets(
                TopicPartition(topic, step["partition"]), timeout=STEP_TIMEOUT)
            return {"low": low, "high": high}
        except KafkaException as e:
            return {"err": _err(e)}

    def do_offsets_for_times(self, step):
        topic = self.topic(step["topic"])
        try:
            result = self.meta().offsets_for_times(
                [TopicPartition(topic, step["partition"], step["ts"])], timeout=STEP_TIMEOUT)
            return {"offset": result[0].offset, "err": _err(result[0].error)}
        except KafkaException as e:
            return {"err": _err(e)}

    def do_commit(self, step):
        topic = self.topic(step["topic"])
        tp = TopicPartition(topic, step["partition"], step["offset"])
        try:
            result = self.group_consumer(step["group"]).commit(offsets=[tp],
                                                               asynchronous=False)
            return {"committed": [[r.partition, r.offset, _err(r.error)] for r in result]}
        except KafkaException as e:
            return {"err": _err(e)}

    def do_committed(self, step):
        topic = self.topic(step["topic"])
        try:
            result = self.group_consumer(step["group"]).committed(
                [TopicPartition(topic, step["partition"])], timeout=STEP_TIMEOUT)
            return {"offset": result[0].offset, "err": _err(result[0].error)}
        except KafkaException as e:
            return {"err": _err(e)}

    def do_metadata(self, step):
        try:
            md = self.meta().list_topics(timeout=STEP_TIMEOUT)
        except KafkaException as e:
            return {"err": _err(e)}
        topics = {}
        for name, topic in md.topics.items():
            # Topics of unknown_topic steps are left out: the mock creates them.
            if not name.startswith(self.prefix) or name[len(self.prefix):].startswith("u"):
                continue
            topics[name[len(self.prefix):]] = {
                "partitions": sorted(topic.partitions),
                "err": _err(topic.error),
                "perr": sorted({_err(p.error) for p in topic.partitions.values()} - {None})}
        return {"topics": topics, "brokers": len(md.brokers)}

    def do_unknown_topic(self, step):
        topic = self.topic(step["topic"])
        if step["what"] == "watermarks":
            return self.do_watermarks({**step, "partition": 0})
        if step["what"] == "committed":
            return self.do_committed({**step, "partition": 0, "group": GROUPS[0]})
        try:
            md = self.meta().list_topics(topic=topic, timeout=STEP_TIMEOUT)
        except KafkaException as e:
            return {"err": _err(e)}
        found = md.topics.get(topic)
        if found is None:
            return {"missing": True}
        return {"err": _err(found.error), "partitions": len(found.partitions)}


class _NullLogger:
    """librdkafka's log lines go here (log_level 0 keeps them few): not to stderr."""

    def log(self, *_args, **_kwargs):
        pass


_null_logger = _NullLogger()


def _admin_creator(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0,
                         "logger": _null_logger})

    def create(name, partitions):
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=5,
                                      request_timeout=STEP_TIMEOUT)
        futures[name].result(STEP_TIMEOUT)

    return create


def execute(host, port, steps, hints=None, nonce="", peer=None):
    """Runs the steps against the cluster at host:port. `peer` is the rdkafka mock peer
    (topics created with rd_kafka_mock_topic_create), None for mockforge (CreateTopics)."""
    bootstrap = f"{host}:{port}"
    if peer is not None:
        bootstrap = peer.bootstrap
        create = lambda name, partitions: peer.create_topic(name, partitions, 1)  # noqa: E731
    else:
        create = _admin_creator(bootstrap)
    return Executor(bootstrap, nonce, create).run(steps)


def _timestamp_lookup(step):
    """offsets_for_times with a timestamp, not the earliest (-2) or latest (-1) marker."""
    return step.get("op") == "offsets_for_times" and step.get("ts", -1) >= 0


def _unknown_topic(step):
    return step.get("op") == "unknown_topic"


STEP_PREDICATES = {"timestamp_lookup": _timestamp_lookup, "unknown_topic": _unknown_topic}


def hints_from(trace):
    return {}
