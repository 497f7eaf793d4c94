"""Shared helpers of the benchmark drivers (bench/*/run.py).

Brokers are started with the test-suite helpers (tests/support): mockforge through
mockforge_harness.Mockforge, the peers through peers.py. This module adds what only the
benchmarks need: finding a broker's process, reading its CPU time and resident memory from
/proc, running a client program that prints one JSON object, and formatting ratios.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import mockforge_harness  # noqa: E402  (tests/support)
import peers  # noqa: E402  (tests/support)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # comm may contain spaces and parentheses: split after the last ")".
    comm = text[text.index("(") + 1:text.rindex(")")]
    rest = text[text.rindex(")") + 2:].split()
    return comm, rest


def cpu_seconds(pid):
    """The CPU time of a process's live threads, in seconds, from the scheduler's nanosecond
    clocks (the first field of /proc/<pid>/task/<tid>/schedstat); utime + stime from
    /proc/<pid>/stat (10 ms ticks) where those are not available. A thread that exits between
    two readings takes its time with it: the brokers measured keep their threads."""
    total, seen = 0, False
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
                    seen = True
            except (FileNotFoundError, ProcessLookupError):
                continue
    except FileNotFoundError:
        seen = False
    if seen:
        return total / 1e9
    _, rest = _stat_fields(pid)
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return (int(rest[11]) + int(rest[12])) / CLOCK_TICKS


def warm_host_memory(mib):
    """Touches and frees mib MiB of transparent huge pages in this process, so that the guest
    kernel's free lists hold pages the hypervisor backs. On a virtual machine with free page
    reporting (virtio-balloon), pages left free for a few seconds go back to the host, and the
    next process to fault them in pays the host's fault as well (about 20x the guest's own
    zeroing here: see docs/benchmarks.md). Run right before a measured phase, it takes that
    host cost out of the broker's figure; it changes nothing inside the broker."""
    import mmap
    size = mib << 20
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        m.madvise(mmap.MADV_HUGEPAGE)
    for off in range(0, size, 4096):
        m[off] = 1
    m.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_for_port(port, host="127.0.0.1", timeout=30.0):
    """Waits until something accepts TCP connections on host:port."""
    import socket
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")
            time.sleep(0.2)


def descendant(comm_prefix, root=None, timeout=10.0):
    """The pid of the first descendant of `root` (default: this process) whose command name
    starts with `comm_prefix`. The peers in tests/support/peers.py are started as children
    (RabbitMQ's beam.smp as a grandchild) without exposing their pid."""
    root = root or os.getpid()
    deadline = time.monotonic() + timeout
    while True:
        parents = {}
        names = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                comm, rest = _stat_fields(entry)
            except (OSError, ValueError):
                continue
            parents[int(entry)] = int(rest[1])
            names[int(entry)] = comm
        for pid, comm in sorted(names.items()):
            if not comm.startswith(comm_prefix):
                continue
            p = pid
            while p > 1:
                p = parents.get(p, 0)
                if p == root:
                    return pid
        if time.monotonic() > deadline:
            raise RuntimeError(f"no process {comm_prefix!r} below pid {root}")
        time.sleep(0.1)


def raise_nofile(want=65536):
    """Raises this process's open-file limit (inherited by the brokers and clients it starts)
    to `want` (root may raise the hard limit too), or else to the hard limit. Returns it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run_client(argv, timeout=600, stdin=None):
    """Runs a benchmark client; it prints one JSON object on its last stdout line. A non-zero
    exit (a message not accounted for, a broker error) raises with its stderr."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, stdin=stdin)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    result = json.loads(lines[-1]) if lines else {}
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}\n"
                           f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}")
    return result


class Measured:
    """Runs a client while counting the CPU time a broker process spends."""

    def __init__(self, broker_pid):
        self.pid = broker_pid

    def run(self, argv, timeout=600):
        """Runs argv; adds broker_cpu_s, and client_cpu_s (the client's utime+stime: the only
        child reaped meanwhile, as the brokers keep running)."""
        before = cpu_seconds(self.pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_client(argv, timeout=timeout)
        result["broker_cpu_s"] = cpu_seconds(self.pid) - before
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["client_cpu_s"] = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        return result


def delivery_stats(r):
    """Per-scenario figures from a delivering client's report (MQTT, AMQP), measured by
    Measured.run: rate, broker CPU per delivery, and how busy the broker and client were."""
    return {"rate": r["delivered"] / r["seconds"],
            "cpu_us": r["broker_cpu_s"] / r["delivered"] * 1e6 if r["delivered"] else 0,
            # The client's share of the wall time: near 1 means the client, not the broker,
            # limits the rate (on a shared machine, other processes count against it too).
            "client_busy": r["client_cpu_s"] / r["seconds"],
            "broker_busy": r["broker_cpu_s"] / r["seconds"],
            "missing": r["missing"], "duplicates": r["duplicates"]}


def scenario_argument_parser(doc):
    """The options every scenario driver (MQTT, AMQP) takes."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockforge", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply message counts")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mockforge-only", action="store_true")
    return parser


def mockforge(binary, *extra_args, env=None):
    """`mockforge serve` on ephemeral ports (tests/support/mockforge_harness.py)."""
    mockforge_harness.BIN = binary
    return mockforge_harness.Mockforge("--log-level", "warn", *extra_args, env=env)


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def header(title):
    print(f"## {title}")
    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average at start {load()} (shared machine)")
    print()


def median(values):
    values = sorted(values)
    n = len(values)
    if n == 0:
        return float("nan")
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"
