"""Replica sets, the ISR, reassignments, preferred leaders and coordinator outages of the
simulated Kafka cluster (kafka.brokers), with real clients: five brokers, so a partition has
three replicas (min(3, N)); confluent-kafka and kafka-python read replicas, ISR and offline
replicas from Metadata; an acks=all producer gets NOT_ENOUGH_REPLICAS once the ISR is below
min.insync.replicas; an idempotent producer loses and duplicates nothing while partitions are
reassigned and a stopped preferred leader takes its partitions back (auto leader rebalance);
a consumer group (confluent-kafka and KafkaJS) rides out its coordinator being unavailable,
then loading, for a while.

AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders go as raw frames
(RawFlexible below): neither confluent-kafka 1.7 nor kafka-python 2.0 nor KafkaJS has an admin
call for them, and librdkafka 2.0.2's C API has none either."""

import json
import os
import struct
import subprocess
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic
from kafka.admin import KafkaAdminClient

from kafka_wire import compact_array, compact_string
from mockforge_harness import BIN, Mockforge
from test_cluster import RawClient

BROKERS = 5
NOT_ENOUGH_REPLICAS = 19
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
INVALID_REPLICA_ASSIGNMENT = 39
ELECTION_NOT_NEEDED = 84
NO_REASSIGNMENT_IN_PROGRESS = 85
PREFERRED_LEADER_NOT_AVAILABLE = 80


class RawFlexible(RawClient):
    """The reassignment requests (flexible versions) as bytes."""

    compact_string = staticmethod(compact_string)
    compact_array = staticmethod(compact_array)

    def alter_reassignments(self, topics):
        """AlterPartitionReassignments v0 ({topic: {partition: replicas or None}}):
        (error, {(topic, partition): (code, message)})."""
        def partition(item):
            index, replicas = item
            encoded = struct.pack(">i", index)
            encoded += self.compact_array(replicas, lambda r: struct.pack(">i", r))
            return encoded + b"\x00"

        def topic(item):
            name, partitions = item
            return (self.compact_string(name) +
                    self.compact_array(list(partitions.items()), partition) + b"\x00")

        body = struct.pack(">i", 60000) + self.compact_array(list(topics.items()), topic) + b"\x00"
        data = self.call(45, 0, body, flexible=True)
        data.take(">i")
        error = data.take(">h")
        data.compact_string()
        results = {}

        def read_partition(name):
            index, code = data.take(">i"), data.take(">h")
            results[(name, index)] = (code, data.compact_string())
            data.tags()

        def read_topic():
            name = data.compact_string()
            data.compact_array(lambda: read_partition(name))
            data.tags()

        data.compact_array(read_topic)
        return error, results

    def list_reassignments(self, topics=None):
        """ListPartitionReassignments v0: (error, [(topic, partition, replicas, adding,
        removing)])."""
        body = struct.pack(">i", 60000)
        body += self.compact_array(
            None if topics is None else list(topics.items()),
            lambda item: (self.compact_string(item[0]) +
                          self.compact_array(item[1], lambda p: struct.pack(">i", p)) + b"\x00"))
        data = self.call(46, 0, body + b"\x00", flexible=True)
        data.take(">i")
        error = data.take(">h")
        data.compact_string()
        ongoing = []

        def read_partition(name):
            index = data.take(">i")
            ongoing.append((name, index, data.int32s(), data.int32s(), data.int32s()))
            data.tags()

        def read_topic():
            name = data.compact_string()
            data.compact_array(lambda: read_partition(name))
            data.tags()

        data.compact_array(read_topic)
        return error, ongoing


