"""A `mockforge tail` process whose events are collected as they arrive."""

import json
import signal
import subprocess
import threading

from mockforge_harness import BIN

# How long to wait for events that must come. A safety net against a hang,
# not a timing assertion: tests wait for what they expect, then check it.
PATIENCE = 60


class Tail:
    def __init__(self, mf, *args, json_output=True):
        self.lines = []
        self.cond = threading.Condition()
        command = [BIN, "tail", "--admin-url", f"http://127.0.0.1:{mf.ports['admin']}", *args]
        if json_output:
            command.append("--json")
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        # The server registers the reader before it answers; the CLI says
        # "tailing" once the answer's head is in, so events from now on are seen.
        first = self.proc.stderr.readline()
        if not first.startswith("tailing"):
            self.proc.kill()
            raise AssertionError(f"mockforge tail did not start: {first}{self.proc.stderr.read()}")
        self.stderr_lines = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def events(self):
        with self.cond:
            return [json.loads(line) for line in self.lines]

    def wait_for(self, predicate, what):
        """Waits until predicate(events) is true; returns the events."""
        with self.cond:
            ok = self.cond.wait_for(
                lambda: predicate([json.loads(line) for line in self.lines]), timeout=PATIENCE)
            if not ok:
                raise AssertionError(f"never saw {what}; got:\n" + "\n".join(self.lines))
            return [json.loads(line) for line in self.lines]

    def wait_for_lines(self, predicate, what):
        with self.cond:
            ok = self.cond.wait_for(lambda: predicate(self.lines), timeout=PATIENCE)
            if not ok:
                raise AssertionError(f"never saw {what}; got:\n" + "\n".join(self.lines))
            return list(self.lines)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def find(events, **fields):
    """The events whose fields equal `fields` (a callable value is a predicate)."""
    out = []
    for event in events:
        if all((value(event.get(key)) if callable(value) else event.get(key) == value)
               for key, value in fields.items()):
            out.append(event)
    return out
