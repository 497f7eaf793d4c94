"""OffsetDelete, DescribeProducers, DescribeTransactions and ListTransactions with real
clients. librdkafka's C admin API (rd_kafka_DeleteConsumerGroupOffsets) deletes committed
offsets. No client here has the other three calls (librdkafka 2.0.2, confluent-kafka 1.7.0,
kafka-python 2.0.2 and KafkaJS 2.2.4 lack them; the Java admin client has them), so they are
sent as raw frames over a socket, about state made by real clients: confluent-kafka's
idempotent and transactional producers. On a simulated cluster (kafka.brokers) the wrong
broker answers NOT_COORDINATOR / NOT_LEADER_OR_FOLLOWER, and each broker lists the
transactions it coordinates. With kafka.authorizer: acl, a SASL PLAIN user (raw frames) needs
DELETE on the group and READ on the topics (OffsetDelete), READ on the topic
(DescribeProducers) and DESCRIBE on the transactional id (DescribeTransactions,
ListTransactions); ACLs are made with kafka-python's KafkaAdminClient."""

import os
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                         KafkaAdminClient, ResourcePattern, ResourceType)

import kafka_wire
from kafka_wire import compact_array, compact_string
from mockforge_harness import Mockforge

NOT_LEADER_OR_FOLLOWER = 6
NOT_COORDINATOR = 16
GROUP_ID_NOT_FOUND = 69
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
TRANSACTIONAL_ID_NOT_FOUND = 105


class RawClient(kafka_wire.RawClient):
    """The producer, transaction and offset admin requests as bytes."""

    def offset_delete(self, group, partitions):
        """OffsetDelete v0 ({topic: [partition]}): (error, {(topic, partition): code})."""
        body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">i", len(partitions))
        for topic, indexes in partitions.items():
            body += struct.pack(">h", len(topic)) + topic.encode()
            body += struct.pack(">i", len(indexes)) + b"".join(struct.pack(">i", i)
                                                               for i in indexes)
        data = self.call(47, 0, body, flexible=False)
        error = data.int16()
        data.int32()  # throttle
        results = {}
        for _ in range(data.int32()):
            topic = data.string()
            for _ in range(data.int32()):
                partition = data.int32()
                results[(topic, partition)] = data.int16()
        assert data.at_end()
        return error, results

    def describe_producers(self, partitions):
        """DescribeProducers v0: {(topic, partition): (error, [producer dict])}."""
        topics = [compact_string(topic) + compact_array([struct.pack(">i", i) for i in indexes])
                  + b"\x00" for topic, indexes in partitions.items()]
        data = self.call(61, 0, compact_array(topics) + b"\x00", flexible=True)
        data.int32()  # throttle
        results = {}

        def producer():
            state = {"producer_id": data.int64(), "epoch": data.int32(),
                     "last_sequence": data.int32(), "last_timestamp": data.int64(),
                     "coordinator_epoch": data.int32(), "txn_start_offset": data.int64()}
            data.tags()
            return state

        def partition(topic):
            index, error = data.int32(), data.int16()
            data.compact_string()  # error message
            producers = data.compact_array(producer)
            data.tags()
            results[(topic, index)] = (error, producers)

        def topic():
            name = data.compact_string()
            data.compact_array(lambda: partition(name))
            data.tags()

        data.compact_array(topic)
        data.tags()
        assert data.at_end()
        return results

    def describe_transactions(self, ids):
        """DescribeTransactions v0: {id: dict}."""
        body = compact_array([compact_string(i) for i in ids]) + b"\x00"
        data = self.call(65, 0, body, flexible=True)
        data.int32()  # throttle
        results = {}

        def topic_data():
            name = data.compact_string()
            indexes = data.compact_array(data.int32)
            data.tags()
            return name, indexes

        def state():
            error, txn_id = data.int16(), data.compact_string()
            results[txn_id] = {
                "error": error, "state": data.compact_string(), "timeout_ms": data.int32(),
                "start_time_ms": data.int64(), "producer_id": data.int64(),
                "epoch": data.int16(), "partitions": dict(data.compact_array(topic_data))}
            data.tags()

        data.compact_array(state)
        data.tags()
        assert data.at_end()
        return results

    def list_transactions(self, states=(), producer_ids=(), duration_ms=None):
        """ListTransactions v0, or v1 with a duration filter (KIP-994): (error, {id: (producer
        id, state)}); the unknown state filters in self.unknown_state_filters."""
        body = compact_array([compact_string(s) for s in states])
        body += compact_array([struct.pack(">q", p) for p in producer_ids])
        if duration_ms is not None:
            body += struct.pack(">q", duration_ms)
        data = self.call(66, 0 if duration_ms is None else 1, body + b"\x00", flexible=True)
        data.int32()  # throttle
        error, results = data.int16(), {}
        self.unknown_state_filters = data.compact_array(data.compact_string)

        def state():
            txn_id, producer_id, name = data.compact_string(), data.int64(), data.compact_string()
            data.tags()
            results[txn_id] = (producer_id, name)

        data.compact_array(state)
        data.tags()
        assert data.at_end()
        return error, results


class ProducerTxnAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp")
        cls.port = cls.server.ports["kafka"]
        cls.bootstrap = f"127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.raw = RawClient(self.port)

    def tearDown(self):
        self.raw.close()

    def create_topic(self, name, partitions=1):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(name, num_partitions=partitions)])[name].result(10)

    def test_librdkafka_delete_consumer_group_offsets(self):
        self.create_topic("od-main", partitions=2)
        self.create_topic("od-other")
        result = subprocess.run([os.environ["LIBRDKAFKA_OFFSET_DELETE_BIN"], self.bootstrap,
                                 "od-main", "od-other"], capture_output=True, timeout=120)
        output = result.stdout.decode() + result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, output)
        self.assertEqual(output.count("ok: "), 3, output)

    def test_offset_delete_raw_errors(self):
        self.create_topic("od-raw")
        self.assertEqual(self.raw.offset_delete("od-ghost", {"od-raw": [0]}),
                         (GROUP_ID_NOT_FOUND, {}))

    def test_idempotent_and_transactional_producers_are_described(self):
        self.create_topic("dp", partitions=2)
        before = int(time.time() * 1000)
        idempotent = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                               "linger.ms": 50})
        for i in range(3):
            idempotent.produce("dp", value=b"i%d" % i, partition=0, timestamp=before + i)
        self.assertEqual(idempotent.flush(10), 0)
        (error, producers), = self.raw.describe_producers({"dp": [0]}).values()
        self.assertEqual(error, 0)
        self.assertEqual(len(producers), 1)
        plain = producers[0]
        self.assertEqual((plain["epoch"], plain["last_sequence"], plain["last_timestamp"],
                          plain["coordinator_epoch"], plain["txn_start_offset"]),
                         (0, 2, before + 2, -1, -1))

        txn = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "dp-tx"})
        txn.init_transactions(15)
        txn.begin_transaction()
        txn.produce("dp", value=b"t0", partition=0)
        self.assertEqual(txn.flush(10), 0)
        described = self.raw.describe_producers({"dp": [0, 1, 7], "dp-none": [0]})
        error, producers = described[("dp", 0)]
        self.assertEqual(error, 0)
        self.assertEqual(len(producers), 2)
        transactional = next(p for p in producers if p["producer_id"] != plain["producer_id"])
        self.assertEqual(transactional["txn_start_offset"], 3)  # after the 3 idempotent ones
        self.assertEqual(transactional["last_sequence"], 0)
        self.assertEqual(described[("dp", 1)], (0, []))
        self.assertEqual(described[("dp", 7)][0], 3)  # UNKNOWN_TOPIC_OR_PARTITION
        self.assertEqual(described[("dp-none", 0)][0], 3)

        open_state = self.raw.describe_transactions(["dp-tx"])["dp-tx"]
        self.assertEqual(open_state["error"], 0)
        self.assertEqual(open_state["state"], "Ongoing")
        self.assertEqual(open_state["producer_id"], transactional["producer_id"])
        self.assertEqual(open_state["partitions"], {"dp": [0]})
        self.assertGreaterEqual(open_state["start_time_ms"], before)
        self.assertEqual(open_state["timeout_ms"], 60000)  # librdkafka's transaction.timeout.ms

        txn.commit_transaction(15)
        (_, producers), = self.raw.describe_producers({"dp": [0]}).values()
        committed = next(p for p in producers if p["producer_id"] == transactional["producer_id"])
        self.assertEqual((committed["txn_start_offset"], committed["coordinator_epoch"]), (-1, 0))
        done = self.raw.describe_transactions(["dp-tx"])["dp-tx"]
        self.assertEqual((done["state"], done["partitions"]), ("CompleteCommit", {}))

    def test_list_and_describe_transactions(self):
        self.create_topic("lt")
        idle = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "lt-idle"})
        idle.init_transactions(15)
        busy = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "lt-busy"})
        busy.init_transactions(15)
        busy.begin_transaction()
        busy.produce("lt", value=b"x")
        self.assertEqual(busy.flush(10), 0)

        error, listed = self.raw.list_transactions()
        self.assertEqual(error, 0)
        self.assertEqual(listed["lt-idle"][1], "Empty")
        self.assertEqual(listed["lt-busy"][1], "Ongoing")
        _, ongoing = self.raw.list_transactions(states=["Ongoing"])
        self.assertIn("lt-busy", ongoing)
        self.assertNotIn("lt-idle", ongoing)
        _, by_id = self.raw.list_transactions(producer_ids=[listed["lt-idle"][0]])
        self.assertEqual(list(by_id), ["lt-idle"])
        self.assertEqual(self.raw.list_transactions(states=["PrepareCommit"]), (0, {}))
        self.assertEqual(self.raw.unknown_state_filters, [])
        self.assertEqual(self.raw.list_transactions(states=["Bogus"]), (0, {}))
        self.assertEqual(self.raw.unknown_state_filters, ["Bogus"])
        # v1's duration filter: the open transaction began moments ago, so it has not run for
        # an hour; lt-idle has no start time (-1), which Kafka's subtraction lets through.
        _, all_of_them = self.raw.list_transactions(duration_ms=-1)
        self.assertEqual(all_of_them, listed)
        _, long_running = self.raw.list_transactions(duration_ms=3600 * 1000)
        self.assertIn("lt-idle", long_running)
        self.assertNotIn("lt-busy", long_running)

        described = self.raw.describe_transactions(["lt-idle", "lt-busy", "lt-ghost"])
        self.assertEqual((described["lt-idle"]["state"], described["lt-idle"]["start_time_ms"]),
                         ("Empty", -1))
        self.assertEqual(described["lt-busy"]["partitions"], {"lt": [0]})
        self.assertEqual(described["lt-ghost"]["error"], TRANSACTIONAL_ID_NOT_FOUND)

        busy.abort_transaction(15)
        _, aborted = self.raw.list_transactions(states=["CompleteAbort"])
        self.assertEqual(list(aborted), ["lt-busy"])


