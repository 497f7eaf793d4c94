#!/usr/bin/python3
"""Soak: N numbered messages per protocol through real clients while the consumer is killed
with SIGKILL at random points and started again (docs/reliability.md, "Soak").

- Kafka: a confluent-kafka producer with enable.idempotence; consumers in one group that
  record each message, then commit. Checked: every number was consumed (0 lost), and the
  log holds each number exactly once (0 duplicated by the producer's retries).
- MQTT: paho-mqtt publishes at QoS 1 to a subscriber with a persistent session (3.1.1,
  clean session off, the same client id on every start), which records each message before
  paho acknowledges it. Checked: 0 lost. The broker's per-client queue is raised
  (MOCKFORGE_MQTT_MAX_QUEUED_MESSAGES) so that a dead subscriber's backlog is kept, not
  capped, as mosquitto's max_queued_messages would be raised for the same test.
- MQTT QoS 2 (mqtt2): paho-mqtt publishes at QoS 2 to a Paho C subscriber
  (tests/clients/mqtt/paho_c_qos2_subscriber.c: MQTTClient, 3.1.1, clean session off, the
  same client id) that keeps Paho's in-flight state in a directory across kills. Checked:
  0 lost and 0 received twice. paho-mqtt for Python keeps QoS 2 state in memory only, so
  a killed Python subscriber forgets which packet ids it has already passed on. The
  subscriber's default store (--mqtt2-store atomic) writes a message's record in the same
  write() that ends Paho's obligation to deliver it; --mqtt2-store file is Paho's own
  MQTTCLIENT_PERSISTENCE_DEFAULT with the record written in messageArrived, which
  delivers a message twice when a kill lands between the two (the subscriber's comment
  has the details). Kills come at (seeded) numbers of messages received, not produced:
  the subscriber, slower than the publisher, gets each PUBREL behind its backlog of
  PUBLISHes, so kills keyed on the producer would all land before the first delivery.
- MQTT 5 QoS 2 (mqtt2v5): the same with MQTT 5 on both sides: paho-mqtt publishes with
  MQTTv5, and the Paho C subscriber (its last argument 5) connects with clean start off, a
  Session Expiry Interval of 3600 s and a Receive Maximum of 100. Paho C 1.3.12 hands a v5 QoS 2 message over at
  PUBLISH and never stores its queue entry; the atomic store records, at the next start,
  the stored PUBLISHes that no record names (the subscriber's comment has the details).
- AMQP: pika publishes with publisher confirms to a durable queue; consumers take
  deliveries with manual acks (prefetch 500), record them, then ack. Checked: 0 lost, and
  every message delivered again after a kill carries the redelivered flag.

Consumers are child processes (this file with --role), so the kill is a real SIGKILL of a
client mid-flow: unacknowledged deliveries come back, the group rebalances, the session
resumes. A consumer writes what it received (flushed) before it acknowledges, so
acknowledged means recorded. Usage:

    /usr/bin/python3 tests/soak/soak.py --bin build/release/cli/mockforge [--messages 1000000]
        [--protocol kafka|mqtt|amqp|mqtt2|mqtt2v5|all] [--kills 6] [--seed 1]
        [--paho-c-subscriber PATH] [--mqtt2-store atomic|file] [--without-mqtt2]

mqtt2's and mqtt2v5's subscriber is looked for next to --bin's build tree
(<build>/tests/clients/mqtt/mqtt_paho_c_qos2_subscriber); --without-mqtt2 leaves both out.
With PAHO_C_QOS2_TRACE_DIR set, each subscriber process writes Paho's protocol trace and a
log of its store calls there. Their results count "repairs": the atomic store's notes of
what it put right at a start (a recorded entry removed, an unrecorded one recorded).

Exit status 0 when every check holds. Nothing here is timed as a test.
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

TOPIC = "soak"
PAD = b"x" * 90  # about 100-byte messages


def payload(n):
    return b"%09d:" % n + PAD


def number(value):
    return int(bytes(value[:9]))


# ---- consumers (child processes) -----------------------------------------------------------

def consume_kafka(port, out):
    from confluent_kafka import Consumer
    # A killed member's partitions move on when its session times out: Kafka's
    # smallest (group.min.session.timeout.ms), so a kill costs seconds, not 45.
    consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{port}", "group.id": "soak",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    consumer.subscribe([TOPIC])
    while True:
        messages = consumer.consume(500, 0.2)
        lines = [b"%d\n" % number(m.value()) for m in messages if not m.error()]
        if lines:
            os.write(out, b"".join(lines))
            consumer.commit(asynchronous=False)


def consume_mqtt(port, out):
    import paho.mqtt.client as mqtt
    client = mqtt.Client(client_id="soak-sub", clean_session=False, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(100)

    def on_message(_c, _u, message):
        # Recorded before paho sends the PUBACK (after this callback returns).
        os.write(out, b"%d\n" % number(message.payload))

    def on_connect(c, _u, _flags, rc):
        if rc == 0:
            c.subscribe(TOPIC, qos=1)

    client.on_message, client.on_connect = on_message, on_connect
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_forever()


def consume_amqp(port, out):
    import pika
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=500)
    pending = []

    def on_message(ch, method, _properties, body):
        pending.append((method.delivery_tag, b"%d %d\n" % (number(body), int(method.redelivered))))
        if len(pending) >= 100:
            flush(ch)

    def flush(ch):
        if pending:
            os.write(out, b"".join(line for _, line in pending))
            ch.basic_ack(pending[-1][0], multiple=True)
            pending.clear()

    channel.basic_consume(TOPIC, on_message)
    while True:
        connection.process_data_events(time_limit=0.1)
        flush(channel)


CONSUMERS = {"kafka": consume_kafka, "mqtt": consume_mqtt, "amqp": consume_amqp}


# ---- producers (this process) --------------------------------------------------------------

def produce_kafka(port, count, progress):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{port}", "enable.idempotence": True,
                         "linger.ms": 5})
    failed = []
    for n in range(count):
        while True:
            try:
                producer.produce(TOPIC, payload(n), on_delivery=lambda e, m: e and failed.append(e))
                break
            except BufferError:
                producer.poll(0.05)
        if n % 1000 == 0:
            producer.poll(0)
            progress(n)
    if producer.flush(120) != 0 or failed:
        raise RuntimeError(f"kafka: {len(failed)} delivery failures")


def produce_mqtt(port, count, progress, qos=1, version=4):
    import paho.mqtt.client as mqtt
    client = mqtt.Client(client_id="soak-pub",
                         protocol=mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(2000)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    infos = []
    for n in range(count):
        while True:
            info = client.publish(TOPIC, payload(n), qos=qos)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                break
            time.sleep(0.01)  # the client's own queue is full
        infos.append(info)
        if n % 1000 == 0:
            progress(n)
            if len(infos) > 5000:
                infos[-5000].wait_for_publish(60)
                del infos[:-5000]
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def produce_amqp(port, count, progress):
    import pika
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    channel = connection.channel()
    channel.confirm_delivery()
    for n in range(count):
        channel.basic_publish("", TOPIC, payload(n), pika.BasicProperties(delivery_mode=2))
        if n % 1000 == 0:
            progress(n)
    connection.close()


PRODUCERS = {"kafka": produce_kafka, "mqtt": produce_mqtt, "amqp": produce_amqp,
             "mqtt2": lambda port, count, progress: produce_mqtt(port, count, progress, qos=2),
             "mqtt2v5": lambda port, count, progress: produce_mqtt(port, count, progress, qos=2,
                                                                   version=5)}
# mqtt2 and mqtt2v5 last: the seeded kills of the others stay as they were.
PROTOCOLS = ["kafka", "mqtt", "amqp", "mqtt2", "mqtt2v5"]
QOS2 = ("mqtt2", "mqtt2v5")  # the Paho C subscriber, MQTT 3.1.1 and MQTT 5

# mqtt2: the Paho C subscriber (tests/clients/mqtt/paho_c_qos2_subscriber.c) and its store.
MQTT2 = {"subscriber": None, "store": "atomic"}


# ---- the run -------------------------------------------------------------------------------

def prepare(protocol, port):
    if protocol == "kafka":
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"})
        admin.create_topics([NewTopic(TOPIC, 3, 1)])[TOPIC].result()
    elif protocol in ("mqtt",) + QOS2:
        # The subscriber's persistent session and subscription exist before the first
        # publish, so nothing is published before anyone subscribed. (mqtt2: the Paho C
        # subscriber takes over this session, with an empty store as nothing is in flight;
        # mqtt2v5: an MQTT 5 session, clean start off, that outlives the connection.)
        import paho.mqtt.client as mqtt
        import queue
        done = queue.Queue()
        qos = 2 if protocol in QOS2 else 1
        connect = {}
        if protocol == "mqtt2v5":
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            connect["properties"] = Properties(PacketTypes.CONNECT)
            connect["properties"].SessionExpiryInterval = 3600
            connect["clean_start"] = False
            client = mqtt.Client(client_id="soak-sub", protocol=mqtt.MQTTv5)
        else:
            client = mqtt.Client(client_id="soak-sub", clean_session=False,
                                 protocol=mqtt.MQTTv311)
        client.on_subscribe = lambda *args: done.put(True)
        client.on_connect = lambda c, *args: c.subscribe(TOPIC, qos=qos)
        client.connect("127.0.0.1", port, keepalive=30, **connect)
        client.loop_start()
        done.get(timeout=30)
        client.disconnect()
        client.loop_stop()
    elif protocol == "amqp":
        import pika
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        connection.channel().queue_declare(TOPIC, durable=True)
        connection.close()


def log_numbers(kafka_port, count):
    """Every number in the Kafka log, read from the start by partition."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{kafka_port}", "group.id": "soak-audit",
                         "enable.auto.commit": False})
    partitions = [TopicPartition(TOPIC, p, 0) for p in range(3)]
    ends = [consumer.get_watermark_offsets(p, timeout=10)[1] for p in partitions]
    consumer.assign(partitions)
    seen, done = [], [0] * 3
    deadline = time.monotonic() + 120
    while sum(done) < sum(ends) and time.monotonic() < deadline:
        for m in consumer.consume(1000, 0.5):
            if not m.error():
                seen.append(number(m.value()))
                done[m.partition()] = m.offset() + 1
    consumer.close()
    return seen


