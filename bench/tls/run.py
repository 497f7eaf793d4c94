#!/usr/bin/python3
"""TLS benchmark: per protocol, the same client against mockforge's plain listener and its TLS
listener, in one mockforge process, alternating plain and TLS within each run; and the rate of
full TLS handshakes.

  mqtt     bench/mqtt/mqtt_bench (libmosquitto; --cafile for TLS): 1 publisher -> 1 subscriber,
           100-byte messages at QoS 0 and QoS 1
  amqp     bench/amqp/amqp_bench (rabbitmq-c's TCP or OpenSSL socket): 256-byte messages through
           the default exchange to one queue, with and without publisher confirms
  kafka    bench/kafka/kafka_bench (librdkafka, security.protocol=ssl for TLS): produce acks=all
           then consume, 100-byte messages, one partition
  handshakes  `openssl s_time -new` (a full handshake per connection, no session reuse) against
           the MQTT TLS listener for --handshake-seconds; the handshakes s_time completed per
           second of wall time and per second of mockforge's CPU time (its threads' scheduler
           clocks: handshakes per second per core), and mockforge's own count of completed and
           failed ones
  --amqplib  the amqp scenarios also with amqplib (Node), which writes a publish as one buffer
  --rabbitmq  the amqp scenarios again against Debian's rabbitmq-server, plain and over its TLS
           listener (the same certificates): what the real broker's TLS costs with this client

Certificates: `mockforge certs generate` (its server key type), TLS 1.3 as the clients
negotiate it. Throughput counts delivered messages per second (each client checks every message
arrived once); mockforge's CPU time per message is read around each scenario. The tables show
medians, and the medians of the per-run TLS/plain ratios of throughput and of mockforge's CPU
time per message.

  bench/tls/run.py --mockforge build/release/cli/mockforge --bench-dir build/release/bench \\
      [--runs 3] [--scale 1.0]

--quick (the ctest): small counts, fails unless every message was delivered exactly once over
both listeners.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402

MQTT = {
    # name: (client arguments, messages, quick messages)
    "mqtt qos0": (["--qos", "0", "--subscribers", "1"], 200_000, 3_000),
    "mqtt qos1": (["--qos", "1", "--subscribers", "1"], 100_000, 3_000),
}
AMQP = {
    "amqp direct": (["--mode", "direct"], 200_000, 3_000),
    "amqp confirms": (["--mode", "direct", "--confirms"], 200_000, 3_000),
}
# The same scenarios with amqplib (Node, bench/amqp/amqplib_bench.js), which writes a publish's
# frames as one buffer where rabbitmq-c writes a TLS record per frame.
AMQPLIB = {
    "amqplib direct": ([], 100_000, 3_000),
    "amqplib confirms": (["--confirms"], 100_000, 3_000),
}
KAFKA_MESSAGES = (500_000, 5_000)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mqtt_run(args, pid, port, cafile, scenario, messages):
    extra, _, _ = MQTT[scenario]
    argv = [os.path.join(args.bench_dir, "mqtt", "mqtt_bench"), "--port", str(port)]
    if cafile:
        argv += ["--host", "localhost", "--cafile", cafile]
    argv += ["throughput", "--messages", str(messages), "--expect-all"] + extra
    r = benchlib.delivery_stats(benchlib.Measured(pid).run(argv))
    return {"rate": r["rate"], "cpu_us": r["cpu_us"], "bad": r["missing"] + r["duplicates"]}


def amqp_run(args, pid, port, cafile, scenario, messages):
    if scenario in AMQPLIB:
        extra = AMQPLIB[scenario][0]
        argv = ["node", os.path.join(ROOT, "bench", "amqp", "amqplib_bench.js"), "--port",
                str(port), "--messages", str(messages), "--size", "256", "--prefetch", "1000",
                "--expect-all"] + extra
    else:
        extra = AMQP[scenario][0]
        argv = [os.path.join(args.bench_dir, "amqp", "amqp_bench"), "--port", str(port),
                "--messages", str(messages), "--size", "256", "--prefetch", "1000",
                "--expect-all"] + extra
    if cafile:
        argv += ["--host", "localhost", "--cafile", cafile]
    raw = benchlib.Measured(pid).run(argv)
    r = benchlib.delivery_stats(raw)
    # The publisher thread's share of its wall time: near 1, the client limits the rate.
    return {"rate": r["rate"], "cpu_us": r["cpu_us"], "bad": r["missing"] + r["duplicates"],
            "publisher_busy": raw["publisher_cpu_s"] / raw["publish_s"] if raw["publish_s"] else 0,
            # The client process's CPU (publisher and consumer threads) per delivered message.
            "client_us": raw["client_cpu_s"] / raw["delivered"] * 1e6 if raw["delivered"] else 0}


def kafka_run(args, pid, port, cafile, topic, messages):
    host = "localhost" if cafile else "127.0.0.1"
    base = [os.path.join(args.bench_dir, "kafka", "kafka_bench"), "--bootstrap",
            f"{host}:{port}", "--topic", topic, "--messages", str(messages)]
    if cafile:
        base += ["--cafile", cafile]
    measured = benchlib.Measured(pid)
    produced = measured.run(base + ["--phase", "produce"])
    consumed = measured.run(base + ["--phase", "consume", "--expect-all"])
    consume_s = consumed["consume_s"] - consumed["first_message_s"]
    return {
        "kafka produce": {"rate": produced["produced"] / produced["produce_s"],
                          "cpu_us": produced["broker_cpu_s"] / messages * 1e6, "bad": 0},
        "kafka consume": {"rate": (consumed["consumed"] - 1) / consume_s if consume_s > 0 else 0,
                          "cpu_us": consumed["broker_cpu_s"] / max(consumed["consumed"], 1) * 1e6,
                          "bad": consumed["missing"] + consumed["duplicates"]},
    }


def tls_metrics(mf):
    """mockforge's completed and failed TLS handshakes so far."""
    port = mf.ports.get("admin")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__mockforge/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for key, name in (("done", "mockforge_tls_handshakes_total"),
                      ("failed", "mockforge_tls_handshake_failures_total")):
        match = re.search(r"^" + name + r" (\S+)$", text, re.M)
        out[key] = float(match.group(1)) if match else 0.0
    return out


