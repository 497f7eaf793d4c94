"""Consumer groups with librdkafka's C API (librdkafka_group.cpp): a member killed out of three,
a member restarted from committed offsets, and static membership across a restart."""

import os
import queue
import signal
import subprocess
import threading
import time
import uuid

from kafka_test_base import KafkaTestCase

GROUP_BIN = os.environ["LIBRDKAFKA_GROUP_BIN"]
SESSION_MS = 6000


class Member:
    """One librdkafka_group consumer process; its stdout lines are collected on a thread."""

    def __init__(self, bootstrap, topic, group, *options):
        self.proc = subprocess.Popen([GROUP_BIN, "consume", bootstrap, topic, group, *options],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.assignment = None  # the latest "assigned" set, None while revoked
        self.revokes = 0
        self.messages = []  # (partition, offset, value)
        self.errors = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.error_reader = threading.Thread(
            target=lambda: self.errors.extend(self.proc.stderr), daemon=True)
        self.error_reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def drain(self):
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            kind, _, rest = line.partition(" ")
            if kind == "assigned":
                self.assignment = {int(p) for p in rest.split(",") if p}
            elif kind == "revoked":
                self.assignment = None
                self.revokes += 1
            elif kind == "msg":
                partition, offset, value = rest.split(" ", 2)
                self.messages.append((int(partition), int(offset), value))

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait()

    def wait(self, timeout=60):
        """Waits for the process to exit; returns its stderr."""
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        self.error_reader.join(timeout=10)
        self.drain()
        return "".join(self.errors)


class LibrdkafkaGroupTest(KafkaTestCase):
    def setUp(self):
        self.members = []

    def tearDown(self):
        for member in self.members:
            if member.proc.poll() is None:
                member.proc.kill()
            member.wait()
            member.proc.stdout.close()
            member.proc.stderr.close()

    def topic(self, partitions):
        name = f"grp-{uuid.uuid4().hex[:8]}"
        created = subprocess.run([os.environ["MOCKFORGE_BIN"], "kafka", "topics", "create", name,
                                  "--partitions", str(partitions), "-b", self.bootstrap],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(created.returncode, 0, created.stderr)
        return name

    def produce(self, topic, partitions, prefix, count):
        result = subprocess.run([GROUP_BIN, "produce", self.bootstrap, topic, str(partitions),
                                 prefix, str(count)], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)

    def member(self, topic, group, *options):
        member = Member(self.bootstrap, topic, group, "--session-ms", str(SESSION_MS), *options)
        self.members.append(member)
        return member

    def wait_for(self, what, condition, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for member in self.members:
                member.drain()
            if condition():
                return time.monotonic()
            time.sleep(0.05)
        self.fail(f"timed out waiting for {what}")

    def test_three_members_one_killed_nothing_skipped(self):
        topic, group = self.topic(6), f"g-{uuid.uuid4().hex[:8]}"
        members = [self.member(topic, group) for _ in range(3)]
        self.wait_for("three members with two partitions each", lambda: all(
            m.assignment is not None and len(m.assignment) == 2 for m in members) and set().union(
                *(m.assignment for m in members)) == set(range(6)))
        self.produce(topic, 6, "a", 300)
        consumed = lambda ms, prefix: {v for m in ms for _, _, v in m.messages if v.startswith(prefix)}
        self.wait_for("the first 300 messages", lambda: len(consumed(members, "a-")) == 300)

        killed, survivors = members[0], members[1:]
        orphaned = set(killed.assignment)
        killed.proc.kill()
        killed_at = time.monotonic()
        self.produce(topic, 6, "b", 300)
        # The broker notices the dead member when its session times out, then the survivors
        # rejoin and split all six partitions between them.
        rebalanced_at = self.wait_for("the survivors to take over every partition", lambda: all(
            m.assignment is not None for m in survivors) and set().union(
                *(m.assignment for m in survivors)) == set(range(6)), timeout=SESSION_MS / 1000 + 30)
        self.assertLess(rebalanced_at - killed_at, SESSION_MS / 1000 + 15)
        self.assertTrue(orphaned)
        self.wait_for("the second 300 messages", lambda: len(consumed(survivors, "b-")) == 300)

        # At least once and nothing skipped: per partition, every offset 0..99 was seen.
        for member in survivors:
            member.stop()
        seen = {}
        for member in members:
            for partition, offset, _ in member.messages:
                seen.setdefault(partition, set()).add(offset)
        for partition in range(6):
            self.assertEqual(seen.get(partition), set(range(100)), f"partition {partition}")

    def test_restarted_member_resumes_exactly_from_committed_offsets(self):
        topic, group = self.topic(3), f"g-{uuid.uuid4().hex[:8]}"
        self.produce(topic, 3, "r", 90)
        first = self.member(topic, group, "--max", "40")
        err = first.wait()
        self.assertEqual(first.proc.returncode, 0, err)
        self.assertEqual(len(first.messages), 40)
        second = self.member(topic, group, "--max", "50")
        err = second.wait()
        self.assertEqual(second.proc.returncode, 0, err)
        # Exactly once across the restart: no message again, none missing, and each partition
        # picks up at the offset after the last one the first run committed.
        values = [v for m in (first, second) for _, _, v in m.messages]
        self.assertEqual(sorted(values), sorted(f"r-{i}" for i in range(90)))
        for partition in range(3):
            before = [o for p, o, _ in first.messages if p == partition]
            after = [o for p, o, _ in second.messages if p == partition]
            expected_start = max(before) + 1 if before else 0
            if after:
                self.assertEqual(min(after), expected_start, f"partition {partition}")

    def test_static_member_restart_keeps_assignment_without_rebalance(self):
        topic, group = self.topic(4), f"g-{uuid.uuid4().hex[:8]}"
        one = self.member(topic, group, "--instance", "static-one")
        two = self.member(topic, group, "--instance", "static-two")
        self.wait_for("two static members with two partitions each", lambda: all(
            m.assignment is not None and len(m.assignment) == 2 for m in (one, two)))
        kept = set(one.assignment)
        revokes_before = two.revokes
        # A static member that closes does not leave the group (KIP-345), so coming back with
        # the same group.instance.id within the session timeout gets the same partitions and
        # the other member is not disturbed.
        one.stop()
        self.assertEqual(one.proc.returncode, 0)
        again = self.member(topic, group, "--instance", "static-one")
        self.wait_for("the static member back", lambda: again.assignment is not None)
        self.assertEqual(again.assignment, kept)
        self.produce(topic, 4, "s", 40)
        self.wait_for("all 40 messages", lambda: len(
            {v for m in (again, two) for _, _, v in m.messages}) == 40)
        self.assertEqual(two.revokes, revokes_before)


if __name__ == "__main__":
    import unittest
    unittest.main()
