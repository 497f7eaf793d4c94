#!/usr/bin/python3
"""Kafka benchmark: the same librdkafka client (bench/kafka/kafka_bench) against mockforge and
against librdkafka 2.0.2's mock cluster (bench/peers/rdkafka_mock_cluster, a separate process).

Per run and broker: start a fresh broker, produce N messages of 100 bytes to one partition
with acks=all, then (a second client process) read the partition from the beginning to its
end (consume rate: first message to end of partition). The broker's CPU time (its threads' scheduler clocks, benchlib.cpu_seconds) is read around
each phase. --warm-host-memory MIB touches and frees MIB MiB just before each produce phase, so
that a virtual machine's free page reporting does not charge the broker for the host's page
faults (benchlib.warm_host_memory; docs/benchmarks.md shows both).
Runs alternate between the brokers; the table shows medians and mockforge/peer ratios.

  bench/kafka/run.py --mockforge build/release/cli/mockforge \\
      --rdkafka-mock build/release/bench/peers/rdkafka_mock_cluster \\
      --client build/release/bench/kafka/kafka_bench [--messages 1000000] [--runs 3]

--quick --mockforge-only (the ctest): 20,000 messages against mockforge, fails unless every
message is consumed exactly once.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402


def run_once(broker, client, messages, run):
    topic = f"bench-{run}"
    if broker == "mockforge":
        ctx = benchlib.mockforge(ARGS.mockforge)
        with ctx as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            # The ctest (--quick) fails on any loss; a full run reports losses in its table.
            return phases(mf.proc.pid, bootstrap, topic, client, messages, expect_all=ARGS.quick)
    with benchlib.peers.rdkafka_mock() as peer:
        pid = benchlib.descendant("rdkafka_mock")
        return phases(pid, peer.bootstrap, topic, client, messages, expect_all=False)


def phases(pid, bootstrap, topic, client, messages, expect_all):
    measured = benchlib.Measured(pid)
    base = [client, "--bootstrap", bootstrap, "--topic", topic, "--messages", str(messages)]
    if ARGS.warm_host_memory:
        benchlib.warm_host_memory(ARGS.warm_host_memory)
    produced = measured.run(base + ["--phase", "produce"])
    consumed = measured.run(base + ["--phase", "consume"] + (["--expect-all"] if expect_all else []))
    return {
        "produce_rate": produced["produced"] / produced["produce_s"],
        "produce_cpu_per_m": produced["broker_cpu_s"] / (messages / 1e6),
        # From the first message to the end of the partition: the mock keeps ~5 MiB, so over its
        # few messages the connection and coordinator set-up would dominate otherwise.
        "consume_rate": ((consumed["consumed"] - 1) / (consumed["consume_s"] - consumed["first_message_s"])
                         if consumed["consumed"] > 1 else 0),
        "first_message_s": consumed["first_message_s"],
        "consume_cpu_per_m": (consumed["broker_cpu_s"] / (consumed["consumed"] / 1e6)
                              if consumed["consumed"] else 0),
        "consumed": consumed["consumed"],
        "missing": consumed["missing"],
        "duplicates": consumed["duplicates"],
        "first_offset": consumed["first_offset"],
        "high_watermark": consumed["high_watermark"],
        "rss_mib": benchlib.rss_kib(pid) / 1024,
    }


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--rdkafka-mock")
    parser.add_argument("--client", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 messages, one run")
    parser.add_argument("--mockforge-only", action="store_true")
    parser.add_argument("--warm-host-memory", type=int, default=0, metavar="MIB",
                        help="touch and free MIB MiB right before each produce phase, so that "
                             "the broker's page faults do not also pay the hypervisor's "
                             "(benchlib.warm_host_memory)")
    ARGS = parser.parse_args()
    if ARGS.quick:
        ARGS.messages, ARGS.runs = 20_000, 1
    brokers = ["mockforge"]
    if not ARGS.mockforge_only:
        if not ARGS.rdkafka_mock:
            parser.error("--rdkafka-mock is needed unless --mockforge-only")
        os.environ["MOCKFORGE_RDKAFKA_MOCK"] = os.path.abspath(ARGS.rdkafka_mock)
        brokers.append("rdkafka mock")

    benchlib.header(f"Kafka: {ARGS.messages} x 100 B, acks=all, 1 partition, {ARGS.runs} runs")
    results = {b: [] for b in brokers}
    for run in range(ARGS.runs):
        order = brokers if run % 2 == 0 else list(reversed(brokers))
        for broker in order:
            r = run_once(broker, ARGS.client, ARGS.messages, run)
            results[broker].append(r)
            print(f"run {run} {broker}: produce {r['produce_rate']:.0f} msg/s, consume "
                  f"{r['consume_rate']:.0f} msg/s, consumed {r['consumed']} (missing "
                  f"{r['missing']}, first offset {r['first_offset']}, high watermark "
                  f"{r['high_watermark']}), broker CPU {r['produce_cpu_per_m'] * 1000:.1f} ms/M "
                  f"produced, {r['consume_cpu_per_m'] * 1000:.1f} ms/M consumed, RSS "
                  f"{r['rss_mib']:.0f} MiB", flush=True)
    print()
    med = {b: {k: benchlib.median([r[k] for r in rs]) for k in rs[0]} for b, rs in results.items()}
    mf = med["mockforge"]
    print("| broker | produce (msg/s) | consume (msg/s) | broker CPU per 1M produced (ms) "
          "| broker CPU per 1M consumed (ms) | consumed of sent | RSS after (MiB) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for b, m in med.items():
        print(f"| {b} | {m['produce_rate']:.0f} | {m['consume_rate']:.0f} | "
              f"{m['produce_cpu_per_m'] * 1000:.1f} | {m['consume_cpu_per_m'] * 1000:.1f} | "
              f"{m['consumed']:.0f} of {ARGS.messages} | {m['rss_mib']:.0f} |")
    if "rdkafka mock" in med:
        pk = med["rdkafka mock"]
        print()
        print(f"mockforge / rdkafka mock: produce {benchlib.ratio(mf['produce_rate'], pk['produce_rate'])}, "
              f"consume {benchlib.ratio(mf['consume_rate'], pk['consume_rate'])} (messages/s); "
              f"broker CPU per message: produce "
              f"{benchlib.ratio(mf['produce_cpu_per_m'], pk['produce_cpu_per_m'])}, consume "
              f"{benchlib.ratio(mf['consume_cpu_per_m'], pk['consume_cpu_per_m'])}")
    cpu = sorted(r["produce_cpu_per_m"] * 1000 for r in results["mockforge"])
    print(f"mockforge broker CPU per 1M produced over {len(cpu)} runs: median "
          f"{benchlib.median(cpu):.1f} ms, maximum {cpu[-1]:.1f} ms "
          f"({cpu[-1] / benchlib.median(cpu):.2f}x the median)")
    print(f"load average at end {benchlib.load()}")
    bad = [r for r in results["mockforge"] if r["missing"] or r["duplicates"]]
    if bad:
        print("mockforge lost or duplicated messages", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
