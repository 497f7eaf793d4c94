"""The scenario engine's and the control plane's figures (docs/benchmarks.md):

- seeding: 1M Kafka messages plus 100k AMQP messages from fixture files, loaded
  at run time (POST fixtures/load) and at start-up (exec until the ready file);
- reset with that data in storage (the `elapsed_ms` the server reports, and the
  HTTP round trip); after a run-time load, the first reset (which seeds again)
  and the median of five more;
- auto-produce rate accuracy: a Kafka schedule at 1 to 100,000 msgs/s, consumed
  entirely by a confluent-kafka consumer; the achieved rate is the count over
  the span of the records' CreateTime stamps (set when each was produced);
- responder latency: paho-mqtt sends a request and waits for the responder's
  reply on another topic; pika the same through an AMQP reply_to queue;
- expectation latency: a POST expect is waiting, a paho-mqtt client
  publishes the match at QoS 1; the time from PUBACK to the HTTP verdict.

Medians are reported; nothing here is a test. Usage:
    /usr/bin/python3 bench/scenario/run.py --mockforge build/release/cli/mockforge [--quick]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))
import benchlib  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
import pika  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402


def post(mf, path, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(f"http://127.0.0.1:{mf.ports['admin']}{path}", data=data,
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def seed_files(directory, kafka_count, amqp_count):
    write(os.path.join(directory, "seed.yaml"), f"""
kafka:
  fixtures:
    - identifier: bulk-orders
      topic: bench.orders
      partitions: 4
      value_template: '{{"order_id": "o-{{{{seq}}}}", "total": 12.5}}'
      seed_count: {kafka_count}
amqp:
  queues:
    - name: bench.tasks
      arguments: {{x-max-length: {amqp_count * 2}}}
  fixtures:
    - identifier: bulk-tasks
      exchange: ""
      routing_key: bench.tasks
      payload: '{{"task": "t-{{{{seq}}}}"}}'
      seed_count: {amqp_count}
