"""Snapshots carry the simulated cluster's replica assignments (kafka.brokers), with real
clients: on three brokers confluent-kafka's AdminClient creates a topic with manual replica
assignments, one with a replication factor of 2, adds a partition with its assignment, and a
raw AlterPartitionReassignments moves a partition; after POST /__mockforge/api/snapshot,
a reset (the default assignments) and POST /__mockforge/api/restore, and after a restart
with storage.snapshot_file, Metadata lists the same replicas, ISR and leaders, leader epochs
have not gone back, and a consumer reads the produced messages. An ongoing reassignment
(kafka.reassignment_delay) is saved as completed. Restored into two brokers, node 2 is
dropped from the lists (a list left empty gets the default replicas) with a warning."""

import os
import shutil
import tempfile
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from mockforge_harness import Mockforge
from test_cluster_replicas import RawFlexible

MANUAL = "snap.manual"
FACTOR = "snap.factor"
PER_PARTITION = 5


class ClusterSnapshotTest(unittest.TestCase):
    env = {}

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mockforge-cluster-snapshots-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def start(self, brokers, env=None):
        mf = Mockforge("--no-mqtt", "--no-amqp", "--kafka-brokers", str(brokers),
                       "--snapshot-dir", self.dir, env={**self.env, **(env or {})})
        self.addCleanup(mf.close)
        mf.bootstrap = ",".join(
            f"127.0.0.1:{mf.ports['kafka' if node == 0 else f'kafka_{node}']}"
            for node in range(brokers))
        return mf

    def api(self, mf, method, path, expect=200):
        status, body = mf.api(method, path)
        self.assertEqual(status, expect, body)
        return body

    def cluster(self, mf, topic):
        """{partition: (replicas, isr, leader, leader epoch)} from the admin API."""
        return {p["partition"]: (p["replicas"], p["isr"], p["leader"], p["leader_epoch"])
                for p in self.api(mf, "GET", "/__mockforge/api/kafka/cluster")["partitions"]
                if p["topic"] == topic}

    def metadata(self, mf, topic):
        """{partition: (replicas, isr, leader)} as a client's Metadata request sees them."""
        partitions = AdminClient({"bootstrap.servers": mf.bootstrap}).list_topics(
            topic, timeout=10).topics[topic].partitions
        return {p: (list(i.replicas), list(i.isrs), i.leader) for p, i in partitions.items()}

    def setup_topics(self, mf):
        admin = AdminClient({"bootstrap.servers": mf.bootstrap})
        for future in admin.create_topics([
                NewTopic(MANUAL, num_partitions=2, replica_assignment=[[2, 0], [1, 2]]),
                NewTopic(FACTOR, num_partitions=2, replication_factor=2)]).values():
            future.result(15)
        for future in admin.create_partitions(
                [NewPartitions(MANUAL, 3, replica_assignment=[[0, 1]])]).values():
            future.result(15)
        producer = Producer({"bootstrap.servers": mf.bootstrap})
        for topic, partitions in ((MANUAL, 3), (FACTOR, 2)):
            for p in range(partitions):
                for n in range(PER_PARTITION):
                    producer.produce(topic, value=f"{topic}-{p}-{n}".encode(), partition=p)
        self.assertEqual(producer.flush(15), 0)

    def reassign(self, mf, moves):
        client = RawFlexible(mf.ports["kafka"])
        try:
            error, results = client.alter_reassignments({MANUAL: moves})
        finally:
            client.close()
        self.assertEqual(error, 0)
        self.assertTrue(all(code == 0 for code, _ in results.values()), results)

    def assert_messages(self, mf):
        consumer = Consumer({"bootstrap.servers": mf.bootstrap, "group.id": "snap-check",
                             "enable.auto.commit": False})
        wanted = {(topic, p) for topic, n in ((MANUAL, 3), (FACTOR, 2)) for p in range(n)}
        consumer.assign([TopicPartition(t, p, 0) for t, p in sorted(wanted)])
        values = set()
        deadline = time.monotonic() + 30
        while len(values) < len(wanted) * PER_PARTITION and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                values.add(msg.value().decode())
        consumer.close()
        self.assertEqual(values, {f"{t}-{p}-{n}" for t, p in wanted for n in range(PER_PARTITION)})

    def wait_metadata(self, mf, topic, expected):
        """Metadata as expected (a client's view), waiting out its first refreshes."""
        seen = {}

        def matches():
            seen.update(self.metadata(mf, topic))
            return seen == expected

        mf.wait_until(matches, f"{topic} metadata {expected}, seen {seen}")


