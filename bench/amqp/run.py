#!/usr/bin/python3
"""AMQP 0-9-1 benchmark: the same rabbitmq-c client (bench/amqp/amqp_bench) against mockforge
and against Debian's rabbitmq-server (started by tests/support/peers.py).

Scenarios, alternating between the brokers in each run (both brokers stay up for all runs):
  direct       publisher -> default exchange -> 1 queue -> consumer; 256 B, prefetch 1000, acks
  direct-2p    the same with two publisher connections (each its own thread)
  confirms     direct with publisher confirms (at most 1000 unconfirmed per publisher)
  confirms-2p  the same with two publisher connections
  fanout       publisher -> topic exchange -> 10 queues -> 10 consumer channels
A single rabbitmq-c publisher makes three send() calls per message; on a small machine its
thread saturates a core before mockforge does ("publisher busy" near 1.00), so the -2p
scenarios show what the broker does when one publishing thread is not the limit.
Throughput is delivered messages per second, from the first publish until the last delivery
(and, with confirms, the last confirm); the client checks every queue got every message once.
The broker's CPU time (the scheduler clocks of mockforge's threads, or of RabbitMQ's beam.smp) per delivered
message is read around each scenario. The table shows medians and mockforge/RabbitMQ ratios.

  bench/amqp/run.py --mockforge build/release/cli/mockforge \\
      --client build/release/bench/amqp/amqp_bench [--runs 3]

--quick --mockforge-only (the ctest): small counts against mockforge, fails unless every
message was delivered (and confirmed) exactly once.
"""

import contextlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402

SCENARIOS = {
    # name: (client arguments, messages, quick messages)
    "direct": (["--mode", "direct"], 200_000, 5_000),
    "direct-2p": (["--mode", "direct", "--publishers", "2"], 300_000, 5_000),
    "confirms": (["--mode", "direct", "--confirms"], 200_000, 5_000),
    "confirms-2p": (["--mode", "direct", "--confirms", "--publishers", "2"], 300_000, 5_000),
    "fanout": (["--mode", "fanout", "--queues", "10"], 30_000, 1_000),
}


def scenario_run(pid, port, client, scenario, messages, expect_all):
    extra, _, _ = SCENARIOS[scenario]
    argv = [client, "--port", str(port), "--messages", str(messages), "--size", "256",
            "--prefetch", "1000"] + extra
    if expect_all:
        argv.append("--expect-all")
    r = benchlib.Measured(pid).run(argv)
    publishers = int(extra[extra.index("--publishers") + 1]) if "--publishers" in extra else 1
    return {**benchlib.delivery_stats(r),
            # The publisher threads' share of their wall time (1.00: they limit the rate).
            "publisher_busy": r["publisher_cpu_s"] / r["publish_s"] / publishers,
            "unconfirmed": r["published"] - r["confirmed"] if "--confirms" in extra else 0}


def main():
    parser = benchlib.scenario_argument_parser(__doc__)
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    counts = {s: (q if args.quick else int(n * args.scale)) for s, (_, n, q) in SCENARIOS.items()}
    brokers = ["mockforge"] + ([] if args.mockforge_only else ["rabbitmq"])

    benchlib.header(f"AMQP: 256 B messages, prefetch 1000, {args.runs} runs")
    print(f"messages per scenario: {counts}")
    results = {b: {s: [] for s in SCENARIOS} for b in brokers}
    with contextlib.ExitStack() as stack:
        mf = stack.enter_context(benchlib.mockforge(args.mockforge))
        where = {"mockforge": (mf.proc.pid, mf.ports["amqp"])}
        if "rabbitmq" in brokers:
            rq = stack.enter_context(benchlib.peers.rabbitmq())
            where["rabbitmq"] = (benchlib.descendant("beam.smp"), rq.port)
        for run in range(args.runs):
            order = brokers if run % 2 == 0 else list(reversed(brokers))
            for scenario in SCENARIOS:
                for b in order:
                    pid, port = where[b]
                    r = scenario_run(pid, port, args.client, scenario, counts[scenario], args.quick)
                    results[b][scenario].append(r)
                    print(f"run {run} {scenario} {b}: {r['rate']:.0f} deliveries/s, broker "
                          f"{r['cpu_us']:.2f} us CPU/delivery, broker/client busy {r['broker_busy']:.2f}/{r['client_busy']:.2f} cores, publisher busy {r['publisher_busy']:.2f}, missing {r['missing']}, duplicates "
                          f"{r['duplicates']}, unconfirmed {r['unconfirmed']}", flush=True)

    print()
    med = {b: {s: {k: benchlib.median([r[k] for r in rs]) for k in rs[0]}
               for s, rs in per.items()} for b, per in results.items()}
    two = len(brokers) > 1
    print("| scenario | " + " | ".join(f"{b} deliveries/s | {b} broker CPU us/delivery | {b} cores busy broker/client | {b} publisher busy"
                                   for b in brokers)
          + (" | throughput mockforge/RabbitMQ | CPU per delivery mockforge/RabbitMQ |" if two else " |"))
    print("|" + " --- |" * (1 + 4 * len(brokers) + (2 if two else 0)))
    for s in SCENARIOS:
        row = f"| {s} | " + " | ".join(f"{med[b][s]['rate']:.0f} | {med[b][s]['cpu_us']:.2f} | "
                                        f"{med[b][s]['broker_busy']:.2f}/{med[b][s]['client_busy']:.2f} | "
                                        f"{med[b][s]['publisher_busy']:.2f}"
                                        for b in brokers)
        if two:
            row += (f" | {benchlib.ratio(med['mockforge'][s]['rate'], med['rabbitmq'][s]['rate'])}"
                    f" | {benchlib.ratio(med['mockforge'][s]['cpu_us'], med['rabbitmq'][s]['cpu_us'])}")
        print(row + " |")
    if two:
        # Each broker at its best number of publishers: one rabbitmq-c publisher thread
        # limits mockforge, while RabbitMQ is no faster with two.
        print("\n| scenario | mockforge best deliveries/s | RabbitMQ best deliveries/s | ratio |")
        print("| --- | --- | --- | --- |")
        for base in ("direct", "confirms"):
            best = {b: max(((med[b][s]["rate"], s) for s in (base, base + "-2p"))) for b in brokers}
            print(f"| {base} | {best['mockforge'][0]:.0f} ({best['mockforge'][1]}) | "
                  f"{best['rabbitmq'][0]:.0f} ({best['rabbitmq'][1]}) | "
                  f"{benchlib.ratio(best['mockforge'][0], best['rabbitmq'][0])} |")
    print(f"\nload average at end {benchlib.load()}")
    bad = [r for s in SCENARIOS for r in results["mockforge"][s]
           if r["missing"] or r["duplicates"] or r["unconfirmed"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