""")


def admin_get(mf, path):
    return json.loads(urllib.request.urlopen(
        f"http://127.0.0.1:{mf.ports['admin']}/__mockforge/api/{path}").read())


def check_seeded(mf, kafka_count, amqp_count):
    topic = admin_get(mf, "kafka/topics/bench.orders")
    assert topic["messages"] == kafka_count, topic
    queue = admin_get(mf, "amqp/queues/bench.tasks")
    assert queue["messages_ready"] == amqp_count, queue


def reset_ms(mf, times):
    """(server elapsed_ms, HTTP round trip ms) of `times` resets."""
    out = []
    for _ in range(times):
        started = time.monotonic()
        status, answer = post(mf, "/__mockforge/api/reset")
        assert status == 200, answer
        out.append((answer.get("elapsed_ms"), (time.monotonic() - started) * 1000))
    return out


def bench_seeding(binary, quick):
    kafka_count, amqp_count = (20000, 2000) if quick else (1000000, 100000)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        seed_files(directory, kafka_count, amqp_count)
        for run in range(1 if quick else 3):
            # Loaded at run time: the first reset seeds these again (templates
            # rendered anew) and marks the result as the initial state; later
            # resets return to it as to what start-up loaded.
            with benchlib.mockforge_harness.Mockforge() as mf:
                cpu_before = benchlib.cpu_seconds(mf.proc.pid)
                started = time.monotonic()
                status, answer = post(mf, "/__mockforge/api/fixtures/load?dir=" + directory)
                load_s = time.monotonic() - started
                load_cpu = benchlib.cpu_seconds(mf.proc.pid) - cpu_before
                assert status == 200, answer
                check_seeded(mf, kafka_count, amqp_count)
                reseed_ms = reset_ms(mf, 1)[0][0]
                check_seeded(mf, kafka_count, amqp_count)
                later_ms = statistics.median(r[0] for r in reset_ms(mf, 5))
                check_seeded(mf, kafka_count, amqp_count)
            # Loaded at start-up: a reset returns to the marked initial state.
            started = time.monotonic()
            with benchlib.mockforge_harness.Mockforge("--fixtures", directory,
                                                      ready_timeout=120) as mf:
                startup_s = time.monotonic() - started
                # The whole process up to ready (start-up included).
                startup_cpu = benchlib.cpu_seconds(mf.proc.pid)
                check_seeded(mf, kafka_count, amqp_count)
                resets = reset_ms(mf, 5)
                check_seeded(mf, kafka_count, amqp_count)
            rows.append((load_s, load_cpu, startup_s, startup_cpu,
                         statistics.median(r[0] for r in resets),
                         statistics.median(r[1] for r in resets), reseed_ms, later_ms))
    print(f"\n## Seeding {kafka_count:,} Kafka + {amqp_count:,} AMQP messages, and reset\n")
    print(f"load average at the end: {benchlib.load()}\n")
    print("| run | fixtures load at run time (s) | its server CPU (s) "
          "| exec to ready with --fixtures (s) | server CPU to ready (s) "
          "| reset: server elapsed_ms | reset: HTTP round trip (ms) "
          "| first reset after a run-time load (ms, seeds again) "
          "| later resets after a run-time load (ms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, (load_s, load_cpu, startup_s, startup_cpu, reset, reset_rtt, reseed,
            later) in enumerate(rows, 1):
        print(f"| {i} | {load_s:.3f} | {load_cpu:.2f} | {startup_s:.3f} | {startup_cpu:.2f} "
              f"| {reset:.3f} | {reset_rtt:.1f} | {reseed:.1f} | {later:.3f} |")


def consume_all(bootstrap, topic, partitions, count, timeout_s):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{time.time()}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 50})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    stamps = []
    deadline = time.monotonic() + timeout_s
    while len(stamps) < count and time.monotonic() < deadline:
        for message in consumer.consume(10000, 0.5):
            if message.error() is None:
                stamps.append(message.timestamp()[1])
    consumer.close()
    return stamps


def bench_rates(binary, quick):
    rates = [1, 100, 1000] if quick else [1, 10, 100, 1000, 10000, 100000]
    print("\n## Auto-produce rate accuracy (Kafka schedule, consumed by confluent-kafka)\n")
    print("| configured msgs/s | messages | consumed | achieved msgs/s | error |")
    print("|---|---|---|---|---|")
    for rate in rates:
        seconds = 5 if rate <= 10 else 3
        count = max(int(rate * seconds), 6) if rate > 1 else 6
        with tempfile.TemporaryDirectory() as directory:
            write(os.path.join(directory, "rate.yaml"), f"""
kafka:
  fixtures:
    - identifier: paced
      topic: bench.paced
      partitions: 1
      value_template: '{{"n": {{{{seq}}}}}}'
      auto_produce: {{rate_per_second: {rate}, count: {count}}}
""")
            with benchlib.mockforge_harness.Mockforge("--fixtures", directory) as mf:
                stamps = consume_all(f"127.0.0.1:{mf.ports['kafka']}", "bench.paced", 1, count,
                                     count / rate + 30)
        assert len(stamps) == count, f"{rate}/s: consumed {len(stamps)} of {count}"
        span = (max(stamps) - min(stamps)) / 1000 if len(stamps) > 1 else 0
        achieved = (len(stamps) - 1) / span if span > 0 else float("nan")
        print(f"| {rate:,} | {count:,} | {len(stamps):,} | {achieved:,.1f} | "
              f"{(achieved - rate) / rate * 100:+.2f}% |")


def bench_responders(binary, quick):
    n = 100 if quick else 1000
    with tempfile.TemporaryDirectory() as directory:
        write(os.path.join(directory, "responders.yaml"), """
responders:
  - identifier: echo-mqtt
    when: {protocol: mqtt, topic: "rpc/{id}/request"}
    then: {protocol: mqtt, topic: "rpc/{{request.params.id}}/reply", payload: "{{request.body}}"}
  - identifier: echo-amqp
    when: {protocol: amqp, exchange: rpc, routing_key: request}
    then: {protocol: amqp, exchange: "", routing_key: "{{request.reply_to}}",
           properties: {correlation_id: "{{request.correlation_id}}"}, payload: "pong"}
amqp:
  exchanges: [{name: rpc, type: direct}]