class AclTest(unittest.TestCase):
    USERS = {"admin": "admin-secret", "alice": "alice-secret"}

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN",
            "MOCKFORGE_KAFKA_SASL_USERS": ",".join(f"{u}:{p}" for u, p in cls.USERS.items()),
            "MOCKFORGE_KAFKA_AUTHORIZER": "acl",
            "MOCKFORGE_KAFKA_SUPER_USERS": "User:admin",
        })
        cls.port = cls.server.ports["kafka"]
        cls.bootstrap = f"127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def librdkafka(self, user):
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": "PLAIN", "sasl.username": user,
                "sasl.password": self.USERS[user]}

    def alice(self):
        raw = RawClient(self.port)
        self.assertEqual(raw.sasl_plain("alice", self.USERS["alice"]), 0)
        self.addCleanup(raw.close)
        return raw

    @staticmethod
    def allow(operation, resource_type, name):
        return ACL(principal="User:alice", host="*", operation=operation,
                   permission_type=ACLPermissionType.ALLOW,
                   resource_pattern=ResourcePattern(resource_type, name,
                                                    ACLResourcePatternType.LITERAL))

    def test_new_apis_check_acls(self):
        admin = AdminClient(self.librdkafka("admin"))
        for name in ("acl-t", "acl-u"):
            admin.create_topics([NewTopic(name, num_partitions=1)])[name].result(10)
        for txn_id in ("acl-tx", "acl-other"):
            producer = Producer({**self.librdkafka("admin"), "transactional.id": txn_id})
            producer.init_transactions(15)
            producer.begin_transaction()
            producer.produce("acl-t", value=b"x")
            producer.commit_transaction(15)
        consumer = Consumer({**self.librdkafka("admin"), "group.id": "acl-g"})
        consumer.commit(offsets=[TopicPartition("acl-t", 0, 1), TopicPartition("acl-u", 0, 1)],
                        asynchronous=False)
        consumer.close()

        alice = self.alice()
        self.assertEqual(alice.describe_transactions(["acl-tx"])["acl-tx"]["error"],
                         TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        self.assertEqual(alice.list_transactions(), (0, {}))
        self.assertEqual(alice.offset_delete("acl-g", {"acl-t": [0]}),
                         (GROUP_AUTHORIZATION_FAILED, {}))
        self.assertEqual(alice.describe_producers({"acl-t": [0]})[("acl-t", 0)][0],
                         TOPIC_AUTHORIZATION_FAILED)

        acl_admin = KafkaAdminClient(
            bootstrap_servers=self.bootstrap, security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN", sasl_plain_username="admin",
            sasl_plain_password=self.USERS["admin"], request_timeout_ms=10000)
        created = acl_admin.create_acls([
            self.allow(ACLOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, "acl-tx"),
            self.allow(ACLOperation.DELETE, ResourceType.GROUP, "acl-g"),
            self.allow(ACLOperation.READ, ResourceType.TOPIC, "acl-t")])
        acl_admin.close()
        self.assertEqual(created["failed"], [])

        described = alice.describe_transactions(["acl-tx", "acl-other"])
        self.assertEqual(described["acl-tx"]["error"], 0)
        self.assertEqual(described["acl-tx"]["state"], "CompleteCommit")
        self.assertEqual(described["acl-other"]["error"], TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        error, listed = alice.list_transactions()
        self.assertEqual((error, list(listed)), (0, ["acl-tx"]))
        self.assertEqual(alice.offset_delete("acl-g", {"acl-t": [0], "acl-u": [0]}),
                         (0, {("acl-t", 0): 0, ("acl-u", 0): TOPIC_AUTHORIZATION_FAILED}))
        error, producers = alice.describe_producers({"acl-t": [0]})[("acl-t", 0)]
        self.assertEqual((error, len(producers)), (0, 2))


class ClusterTest(unittest.TestCase):
    """Three brokers: only the coordinator or leader answers."""

    BROKERS = 3

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--kafka-brokers", str(cls.BROKERS))
        cls.ports = [cls.server.ports["kafka" if n == 0 else f"kafka_{n}"]
                     for n in range(cls.BROKERS)]
        cls.bootstrap = ",".join(f"127.0.0.1:{port}" for port in cls.ports)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def answers(self, call):
        """call(raw client) on every broker, by node id."""
        results = []
        for port in self.ports:
            raw = RawClient(port)
            try:
                results.append(call(raw))
            finally:
                raw.close()
        return results

    def test_wrong_broker_answers_not_coordinator_or_not_leader(self):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic("cl-dp", num_partitions=3)])["cl-dp"].result(10)
        ids = [f"cl-tx-{i}" for i in range(6)]
        producers = []
        for txn_id in ids:
            producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": txn_id})
            producer.init_transactions(15)
            producers.append(producer)

        # Each transactional id is described by exactly one broker, and listed by it only.
        described = self.answers(lambda raw: raw.describe_transactions(ids))
        listed = self.answers(lambda raw: raw.list_transactions()[1])
        for txn_id in ids:
            codes = [answer[txn_id]["error"] for answer in described]
            self.assertEqual(sorted(codes), [0] + [NOT_COORDINATOR] * (self.BROKERS - 1))
            listing = [node for node, answer in enumerate(listed) if txn_id in answer]
            self.assertEqual(listing, [codes.index(0)])

        # OffsetDelete: the group's coordinator answers GROUP_ID_NOT_FOUND, the others
        # NOT_COORDINATOR.
        codes = self.answers(lambda raw: raw.offset_delete("cl-group", {"cl-dp": [0]})[0])
        self.assertEqual(sorted(codes), [NOT_COORDINATOR] * (self.BROKERS - 1)
                         + [GROUP_ID_NOT_FOUND])

        # DescribeProducers: only each partition's leader answers.
        partitions = {"cl-dp": [0, 1, 2]}
        described = self.answers(lambda raw: raw.describe_producers(partitions))
        for partition in range(3):
            codes = [answer[("cl-dp", partition)][0] for answer in described]
            self.assertEqual(sorted(codes),
                             [0] + [NOT_LEADER_OR_FOLLOWER] * (self.BROKERS - 1))


if __name__ == "__main__":
    unittest.main()