class ReplicaTest(unittest.TestCase):
    env = None

    def setUp(self):
        self.server = Mockforge("--no-mqtt", "--no-amqp", "--kafka-brokers", str(BROKERS),
                                env=self.env)
        self.ports = [self.server.ports["kafka" if node == 0 else f"kafka_{node}"]
                      for node in range(BROKERS)]
        self.bootstrap = ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def tearDown(self):
        self.server.close()

    def cluster(self):
        status, body = self.server.api("GET", "/__mockforge/api/kafka/cluster")
        self.assertEqual(status, 200, body)
        return body

    def partitions(self, topic):
        return {p["partition"]: p for p in self.cluster()["partitions"] if p["topic"] == topic}

    def broker_action(self, node, action, expect=200):
        status, body = self.server.api(
            "POST", f"/__mockforge/api/kafka/cluster/brokers/{node}/{action}")
        self.assertEqual(status, expect, body)
        return body

    def set_isr(self, topic, partition, isr, expect=200):
        status, body = self.server.api("POST", "/__mockforge/api/kafka/cluster/isr",
                                       {"topic": topic, "partition": partition, "isr": isr})
        self.assertEqual(status, expect, body)
        return body

    def create(self, *topics):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        for name, future in admin.create_topics(list(topics)).items():
            future.result(15)

    def metadata(self, topic):
        return AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(
            topic, timeout=10).topics[topic].partitions

    def raw(self, node=0):
        return RawFlexible(self.ports[node])


