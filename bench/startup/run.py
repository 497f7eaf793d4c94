#!/usr/bin/env python3
"""Start-up benchmark: time from exec to ready, and idle resident memory.

Runs, in one invocation and alternating between them:
  mockforge serve (all protocols, ephemeral ports)  ready = --ready-file written
  librdkafka mock cluster (rdkafka_mock.h)          ready = "ready" on stdout
  Debian mosquitto                                   ready = its port accepts TCP
and prints a Markdown table with medians and ratios.

  bench/startup/run.py --mockforge build/release/cli/mockforge \
      --rdkafka-mock build/release/bench/peers/rdkafka_mock_cluster [--runs 20]
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ms(pid):
    """CPU time the process's threads have run so far (schedstat, nanoseconds), in ms. Unlike
    the wall time to ready, it hardly changes with the machine's load."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_mockforge(binary, tmp, idle):
    ready = os.path.join(tmp, "ready.json")
    if os.path.exists(ready):
        os.unlink(ready)
    args = [binary, "serve", "--log-level", "warn", "--ready-file", ready]
    for flag in ("--admin-port", "--kafka-port", "--mqtt-port", "--mqtt-ws-port", "--amqp-port"):
        args += [flag, "0"]
    begin = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise RuntimeError("mockforge exited early")
        time.sleep(0.0002)
    elapsed = time.perf_counter() - begin
    cpu = cpu_ms(proc.pid)
    time.sleep(idle)
    rss = rss_kib(proc.pid)
    stop(proc)
    return elapsed, rss, cpu


def run_rdkafka_mock(binary, idle):
    begin = time.perf_counter()
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.strip() == "ready":
            break
    elapsed = time.perf_counter() - begin
    cpu = cpu_ms(proc.pid)
    time.sleep(idle)
    rss = rss_kib(proc.pid)
    proc.stdin.close()
    stop(proc)
    return elapsed, rss, cpu


def run_mosquitto(binary, tmp, idle):
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        if os.geteuid() == 0:
            f.write("user root\n")
    begin = time.perf_counter()
    proc = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("mosquitto exited early")
            time.sleep(0.0002)
    elapsed = time.perf_counter() - begin
    cpu = cpu_ms(proc.pid)
    time.sleep(idle)
    rss = rss_kib(proc.pid)
    stop(proc)
    return elapsed, rss, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--rdkafka-mock", required=True)
    parser.add_argument("--mosquitto", default=shutil.which("mosquitto") or "/usr/sbin/mosquitto")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle", type=float, default=0.3, help="seconds idle before reading RSS")
    args = parser.parse_args()

    results = {"mockforge (all protocols)": [], "librdkafka mock cluster": [], "mosquitto": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            results["mockforge (all protocols)"].append(run_mockforge(args.mockforge, tmp, args.idle))
            results["librdkafka mock cluster"].append(run_rdkafka_mock(args.rdkafka_mock, args.idle))
            results["mosquitto"].append(run_mosquitto(args.mosquitto, tmp, args.idle))

    base_ms = statistics.median(t for t, _, _ in results["mockforge (all protocols)"]) * 1000
    base_rss = statistics.median(r for _, r, _ in results["mockforge (all protocols)"]) / 1024
    print(f"runs: {args.runs}, idle before RSS: {args.idle}s, cores: {os.cpu_count()}, "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print()
    print("| server | exec to ready, median (ms) | p90 (ms) | CPU until ready, median (ms) | idle RSS, median (MiB) | ready time vs mockforge | RSS vs mockforge |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, samples in results.items():
        times = sorted(t * 1000 for t, _, _ in samples)
        rss = statistics.median(r for _, r, _ in samples) / 1024
        cpu = statistics.median(c for _, _, c in samples)
        median = statistics.median(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        print(f"| {name} | {median:.1f} | {p90:.1f} | {cpu:.1f} | {rss:.1f} | {median / base_ms:.2f}x | {rss / base_rss:.2f}x |")


if __name__ == "__main__":
    main()
