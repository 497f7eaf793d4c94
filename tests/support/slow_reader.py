"""Helpers of the tests that play a client which does not read (the per-connection caps).

slow_socket() connects with a small receive buffer, set before connecting so that the window
the broker sees stays small; read_exactly() reads a count of bytes from it.
kernel_send_buffer_max() is what the kernel lets a socket queue for sending, which bounds what
a broker can hand to a client that does not read; kernel_absorbs_for_a_stopped_reader() adds
the stopped client's receive buffer. metric_sum() adds up a counter's series
from the admin port's metrics, and settled() polls a count until it stops moving.
"""

import re
import socket
import time


def slow_socket(port, receive_buffer, host="127.0.0.1", timeout=120):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(timeout)
    sock.connect((host, port))
    return sock


def read_exactly(sock, count):
    out = bytearray()
    while len(out) < count:
        chunk = sock.recv(count - len(out))
        if not chunk:
            raise ConnectionError(f"closed after {len(out)} of {count} bytes")
        out += chunk
    return bytes(out)


def kernel_send_buffer_max():
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2])


def kernel_absorbs_for_a_stopped_reader():
    """What the sockets between a broker and a client that stopped reading can take: the
    broker's send buffer, which the kernel grows up to tcp_wmem's maximum, and the client's
    receive buffer, which does not grow while nothing reads it (tcp_rmem's default, doubled
    for the kernel's accounting)."""
    with open("/proc/sys/net/ipv4/tcp_rmem") as f:
        receive_default = int(f.read().split()[1])
    return kernel_send_buffer_max() + 2 * receive_default


def metric_sum(mf, pattern):
    """The sum of the values of the metric lines matching `pattern` (a regex of the name and
    labels, before the value) in mockforge's /__mockforge/metrics."""
    status, _, body = mf.request("GET", "/__mockforge/metrics")
    if status != 200:
        raise RuntimeError(f"metrics: HTTP {status}")
    return sum(int(float(value)) for value in
               re.findall(r"^" + pattern + r" ([0-9.e+]+)$", body, re.M))


def settled(count_now, interval=1.0):
    """count_now() once two readings `interval` apart agree."""
    count = count_now()
    while True:
        time.sleep(interval)
        now = count_now()
        if now == count:
            return count
        count = now