class ReplicasAndIsrTest(ReplicaTest):
    def test_replicas_isr_and_offline_replicas_in_metadata_and_log_dirs(self):
        self.create(NewTopic("three", num_partitions=5),
                    NewTopic("two", num_partitions=2, replication_factor=2),
                    NewTopic("manual", num_partitions=2, replica_assignment=[[4, 1], [2, 3]]))
        for p, info in self.metadata("three").items():
            self.assertEqual(len(info.replicas), 3)
            self.assertEqual(info.replicas[0], info.leader)
            self.assertEqual(info.replicas[1:], [(info.leader + 1) % BROKERS,
                                                 (info.leader + 2) % BROKERS])
            self.assertEqual(info.isrs, info.replicas)
        self.assertTrue(all(len(i.replicas) == 2 for i in self.metadata("two").values()))
        manual = self.metadata("manual")
        self.assertEqual((manual[0].replicas, manual[0].leader), ([4, 1], 4))
        self.assertEqual((manual[1].replicas, manual[1].leader), ([2, 3], 2))
        # A bad manual assignment is refused as Kafka refuses it.
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        with self.assertRaises(Exception) as refused:
            admin.create_topics([NewTopic("bad", num_partitions=1,
                                          replica_assignment=[[1, 9]])])["bad"].result(10)
        self.assertEqual(refused.exception.args[0].code(), KafkaError.INVALID_REPLICA_ASSIGNMENT)

        # Broker 1 stops: it leaves the ISR of manual-0 and shows as offline there
        # (kafka-python reads offline_replicas from Metadata v5+).
        self.broker_action(1, "stop")
        manual = self.metadata("manual")
        self.assertEqual((manual[0].isrs, manual[0].leader), ([4], 4))
        admin = KafkaAdminClient(bootstrap_servers=[f"127.0.0.1:{self.ports[0]}"])
        try:
            (described,) = admin.describe_topics(["manual"])
        finally:
            admin.close()
        by_partition = {p["partition"]: p for p in described["partitions"]}
        self.assertEqual(by_partition[0]["replicas"], [4, 1])
        self.assertEqual(by_partition[0]["isr"], [4])
        self.assertEqual(by_partition[0]["offline_replicas"], [1])
        self.assertEqual(by_partition[1]["offline_replicas"], [])
        # The leader stops too: offline (no live ISR member), LEADER_NOT_AVAILABLE.
        self.broker_action(4, "stop")
        state = self.partitions("manual")[0]
        self.assertEqual((state["leader"], state["isr"], state["offline_replicas"]),
                         (-1, [4], [4, 1]))
        self.assertEqual(self.metadata("manual")[0].error.code(), KafkaError.LEADER_NOT_AVAILABLE)
        # Broker 4 comes back: it was the last ISR member, so it leads again; 1 rejoins the ISR.
        self.broker_action(4, "start")
        self.broker_action(1, "start")
        state = self.partitions("manual")[0]
        self.assertEqual((state["leader"], state["isr"], state["offline_replicas"]),
                         (4, [4, 1], []))

        # DescribeLogDirs: each broker lists the partitions it holds a replica of.
        for node in range(BROKERS):
            client = RawClient(self.ports[node])
            try:
                (_, sizes), = client.describe_log_dirs_v1({"manual": [0, 1]})
            finally:
                client.close()
            expected = [("manual", p) for p, replicas in enumerate([[4, 1], [2, 3]])
                        if node in replicas]
            self.assertEqual(sorted(sizes), expected, node)

    def test_manual_assignments_may_name_stopped_brokers_but_not_only_them(self):
        # As Kafka's controller checks them: a stopped (fenced) broker is still registered, so
        # CreateTopics and CreatePartitions may name it, as long as one replica of each
        # partition is running; that one leads.
        self.broker_action(1, "stop")
        self.broker_action(2, "stop")
        self.create(NewTopic("with-stopped", num_partitions=1, replica_assignment=[[1, 0]]))
        state = self.partitions("with-stopped")[0]
        self.assertEqual((state["replicas"], state["leader"], state["isr"]), ([1, 0], 0, [0]))
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.ports[0]}"})
        with self.assertRaises(Exception) as refused:
            admin.create_topics([NewTopic("all-stopped", num_partitions=1,
                                          replica_assignment=[[1, 2]])])["all-stopped"].result(10)
        self.assertEqual(refused.exception.args[0].code(), KafkaError.INVALID_REPLICA_ASSIGNMENT)
        self.assertIn("fenced or in controlled shutdown", refused.exception.args[0].str())
        with self.assertRaises(Exception) as refused:
            admin.create_partitions([NewPartitions("with-stopped", 2, replica_assignment=[[2, 1]])])[
                "with-stopped"].result(10)
        self.assertEqual(refused.exception.args[0].code(), KafkaError.INVALID_REPLICA_ASSIGNMENT)
        admin.create_partitions([NewPartitions("with-stopped", 2, replica_assignment=[[2, 3]])])[
            "with-stopped"].result(10)
        state = self.partitions("with-stopped")[1]
        self.assertEqual((state["replicas"], state["leader"], state["isr"]), ([2, 3], 3, [3]))
        # Broker 1 comes back and rejoins the ISR of the partition that named it.
        self.broker_action(1, "start")
        self.assertEqual(sorted(self.partitions("with-stopped")[0]["isr"]), [0, 1])

    def test_isr_changes_and_not_enough_replicas_for_acks_all(self):
        self.create(NewTopic("acks", num_partitions=1,
                             config={"min.insync.replicas": "2"}))
        state = self.partitions("acks")[0]
        leader, followers = state["leader"], state["replicas"][1:]
        results = []

        def produce(acks, value):
            producer = Producer({"bootstrap.servers": self.bootstrap, "acks": acks,
                                 "retries": 0, "message.timeout.ms": 10000})
            producer.produce("acks", value=value, partition=0,
                             on_delivery=lambda err, msg: results.append(err))
            self.assertEqual(producer.flush(15), 0)
            return results.pop()

        self.assertIsNone(produce("all", b"1"))
        # The ISR shrinks to the leader alone: acks=all is refused, acks=1 still appends.
        shrunk = self.set_isr("acks", 0, [leader])
        self.assertEqual((shrunk["isr"], shrunk["leader"]), ([leader], leader))
        self.assertEqual(self.metadata("acks")[0].isrs, [leader])
        error = produce("all", b"2")
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), KafkaError.NOT_ENOUGH_REPLICAS)
        self.assertIsNone(produce("1", b"3"))
        # A leader move must pick an ISR member.
        status, body = self.server.api("POST", "/__mockforge/api/kafka/cluster/leader",
                                       {"topic": "acks", "partition": 0,
                                        "broker": followers[0]})
        self.assertEqual(status, 409, body)
        self.assertIn("not in the ISR", body["error"]["message"])
        # Bad ISRs: not a replica, empty.
        outsider = next(n for n in range(BROKERS) if n not in state["replicas"])
        self.set_isr("acks", 0, [outsider], expect=409)
        self.set_isr("acks", 0, [], expect=409)
        # The ISR without the leader: the first member in replica order leads, a new epoch.
        moved = self.set_isr("acks", 0, followers)
        self.assertEqual((moved["leader"], moved["leader_epoch"]), (followers[0], 1))
        self.assertIsNone(produce("all", b"4"))
        values = self.read("acks", 3)
        self.assertEqual(values, [b"1", b"3", b"4"])

    def read(self, topic, count):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "reader",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, 0, 0)])
        values = []
        deadline = time.monotonic() + 20
        while len(values) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                values.append(msg.value())
        consumer.close()
        return values


