#!/usr/bin/python3
"""The Kafka test loop, timed: one typical test step with confluent-kafka, end to end, and
where its time goes (docs/benchmarks.md, docs/testing.md).

One step: AdminClient.create_topics (one partition) and wait for the result; a Producer
produces one message and flushes; a Consumer in a new group subscribes and polls until it
has the message. Each step uses a new topic and group against one `mockforge serve`.

The broker's share is what the broker took to answer: the sum of the round trips librdkafka
logs for each of the consumer's requests (`debug=protocol`, "rtt"), per API, plus the
create and produce phases (each one or two requests). Everything else in the consumer phase
is the client's own timers.

Variants, each a fresh mockforge: the default `kafka.group_initial_rebalance_delay` (100 ms);
0 ms; and 0 ms with the consumer's `on_assign` starting each partition at offset 0. The first step of each is a warm-up and is not counted; medians of the rest.
Usage:
    /usr/bin/python3 bench/kafka/test_loop.py --mockforge build/release/cli/mockforge [--steps 11]
"""

import argparse
import logging
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402
from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

RTT = re.compile(r"Received (\w+)Response .*rtt ([0-9.]+)ms")


class RoundTrips(logging.Handler):
    """Sums librdkafka's logged round trips per API."""

    def __init__(self):
        super().__init__()
        self.ms = {}

    def emit(self, record):
        match = RTT.search(record.getMessage())
        if match:
            self.ms[match.group(1)] = self.ms.get(match.group(1), 0.0) + float(match.group(2))


def step(bootstrap, index, from_zero):
    topic, group = f"loop-{index}", f"loop-group-{index}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    started = time.monotonic()
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result()
    created = time.monotonic()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    producer.produce(topic, b"one message")
    if producer.flush(10) != 0:
        raise RuntimeError("the message was not delivered")
    produced = time.monotonic()
    trips = RoundTrips()
    logger = logging.getLogger(f"consumer-{index}")
    logger.addHandler(trips)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "debug": "protocol"}, logger=logger)
    if from_zero:
        # A new group's partitions start at offset 0 (not OFFSET_BEGINNING, a logical
        # offset, which librdkafka looks up later): no auto.offset.reset back-off.
        def on_assign(client, partitions):
            for partition in partitions:
                partition.offset = 0
            client.assign(partitions)
        consumer.subscribe([topic], on_assign=on_assign)
    else:
        consumer.subscribe([topic])
    deadline = time.monotonic() + 30
    while True:
        message = consumer.poll(0.005)
        if message is not None and not message.error():
            break
        if time.monotonic() > deadline:
            raise RuntimeError("no message within 30 s")
    received = time.monotonic()
    broker_ms = dict(trips.ms)  # before close() adds its own requests
    consumer.close()
    return {"create": created - started, "produce": produced - created,
            "consume": received - produced, "total": received - started,
            "consumer_broker_ms": sum(broker_ms.values()), "per_api": broker_ms}


def variant(binary, delay, steps, from_zero=False):
    env = {"MOCKFORGE_KAFKA_GROUP_INITIAL_REBALANCE_DELAY": delay} if delay else None
    with benchlib.mockforge(binary, env=env) as mf:
        bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
        results = [step(bootstrap, i, from_zero) for i in range(steps)][1:]
    median = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    apis = sorted({api for r in results for api in r["per_api"]})
    per_api = {api: statistics.median(r["per_api"].get(api, 0.0) for r in results) for api in apis}
    return {key: median(key) for key in ("create", "produce", "consume", "total",
                                         "consumer_broker_ms")} | {"per_api": per_api}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--steps", type=int, default=11)
    args = parser.parse_args()
    rows = [("100ms (default)", variant(args.mockforge, None, args.steps)),
            ("0ms", variant(args.mockforge, "0ms", args.steps)),
            ("0ms, on_assign at offset 0", variant(args.mockforge, "0ms", args.steps, True))]
    print(f"\n## Kafka test loop, confluent-kafka, median of {args.steps - 1} steps\n")
    print("| kafka.group_initial_rebalance_delay | create topic (ms) | produce + flush (ms) "
          "| new group's first message (ms) | step (ms) | broker's share of the consumer phase (ms) "
          "| JoinGroup round trips (ms) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['create'] * 1000:.1f} | {r['produce'] * 1000:.1f} "
              f"| {r['consume'] * 1000:.1f} | {r['total'] * 1000:.1f} "
              f"| {r['consumer_broker_ms']:.1f} | {r['per_api'].get('JoinGroup', 0):.1f} |")
    for name, r in rows:
        print(f"\nconsumer round trips per API, {name}: " +
              ", ".join(f"{api} {ms:.2f}" for api, ms in r["per_api"].items()))


if __name__ == "__main__":
    main()
