"""The simulated Kafka cluster (kafka.brokers) with real clients: three brokers on their own
ports, partition leaders and coordinators spread over them, NOT_LEADER_OR_FOLLOWER and
NOT_COORDINATOR from the wrong broker (raw frames), leader epochs that fence stale requests,
an idempotent confluent-kafka producer that loses and duplicates nothing while leaders move
and a broker stops and starts, a consumer group that keeps consuming while its coordinator's
broker is down, the admin API and `mockforge kafka cluster`, and reset."""

import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic
from kafka.admin import KafkaAdminClient

import kafka_wire
from kafka_wire import Cursor
from mockforge_harness import BIN, Mockforge

BROKERS = 3
NOT_LEADER_OR_FOLLOWER = 6
NOT_COORDINATOR = 16
FENCED_LEADER_EPOCH = 74
UNKNOWN_LEADER_EPOCH = 75


def java_hash(text):
    value = 0
    for byte in text.encode():
        value = (value * 31 + byte) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class RawClient(kafka_wire.RawClient):
    """Non-flexible requests the cluster tests send as bytes."""

    def list_offsets_v4(self, topic, partition, current_leader_epoch=-1):
        """ListOffsets v4 for the latest offset: (error_code, offset, leader_epoch)."""
        body = struct.pack(">ib", -1, 0) + struct.pack(">i", 1) + self.string(topic)
        body += struct.pack(">iiiq", 1, partition, current_leader_epoch, -1)
        data = self.request(2, 4, body)
        pos = 4 + 4  # throttle, topics count
        name_len = struct.unpack(">h", data[pos:pos + 2])[0]
        pos += 2 + name_len + 4  # name, partitions count
        _, error, _, offset, epoch = struct.unpack(">ihqqi", data[pos:pos + 26])
        return error, offset, epoch

    def find_coordinator_v0(self, group):
        """FindCoordinator v0: (error_code, node_id, port)."""
        data = self.request(10, 0, self.string(group))
        error, node = struct.unpack(">hi", data[:6])
        host_len = struct.unpack(">h", data[6:8])[0]
        port = struct.unpack(">i", data[8 + host_len:12 + host_len])[0]
        return error, node, port

    def elect_leaders_v1(self, election_type, partitions):
        """ElectLeaders v1 ({topic: [partition]} or None for all): (error, {(t, p): code})."""
        body = struct.pack(">b", election_type)
        if partitions is None:
            body += struct.pack(">i", -1)
        else:
            body += struct.pack(">i", len(partitions))
            for topic, indexes in partitions.items():
                body += self.string(topic) + struct.pack(">i", len(indexes))
                body += b"".join(struct.pack(">i", index) for index in indexes)
        data = Cursor(self.request(43, 1, body + struct.pack(">i", 60000)))
        data.int32()  # throttle
        error, results = data.int16(), {}
        for _ in range(data.int32()):
            topic = data.string()
            for _ in range(data.int32()):
                partition, code = data.int32(), data.int16()
                data.string()
                results[(topic, partition)] = code
        return error, results

    def describe_log_dirs_v1(self, topics):
        """DescribeLogDirs v1 ({topic: [partition]} or None): [(dir, {(t, p): size})]."""
        if topics is None:
            body = struct.pack(">i", -1)
        else:
            body = struct.pack(">i", len(topics))
            for topic, indexes in topics.items():
                body += self.string(topic) + struct.pack(">i", len(indexes))
                body += b"".join(struct.pack(">i", index) for index in indexes)
        data = Cursor(self.request(35, 1, body))
        data.int32()
        dirs = []
        for _ in range(data.int32()):
            assert data.int16() == 0
            log_dir, sizes = data.string(), {}
            for _ in range(data.int32()):
                topic = data.string()
                for _ in range(data.int32()):
                    partition, size, lag, future = data.int32(), data.int64(), data.int64(), data.int8()
                    assert (lag, future) == (0, 0)
                    sizes[(topic, partition)] = size
            dirs.append((log_dir, sizes))
        return dirs

    def heartbeat_v0(self, group):
        body = self.string(group) + struct.pack(">i", 1) + self.string("member")
        return struct.unpack(">h", self.request(12, 0, body)[:2])[0]


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.server = Mockforge("--no-mqtt", "--no-amqp", "--kafka-brokers", str(BROKERS))
        self.ports = [self.server.ports["kafka" if node == 0 else f"kafka_{node}"]
                      for node in range(BROKERS)]
        self.bootstrap = ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def tearDown(self):
        self.server.close()

    # --- helpers ----------------------------------------------------------------------------

    def cluster(self):
        status, body = self.server.api("GET", "/__mockforge/api/kafka/cluster")
        self.assertEqual(status, 200, body)
        return body

    def leaders(self, topic):
        return {p["partition"]: (p["leader"], p["leader_epoch"])
                for p in self.cluster()["partitions"] if p["topic"] == topic}

    def move_leader(self, topic, partition, broker):
        status, body = self.server.api("POST", "/__mockforge/api/kafka/cluster/leader",
                                       {"topic": topic, "partition": partition, "broker": broker})
        self.assertEqual(status, 200, body)
        return body

    def broker_action(self, node, action, expect=200):
        status, body = self.server.api(
            "POST", f"/__mockforge/api/kafka/cluster/brokers/{node}/{action}")
        self.assertEqual(status, expect, body)
        return body

    def describe_group(self, group):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","))
        try:
            (description,) = admin.describe_consumer_groups([group])
            self.assertEqual(description.error_code, 0)
            return description
        finally:
            admin.close()

    def create_topic(self, name, partitions):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(name, num_partitions=partitions)])[name].result(15)

    def read_all(self, topic, partitions, expected, timeout=30):
        """Every value of the topic, read from the start by an assigned consumer."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "reader",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        values, eof = [], set()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        eof.add(msg.partition())
                        if len(eof) == partitions and len(values) >= expected:
                            break
                        continue
                    self.fail(msg.error())
                eof.discard(msg.partition())
                values.append((msg.partition(), int(msg.value())))
        finally:
            consumer.close()
        return values

    # --- tests ------------------------------------------------------------------------------

    def test_metadata_lists_every_broker_and_spreads_leaders(self):
        self.create_topic("spread", 6)
        metadata = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.ports[1]}"}).list_topics(
            timeout=10)
        self.assertEqual({b.id: b.port for b in metadata.brokers.values()},
                         dict(enumerate(self.ports)))
        partitions = metadata.topics["spread"].partitions
        leaders = {p: partitions[p].leader for p in partitions}
        self.assertEqual(set(leaders.values()), set(range(BROKERS)))
        # Round-robin from hash(topic): consecutive partitions on consecutive brokers.
        for p in range(5):
            self.assertEqual(leaders[p + 1], (leaders[p] + 1) % BROKERS)
        for p, info in partitions.items():
            self.assertEqual(info.replicas[0], info.leader)
            self.assertEqual(sorted(info.replicas), list(range(BROKERS)))
            self.assertEqual(sorted(info.isrs), list(range(BROKERS)))
        self.assertEqual({p: l for p, (l, _) in self.leaders("spread").items()}, leaders)
        # The same answer from every broker.
        for port in self.ports:
            other = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"}).list_topics(
                "spread", timeout=10)
            self.assertEqual({p: i.leader for p, i in other.topics["spread"].partitions.items()},
                             leaders)

    def test_wrong_broker_answers_not_leader_and_not_coordinator(self):
        self.create_topic("raw", 3)
        leaders = self.leaders("raw")
        for partition, (leader, epoch) in leaders.items():
            for node in range(BROKERS):
                client = RawClient(self.ports[node])
                try:
                    error, offset, answered_epoch = client.list_offsets_v4("raw", partition)
                finally:
                    client.close()
                if node == leader:
                    self.assertEqual((error, offset, answered_epoch), (0, 0, epoch))
                else:
                    self.assertEqual(error, NOT_LEADER_OR_FOLLOWER, (partition, node))
        # The group's coordinator: the leader of its __consumer_offsets partition.
        group = "raw-group"
        coordinator_hits = []
        for node in range(BROKERS):
            client = RawClient(self.ports[node])
            try:
                error = client.heartbeat_v0(group)
            finally:
                client.close()
            if error != NOT_COORDINATOR:
                coordinator_hits.append(node)
                self.assertEqual(error, 25)  # UNKNOWN_MEMBER_ID: the coordinator answered
        self.assertEqual(len(coordinator_hits), 1, coordinator_hits)
        # Kafka's placement: the leader of __consumer_offsets partition abs(hash(group)) % 50.
        offsets_partition = abs(java_hash(group)) % 50
        self.assertEqual(coordinator_hits[0],
                         (abs(java_hash("__consumer_offsets")) + offsets_partition) % BROKERS)
        # Every broker's FindCoordinator names that broker.
        for node in range(BROKERS):
            client = RawClient(self.ports[node])
            try:
                self.assertEqual(client.find_coordinator_v0(group),
                                 (0, coordinator_hits[0], self.ports[coordinator_hits[0]]))
            finally:
                client.close()
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        consumer.subscribe(["raw"])
        deadline = time.monotonic() + 15
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.2)
        groups = {g["group_id"]: g["coordinator"] for g in self.cluster()["groups"]}
        self.assertEqual(groups[group], coordinator_hits[0])
        # kafka-python's admin client finds the coordinator and asks it.
        self.assertEqual(self.describe_group(group).state, "Stable")
        consumer.close()

    def test_leader_move_bumps_the_epoch_and_fences_stale_requests(self):
        self.create_topic("epochs", 1)
        leader, epoch = self.leaders("epochs")[0]
        self.assertEqual(epoch, 0)
        target = (leader + 1) % BROKERS
        moved = self.move_leader("epochs", 0, target)
        self.assertEqual((moved["leader"], moved["leader_epoch"]), (target, 1))
        metadata = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(
            "epochs", timeout=10)
        self.assertEqual(metadata.topics["epochs"].partitions[0].leader, target)
        client = RawClient(self.ports[target])
        try:
            self.assertEqual(client.list_offsets_v4("epochs", 0, 0)[0], FENCED_LEADER_EPOCH)
            self.assertEqual(client.list_offsets_v4("epochs", 0, 2)[0], UNKNOWN_LEADER_EPOCH)
            self.assertEqual(client.list_offsets_v4("epochs", 0, 1), (0, 0, 1))
        finally:
            client.close()
        old = RawClient(self.ports[leader])
        try:
            self.assertEqual(old.list_offsets_v4("epochs", 0, 1)[0], NOT_LEADER_OR_FOLLOWER)
        finally:
            old.close()
        # Moving to the current leader changes nothing; unknown brokers and partitions are 404.
        self.assertEqual(self.move_leader("epochs", 0, target)["leader_epoch"], 1)
        status, _ = self.server.api("POST", "/__mockforge/api/kafka/cluster/leader",
                                    {"topic": "epochs", "partition": 0, "broker": BROKERS})
        self.assertEqual(status, 404)
        status, _ = self.server.api("POST", "/__mockforge/api/kafka/cluster/leader",
                                    {"topic": "epochs", "partition": 5, "broker": 0})
        self.assertEqual(status, 404)

    def test_idempotent_producer_through_leader_moves_and_a_broker_restart(self):
        topic, partitions, count = "stream", 3, 3000
        self.create_topic(topic, partitions)
        failures = []
        delivered = []

        def report(err, msg):
            if err is not None:
                failures.append(err)
            else:
                delivered.append(msg.offset())

        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 2, "message.timeout.ms": 60000,
                             "topic.metadata.refresh.interval.ms": 1000})
        chaos_done = threading.Event()

        def chaos():
            try:
                time.sleep(0.3)
                for partition in range(partitions):
                    leader, _ = self.leaders(topic)[partition]
                    self.move_leader(topic, partition, (leader + 1) % BROKERS)
                    time.sleep(0.2)
                self.broker_action(1, "stop")
                time.sleep(1.0)
                self.broker_action(1, "start")
                time.sleep(0.3)
                for partition in range(partitions):
                    self.move_leader(topic, partition, 1)
                    time.sleep(0.1)
            finally:
                chaos_done.set()

        thread = threading.Thread(target=chaos)
        thread.start()
        for i in range(count):
            while True:
                try:
                    producer.produce(topic, value=str(i).encode(), partition=i % partitions,
                                     on_delivery=report)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            if i % 100 == 0:
                time.sleep(0.05)  # spread the stream over the leader moves
        thread.join(30)
        self.assertTrue(chaos_done.is_set())
        self.assertEqual(producer.flush(60), 0)
        self.assertEqual(failures, [])
        self.assertEqual(len(delivered), count)
        epochs = self.leaders(topic)
        self.assertTrue(all(epoch >= 2 for _, epoch in epochs.values()), epochs)

        values = self.read_all(topic, partitions, count)
        numbers = [value for _, value in values]
        self.assertEqual(len(numbers), count, "duplicates or losses")
        self.assertEqual(sorted(numbers), list(range(count)))
        for partition in range(partitions):
            in_partition = [value for p, value in values if p == partition]
            self.assertEqual(in_partition, sorted(in_partition), "out of order")
            self.assertTrue(all(value % partitions == partition for value in in_partition))

    def test_group_keeps_consuming_while_its_coordinator_is_stopped(self):
        topic, partitions, group = "group-stream", 3, "survivors"
        self.create_topic(topic, partitions)
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": True,
                             "auto.commit.interval.ms": 200, "session.timeout.ms": 6000,
                             "heartbeat.interval.ms": 500,
                             "topic.metadata.refresh.interval.ms": 1000})
        consumer.subscribe([topic])
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 2})
        seen = set()
        sent = 0

        def produce(n):
            nonlocal sent
            for _ in range(n):
                producer.produce(topic, value=str(sent).encode(), partition=sent % partitions)
                sent += 1
            self.assertEqual(producer.flush(30), 0)

        def consume_until(wanted, timeout=40):
            deadline = time.monotonic() + timeout
            while len(seen) < wanted and time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None or msg.error():
                    continue
                seen.add(int(msg.value()))
            return len(seen) >= wanted

        produce(300)
        self.assertTrue(consume_until(300), len(seen))
        groups = {g["group_id"]: g["coordinator"] for g in self.cluster()["groups"]}
        coordinator = groups[group]
        self.broker_action(coordinator, "stop")
        cluster = self.cluster()
        self.assertFalse(cluster["brokers"][coordinator]["live"])
        moved = {g["group_id"]: g["coordinator"] for g in cluster["groups"]}[group]
        self.assertNotEqual(moved, coordinator)
        produce(300)
        self.assertTrue(consume_until(600), f"{len(seen)} of 600 after the coordinator stopped")
        # The new coordinator has the group's committed offsets and members.
        time.sleep(1.0)
        description = self.describe_group(group)
        self.assertEqual(description.state, "Stable")
        self.assertEqual(len(description.members), 1)
        self.broker_action(coordinator, "start")
        produce(300)
        self.assertTrue(consume_until(900), len(seen))
        self.assertEqual(seen, set(range(900)))
        consumer.close()

    def test_stop_start_and_reset(self):
        self.create_topic("reset-me", 3)
        initial = self.leaders("reset-me")
        self.broker_action(2, "stop")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.ports[2]), timeout=2).close()
        metadata = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.ports[0]}"}).list_topics(
            "reset-me", timeout=10)
        self.assertEqual(sorted(metadata.brokers), [0, 1])
        for p, info in metadata.topics["reset-me"].partitions.items():
            self.assertNotEqual(info.leader, 2)
            self.assertEqual(sorted(info.isrs), [0, 1])
        self.broker_action(2, "stop", expect=409)  # already stopped
        self.broker_action(1, "stop")
        self.broker_action(0, "stop", expect=409)  # the last live broker stays
        status, _ = self.server.api("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        cluster = self.cluster()
        self.assertTrue(all(b["live"] for b in cluster["brokers"]))
        for node in range(BROKERS):
            socket.create_connection(("127.0.0.1", self.ports[node]), timeout=2).close()
        # Reset drops the topic; recreated, it gets the initial leaders back.
        self.create_topic("reset-me", 3)
        self.assertEqual({p: l for p, (l, _) in self.leaders("reset-me").items()},
                         {p: l for p, (l, _) in initial.items()})

    def test_create_partitions_with_replica_assignments(self):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic("grown", num_partitions=1,
                                      replication_factor=2)])["grown"].result(15)

        def grow(count, assignment):
            future = admin.create_partitions(
                [NewPartitions("grown", count, replica_assignment=assignment)])["grown"]
            try:
                future.result(15)
                return 0
            except KafkaException as error:
                return error.args[0].code()

        # Refused as Kafka refuses them: a broker that does not exist, the same broker twice,
        # a replica count other than the topic's (2); nothing changes.
        for bad in ([[3, 0]], [[1, 1]], [[0]], [[0, 1, 2]]):
            with self.subTest(assignment=bad):
                self.assertEqual(grow(2, bad), KafkaError.INVALID_REPLICA_ASSIGNMENT)
        self.assertEqual(len(admin.list_topics("grown", timeout=10).topics["grown"].partitions), 1)

        self.assertEqual(grow(3, [[2, 0], [1, 2]]), 0)
        partitions = {}
        deadline = time.monotonic() + 15
        while len(partitions) < 3 and time.monotonic() < deadline:
            partitions = admin.list_topics("grown", timeout=10).topics["grown"].partitions
        self.assertEqual([(partitions[i].replicas, partitions[i].leader) for i in (1, 2)],
                         [([2, 0], 2), ([1, 2], 1)])
        # The new partitions take records on their leaders.
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True})
        for partition in range(3):
            producer.produce("grown", value=str(partition).encode(), partition=partition)
        self.assertEqual(producer.flush(15), 0)
        self.assertEqual(sorted(self.read_all("grown", 3, 3)), [(0, 0), (1, 1), (2, 2)])

    def test_elect_leaders_and_describe_log_dirs(self):
        self.create_topic("elect", 3)
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for i in range(30):
            producer.produce("elect", value=b"x" * 10, partition=i % 3)
        self.assertEqual(producer.flush(15), 0)
        partitions = {p["partition"]: p for p in self.cluster()["partitions"]
                      if p["topic"] == "elect"}
        preferred = {p: info["preferred_leader"] for p, info in partitions.items()}
        self.move_leader("elect", 0, (preferred[0] + 1) % BROKERS)
        client = RawClient(self.ports[1])
        try:
            # Preferred election: partition 0 goes back, 1 leads already, 9 does not exist.
            error, results = client.elect_leaders_v1(0, {"elect": [0, 1, 9]})
            self.assertEqual(error, 0)
            self.assertEqual(results, {("elect", 0): 0, ("elect", 1): 84, ("elect", 9): 3})
            self.assertEqual(self.leaders("elect")[0], (preferred[0], 2))
            # Every live broker is in sync: an unclean election is never needed.
            self.assertEqual(client.elect_leaders_v1(1, {"elect": [2]}),
                             (0, {("elect", 2): 84}))
            # The preferred leader of partition 2 stopped: not available; null lists only it.
            down = preferred[2]
            if down == 1:
                client.close()
                client = RawClient(self.ports[(down + 1) % BROKERS])
            self.broker_action(down, "stop")
            error, results = client.elect_leaders_v1(0, None)
            self.assertEqual((error, results), (0, {("elect", 2): 80}))
            self.broker_action(down, "start")
            # kafka.auto_leader_rebalance (on by default) moved it back as the broker started.
            self.assertEqual(self.leaders("elect")[2][0], down)
            self.assertEqual(client.elect_leaders_v1(0, None), (0, {}))

            # DescribeLogDirs: every broker holds every partition.
            for node in range(BROKERS):
                other = RawClient(self.ports[node])
                try:
                    (log_dir, sizes), = other.describe_log_dirs_v1(None)
                    self.assertEqual(log_dir, f"/mockforge/kafka-logs-{node}")
                    self.assertEqual(sorted(k for k in sizes if k[0] == "elect"),
                                     [("elect", 0), ("elect", 1), ("elect", 2)])
                    self.assertTrue(all(sizes[("elect", p)] > 100 for p in range(3)), sizes)
                    (_, only), = other.describe_log_dirs_v1({"elect": [1, 7], "nope": [0]})
                    self.assertEqual(list(only), [("elect", 1)])
                finally:
                    other.close()
        finally:
            client.close()

    def test_cli_cluster_commands(self):
        self.create_topic("cli", 2)
        admin_url = f"http://127.0.0.1:{self.server.ports['admin']}"

        def cli(*args):
            result = subprocess.run([BIN, "kafka", "cluster", *args, "--admin-url", admin_url],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 0, result.stderr)
            return result.stdout

        shown = json.loads(cli("show", "--format", "json"))
        self.assertEqual(len(shown["brokers"]), BROKERS)
        leader, _ = self.leaders("cli")[0]
        target = (leader + 2) % BROKERS
        out = cli("leader", "--topic", "cli", "--partition", "0", "--broker", str(target))
        self.assertIn(f"leader {target}, leader epoch 1", out)
        self.assertIn("broker 1 stopped", cli("stop", "1"))
        self.assertIn("stopped", cli("show"))
        self.assertIn("broker 1 started", cli("start", "1"))
        failed = subprocess.run([BIN, "kafka", "cluster", "start", "1", "--admin-url", admin_url],
                                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(failed.returncode, 0)
        self.assertIn("running", failed.stderr)


    def test_kafkajs_through_leader_moves_and_a_broker_restart(self):
        here = os.path.dirname(os.path.abspath(__file__))
        result = subprocess.run(
            ["node", os.path.join(here, "kafkajs_cluster_test.js"), self.bootstrap,
             f"http://127.0.0.1:{self.server.ports['admin']}"],
            capture_output=True, timeout=180,
            env={**os.environ,
                 "NODE_PATH": os.path.join(os.path.dirname(here), "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs cluster ok", result.stdout.decode())


class TlsClusterTest(unittest.TestCase):
    """With kafka.tls_port, each broker has its own SSL listener too; a client that came in
    over SSL is advertised every broker's SSL port, a plain client the plain ones."""

    def test_ssl_clients_see_each_brokers_ssl_listener(self):
        certs = tempfile.mkdtemp(prefix="mockforge-certs-")
        try:
            done = subprocess.run([BIN, "certs", "generate", certs], capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            with Mockforge("--no-mqtt", "--no-amqp", "--kafka-brokers", str(BROKERS),
                           "--kafka-tls-port", "0",
                           "--tls-cert-file", os.path.join(certs, "server.pem"),
                           "--tls-key-file", os.path.join(certs, "server-key.pem")) as server:
                names = [("kafka_tls" if n == 0 else f"kafka_tls_{n}") for n in range(BROKERS)]
                tls_ports = [server.ports[name] for name in names]
                config = {"bootstrap.servers": f"localhost:{tls_ports[2]}",
                          "security.protocol": "SSL",
                          "ssl.ca.location": os.path.join(certs, "ca.pem")}
                admin = AdminClient(config)
                admin.create_topics([NewTopic("tls-spread", num_partitions=3)])[
                    "tls-spread"].result(15)
                brokers = admin.list_topics(timeout=20).brokers
                self.assertEqual({b.id: b.port for b in brokers.values()},
                                 dict(enumerate(tls_ports)))
                producer = Producer(config)
                for i in range(30):
                    producer.produce("tls-spread", str(i).encode(), partition=i % 3)
                self.assertEqual(producer.flush(30), 0)
                consumer = Consumer({**config, "group.id": "tls-reader",
                                     "auto.offset.reset": "earliest"})
                consumer.subscribe(["tls-spread"])
                seen = set()
                deadline = time.monotonic() + 30
                while len(seen) < 30 and time.monotonic() < deadline:
                    msg = consumer.poll(0.2)
                    if msg is not None and not msg.error():
                        seen.add(int(msg.value()))
                consumer.close()
                self.assertEqual(seen, set(range(30)))
                plain = AdminClient({"bootstrap.servers": f"127.0.0.1:{server.ports['kafka']}"})
                self.assertEqual(
                    sorted(b.port for b in plain.list_topics(timeout=20).brokers.values()),
                    sorted(server.ports["kafka" if n == 0 else f"kafka_{n}"]
                           for n in range(BROKERS)))
        finally:
            shutil.rmtree(certs, ignore_errors=True)


class SingleBrokerTest(unittest.TestCase):
    """The default (one broker, node 0) is unchanged: one port, every leader node 0."""

    def test_single_broker_default(self):
        with Mockforge("--no-mqtt", "--no-amqp") as server:
            self.assertNotIn("kafka_1", server.ports)
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{server.ports['kafka']}"})
            admin.create_topics([NewTopic("single", num_partitions=4)])["single"].result(10)
            metadata = admin.list_topics("single", timeout=10)
            self.assertEqual(list(metadata.brokers), [0])
            self.assertEqual({i.leader for i in metadata.topics["single"].partitions.values()},
                             {0})
            status, body = server.api("POST", "/__mockforge/api/kafka/cluster/brokers/0/stop")
            self.assertEqual(status, 409, body)


if __name__ == "__main__":
    unittest.main()