class ReassignmentTest(ReplicaTest):
    def test_reassignments_move_replicas_and_leaders_under_an_idempotent_producer(self):
        topic, partitions, count = "moving", 3, 3000
        self.create(NewTopic(topic, num_partitions=partitions))
        failures, delivered = [], []
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 2, "message.timeout.ms": 60000,
                             "topic.metadata.refresh.interval.ms": 1000})
        moves = {}
        chaos_done = threading.Event()

        def chaos():
            try:
                client = self.raw(2)
                try:
                    time.sleep(0.3)
                    for partition in range(partitions):
                        before = self.partitions(topic)[partition]
                        # A new replica set without the current leader.
                        target = [n for n in range(BROKERS) if n != before["leader"]][:3]
                        target = target[partition % 3:] + target[:partition % 3]
                        error, results = client.alter_reassignments({topic: {partition: target}})
                        moves[partition] = (before, target, error, results)
                        time.sleep(0.3)
                finally:
                    client.close()
            finally:
                chaos_done.set()

        thread = threading.Thread(target=chaos)
        thread.start()
        for i in range(count):
            while True:
                try:
                    producer.produce(topic, value=str(i).encode(), partition=i % partitions,
                                     on_delivery=lambda err, msg: (failures if err else
                                                                   delivered).append(err or msg))
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            if i % 100 == 0:
                time.sleep(0.05)
        thread.join(30)
        self.assertTrue(chaos_done.is_set())
        self.assertEqual(producer.flush(60), 0)
        self.assertEqual(failures, [])
        self.assertEqual(len(delivered), count)
        after = self.partitions(topic)
        for partition, (before, target, error, results) in moves.items():
            self.assertEqual(error, 0)
            self.assertEqual(results, {(topic, partition): (0, None)})
            self.assertEqual(after[partition]["replicas"], target)
            self.assertEqual(after[partition]["isr"], target)
            self.assertEqual(after[partition]["leader"], target[0])
            self.assertEqual(after[partition]["leader_epoch"], before["leader_epoch"] + 1)
        metadata = self.metadata(topic)
        self.assertEqual({p: i.replicas for p, i in metadata.items()},
                         {p: moves[p][1] for p in range(partitions)})
        # Everything once, in order, read from the new leaders.
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "check",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        values = []
        deadline = time.monotonic() + 30
        while len(values) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                values.append((msg.partition(), int(msg.value())))
        consumer.close()
        self.assertEqual(sorted(v for _, v in values), list(range(count)))
        for partition in range(partitions):
            mine = [v for p, v in values if p == partition]
            self.assertEqual(mine, sorted(mine))

    def test_refused_reassignments_and_list(self):
        self.create(NewTopic("r", num_partitions=1))
        client = self.raw(0)
        try:
            self.broker_action(3, "stop")
            error, results = client.alter_reassignments(
                {"r": {0: None, 5: [0]}, "missing": {0: [0]}})
            self.assertEqual(error, 0)
            self.assertEqual(results[("r", 0)][0], NO_REASSIGNMENT_IN_PROGRESS)
            self.assertEqual(results[("r", 5)][0], 3)
            self.assertEqual(results[("missing", 0)][0], 3)
            for bad in ([1, 1], [9], [3], []):
                _, results = client.alter_reassignments({"r": {0: bad}})
                self.assertEqual(results[("r", 0)][0], INVALID_REPLICA_ASSIGNMENT, bad)
            # Without kafka.reassignment_delay they complete at once: none is listed.
            self.assertEqual(client.list_reassignments(), (0, []))
            self.assertEqual(client.list_reassignments({"r": [0]}), (0, []))
        finally:
            client.close()


