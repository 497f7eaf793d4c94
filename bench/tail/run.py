#!/usr/bin/python3
"""Live tail benchmark: what `mockforge tail` costs the brokers, and whether it keeps up.

One mockforge; the MQTT benchmark client (bench/mqtt/mqtt_bench: 1 publisher -> 1 subscriber,
N messages of 100 bytes at QoS 0) runs alternately
  bare    with nobody tailing
  tail    with `mockforge tail --json` attached (every event: connect, subscribe, publish and
          deliver per message, ...), its output written to a file
  publish with `mockforge tail --json --kind publish` attached (one event per message)
Per run: the delivered rate, and for the tails the events the reader printed and the events the
server dropped for it (its stderr notices, and mockforge_tail_dropped_total). The table shows
medians; "slowdown" is 1 - rate/bare rate.

  bench/tail/run.py --mockforge build/release/cli/mockforge \\
      --client build/release/bench/mqtt/mqtt_bench [--runs 3] [--messages 200000] [--rate 100000]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402


def dropped_metric(mf):
    _, _, text = mf.request("GET", "/__mockforge/metrics")
    for line in text.splitlines():
        if line.startswith("mockforge_tail_dropped_total"):
            return float(line.split()[1])
    return 0.0


def run_once(mf, args, mode):
    port = mf.ports["mqtt"]
    tail = None
    out_path = None
    before_dropped = dropped_metric(mf)
    if mode != "bare":
        fd, out_path = tempfile.mkstemp(prefix="mockforge-tail-bench-")
        os.close(fd)
        argv = [args.mockforge, "tail", "--json", "--admin-url",
                f"http://127.0.0.1:{mf.ports['admin']}"]
        if mode == "publish":
            argv += ["--kind", "publish"]
        out = open(out_path, "w")
        tail = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True)
        out.close()
        if not tail.stderr.readline().startswith("tailing"):
            raise RuntimeError("mockforge tail did not start")
    r = benchlib.Measured(mf.proc.pid).run(
        [args.client, "--port", str(port), "throughput", "--messages", str(args.messages),
         "--qos", "0", "--subscribers", "1", "--expect-all", "--rate", str(args.rate)])
    stats = benchlib.delivery_stats(r)
    if tail is not None:
        # Let the reader drain what the server still holds for it, then stop it.
        expected = args.messages * (1 if mode == "publish" else 2)
        deadline = time.monotonic() + 60
        printed = 0
        while time.monotonic() < deadline:
            with open(out_path) as f:
                printed = sum(1 for _ in f)
            if printed >= expected:
                break
            time.sleep(0.2)
            new_dropped = dropped_metric(mf) - before_dropped
            if new_dropped > 0 and printed + new_dropped >= expected:
                break
        tail.send_signal(signal.SIGINT)
        _, err = tail.communicate(timeout=30)
        with open(out_path) as f:
            stats["events"] = sum(1 for _ in f)
        os.unlink(out_path)
        stats["notices"] = sum(int(n) for n in re.findall(r"(\d+) events dropped", err))
        stats["dropped"] = dropped_metric(mf) - before_dropped
        stats["events_per_s"] = stats["events"] / r["seconds"]
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=0,
                        help="publish at most this many messages/s (0: as fast as possible)")
    args = parser.parse_args()
    results = {"bare": [], "tail": [], "publish": []}
    with benchlib.mockforge(args.mockforge) as mf:
        for _ in range(args.runs):
            for mode in results:
                results[mode].append(run_once(mf, args, mode))
    bare = benchlib.median([r["rate"] for r in results["bare"]])
    pace = f"at {args.rate:,.0f} msgs/s" if args.rate else "unpaced"
    print(f"\n{args.messages} MQTT QoS 0 messages {pace}, 1 -> 1, median of {args.runs} "
          f"(load {benchlib.load()})\n")
    print("| mode | msgs/s delivered | slowdown | broker us/msg | tail events/s | events printed "
          "| dropped |")
    print("|---|---|---|---|---|---|---|")
    for mode, runs in results.items():
        rate = benchlib.median([r["rate"] for r in runs])
        cpu = benchlib.median([r["cpu_us"] for r in runs])
        if mode == "bare":
            print(f"| {mode} | {rate:,.0f} | - | {cpu:.2f} | - | - | - |")
            continue
        print(f"| {mode} | {rate:,.0f} | {1 - rate / bare:+.1%} | {cpu:.2f} | "
              f"{benchlib.median([r['events_per_s'] for r in runs]):,.0f} | "
              f"{benchlib.median([r['events'] for r in runs]):,.0f} | "
              f"{benchlib.median([r['dropped'] for r in runs]):,.0f} |")


if __name__ == "__main__":
    main()