def handshake_run(mf, port, cafile, seconds):
    """openssl s_time -new against `port`; handshakes per wall second and per CPU second.

    The count is the connections s_time completed (its handshake done, it closes at once with a
    reset, SO_LINGER 0). mockforge's own counters are reported beside it: before 2026-12-06 a
    handshake whose session tickets met that reset counted as failed, so its "completed"
    counter, which this run divided by, saw a varying fraction of the handshakes."""
    before = tls_metrics(mf)
    before_cpu = benchlib.cpu_seconds(mf.proc.pid)
    start = time.monotonic()
    done = subprocess.run(["openssl", "s_time", "-connect", f"localhost:{port}", "-CAfile",
                           cafile, "-new", "-time", str(seconds)], capture_output=True,
                          text=True, timeout=seconds * 4 + 30)
    wall = time.monotonic() - start
    cpu = benchlib.cpu_seconds(mf.proc.pid) - before_cpu
    after = tls_metrics(mf)
    match = re.search(r"^(\d+) connections in [0-9.]+ real seconds", done.stdout, re.M)
    count = int(match.group(1)) if match else 0
    if done.returncode != 0 or count <= 0:
        raise RuntimeError(f"openssl s_time failed ({done.returncode}): {done.stdout[-1000:]} "
                           f"{done.stderr[-1000:]}")
    return {"per_s": count / wall, "per_cpu_s": count / cpu if cpu > 0 else 0.0,
            "count": count, "broker_busy": cpu / wall,
            "server_done": after["done"] - before["done"],
            "server_failed": after["failed"] - before["failed"]}