class DelayedReassignmentTest(ReplicaTest):
    env = {"MOCKFORGE_KAFKA_REASSIGNMENT_DELAY": "1500ms"}

    def test_a_delayed_reassignment_is_listed_until_it_completes(self):
        topic = "slow"
        self.create(NewTopic(topic, num_partitions=2))
        before = self.partitions(topic)
        old = before[0]["replicas"]
        target = [n for n in range(BROKERS) if n not in old][:2] + [old[1]]
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 2, "topic.metadata.refresh.interval.ms": 500})
        failures, sent = [], 0

        def produce(n):
            nonlocal sent
            for _ in range(n):
                producer.produce(topic, value=str(sent).encode(), partition=0,
                                 on_delivery=lambda err, msg: err and failures.append(err))
                sent += 1
            self.assertEqual(producer.flush(30), 0)

        produce(200)
        client = self.raw(1)
        try:
            self.assertEqual(client.alter_reassignments({topic: {0: target, 1: [0, 1, 2]}}),
                             (0, {(topic, 0): (0, None), (topic, 1): (0, None)}))
            error, ongoing = client.list_reassignments()
            self.assertEqual(error, 0)
            removing = [n for n in old if n not in target]
            self.assertEqual(sorted(ongoing), sorted([
                (topic, 0, target + removing, [n for n in target if n not in old], removing),
                (topic, 1, [0, 1, 2] + [n for n in before[1]["replicas"] if n not in (0, 1, 2)],
                 [n for n in (0, 1, 2) if n not in before[1]["replicas"]],
                 [n for n in before[1]["replicas"] if n not in (0, 1, 2)])]))
            self.assertEqual(client.list_reassignments({topic: [0]})[1][0][:2], (topic, 0))
            self.assertEqual(client.list_reassignments({"other": [0]}), (0, []))
            # Meanwhile Metadata lists the target then the replicas being removed; the leader
            # and ISR have not moved.
            meta = self.metadata(topic)[0]
            self.assertEqual(meta.replicas, target + removing)
            self.assertEqual((meta.leader, meta.isrs), (before[0]["leader"], old))
            # Cancelling partition 1 puts its replicas back.
            self.assertEqual(client.alter_reassignments({topic: {1: None}}),
                             (0, {(topic, 1): (0, None)}))
            self.assertEqual(self.partitions(topic)[1]["replicas"], before[1]["replicas"])
            produce(200)
            deadline = time.monotonic() + 10
            while client.list_reassignments()[1] and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(client.list_reassignments(), (0, []))
        finally:
            client.close()
        after = self.partitions(topic)[0]
        self.assertEqual((after["replicas"], after["isr"], after["leader"], after["leader_epoch"]),
                         (target, target, target[0], 1))
        produce(200)
        self.assertEqual(failures, [])
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "slow-check",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, 0, 0)])
        values = []
        deadline = time.monotonic() + 20
        while len(values) < sent and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                values.append(int(msg.value()))
        consumer.close()
        self.assertEqual(values, list(range(sent)))


class PreferredLeaderTest(ReplicaTest):
    def test_a_restarted_preferred_leader_takes_its_partitions_back(self):
        topic = "pref"
        self.create(NewTopic(topic, num_partitions=BROKERS))
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 2, "message.timeout.ms": 60000})
        failures = []
        sent = 0

        def produce(n):
            nonlocal sent
            for _ in range(n):
                producer.produce(topic, value=str(sent).encode(), partition=sent % BROKERS,
                                 on_delivery=lambda err, msg: err and failures.append(err))
                sent += 1
            producer.flush(30)

        produce(500)
        before = self.partitions(topic)
        led_by_2 = [p for p, s in before.items() if s["preferred_leader"] == 2]
        self.assertEqual(len(led_by_2), 1)
        self.broker_action(2, "stop")
        produce(500)
        during = self.partitions(topic)
        for p in led_by_2:
            self.assertNotEqual(during[p]["leader"], 2)
            self.assertEqual(during[p]["leader_epoch"], 1)
        self.broker_action(2, "start")
        produce(500)
        after = self.partitions(topic)
        for p, state in after.items():
            self.assertEqual(state["leader"], state["preferred_leader"])
            self.assertEqual(state["isr"], state["replicas"])
            self.assertEqual(state["leader_epoch"], 2 if p in led_by_2 else 0)
        self.assertEqual({p: i.leader for p, i in self.metadata(topic).items()},
                         {p: s["preferred_leader"] for p, s in after.items()})
        self.assertEqual(failures, [])
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "pref-check",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, p, 0) for p in range(BROKERS)])
        seen = []
        deadline = time.monotonic() + 30
        while len(seen) < sent and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                seen.append(int(msg.value()))
        consumer.close()
        self.assertEqual(sorted(seen), list(range(sent)))