""")
        with benchlib.mockforge_harness.Mockforge("--fixtures", directory) as mf:
            # MQTT
            got = threading.Event()
            client = mqtt.Client(client_id="bench-rpc", protocol=mqtt.MQTTv311)
            client.on_message = lambda c, u, m: got.set()
            client.connect("127.0.0.1", mf.ports["mqtt"])
            client.loop_start()
            client.subscribe("rpc/7/reply", 0)[1]
            time.sleep(0.2)
            mqtt_rtt = []
            for i in range(n):
                got.clear()
                started = time.perf_counter()
                client.publish("rpc/7/request", str(i), qos=0)
                assert got.wait(5), "no MQTT reply"
                mqtt_rtt.append((time.perf_counter() - started) * 1000)
            client.loop_stop()
            client.disconnect()
            # AMQP
            connection = pika.BlockingConnection(
                pika.ConnectionParameters("127.0.0.1", mf.ports["amqp"]))
            channel = connection.channel()
            reply = channel.queue_declare("", exclusive=True).method.queue
            amqp_rtt = []
            for i in range(n):
                started = time.perf_counter()
                channel.basic_publish("rpc", "request", b"ping",
                                      pika.BasicProperties(reply_to=reply, correlation_id=str(i)))
                while True:
                    method, properties, body = channel.basic_get(reply, auto_ack=True)
                    if method:
                        break
                amqp_rtt.append((time.perf_counter() - started) * 1000)
            connection.close()
    print(f"\n## Responder latency, request out to reply in, {n} round trips (ms)\n")
    print("| client | median | p90 | p99 |")
    print("|---|---|---|---|")
    for name, samples in (("paho-mqtt (QoS 0)", mqtt_rtt), ("pika (basic.get polling)", amqp_rtt)):
        samples.sort()
        print(f"| {name} | {statistics.median(samples):.3f} | {samples[int(len(samples) * .9)]:.3f} "
              f"| {samples[int(len(samples) * .99) - 1]:.3f} |")


def bench_expect(binary, quick):
    n = 30 if quick else 200
    samples = []
    with benchlib.mockforge_harness.Mockforge() as mf:
        client = mqtt.Client(client_id="bench-expect", protocol=mqtt.MQTTv311)
        client.connect("127.0.0.1", mf.ports["mqtt"])
        client.loop_start()
        for i in range(n):
            answered = {}

            # The window opens at the history's last seq, so a slow registration
            # cannot miss the message (the sleep below makes one unlikely).
            last_seq = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{mf.ports['admin']}/__mockforge/api/history?limit=1").read()
            )["last_seq"]

            def wait_verdict():
                status, verdict = post(mf, "/__mockforge/api/expect",
                                       {"protocol": "mqtt", "topic": f"expect/{i}",
                                        "since": last_seq, "timeout_ms": 10000})
                answered["at"] = time.perf_counter()
                answered["met"] = status == 200 and verdict.get("met")

            waiter = threading.Thread(target=wait_verdict)
            waiter.start()
            time.sleep(0.05)  # the expectation is registered
            info = client.publish(f"expect/{i}", b"x", qos=1)
            info.wait_for_publish(5)
            acked = time.perf_counter()
            waiter.join()
            assert answered["met"], f"expectation {i} not met"
            samples.append((answered["at"] - acked) * 1000)
        client.loop_stop()
        client.disconnect()
    samples.sort()
    print(f"\n## Expectation latency, PUBACK to verdict, {n} expectations (ms)\n")
    print("| median | p90 | max |")
    print("|---|---|---|")
    print(f"| {statistics.median(samples):.3f} | {samples[int(len(samples) * .9)]:.3f} | "
          f"{samples[-1]:.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--quick", action="store_true", help="small counts, one run")
    parser.add_argument("--only", choices=["seeding", "rates", "responders", "expect"])
    args = parser.parse_args()
    benchlib.mockforge_harness.BIN = os.path.abspath(args.mockforge)
    for name, bench in (("seeding", bench_seeding), ("rates", bench_rates),
                        ("responders", bench_responders), ("expect", bench_expect)):
        if args.only in (None, name):
            bench(args.mockforge, args.quick)


if __name__ == "__main__":
    main()