def soak(protocol, binary, count, kills, rng):
    from mockforge_harness import Mockforge
    import threading
    env = {"MOCKFORGE_MQTT_MAX_QUEUED_MESSAGES": str(count + 1000)}
    records = tempfile.NamedTemporaryFile(prefix=f"soak-{protocol}-", delete=False)
    records.close()
    started = time.monotonic()
    store = tempfile.mkdtemp(prefix=f"soak-{protocol}-store-") if protocol in QOS2 else None
    with Mockforge(env=env) as mf:
        port = mf.ports["mqtt" if protocol in QOS2 else protocol]
        prepare(protocol, port)
        kill_at = sorted(rng.sample(range(1, count), min(kills, count - 1)))
        state = {"produced": 0}

        def spawn():
            out = os.open(records.name, os.O_WRONLY | os.O_APPEND)
            try:
                if protocol in QOS2:
                    version = "5" if protocol == "mqtt2v5" else "4"
                    return subprocess.Popen([MQTT2["subscriber"], f"tcp://127.0.0.1:{port}",
                                             "soak-sub", TOPIC, store, str(out), MQTT2["store"],
                                             version], pass_fds=(out,))
                return subprocess.Popen([sys.executable, __file__, "--role", protocol,
                                         "--port", str(port), "--out-fd", str(out)],
                                        pass_fds=(out,))
            finally:
                os.close(out)

        consumer = spawn()
        errors = []
        producer = threading.Thread(
            target=lambda: _guard(errors, PRODUCERS[protocol], port, count,
                                  lambda n: state.__setitem__("produced", n)))
        producer.start()
        killed = 0
        # mqtt2's subscriber takes a few hundred messages a second on a busy machine.
        deadline = time.monotonic() + max(300, count / (100 if protocol in QOS2 else 1000))
        while time.monotonic() < deadline:
            if not producer.is_alive():
                state["produced"] = count  # progress comes every 1000: a kill point past it
            if protocol in QOS2 and consumer.poll() is not None:
                errors.append(f"subscriber exited by itself ({consumer.returncode})")
                break
            # mqtt2 kills at numbers of messages received (the subscriber, slower than
            # the publisher, gets its PUBRELs behind its backlog of PUBLISHes: keyed on
            # produced, every kill would land before the first delivery).
            at = _received_lines(records.name, state) if protocol in QOS2 else state["produced"]
            if kill_at and at >= kill_at[0]:
                kill_at.pop(0)
                time.sleep(rng.uniform(0, 0.2))
                consumer.send_signal(signal.SIGKILL)
                consumer.wait()
                killed += 1
                if os.environ.get("SOAK_VERBOSE"):
                    print(f"{protocol}: killed at {state['produced']} produced, "
                          f"{len(set(_numbers(records.name, protocol)))} received", flush=True)
                time.sleep(rng.uniform(0, 0.5))
                consumer = spawn()
            if not producer.is_alive() and not kill_at:
                if len(set(_numbers(records.name, protocol))) >= count:
                    break
            time.sleep(0.05)
        producer.join(60)
        if errors and os.environ.get("SOAK_VERBOSE"):
            print(mf.output()[-4000:], flush=True)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
        received = _numbers(records.name, protocol)
        distinct = set(received)
        result = {"protocol": protocol, "messages": count, "kills": killed,
                  "received": len(received), "lost": count - len(distinct & set(range(count))),
                  "delivered_again": len(received) - len(distinct),
                  "seconds": round(time.monotonic() - started, 1), "errors": errors}
        if result["lost"]:
            missing = sorted(set(range(count)) - distinct)
            result["first_missing"] = missing[:5]
        if protocol == "kafka":
            logged = log_numbers(port, count)
            result["log_records"] = len(logged)
            result["log_duplicates"] = len(logged) - len(set(logged))
        if protocol == "amqp":
            result["again_without_redelivered"] = _amqp_unflagged(records.name)
        if protocol in QOS2:
            result["store"] = MQTT2["store"]
            # The atomic store's start-up repairs (its "# start: ..." notes, but the pids).
            with open(records.name, "rb") as f:
                result["repairs"] = sum(1 for line in f if line.startswith(b"# start: ")
                                        and not line.startswith(b"# start: pid"))
            if result["delivered_again"]:
                counts = {}
                for n in received:
                    counts[n] = counts.get(n, 0) + 1
                result["first_duplicated"] = sorted(n for n, c in counts.items() if c > 1)[:5]
    if result["lost"] or (protocol in QOS2 and result["delivered_again"]):
        result["records"] = records.name  # kept to look into
    else:
        os.unlink(records.name)
    if store:
        shutil.rmtree(store, ignore_errors=True)
    return result