class NoAutoRebalanceTest(ReplicaTest):
    env = {"MOCKFORGE_KAFKA_AUTO_LEADER_REBALANCE": "false"}

    def test_elect_leaders_preferred_on_demand(self):
        self.create(NewTopic("later", num_partitions=BROKERS))
        self.assertFalse(self.cluster()["auto_leader_rebalance"])
        preferred = {p: s["preferred_leader"] for p, s in self.partitions("later").items()}
        (mine,) = [p for p, node in preferred.items() if node == 1]
        self.broker_action(1, "stop")
        client = RawClient(self.ports[0])
        try:
            # The preferred leader is stopped: not available.
            self.assertEqual(client.elect_leaders_v1(0, {"later": [mine]}),
                             (0, {("later", mine): PREFERRED_LEADER_NOT_AVAILABLE}))
            self.broker_action(1, "start")
            state = self.partitions("later")[mine]
            self.assertNotEqual(state["leader"], 1)  # stays where it moved
            self.assertEqual(state["isr"], state["replicas"])  # but back in sync
            # On demand: null partitions elect every partition off its preferred leader.
            self.assertEqual(client.elect_leaders_v1(0, None), (0, {("later", mine): 0}))
            self.assertEqual(self.partitions("later")[mine]["leader"], 1)
            self.assertEqual(self.partitions("later")[mine]["leader_epoch"], 2)
            self.assertEqual(client.elect_leaders_v1(0, None), (0, {}))
            # Out of the ISR, the preferred replica cannot be elected.
            self.server.api("POST", "/__mockforge/api/kafka/cluster/leader",
                            {"topic": "later", "partition": mine,
                             "broker": state["replicas"][1]})
            self.set_isr("later", mine, state["replicas"][1:])
            self.assertEqual(client.elect_leaders_v1(0, {"later": [mine]}),
                             (0, {("later", mine): PREFERRED_LEADER_NOT_AVAILABLE}))
        finally:
            client.close()
        self.assertEqual(
            {p: i.leader for p, i in self.metadata("later").items() if p != mine},
            {p: node for p, node in preferred.items() if p != mine})


class CoordinatorOutageTest(ReplicaTest):
    def outage(self, **body):
        status, answer = self.server.api(
            "POST", "/__mockforge/api/kafka/cluster/coordinators/outage", body)
        self.assertEqual(status, 200, answer)
        return answer

    def test_a_consumer_group_rides_out_an_unavailable_then_loading_coordinator(self):
        topic, group = "outage", "patient"
        self.create(NewTopic(topic, num_partitions=3))
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": True,
                             "auto.commit.interval.ms": 200, "session.timeout.ms": 10000,
                             "heartbeat.interval.ms": 500})
        consumer.subscribe([topic])
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 2})
        seen = set()
        sent = 0

        def produce(n):
            nonlocal sent
            for _ in range(n):
                producer.produce(topic, value=str(sent).encode(), partition=sent % 3)
                sent += 1
            self.assertEqual(producer.flush(30), 0)

        def consume_until(wanted, timeout=40):
            deadline = time.monotonic() + timeout
            while len(seen) < wanted and time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is not None and not msg.error():
                    seen.add(int(msg.value()))
            return len(seen) >= wanted

        produce(200)
        self.assertTrue(consume_until(200), len(seen))
        coordinator = {g["group_id"]: g["coordinator"] for g in self.cluster()["groups"]}[group]

        answer = self.outage(type="group", duration_ms=3000)
        self.assertEqual(answer["coordinator_outages"][0]["mode"], "unavailable")
        raw = RawClient(self.ports[0])
        try:
            self.assertEqual(raw.find_coordinator_v0(group)[0], COORDINATOR_NOT_AVAILABLE)
        finally:
            raw.close()
        raw = RawClient(self.ports[coordinator])
        try:
            self.assertEqual(raw.heartbeat_v0(group), COORDINATOR_NOT_AVAILABLE)
        finally:
            raw.close()
        produce(200)
        # Fetching goes to the partition leaders, so consumption goes on.
        self.assertTrue(consume_until(400), len(seen))
        time.sleep(3.2)
        self.assertEqual(self.cluster()["coordinator_outages"], [])
        raw = RawClient(self.ports[0])
        try:
            self.assertEqual(raw.find_coordinator_v0(group)[:2], (0, coordinator))
        finally:
            raw.close()

        # Loading: found, but its group requests answer COORDINATOR_LOAD_IN_PROGRESS.
        self.outage(type="group", key=group, duration_ms=2500, mode="loading")
        self.assertEqual(self.cluster()["coordinator_outages"][0]["key"], group)
        produce(200)
        self.assertTrue(consume_until(600), len(seen))
        time.sleep(2.7)
        produce(200)
        self.assertTrue(consume_until(800), len(seen))
        self.assertEqual(seen, set(range(800)))
        # The group is whole and has committed offsets after the outages.
        time.sleep(1.0)
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","))
        try:
            (description,) = admin.describe_consumer_groups([group])
            self.assertEqual(description.state, "Stable")
            self.assertEqual(len(description.members), 1)
            offsets = admin.list_consumer_group_offsets(group)
            self.assertEqual(sum(o.offset for o in offsets.values()), 800)
        finally:
            admin.close()
        consumer.close()

    def test_transaction_coordinator_outage_and_errors(self):
        self.outage(type="transaction", key="tx", duration_ms=60000)
        producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "tx"})
        started = time.monotonic()
        done = threading.Event()

        def end_outage():
            time.sleep(1.5)
            status, _ = self.server.api("DELETE",
                                        "/__mockforge/api/kafka/cluster/coordinators/outage")
            self.assertEqual(status, 200)
            done.set()

        threading.Thread(target=end_outage).start()
        # librdkafka retries FindCoordinator until the outage ends, then gets its producer id.
        producer.init_transactions(20)
        self.assertTrue(done.is_set())
        self.assertGreaterEqual(time.monotonic() - started, 1.4)
        producer.begin_transaction()
        producer.produce("txn-out", b"v")
        producer.commit_transaction(20)
        status, body = self.server.api("POST",
                                       "/__mockforge/api/kafka/cluster/coordinators/outage",
                                       {"type": "nope", "duration_ms": 5})
        self.assertEqual(status, 400, body)


