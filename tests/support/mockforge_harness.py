"""Starts the real mockforge binary for tests and talks to its admin port."""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("MOCKFORGE_BIN", "mockforge")


class Mockforge:
    """A `mockforge serve` process on ephemeral ports, ready when constructed."""

    def __init__(self, *extra_args, env=None, ready_timeout=15.0):
        self.tmp = tempfile.mkdtemp(prefix="mockforge-test-")
        self.ready_file = os.path.join(self.tmp, "ready.json")
        self.log_path = os.path.join(self.tmp, "serve.log")
        args = [BIN, "serve", "--admin-port", "0", "--kafka-port", "0", "--mqtt-port", "0",
                "--mqtt-ws-port", "0", "--amqp-port", "0", "--ready-file", self.ready_file,
                *extra_args]
        self.log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        self.info = self._wait_ready(ready_timeout)
        self.ports = self.info["ports"]

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mockforge exited with {self.proc.returncode}:\n{self.output()}")
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as f:
                    return json.load(f)
            time.sleep(0.002)
        raise TimeoutError(f"mockforge not ready after {timeout}s:\n{self.output()}")

    def wait_until(self, predicate, what, timeout=30.0):
        """Polls `predicate` until it is true; raises AssertionError naming `what` (with the
        server's output) when `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}\n{self.output()[-3000:]}")

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, host="127.0.0.1", headers=None):
        conn = http.client.HTTPConnection(host, self.ports["admin"], timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read().decode()
        finally:
            conn.close()

    def api(self, method, path, body=None):
        """A JSON admin call: sends `body` as JSON, returns (status, decoded body or None)."""
        status, _, text = self.request(method, path,
                                       body=None if body is None else json.dumps(body))
        return status, json.loads(text) if text else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=10):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def occupied_port(host="127.0.0.1"):
    """A port some other socket is listening on."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def files_dir(files, prefix="mockforge-files-"):
    """A new temporary directory holding `files` (name -> text)."""
    directory = tempfile.mkdtemp(prefix=prefix)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as out:
            out.write(text)
    return directory
