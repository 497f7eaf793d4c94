"""Kafka ACLs on the remaining APIs, as Kafka's KafkaApis checks them, with real clients:
confluent-kafka's idempotent producer (InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE
on some topic, else CLUSTER_AUTHORIZATION_FAILED) and transactional producer (WRITE on the
TransactionalId for InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn
and Produce: TRANSACTIONAL_ID_AUTHORIZATION_FAILED; WRITE on the topic, READ on the group),
refused and then allowed after CreateAcls; kafka-python's DescribeConfigs, AlterConfigs and
CreatePartitions; KafkaJS's configs, CreatePartitions and DeleteRecords; raw requests for the
APIs none of the installed clients sends (DescribeLogDirs, ElectLeaders, OffsetForLeaderEpoch,
IncrementalAlterConfigs). ACLs from kafka.acls and fixture files (kafka: acls:) are there at
start-up and after a reset; bad entries are errors naming file, line and field."""

import os
import shutil
import struct
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, ConfigResource, ConfigResourceType,
                         KafkaAdminClient, NewPartitions, NewTopic, ResourcePattern,
                         ResourcePatternFilter, ResourceType)

from kafka.errors import TopicAuthorizationFailedError

import kafka_wire
from kafka_wire import string as kstring
from mockforge_harness import BIN, Mockforge

CLIENTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
SERVER_ENV = {
    "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN",
    "MOCKFORGE_KAFKA_SASL_USERS": ",".join(f"{u}:{p}" for u, p in USERS.items()),
    "MOCKFORGE_KAFKA_AUTHORIZER": "acl",
    "MOCKFORGE_KAFKA_SUPER_USERS": "User:admin",
}
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
CLUSTER_AUTHORIZATION_FAILED = 31
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53


def acl(principal, operation, resource_type, name, pattern=ACLResourcePatternType.LITERAL,
        permission=ACLPermissionType.ALLOW):
    return ACL(principal=principal, host="*", operation=operation, permission_type=permission,
               resource_pattern=ResourcePattern(resource_type, name, pattern))


def any_filter(principal=None, resource_type=ResourceType.ANY, name=None,
               pattern=ACLResourcePatternType.ANY):
    return ACLFilter(principal=principal, host=None, operation=ACLOperation.ANY,
                     permission_type=ACLPermissionType.ANY,
                     resource_pattern=ResourcePatternFilter(resource_type, name, pattern))


class RawClient(kafka_wire.RawClient):
    """Kafka requests over a socket, authenticated with SASL PLAIN."""

    def __init__(self, port, user):
        super().__init__(port)
        assert self.sasl_plain(user, USERS[user]) == 0


class OperationsAclTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env=SERVER_ENV)
        cls.port = cls.server.ports["kafka"]
        cls.bootstrap = f"127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.admin = self.kafka_python_admin("admin")
        self.admin.delete_acls([any_filter()])

    def tearDown(self):
        self.admin.close()

    def librdkafka_config(self, user):
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": "PLAIN", "sasl.username": user, "sasl.password": USERS[user]}

    def kafka_python_admin(self, user):
        return KafkaAdminClient(bootstrap_servers=self.bootstrap,
                                security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                                sasl_plain_username=user, sasl_plain_password=USERS[user],
                                request_timeout_ms=10000)

    def grant(self, *acls):
        created = self.admin.create_acls(list(acls))
        self.assertEqual(created["failed"], [])

    def create_topics(self, *names, partitions=1):
        self.admin.create_topics([NewTopic(name, partitions, 1) for name in names])

    def raw(self, user):
        client = RawClient(self.port, user)
        self.addCleanup(client.close)
        return client

    # ---- idempotent and transactional producers (confluent-kafka / librdkafka) ----

    def idempotent_produce(self, user, topic):
        """The delivery errors and the producer's error callback errors."""
        results, errors = [], []
        producer = Producer({**self.librdkafka_config(user), "enable.idempotence": True,
                             "message.timeout.ms": 8000,
                             "error_cb": lambda error: errors.append(error)})
        try:
            producer.produce(topic, value=b"idempotent",
                             on_delivery=lambda err, msg: results.append(err))
        except KafkaException as fatal:
            # InitProducerId starts with the producer: its refusal may come before produce(),
            # which then fails with _FATAL; the next poll raises the cause.
            errors.append(fatal.args[0])
        try:
            producer.flush(15)
        except KafkaException as fatal:  # librdkafka raises its fatal error from flush()
            errors.append(fatal.args[0])
        return results, errors

    def test_idempotent_producer_needs_idempotent_write_or_write_on_a_topic(self):
        self.create_topics("acl-idem")
        self.grant(acl("User:alice", ACLOperation.DESCRIBE, ResourceType.TOPIC, "acl-idem"))
        results, errors = self.idempotent_produce("alice", "acl-idem")
        codes = {e.code() for e in errors} | {e.code() for e in results if e is not None}
        self.assertIn(KafkaError.CLUSTER_AUTHORIZATION_FAILED, codes, (results, errors))
        self.assertNotEqual(results, [None])

        # WRITE on some topic (here a prefixed one) is enough for InitProducerId, as in
        # Kafka 3.x; the Produce itself needs WRITE on acl-idem.
        self.grant(acl("User:alice", ACLOperation.WRITE, ResourceType.TOPIC, "acl-id",
                       ACLResourcePatternType.PREFIXED))
        results, errors = self.idempotent_produce("alice", "acl-idem")
        self.assertEqual(results, [None], errors)

        # bob: IDEMPOTENT_WRITE on the cluster passes InitProducerId; WRITE on the topic too.
        self.grant(acl("User:bob", ACLOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER,
                       "kafka-cluster"),
                   acl("User:bob", ACLOperation.WRITE, ResourceType.TOPIC, "acl-idem"))
        results, errors = self.idempotent_produce("bob", "acl-idem")
        self.assertEqual(results, [None], errors)

    def test_idempotent_producer_refused_when_every_topic_write_is_denied(self):
        self.create_topics("acl-idem-deny")
        self.grant(acl("User:bob", ACLOperation.WRITE, ResourceType.TOPIC, "acl-idem-deny"),
                   acl("User:bob", ACLOperation.WRITE, ResourceType.TOPIC, "*",
                       permission=ACLPermissionType.DENY))
        results, errors = self.idempotent_produce("bob", "acl-idem-deny")
        codes = {e.code() for e in errors} | {e.code() for e in results if e is not None}
        self.assertIn(KafkaError.CLUSTER_AUTHORIZATION_FAILED, codes, (results, errors))

    def transactional_producer(self, user, transactional_id):
        return Producer({**self.librdkafka_config(user), "transactional.id": transactional_id,
                         "message.timeout.ms": 10000, "transaction.timeout.ms": 30000})

    def test_transactional_producer_needs_write_on_the_transactional_id(self):
        self.create_topics("acl-txn")
        self.grant(acl("User:alice", ACLOperation.WRITE, ResourceType.TOPIC, "acl-txn"),
                   # DESCRIBE: FindCoordinator finds the transaction coordinator.
                   acl("User:alice", ACLOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID,
                       "alice-tx"))
        producer = self.transactional_producer("alice", "alice-tx")
        with self.assertRaises(KafkaException) as raised:
            producer.init_transactions(15)
        self.assertEqual(raised.exception.args[0].code(),
                         KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, raised.exception)
        del producer

        self.grant(acl("User:alice", ACLOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                       "alice-", ACLResourcePatternType.PREFIXED))
        producer = self.transactional_producer("alice", "alice-tx")
        producer.init_transactions(15)
        producer.begin_transaction()
        results = []
        producer.produce("acl-txn", value=b"in-txn", on_delivery=lambda e, m: results.append(e))
        producer.flush(15)
        producer.commit_transaction(15)
        self.assertEqual(results, [None])

        # Produce with the transactional id after WRITE on it is taken away: the whole
        # request is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED (the partition is in the
        # transaction already, so Produce is the next request to ask).
        producer.begin_transaction()
        results = []
        producer.produce("acl-txn", value=b"one", on_delivery=lambda e, m: results.append(e))
        producer.flush(15)
        self.assertEqual(results, [None])
        self.admin.delete_acls([any_filter(resource_type=ResourceType.TRANSACTIONAL_ID,
                                           name="alice-", pattern=ACLResourcePatternType.ANY)])
        producer.produce("acl-txn", value=b"two", on_delivery=lambda e, m: results.append(e))
        producer.flush(15)
        self.assertEqual(len(results), 2)
        self.assertIsNotNone(results[1])
        self.assertEqual(results[1].code(), KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                         results[1])

    def test_transactional_producer_needs_write_on_the_topic(self):
        self.create_topics("acl-txn-topic")
        self.grant(acl("User:alice", ACLOperation.DESCRIBE, ResourceType.TOPIC, "acl-txn-topic"),
                   acl("User:alice", ACLOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                       "alice-topic-tx"))
        producer = self.transactional_producer("alice", "alice-topic-tx")
        producer.init_transactions(15)
        producer.begin_transaction()
        results = []
        producer.produce("acl-txn-topic", value=b"x", on_delivery=lambda e, m: results.append(e))
        producer.flush(15)
        # AddPartitionsToTxn answers TOPIC_AUTHORIZATION_FAILED for the partition: the
        # transaction must be aborted (librdkafka purges the message).
        self.assertEqual(len(results), 1)
        self.assertIsNotNone(results[0])
        with self.assertRaises(KafkaException) as raised:
            producer.commit_transaction(15)
        error = raised.exception.args[0]
        self.assertTrue(error.txn_requires_abort(), error)
        self.assertEqual(error.code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, error)

    def test_send_offsets_needs_read_on_the_group(self):
        self.create_topics("acl-txn-in", "acl-txn-out")
        feeder = Producer(self.librdkafka_config("admin"))
        feeder.produce("acl-txn-in", value=b"in")
        feeder.flush(15)
        self.grant(acl("User:alice", ACLOperation.WRITE, ResourceType.TOPIC, "acl-txn-out"),
                   acl("User:alice", ACLOperation.READ, ResourceType.TOPIC, "acl-txn-in"),
                   acl("User:alice", ACLOperation.WRITE, ResourceType.TRANSACTIONAL_ID,
                       "alice-offsets-tx"))
        producer = self.transactional_producer("alice", "alice-offsets-tx")
        producer.init_transactions(15)
        producer.begin_transaction()
        producer.produce("acl-txn-out", value=b"out")
        producer.flush(15)
        offsets = [TopicPartition("acl-txn-in", 0, 1)]
        metadata = self.group_metadata("alice-txn-group")
        with self.assertRaises(KafkaException) as raised:
            producer.send_offsets_to_transaction(offsets, metadata, 15)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.GROUP_AUTHORIZATION_FAILED,
                         raised.exception)
        producer.abort_transaction(15)

        self.grant(acl("User:alice", ACLOperation.READ, ResourceType.GROUP, "alice-txn-group"))
        producer.begin_transaction()
        producer.produce("acl-txn-out", value=b"out")
        producer.flush(15)
        producer.send_offsets_to_transaction(offsets, metadata, 15)
        producer.commit_transaction(15)
        consumer = Consumer({**self.librdkafka_config("admin"), "group.id": "alice-txn-group"})
        committed = consumer.committed([TopicPartition("acl-txn-in", 0)], timeout=10)
        consumer.close()
        self.assertEqual(committed[0].offset, 1)

    def group_metadata(self, group):
        """send_offsets_to_transaction wants a consumer's group metadata: a consumer of the
        group that never joins gives it (generation -1, as a standalone commit)."""
        consumer = Consumer({**self.librdkafka_config("admin"), "group.id": group})
        metadata = consumer.consumer_group_metadata()
        consumer.close()
        return metadata

    # ---- configs and partitions (kafka-python, KafkaJS) ----

    def test_kafka_python_configs_need_describe_and_alter_configs(self):
        self.create_topics("acl-configs")
        alice = self.kafka_python_admin("alice")
        self.addCleanup(alice.close)
        topic = ConfigResource(ConfigResourceType.TOPIC, "acl-configs")
        broker = ConfigResource(ConfigResourceType.BROKER, "0")
        errors = {name: code for response in alice.describe_configs([topic, broker])
                  for code, _, _, name, _ in response.resources}
        self.assertEqual(errors, {"acl-configs": TOPIC_AUTHORIZATION_FAILED,
                                  "0": CLUSTER_AUTHORIZATION_FAILED})
        response = alice.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "acl-configs",
                                                       configs={"retention.ms": "60000"})])
        self.assertEqual([r[0] for r in response.resources], [TOPIC_AUTHORIZATION_FAILED])

        # ALTER_CONFIGS on the topic implies DESCRIBE_CONFIGS; DESCRIBE_CONFIGS on the cluster
        # shows the broker.
        self.grant(acl("User:alice", ACLOperation.ALTER_CONFIGS, ResourceType.TOPIC, "acl-"
                       , ACLResourcePatternType.PREFIXED),
                   acl("User:alice", ACLOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER,
                       "kafka-cluster"))
        response = alice.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "acl-configs",
                                                       configs={"retention.ms": "60000"})])
        self.assertEqual([r[0] for r in response.resources], [0])
        responses = alice.describe_configs([topic, broker])
        errors = {name: code for response in responses
                  for code, _, _, name, _ in response.resources}
        self.assertEqual(errors, {"acl-configs": 0, "0": 0})
        entries = {entry[0]: entry[1] for response in responses
                   for code, _, _, name, entries in response.resources
                   if name == "acl-configs" for entry in entries}
        self.assertEqual(entries["retention.ms"], "60000")

    def test_kafka_python_create_partitions_needs_alter(self):
        self.create_topics("acl-grow")
        alice = self.kafka_python_admin("alice")
        self.addCleanup(alice.close)
        # kafka-python raises the first topic error.
        with self.assertRaises(TopicAuthorizationFailedError):
            alice.create_partitions({"acl-grow": NewPartitions(3)})
        self.grant(acl("User:alice", ACLOperation.ALTER, ResourceType.TOPIC, "acl-grow"))
        response = alice.create_partitions({"acl-grow": NewPartitions(3)})
        self.assertEqual([r[1] for r in response.topic_errors], [0])
        metadata = Producer(self.librdkafka_config("admin")).list_topics("acl-grow", timeout=10)
        self.assertEqual(len(metadata.topics["acl-grow"].partitions), 3)

    def test_kafkajs_configs_partitions_and_delete_records(self):
        result = subprocess.run(
            ["node", os.path.join(HERE, "kafkajs_acls_operations_test.js"), self.bootstrap,
             "admin", USERS["admin"], "alice", USERS["alice"]],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs acl operations ok", result.stdout.decode())

    # ---- raw requests: APIs the installed clients do not send ----

    def test_incremental_alter_configs_needs_alter_configs(self):
        self.create_topics("acl-incr")

        def alter(user):
            # IncrementalAlterConfigs v0: resources[1] {type TOPIC, name, configs[1] {SET}}.
            body = (struct.pack(">ib", 1, 2) + kstring("acl-incr") + struct.pack(">i", 1) +
                    kstring("retention.ms") + struct.pack(">b", 0) + kstring("120000") +
                    struct.pack(">b", 0))
            reply = self.raw(user).request(44, 0, body)
            # throttle, responses count, error_code
            return struct.unpack(">h", reply[8:10])[0]

        self.assertEqual(alter("alice"), TOPIC_AUTHORIZATION_FAILED)
        self.grant(acl("User:alice", ACLOperation.ALTER_CONFIGS, ResourceType.TOPIC, "acl-incr"))
        self.assertEqual(alter("alice"), 0)

    def test_describe_log_dirs_needs_describe_on_the_cluster(self):
        self.create_topics("acl-logdirs")

        def describe(user):
            reply = self.raw(user).request(35, 1, struct.pack(">i", -1))  # v1, every topic
            return struct.unpack(">i", reply[4:8])[0]  # results

        self.assertEqual(describe("alice"), 0)  # no log directory described
        self.assertEqual(describe("admin"), 1)
        self.grant(acl("User:alice", ACLOperation.DESCRIBE, ResourceType.CLUSTER,
                       "kafka-cluster"))
        self.assertEqual(describe("alice"), 1)
        # v3 carries the error.
        # flexible: null topics, no tagged fields; the response header has tagged fields too.
        reply = self.raw("bob").request(35, 3, b"\x00" + b"\x00", flexible=True)
        self.assertEqual(struct.unpack(">h", reply[5:7])[0], CLUSTER_AUTHORIZATION_FAILED)

    def metadata_v8(self, user, topic):
        """Metadata v8 for `topic` with both authorized-operations flags: (the topic's, the
        cluster's) operation bits."""
        body = struct.pack(">i", 1) + kstring(topic) + struct.pack(">???", False, True, True)
        reply = self.raw(user).request(3, 8, body)
        pos = 4  # throttle_time_ms

        def take(fmt):
            nonlocal pos
            value = struct.unpack_from(fmt, reply, pos)[0]
            pos += struct.calcsize(fmt)
            return value

        def string():
            nonlocal pos
            length = take(">h")
            pos += max(length, 0)

        for _ in range(take(">i")):  # brokers: node_id, host, port, rack
            take(">i"), string(), take(">i"), string()
        string(), take(">i")  # cluster_id, controller_id
        topic_operations = None
        for _ in range(take(">i")):
            error, _ = take(">h"), string()
            take(">?")  # is_internal
            for _ in range(take(">i")):  # partitions
                take(">h"), take(">i"), take(">i"), take(">i")
                for _ in range(3):  # replicas, isr, offline replicas
                    count = take(">i")
                    pos += 4 * count
            topic_operations = take(">i")
            self.assertEqual(error, 0)
        return topic_operations, take(">i")

    def test_authorized_operations_follow_the_acls(self):
        """Metadata (v8), DescribeCluster and DescribeGroups report the operations the
        principal holds, as Kafka's authorizedOperations computes them."""
        bits = lambda *operations: sum(1 << op for op in operations)  # noqa: E731
        read, write, create, delete, alter, describe = 3, 4, 5, 6, 7, 8
        cluster_action, describe_configs, alter_configs, idempotent_write = 9, 10, 11, 12
        self.create_topics("acl-ops")
        self.assertEqual(self.metadata_v8("admin", "acl-ops"),
                         (bits(read, write, create, delete, alter, describe, describe_configs,
                               alter_configs),
                          bits(create, alter, describe, cluster_action, describe_configs,
                               alter_configs, idempotent_write)))
        self.grant(acl("User:alice", ACLOperation.READ, ResourceType.TOPIC, "acl-ops"))
        self.assertEqual(self.metadata_v8("alice", "acl-ops"), (bits(read, describe), 0))
        self.grant(acl("User:alice", ACLOperation.DESCRIBE, ResourceType.CLUSTER,
                       "kafka-cluster"),
                   acl("User:alice", ACLOperation.ALTER_CONFIGS, ResourceType.TOPIC, "acl-ops"))
        self.assertEqual(self.metadata_v8("alice", "acl-ops"),
                         (bits(read, describe, describe_configs, alter_configs), bits(describe)))

        # DescribeGroups v3 (kafka-python 2.0.2 reads its answer as v2 and drops the field,
        # so raw frames): one group without members; authorized_operations ends the answer.
        def group_operations(user):
            body = struct.pack(">i", 1) + kstring("acl-ops-group") + struct.pack(">?", True)
            reply = self.raw(user).request(15, 3, body)
            self.assertEqual(struct.unpack(">h", reply[8:10])[0], 0)
            return struct.unpack(">i", reply[-4:])[0]

        self.grant(acl("User:alice", ACLOperation.READ, ResourceType.GROUP, "acl-ops-group"))
        self.assertEqual(group_operations("alice"), bits(read, describe))
        self.assertEqual(group_operations("admin"), bits(read, describe, delete))

        # DescribeCluster v0 (flexible): include_cluster_authorized_operations.
        reply = self.raw("bob").request(60, 0, b"\x01\x00", flexible=True)
        self.assertEqual(struct.unpack(">h", reply[5:7])[0], 0)
        self.assertEqual(struct.unpack(">i", reply[-5:-1])[0], 0)  # bob holds nothing
        reply = self.raw("alice").request(60, 0, b"\x01\x00", flexible=True)
        self.assertEqual(struct.unpack(">i", reply[-5:-1])[0], bits(describe))

    def test_elect_leaders_needs_alter_on_the_cluster(self):
        self.create_topics("acl-elect")

        def elect(user):
            # ElectLeaders v1: preferred, topic_partitions[1] {acl-elect, [0]}, timeout.
            body = (struct.pack(">bi", 0, 1) + kstring("acl-elect") + struct.pack(">ii", 1, 0) +
                    struct.pack(">i", 10000))
            reply = self.raw(user).request(43, 1, body)
            top = struct.unpack(">h", reply[4:6])[0]
            # results[1]: topic, partitions[1]: partition_id, error_code
            offset = 6 + 4 + 2 + len("acl-elect") + 4 + 4
            return top, struct.unpack(">h", reply[offset:offset + 2])[0]

        self.assertEqual(elect("alice"),
                         (CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED))
        self.grant(acl("User:alice", ACLOperation.ALTER, ResourceType.CLUSTER, "kafka-cluster"))
        self.assertEqual(elect("alice"), (0, 84))  # ELECTION_NOT_NEEDED: one broker leads

    def test_offset_for_leader_epoch_needs_describe_or_cluster_action(self):
        self.create_topics("acl-epoch")

        def epoch(user):
            # OffsetForLeaderEpoch v3: replica -1 (consumer), topics[1] {acl-epoch,
            # partitions[1] {0, current epoch -1, leader epoch 0}}.
            body = (struct.pack(">ii", -1, 1) + kstring("acl-epoch") +
                    struct.pack(">iiii", 1, 0, -1, 0))
            reply = self.raw(user).request(23, 3, body)
            offset = 4 + 4 + 2 + len("acl-epoch") + 4
            return struct.unpack(">h", reply[offset:offset + 2])[0]

        self.assertEqual(epoch("alice"), TOPIC_AUTHORIZATION_FAILED)
        self.grant(acl("User:alice", ACLOperation.DESCRIBE, ResourceType.TOPIC, "acl-epoch"))
        self.assertEqual(epoch("alice"), 0)
        self.assertEqual(epoch("bob"), TOPIC_AUTHORIZATION_FAILED)
        self.grant(acl("User:bob", ACLOperation.CLUSTER_ACTION, ResourceType.CLUSTER,
                       "kafka-cluster"))
        self.assertEqual(epoch("bob"), 0)  # a follower's permission covers every topic


STARTUP_FIXTURES = """kafka:
  topics: [{name: fx-orders, partitions: 1}]
  acls:
    - {principal: "User:bob", operation: WRITE, resource_type: TOPIC, resource_name: fx-orders}
    - principal: "User:bob"
      operation: read
      resource_type: group
      resource_name: fx-
      pattern_type: prefixed
    - {principal: "User:bob", operation: WRITE, resource_type: TOPIC, resource_name: fx-,
       pattern_type: PREFIXED, permission: DENY, host: 10.1.2.3}
"""


def fixtures_dir(files):
    path = tempfile.mkdtemp(prefix="mockforge-acls-")
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    return path


class StartupAclTest(unittest.TestCase):
    """kafka.acls and fixture files' kafka: acls: are there at start-up and after a reset."""

    @classmethod
    def setUpClass(cls):
        cls.dir = fixtures_dir({"acls.yaml": STARTUP_FIXTURES})
        cls.server = Mockforge("--no-mqtt", "--no-amqp", "--fixtures", cls.dir, env={
            **SERVER_ENV,
            "MOCKFORGE_KAFKA_ACLS": "User:alice ALLOW WRITE TOPIC cfg- PREFIXED,"
                                    "User:alice ALLOW DESCRIBE TOPIC cfg-orders LITERAL *",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def admin(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap,
                                 security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                                 sasl_plain_username="admin",
                                 sasl_plain_password=USERS["admin"], request_timeout_ms=10000)
        self.addCleanup(admin.close)
        return admin

    def described(self):
        acls, error = self.admin().describe_acls(any_filter())
        self.assertEqual(error.errno, 0)
        return sorted((a.principal, a.host, a.operation.name, a.permission_type.name,
                       a.resource_pattern.resource_type.name, a.resource_pattern.resource_name,
                       a.resource_pattern.pattern_type.name) for a in acls)

    INITIAL = sorted([
        ("User:alice", "*", "WRITE", "ALLOW", "TOPIC", "cfg-", "PREFIXED"),
        ("User:alice", "*", "DESCRIBE", "ALLOW", "TOPIC", "cfg-orders", "LITERAL"),
        ("User:bob", "*", "WRITE", "ALLOW", "TOPIC", "fx-orders", "LITERAL"),
        ("User:bob", "*", "READ", "ALLOW", "GROUP", "fx-", "PREFIXED"),
        ("User:bob", "10.1.2.3", "WRITE", "DENY", "TOPIC", "fx-", "PREFIXED"),
    ])

    def produce(self, user, topic):
        results = []
        producer = Producer({"bootstrap.servers": self.bootstrap,
                             "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
                             "sasl.username": user, "sasl.password": USERS[user],
                             "message.timeout.ms": 8000})
        producer.produce(topic, value=b"x", on_delivery=lambda e, m: results.append(e))
        producer.flush(15)
        return results

    def test_config_and_fixture_acls_are_loaded_enforced_and_restored_by_reset(self):
        self.assertEqual(self.described(), self.INITIAL)
        self.admin().create_topics([NewTopic("cfg-orders", 1, 1)])
        self.assertEqual(self.produce("alice", "cfg-orders"), [None])  # kafka.acls
        self.assertEqual(self.produce("bob", "fx-orders"), [None])  # the fixture's ALLOW
        refused = self.produce("alice", "fx-orders")
        self.assertEqual(refused[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, refused)

        admin = self.admin()
        admin.delete_acls([any_filter(principal="User:bob")])
        admin.create_acls([acl("User:carol", ACLOperation.READ, ResourceType.TOPIC, "t")])
        status, _, _ = self.server.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        # Back to the start-up ACLs: the deleted ones return, the created one is gone.
        self.assertEqual(self.described(), self.INITIAL)


class AclEntryErrorsTest(unittest.TestCase):
    def run_serve(self, *args, env=None):
        return subprocess.run(
            [BIN, "serve", "--admin-port", "0", "--kafka-port", "0", "--no-mqtt", "--no-amqp",
             *args], capture_output=True, text=True, timeout=60,
            env={**os.environ, **SERVER_ENV, **(env or {})})

    def test_bad_fixture_acls_name_file_line_and_field(self):
        path = fixtures_dir({"bad.yaml": """kafka:
  acls:
    - {principal: alice, operation: WRITE, resource_type: TOPIC, resource_name: t}
    - {principal: "User:a", operation: SCRIBBLE, resource_type: TOPIC, resource_name: t}
    - {principal: "User:a", operation: ALTER, resource_type: CLUSTER, resource_name: c}
    - {principal: "User:a", operation: READ, resource_type: TOPIC, resource_name: t,
       pattern_type: MATCH}
    - {principal: "User:a", operation: READ, resource_type: TOPIC}
    - {principal: "User:a", operation: READ, resource_type: TOPIC, resource_name: t, role: x}
"""})
        self.addCleanup(shutil.rmtree, path, True)
        serve = self.run_serve("--fixtures", path)
        validate = subprocess.run([BIN, "fixtures", "validate", path], capture_output=True,
                                  text=True, timeout=60)
        self.assertNotEqual(serve.returncode, 0)
        self.assertNotEqual(validate.returncode, 0)
        for out in (serve.stdout + serve.stderr, validate.stdout + validate.stderr):
            self.assertIn("bad.yaml:3:", out)
            self.assertIn("kafka.acls[0].principal: expected a principal Type:name", out)
            self.assertIn("bad.yaml:4:", out)
            self.assertIn("kafka.acls[1].operation: expected an operation", out)
            self.assertIn("kafka.acls[2].resource_name: the only valid name for the CLUSTER "
                          "resource is kafka-cluster", out)
            self.assertIn("kafka.acls[3].pattern_type: expected a pattern type: LITERAL or "
                          "PREFIXED", out)
            self.assertIn("kafka.acls[4].resource_name: required", out)
            self.assertIn("kafka.acls[5].role: unknown field", out)

    def test_fixture_acls_need_the_authorizer(self):
        path = fixtures_dir({"acls.yaml": """kafka:
  acls: [{principal: "User:a", operation: READ, resource_type: TOPIC, resource_name: t}]
"""})
        self.addCleanup(shutil.rmtree, path, True)
        serve = self.run_serve("--fixtures", path, env={"MOCKFORGE_KAFKA_AUTHORIZER": "none"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("Kafka ACLs need kafka.authorizer: acl", serve.stdout + serve.stderr)

    def test_bad_config_entries_are_refused(self):
        serve = self.run_serve(env={"MOCKFORGE_KAFKA_ACLS": "User:a ALLOW WRITE TOPIC"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("kafka.acls", serve.stdout + serve.stderr)
        self.assertIn("PRINCIPAL PERMISSION OPERATION RESOURCE_TYPE NAME", serve.stdout +
                      serve.stderr)
        serve = self.run_serve(env={"MOCKFORGE_KAFKA_ACLS": "User:a PERMIT WRITE TOPIC t"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("expected a permission: ALLOW or DENY", serve.stdout + serve.stderr)
        serve = self.run_serve(env={"MOCKFORGE_KAFKA_ACLS": "User:a ALLOW WRITE TOPIC t",
                                    "MOCKFORGE_KAFKA_AUTHORIZER": "none"})
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("needs kafka.authorizer: acl", serve.stdout + serve.stderr)


if __name__ == "__main__":
    unittest.main()