class KafkaJsReplicaTest(ReplicaTest):
    def test_kafkajs_replicas_isr_and_coordinator_outages(self):
        here = os.path.dirname(os.path.abspath(__file__))
        result = subprocess.run(
            ["node", os.path.join(here, "kafkajs_cluster_replicas_test.js"), self.bootstrap,
             f"http://127.0.0.1:{self.server.ports['admin']}"],
            capture_output=True, timeout=180,
            env={**os.environ,
                 "NODE_PATH": os.path.join(os.path.dirname(here), "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs replicas ok", result.stdout.decode())


class ReplicaCliTest(ReplicaTest):
    def test_cli_isr_and_coordinator_outage(self):
        self.create(NewTopic("cli", num_partitions=1))
        admin_url = f"http://127.0.0.1:{self.server.ports['admin']}"

        def cli(*args, ok=True):
            result = subprocess.run([BIN, "kafka", "cluster", *args, "--admin-url", admin_url],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode == 0, ok, result.stderr)
            return result.stdout if ok else result.stderr

        state = self.partitions("cli")[0]
        replicas = state["replicas"]
        out = cli("isr", "--topic", "cli", "--partition", "0", "--brokers",
                  ",".join(map(str, replicas[1:])))
        self.assertIn(f"isr {','.join(map(str, replicas[1:]))}, leader {replicas[1]}, "
                      "leader epoch 1", out)
        self.assertIn("not a replica", cli("isr", "-t", "cli", "-p", "0", "-b",
                                            str(next(n for n in range(BROKERS)
                                                     if n not in replicas)), ok=False))
        shown = cli("show")
        self.assertIn("replicas\tisr\toffline", shown)
        self.assertIn(f"{','.join(map(str, replicas))}\t{','.join(map(str, replicas[1:]))}\t-",
                      shown)
        self.assertIn("group coordinators unavailable for 5000 ms",
                      cli("coordinator-outage", "--type", "group", "--duration-ms", "5000"))
        self.assertIn("transaction coordinator of t1 loading for 5000 ms",
                      cli("coordinator-outage", "--type", "transaction", "--key", "t1",
                          "--duration-ms", "5000", "--mode", "loading"))
        shown = json.loads(cli("show", "--format", "json"))
        self.assertEqual(len(shown["coordinator_outages"]), 2)
        self.assertIn("coordinator outage", cli("show"))
        self.assertIn("ended", cli("coordinator-outage", "--end"))
        self.assertEqual(self.cluster()["coordinator_outages"], [])


if __name__ == "__main__":
    unittest.main()