def ratio_table(results, scenarios):
    """Prints the TLS/plain table; returns the worst throughput ratio."""
    # Ratios are taken per run (plain and TLS back to back) and their median shown, so load
    # that changes between runs counts less than in a ratio of medians.
    print("| scenario | plain msg/s | TLS msg/s | TLS/plain throughput | plain us CPU/msg | "
          "TLS us CPU/msg | TLS/plain CPU per message |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    worst = None
    for s in scenarios:
        med = {m: {k: benchlib.median([r[k] for r in results[s][m]]) for k in ("rate", "cpu_us")}
               for m in ("plain", "tls")}
        pairs = list(zip(results[s]["plain"], results[s]["tls"]))
        share = benchlib.median([t["rate"] / p["rate"] for p, t in pairs if p["rate"]])
        cpu = benchlib.median([t["cpu_us"] / p["cpu_us"] for p, t in pairs if p["cpu_us"]])
        worst = share if worst is None else min(worst, share)
        print(f"| {s} | {med['plain']['rate']:.0f} | {med['tls']['rate']:.0f} | {share:.2f} | "
              f"{med['plain']['cpu_us']:.2f} | {med['tls']['cpu_us']:.2f} | {cpu:.2f} |")
    return worst


def client_table(results, broker):
    """Prints, per AMQP scenario, the client's CPU per message plain and over TLS, and the
    throughput ratio that a broker whose TLS cost nothing more than plain TCP would reach when
    the client and the broker share the machine's cores (CPU per message as the limit)."""
    print(f"| scenario | client us CPU/msg plain | client us CPU/msg TLS | {broker} us CPU/msg "
          f"plain | TLS/plain throughput if the broker's TLS were free |")
    print("| --- | --- | --- | --- | --- |")
    for s in [*AMQP, *AMQPLIB]:
        if not results.get(s, {}).get("plain"):
            continue
        med = {m: {k: benchlib.median([r[k] for r in results[s][m]])
                   for k in ("client_us", "cpu_us")} for m in ("plain", "tls")}
        plain_total = med["plain"]["client_us"] + med["plain"]["cpu_us"]
        free_tls_total = med["tls"]["client_us"] + med["plain"]["cpu_us"]
        print(f"| {s} | {med['plain']['client_us']:.2f} | {med['tls']['client_us']:.2f} | "
              f"{med['plain']['cpu_us']:.2f} | {plain_total / free_tls_total:.2f} |")


def rabbitmq_runs(args, certs, ca, count):
    """The AMQP scenarios against rabbitmq-server, plain and TLS back to back per run."""
    scenarios = {**AMQP, **(AMQPLIB if args.amqplib else {})}
    results = {s: {"plain": [], "tls": []} for s in scenarios}
    tls = {"cert": os.path.join(certs, "server.pem"),
           "key": os.path.join(certs, "server-key.pem"), "ca": ca}
    with benchlib.peers.rabbitmq(tls=tls) as rq:
        pid = benchlib.descendant("beam.smp")
        benchlib.wait_for_port(rq.tls_port)
        for run in range(args.runs):
            order = ["plain", "tls"] if run % 2 == 0 else ["tls", "plain"]
            for scenario in scenarios:
                for mode in order:
                    port = rq.tls_port if mode == "tls" else rq.port
                    r = amqp_run(args, pid, port, ca if mode == "tls" else None, scenario,
                                 count(scenarios[scenario][1], scenarios[scenario][2]))
                    results[scenario][mode].append(r)
                    print(f"run {run} rabbitmq {scenario} {mode}: {r['rate']:.0f} msg/s, "
                          f"{r['cpu_us']:.2f} us CPU/msg, publisher busy "
                          f"{r['publisher_busy']:.2f}", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--bench-dir", required=True,
                        help="the build's bench directory (mqtt/mqtt_bench, amqp/amqp_bench, "
                             "kafka/kafka_bench)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply message counts")
    parser.add_argument("--handshake-seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--protocols", default="mqtt,amqp,kafka,handshakes",
                        help="which of mqtt, amqp, kafka and handshakes to run (comma-separated)")
    parser.add_argument("--amqplib", action="store_true",
                        help="also run the AMQP scenarios with amqplib (Node, "
                             "bench/amqp/amqplib_bench.js)")
    parser.add_argument("--rabbitmq", action="store_true",
                        help="also run the AMQP scenarios against Debian's rabbitmq-server, plain "
                             "and over its TLS listener, with the same client and certificates")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.handshake_seconds = 1, 2

    def count(full, quick):
        return quick if args.quick else int(full * args.scale)

    certs = tempfile.mkdtemp(prefix="mockforge-bench-certs-")
    subprocess.run([args.mockforge, "certs", "generate", certs], check=True, capture_output=True)
    ca = os.path.join(certs, "ca.pem")
    benchlib.header(f"TLS vs plain, same client, one mockforge, {args.runs} runs")
    mf = benchlib.mockforge(
        args.mockforge, "--mqtt-tls-port", "0", "--amqp-tls-port", "0", "--kafka-tls-port", "0",
        "--tls-cert-file", os.path.join(certs, "server.pem"),
        "--tls-key-file", os.path.join(certs, "server-key.pem"),
        env={"MOCKFORGE_MQTT_MAX_QUEUED_MESSAGES": "1000000"})
    pid = mf.proc.pid
    wanted = set(args.protocols.split(","))
    amqp = {**AMQP, **(AMQPLIB if args.amqplib else {})} if "amqp" in wanted else {}
    scenarios = ([*MQTT] if "mqtt" in wanted else []) + [*amqp] + (
        ["kafka produce", "kafka consume"] if "kafka" in wanted else [])
    os.environ.setdefault("NODE_PATH", os.path.join(ROOT, "tests", "clients", "node_modules"))
    results = {s: {"plain": [], "tls": []} for s in scenarios}
    shakes = []
    try:
        for run in range(args.runs):
            order = ["plain", "tls"] if run % 2 == 0 else ["tls", "plain"]
            for scenario in MQTT if "mqtt" in wanted else []:
                for mode in order:
                    port = mf.ports["mqtt_tls" if mode == "tls" else "mqtt"]
                    r = mqtt_run(args, pid, port, ca if mode == "tls" else None, scenario,
                                 count(MQTT[scenario][1], MQTT[scenario][2]))
                    results[scenario][mode].append(r)
                    print(f"run {run} {scenario} {mode}: {r['rate']:.0f} msg/s, "
                          f"{r['cpu_us']:.2f} us CPU/msg", flush=True)
            for scenario in amqp:
                for mode in order:
                    port = mf.ports["amqp_tls" if mode == "tls" else "amqp"]
                    r = amqp_run(args, pid, port, ca if mode == "tls" else None, scenario,
                                 count(amqp[scenario][1], amqp[scenario][2]))
                    results[scenario][mode].append(r)
                    print(f"run {run} {scenario} {mode}: {r['rate']:.0f} msg/s, "
                          f"{r['cpu_us']:.2f} us CPU/msg, publisher busy "
                          f"{r['publisher_busy']:.2f}", flush=True)
            for mode in order if "kafka" in wanted else []:
                port = mf.ports["kafka_tls" if mode == "tls" else "kafka"]
                both = kafka_run(args, pid, port, ca if mode == "tls" else None,
                                 f"tls-bench-{run}-{mode}", count(*KAFKA_MESSAGES))
                for scenario, r in both.items():
                    results[scenario][mode].append(r)
                    print(f"run {run} {scenario} {mode}: {r['rate']:.0f} msg/s, "
                          f"{r['cpu_us']:.2f} us CPU/msg", flush=True)
            if "handshakes" not in wanted:
                continue
            h = handshake_run(mf, mf.ports["mqtt_tls"], ca, args.handshake_seconds)
            shakes.append(h)
            print(f"run {run} handshakes: {h['count']:.0f} in {args.handshake_seconds} s, "
                  f"{h['per_s']:.0f}/s, {h['per_cpu_s']:.0f} per mockforge CPU second "
                  f"(mockforge busy {h['broker_busy']:.2f} cores; mockforge counted "
                  f"{h['server_done']:.0f} completed, {h['server_failed']:.0f} failed)",
                  flush=True)
    finally:
        mf.close()

    rabbit = rabbitmq_runs(args, certs, ca, count) if args.rabbitmq else None

    print()
    worst = ratio_table(results, scenarios)
    if "amqp" in wanted:
        print()
        client_table(results, "mockforge")
    if rabbit is not None:
        print()
        print("RabbitMQ (Debian's rabbitmq-server, the same client and certificates; CPU is "
              "beam.smp's):")
        print()
        ratio_table(rabbit, list(rabbit))
    print()
    if shakes:
        handshake_table(shakes)
    print(f"\nworst TLS/plain ratio {worst:.2f}; load average at end {benchlib.load()}")
    bad = [r for s in scenarios for m in ("plain", "tls") for r in results[s][m] if r["bad"]]
    return 1 if bad else 0


def handshake_table(shakes):
    print("| full handshakes (openssl s_time -new, MQTT TLS port) | per second | per mockforge "
          "CPU second (per core) | mockforge cores busy | mockforge counted completed / failed "
          "(all runs) |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| median of {len(shakes)} | {benchlib.median([h['per_s'] for h in shakes]):.0f} | "
          f"{benchlib.median([h['per_cpu_s'] for h in shakes]):.0f} | "
          f"{benchlib.median([h['broker_busy'] for h in shakes]):.2f} | "
          f"{sum(h['server_done'] for h in shakes):.0f} / "
          f"{sum(h['server_failed'] for h in shakes):.0f} of "
          f"{sum(h['count'] for h in shakes):.0f} |")


if __name__ == "__main__":
    sys.exit(main())