def _received_lines(path, state):
    """Lines in the record file, counted from where the last call stopped."""
    with open(path, "rb") as f:
        f.seek(state.get("offset", 0))
        data = f.read()
    state["offset"] = state.get("offset", 0) + len(data)
    state["lines"] = state.get("lines", 0) + data.count(b"\n") - data.count(b"\n#")
    return state["lines"]


def _guard(errors, function, *args):
    try:
        function(*args)
    except Exception as e:  # noqa: BLE001 (reported as the run's error)
        errors.append(f"{type(e).__name__}: {e}")


def _numbers(path, protocol):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    # Lines starting with "#" are the mqtt2 subscriber's notes (what it repaired on start).
    return [int(line.split()[0]) for line in lines if line.strip() and not line.startswith(b"#")]


def _amqp_unflagged(path):
    """Deliveries of a number seen before that lack the redelivered flag."""
    seen, unflagged = set(), 0
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            n, redelivered = (int(x) for x in line.split())
            if n in seen and not redelivered:
                unflagged += 1
            seen.add(n)
    return unflagged


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("MOCKFORGE_BIN"))
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--protocol", choices=PROTOCOLS + ["all"], default="all")
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--role", choices=list(CONSUMERS))
    parser.add_argument("--port", type=int)
    parser.add_argument("--out-fd", type=int)
    parser.add_argument("--paho-c-subscriber", default=os.environ.get("PAHO_C_QOS2_SUBSCRIBER"),
                        help="mqtt2's subscriber (default: next to --bin in its build tree)")
    parser.add_argument("--without-mqtt2", action="store_true",
                        help="--protocol all without mqtt2 and mqtt2v5 (no Paho C MQTTClient "
                             "library)")
    parser.add_argument("--mqtt2-store", choices=["atomic", "file"], default="atomic",
                        help="mqtt2, mqtt2v5: the subscriber's store (see "
                             "paho_c_qos2_subscriber.c)")
    args = parser.parse_args()
    if args.role:
        CONSUMERS[args.role](args.port, args.out_fd)
        return 0
    import mockforge_harness
    mockforge_harness.BIN = args.bin
    rng = random.Random(args.seed)
    MQTT2["store"] = args.mqtt2_store
    MQTT2["subscriber"] = args.paho_c_subscriber or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(args.bin))), "tests", "clients", "mqtt",
        "mqtt_paho_c_qos2_subscriber")
    ok = True
    protocols = PROTOCOLS if args.protocol == "all" else [args.protocol]
    for protocol in [p for p in protocols if not (p in QOS2 and args.without_mqtt2)]:
        if protocol in QOS2 and not os.access(MQTT2["subscriber"], os.X_OK):
            print(f"{protocol}: no subscriber at {MQTT2['subscriber']} (--paho-c-subscriber)")
            ok = False
            continue
        result = soak(protocol, args.bin, args.messages, args.kills, rng)
        print(result, flush=True)
        ok &= (result["lost"] == 0 and not result["errors"] and result["kills"] == args.kills
               and (protocol not in QOS2 or result["delivered_again"] == 0)
               and result.get("log_duplicates", 0) == 0
               and result.get("log_records", args.messages) == args.messages
               and result.get("again_without_redelivered", 0) == 0)
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
