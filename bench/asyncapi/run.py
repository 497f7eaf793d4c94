#!/usr/bin/python3
"""What live AsyncAPI validation costs (docs/benchmarks.md, issue: validation keeps at least
70% of the throughput it has off).

One mockforge per run, serving tests/clients/asyncapi/contract.yaml with
`--asyncapi-validate off` or `reject`. A confluent-kafka producer sends N valid orders
(JSON, about 120 bytes) to the covered topic `orders`, and a paho-mqtt client N valid
readings at QoS 0 to `sensors/<id>/reading`; with reject on, each is parsed and checked
against its schema before the broker accepts it. Per run: the producer's rate, and the
broker's CPU per message (its threads' scheduler clocks over the run, from /proc). Python clients are
the bottleneck here, so the CPU per message is the figure to compare; "cost" is
validate CPU per message / off CPU per message. Medians of --runs runs.

  bench/asyncapi/run.py --mockforge build/release/cli/mockforge [--runs 3] [--messages 200000]
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))
import benchlib  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

CONTRACT = os.path.join(benchlib.ROOT, "tests", "clients", "asyncapi", "contract.yaml")


def order(i):
    return json.dumps({"orderId": f"ORD-{100000 + i}", "amount": 10.5 + i % 100,
                       "customer": "c-42", "items": [{"sku": "SKU-1", "qty": 2}]})


def kafka_run(mf, messages):
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{mf.ports['kafka']}",
                         "linger.ms": 5, "queue.buffering.max.messages": 1000000})
    payloads = [order(i) for i in range(messages)]
    cpu = benchlib.cpu_seconds(mf.proc.pid)
    start = time.monotonic()
    failed = []
    for i, payload in enumerate(payloads):
        while True:
            try:
                producer.produce("orders", value=payload,
                                 on_delivery=lambda err, _m: err and failed.append(err))
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(120)
    seconds = time.monotonic() - start
    cpu = benchlib.cpu_seconds(mf.proc.pid) - cpu
    if failed:
        raise RuntimeError(f"{len(failed)} produce errors, first {failed[0]}")
    return messages / seconds, cpu / messages * 1e6


def mqtt_run(mf, messages):
    client = mqtt.Client(client_id="bench-validate", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", mf.ports["mqtt"])
    client.loop_start()
    payloads = [json.dumps({"sensorId": f"s{i % 50}", "value": 20.0 + i % 10, "unit": "C"})
                for i in range(messages)]
    cpu = benchlib.cpu_seconds(mf.proc.pid)
    start = time.monotonic()
    for i, payload in enumerate(payloads):
        client.publish(f"sensors/s{i % 50}/reading", payload, qos=0)
    # A QoS 1 marker: its PUBACK comes after every QoS 0 message before it was handled.
    client.publish("sensors/done/reading", json.dumps({"sensorId": "done", "value": 0}),
                   qos=1).wait_for_publish(60)
    seconds = time.monotonic() - start
    cpu = benchlib.cpu_seconds(mf.proc.pid) - cpu
    client.loop_stop()
    client.disconnect()
    return messages / seconds, cpu / messages * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200000)
    args = parser.parse_args()

    results = {}
    for _ in range(args.runs):
        for mode in ("off", "reject"):
            mf = benchlib.mockforge(args.mockforge, "--asyncapi", CONTRACT,
                                    "--asyncapi-validate", mode, "--no-amqp")
            try:
                for protocol, run in (("kafka", kafka_run), ("mqtt", mqtt_run)):
                    rate, cpu_us = run(mf, args.messages)
                    results.setdefault((protocol, mode), []).append((rate, cpu_us))
                _, _, body = mf.request("GET", "/__mockforge/api/asyncapi/violations")
                if json.loads(body)["total"] != 0:
                    raise RuntimeError(f"valid messages were refused: {body[:500]}")
            finally:
                mf.close()

    benchlib.header("AsyncAPI live validation: broker CPU per message, off vs reject")
    print("| protocol | mode | producer msgs/s | broker µs/msg | cost (CPU vs off) |")
    print("|---|---|---|---|---|")
    for protocol in ("kafka", "mqtt"):
        off_cpu = benchlib.median([c for _, c in results[(protocol, "off")]])
        for mode in ("off", "reject"):
            runs = results[(protocol, mode)]
            rate = benchlib.median([r for r, _ in runs])
            cpu = benchlib.median([c for _, c in runs])
            print(f"| {protocol} | {mode} | {rate:,.0f} | {cpu:.2f} | {benchlib.ratio(cpu, off_cpu)} |")
    print()
    print(f"{args.messages} messages per run, {args.runs} runs, medians.")


if __name__ == "__main__":
    main()
