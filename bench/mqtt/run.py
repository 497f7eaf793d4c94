#!/usr/bin/python3
"""MQTT benchmark: the same libmosquitto client (bench/mqtt/mqtt_bench) against mockforge and
against Debian's mosquitto 2.0.11 (started by tests/support/peers.py).

Per run, both brokers are started fresh, then, alternating between them:
  idle    C idle MQTT 3.1.1 connections; resident memory (VmRSS) before and after, per connection
  qos0    1 publisher -> 1 subscriber, N messages of 100 bytes at QoS 0
  qos1    the same at QoS 1
  fanout  1 publisher -> 100 subscribers, QoS 0
Throughput counts delivered messages per second (the client checks each subscriber got every
message exactly once); the broker's CPU time (its threads' scheduler clocks, from /proc) per delivered
message is read around each scenario. The table shows medians and mockforge/mosquitto ratios.

  bench/mqtt/run.py --mockforge build/release/cli/mockforge \\
      --client build/release/bench/mqtt/mqtt_bench [--runs 3]

--quick --mockforge-only (the ctest): small counts against mockforge, fails unless every
message was delivered exactly once and every idle connection stayed up.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402

# Per-client queue of QoS 1 messages on both brokers (see main()).
QUEUE = 1_000_000

SCENARIOS = {
    # name: (client arguments, messages, quick messages)
    "qos0": (["--qos", "0", "--subscribers", "1"], 200_000, 5_000),
    "qos1": (["--qos", "1", "--subscribers", "1"], 100_000, 5_000),
    "fanout": (["--qos", "0", "--subscribers", "100"], 10_000, 500),
}


def idle(pid, port, client, connections, per_process=2500):
    """Opens `connections` idle connections from several client processes (libmosquitto uses
    three descriptors per client: its socket and a wake-up socket pair)."""
    before = benchlib.rss_kib(pid)
    procs = []
    try:
        left = connections
        while left > 0:
            n = min(per_process, left)
            left -= n
            procs.append(subprocess.Popen(
                [client, "--port", str(port), "idle", "--connections", str(n)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            # One process at a time, so the connects do not pile up in the listen backlog.
            if not procs[-1].stdout.readline():
                raise RuntimeError(f"mqtt_bench idle exited with {procs[-1].wait()}")
        time.sleep(1.0)
        after = benchlib.rss_kib(pid)
    finally:
        codes = []
        for proc in procs:
            proc.stdin.close()
        for proc in procs:
            codes.append(proc.wait(timeout=120))
    if any(codes):
        raise RuntimeError(f"mqtt_bench idle exited with {codes} (a connection dropped?)")
    return {"rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
            "per_conn_kib": (after - before) / connections}


def throughput(pid, port, client, scenario, messages, expect_all):
    extra, _, _ = SCENARIOS[scenario]
    argv = [client, "--port", str(port), "throughput", "--messages", str(messages)] + extra
    if expect_all:
        argv.append("--expect-all")
    r = benchlib.Measured(pid).run(argv)
    return benchlib.delivery_stats(r)


def main():
    parser = benchlib.scenario_argument_parser(__doc__)
    parser.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.connections = 1, 200
    limit = benchlib.raise_nofile()
    counts = {s: (q if args.quick else int(n * args.scale)) for s, (_, n, q) in SCENARIOS.items()}
    brokers = ["mockforge"] + ([] if args.mockforge_only else ["mosquitto"])

    benchlib.header(f"MQTT: 100 B messages, {args.runs} runs, open-file limit {limit}")
    print(f"messages per scenario: {counts}; idle connections: {args.connections}")
    results = {b: {s: [] for s in ["idle", *SCENARIOS]} for b in brokers}
    for run in range(args.runs):
        # Unlimited MQTT connections (the default, set explicitly in case it
        # changes), and the same per-client queue on both brokers, large
        # enough that neither drops a QoS 1 message (both default to 1000,
        # which mosquitto reaches when its subscriber falls behind).
        mf = benchlib.mockforge(args.mockforge, env={"MOCKFORGE_MQTT_MAX_CONNECTIONS": "0",
                                                     "MOCKFORGE_MQTT_MAX_QUEUED_MESSAGES": str(QUEUE)})
        try:
            peer = benchlib.peers.mosquitto(f"max_queued_messages {QUEUE}") if "mosquitto" in brokers else _nothing()
            with peer as mq:
                where = {"mockforge": (mf.proc.pid, mf.ports["mqtt"])}
                if mq is not None:
                    where["mosquitto"] = (benchlib.descendant("mosquitto"), mq.port)
                order = brokers if run % 2 == 0 else list(reversed(brokers))
                for b in order:
                    pid, port = where[b]
                    r = idle(pid, port, args.client, args.connections)
                    results[b]["idle"].append(r)
                    print(f"run {run} idle {b}: RSS {r['rss_before_mib']:.1f} -> "
                          f"{r['rss_after_mib']:.1f} MiB, {r['per_conn_kib']:.2f} KiB/connection",
                          flush=True)
                for scenario in SCENARIOS:
                    for b in order:
                        pid, port = where[b]
                        r = throughput(pid, port, args.client, scenario, counts[scenario], args.quick)
                        results[b][scenario].append(r)
                        print(f"run {run} {scenario} {b}: {r['rate']:.0f} deliveries/s, broker "
                              f"{r['cpu_us']:.2f} us CPU/delivery, broker/client busy {r['broker_busy']:.2f}/{r['client_busy']:.2f} cores, missing {r['missing']}, "
                              f"duplicates {r['duplicates']}", flush=True)
        finally:
            mf.close()

    print()
    med = {b: {s: {k: benchlib.median([r[k] for r in rs]) for k in rs[0]}
               for s, rs in per.items()} for b, per in results.items()}
    print("| scenario | " + " | ".join(f"{b} deliveries/s | {b} broker CPU us/delivery | {b} cores busy broker/client"
                                   for b in brokers)
          + (" | throughput mockforge/mosquitto | CPU per delivery mockforge/mosquitto |"
             if len(brokers) > 1 else " |"))
    print("|" + " --- |" * (1 + 3 * len(brokers) + (2 if len(brokers) > 1 else 0)))
    for s in SCENARIOS:
        row = f"| {s} | " + " | ".join(f"{med[b][s]['rate']:.0f} | {med[b][s]['cpu_us']:.2f} | "
                                        f"{med[b][s]['broker_busy']:.2f}/{med[b][s]['client_busy']:.2f}"
                                        for b in brokers)
        if len(brokers) > 1:
            row += (f" | {benchlib.ratio(med['mockforge'][s]['rate'], med['mosquitto'][s]['rate'])}"
                    f" | {benchlib.ratio(med['mockforge'][s]['cpu_us'], med['mosquitto'][s]['cpu_us'])}")
        print(row + " |")
    print()
    print("| idle connections | " + " | ".join(f"{b} RSS before/after (MiB) | {b} KiB per connection"
                                             for b in brokers) + " |")
    print("|" + " --- |" * (1 + 2 * len(brokers)))
    print(f"| {args.connections} | " + " | ".join(
        f"{med[b]['idle']['rss_before_mib']:.1f} / {med[b]['idle']['rss_after_mib']:.1f} | "
        f"{med[b]['idle']['per_conn_kib']:.2f}" for b in brokers) + " |")
    print(f"\nload average at end {benchlib.load()}")
    bad = [r for s in SCENARIOS for r in results["mockforge"][s] if r["missing"] or r["duplicates"]]
    return 1 if bad else 0


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
