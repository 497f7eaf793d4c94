#!/usr/bin/python3
"""Kafka throughput with several client processes (bench/kafka/kafka_bench), against mockforge.

One librdkafka producer is client-bound on 2 cores, so this drives several at once:

  produce  1, 2 and 4 producer processes at the same time, each writing its share of N
           100-byte messages (acks=all) to a partition of its own of one 4-partition topic,
           each on a fresh mockforge; the rate is N over the span from the first producer's
           start to the last one's end
  consume  after the 4-producer run (every partition holds N/4), 1 and then 4 consumer
           processes in a new consumer group each (subscribe, range assignor, offsets
           committed), started together; the rate is what they read over the span from the
           first message any of them got to the last one. A member stops once the partitions
           it holds have been quiet for 3 s, which the span leaves out.

Broker CPU (its threads' scheduler clocks, from /proc) is read around each phase. The figures are medians over
--runs; every message must be read once.

  bench/kafka/clients.py --mockforge build/release/cli/mockforge \\
      --client build/release/bench/kafka/kafka_bench [--messages 1000000] [--runs 3]
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402

PARTITIONS = 4


def run_all(argvs, timeout=600):
    """Starts every argv at once; their JSON reports, in order."""
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv in argvs]
    reports = []
    for argv, proc in zip(argvs, procs):
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}: {err[-2000:]}")
        reports.append(json.loads([line for line in out.splitlines() if line.strip()][-1]))
    return reports


def produce(pid, bootstrap, topic, producers, messages):
    share = messages // producers
    before = benchlib.cpu_seconds(pid)
    reports = run_all([[ARGS.client, "--bootstrap", bootstrap, "--topic", topic, "--phase",
                        "produce", "--messages", str(share), "--partition", str(i % PARTITIONS),
                        "--seq-base", str(i * share)] for i in range(producers)])
    cpu = benchlib.cpu_seconds(pid) - before
    produced = sum(r["produced"] for r in reports)
    span = max(r["end_wall"] for r in reports) - min(r["start_wall"] for r in reports)
    return {"rate": produced / span, "cpu_per_m": cpu / (produced / 1e6), "count": produced}


def consume(pid, bootstrap, topic, consumers, messages, group):
    before = benchlib.cpu_seconds(pid)
    reports = run_all([[ARGS.client, "--bootstrap", bootstrap, "--topic", topic, "--phase",
                        "consume", "--messages", str(messages), "--group", group]
                       for _ in range(consumers)])
    cpu = benchlib.cpu_seconds(pid) - before
    received = sum(r["consumed"] for r in reports)
    distinct = sum(r["distinct"] for r in reports)
    span = (max(r["last_wall"] for r in reports if r["consumed"])
            - min(r["first_wall"] for r in reports if r["consumed"]))
    return {"rate": received / span, "cpu_per_m": cpu / (received / 1e6), "count": received,
            "distinct": distinct, "members_reading": sum(1 for r in reports if r["consumed"])}


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    ARGS = parser.parse_args()
    env = {"MOCKFORGE_KAFKA_DEFAULT_PARTITIONS": str(PARTITIONS)}
    benchlib.header(f"Kafka: several clients, {ARGS.messages} x 100 B over {PARTITIONS} "
                    f"partitions, acks=all, {ARGS.runs} runs")
    rows = {}
    failed = False
    for run in range(ARGS.runs):
        for producers in (1, 2, 4):
            with benchlib.mockforge(ARGS.mockforge, env=env) as mf:
                bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
                topic = f"clients-{run}-{producers}"
                r = produce(mf.proc.pid, bootstrap, topic, producers, ARGS.messages)
                rows.setdefault(f"produce, {producers} producer(s)", []).append(r)
                print(f"run {run}: {producers} producer(s): {r['rate']:.0f} msg/s, broker CPU "
                      f"{r['cpu_per_m']:.2f} s/M", flush=True)
                if producers != PARTITIONS:
                    continue
                for consumers in (1, 4):
                    c = consume(mf.proc.pid, bootstrap, topic, consumers, r["count"],
                                f"bench-{run}-{consumers}")
                    rows.setdefault(f"consume, {consumers} consumer(s) in a group", []).append(c)
                    print(f"run {run}: {consumers} consumer(s): {c['rate']:.0f} msg/s, read "
                          f"{c['count']} ({c['distinct']} distinct of {r['count']}, "
                          f"{c['members_reading']} members read), broker CPU "
                          f"{c['cpu_per_m']:.2f} s/M", flush=True)
                    failed |= c["distinct"] != r["count"]
    print()
    print("| phase | msg/s | broker CPU per 1M (s) |")
    print("| --- | --- | --- |")
    for name, results in rows.items():
        print(f"| {name} | {benchlib.median([r['rate'] for r in results]):.0f} | "
              f"{benchlib.median([r['cpu_per_m'] for r in results]):.2f} |")
    print(f"load average at end {benchlib.load()}")
    if failed:
        print("a consumer group did not read every message", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