class SnapshotRestoreTest(ClusterSnapshotTest):
    def test_snapshot_restore_and_restart_keep_the_assignments(self):
        mf = self.start(3)
        self.setup_topics(mf)
        self.reassign(mf, {1: [0, 2]})  # leader 1 leaves: 0 leads at a new epoch
        manual, factor = self.metadata(mf, MANUAL), self.metadata(mf, FACTOR)
        self.assertEqual({p: r for p, (r, _, _) in manual.items()},
                         {0: [2, 0], 1: [0, 2], 2: [0, 1]})
        self.assertEqual({p: leader for p, (_, _, leader) in manual.items()}, {0: 2, 1: 0, 2: 0})
        self.assertTrue(all(len(r) == 2 for r, _, _ in factor.values()))
        epochs = {p: state[3] for p, state in self.cluster(mf, MANUAL).items()}
        self.assertEqual(epochs[1], 1)
        self.api(mf, "POST", "/__mockforge/api/snapshot?path=three.snapshot")

        # A reset drops the topics; the cluster is back to its default assignments.
        self.api(mf, "POST", "/__mockforge/api/reset")
        self.assertEqual(self.cluster(mf, MANUAL), {})

        self.api(mf, "POST", "/__mockforge/api/restore?path=three.snapshot")
        self.wait_metadata(mf, MANUAL, manual)
        self.wait_metadata(mf, FACTOR, factor)
        for p, state in self.cluster(mf, MANUAL).items():
            self.assertEqual(state[:3], (manual[p][0], manual[p][1], manual[p][2]))
            self.assertGreaterEqual(state[3], epochs[p])
        self.assert_messages(mf)

        # A restart restoring the snapshot at start-up (storage.snapshot_file).
        snapshot = os.path.join(self.dir, "three.snapshot")
        mf.close()
        again = self.start(3, env={"MOCKFORGE_STORAGE_SNAPSHOT_FILE": snapshot})
        self.assertEqual(self.metadata(again, MANUAL), manual)
        self.assertEqual(self.metadata(again, FACTOR), factor)
        for p, state in self.cluster(again, MANUAL).items():
            self.assertGreaterEqual(state[3], epochs[p])
        self.assert_messages(again)

    def test_restored_into_fewer_brokers_drops_the_missing_ones(self):
        mf = self.start(3)
        self.setup_topics(mf)
        self.reassign(mf, {1: [2]})
        self.api(mf, "POST", "/__mockforge/api/snapshot?path=three.snapshot")
        mf.close()

        two = self.start(2)
        self.api(two, "POST", "/__mockforge/api/restore?path=three.snapshot")
        replicas = {p: state[0] for p, state in self.cluster(two, MANUAL).items()}
        self.assertEqual(replicas[0], [0])      # 2 dropped
        self.assertEqual(len(replicas[1]), 2)   # [2]: nothing left, the defaults of 2 brokers
        self.assertEqual(replicas[2], [0, 1])
        self.assertEqual({p: r for p, (r, _, _) in self.metadata(two, MANUAL).items()}, replicas)
        self.assertIn("snap.manual-0: replicas [2,0] name brokers this cluster", two.output())
        self.assertIn("snap.manual-1: replicas [2] name brokers this cluster", two.output())
        self.assertIn("the default replicas instead", two.output())
        self.assert_messages(two)

        # One broker: every list is [0]; the capped replication factor is logged too.
        one = self.start(1)
        self.api(one, "POST", "/__mockforge/api/restore?path=three.snapshot")
        self.assertEqual(self.metadata(one, MANUAL), {p: ([0], [0], 0) for p in range(3)})
        self.assertEqual(self.metadata(one, FACTOR), {p: ([0], [0], 0) for p in range(2)})
        self.assertIn("topic snap.factor: replication factor 2 capped at 1", one.output())
        self.assertIn("snap.manual-2: replicas [0,1] name brokers this cluster (kafka.brokers: 1)",
                      one.output())
        self.assert_messages(one)


class OngoingReassignmentTest(ClusterSnapshotTest):
    env = {"MOCKFORGE_KAFKA_REASSIGNMENT_DELAY": "600s"}

    def test_an_ongoing_reassignment_is_saved_as_completed(self):
        mf = self.start(3)
        self.setup_topics(mf)
        self.reassign(mf, {0: [1, 0]})
        self.assertEqual(self.cluster(mf, MANUAL)[0][0], [1, 0, 2])  # target, then removing
        self.api(mf, "POST", "/__mockforge/api/snapshot?path=ongoing.snapshot")
        self.api(mf, "POST", "/__mockforge/api/restore?path=ongoing.snapshot")
        self.assertEqual(self.cluster(mf, MANUAL)[0][:3], ([1, 0], [1, 0], 1))
        client = RawFlexible(mf.ports["kafka"])
        try:
            self.assertEqual(client.list_reassignments(), (0, []))
        finally:
            client.close()
        self.wait_metadata(mf, MANUAL, {0: ([1, 0], [1, 0], 1), 1: ([1, 2], [1, 2], 1),
                                        2: ([0, 1], [0, 1], 0)})
        self.assert_messages(mf)


if __name__ == "__main__":
    unittest.main()
