"""Kafka ACLs (kafka.authorizer: acl) with real clients: kafka-python's KafkaAdminClient,
KafkaJS's admin and librdkafka's C ACL API create, describe and delete ACLs (literal, prefixed,
wildcard); producers, consumers and admin clients of confluent-kafka and kafka-python are
refused with TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED and
CLUSTER_AUTHORIZATION_FAILED where no ALLOW matches or a DENY does; Metadata and ListGroups
hide what a principal may not describe; super users may do anything; a reset drops the ACLs;
without SASL the principal is User:ANONYMOUS; with kafka.authorizer none the ACL APIs answer
SECURITY_DISABLED."""

import os
import socket
import struct
import subprocess
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, KafkaAdminClient, NewTopic, ResourcePattern,
                         ResourcePatternFilter, ResourceType)
from kafka.errors import (GroupAuthorizationFailedError, SecurityDisabledError,
                          TopicAuthorizationFailedError)

from mockforge_harness import Mockforge

CLIENTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}


def acl(principal, operation, resource_type, name, pattern=ACLResourcePatternType.LITERAL,
        permission=ACLPermissionType.ALLOW):
    return ACL(principal=principal, host="*", operation=operation, permission_type=permission,
               resource_pattern=ResourcePattern(resource_type, name, pattern))


def any_filter(principal=None, resource_type=ResourceType.ANY, name=None,
               pattern=ACLResourcePatternType.ANY):
    return ACLFilter(principal=principal, host=None, operation=ACLOperation.ANY,
                     permission_type=ACLPermissionType.ANY,
                     resource_pattern=ResourcePatternFilter(resource_type, name, pattern))


class AclTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env={
            "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN,SCRAM-SHA-256",
            "MOCKFORGE_KAFKA_SASL_USERS": ",".join(f"{u}:{p}" for u, p in USERS.items()),
            "MOCKFORGE_KAFKA_AUTHORIZER": "acl",
            "MOCKFORGE_KAFKA_SUPER_USERS": "User:admin",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.admin = self.kafka_python_admin("admin")
        # Each test starts from no ACLs.
        self.admin.delete_acls([any_filter()])

    def tearDown(self):
        self.admin.close()

    def librdkafka_config(self, user, mechanism="PLAIN"):
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": mechanism, "sasl.username": user,
                "sasl.password": USERS[user]}

    def kafka_python_config(self, user):
        return {"bootstrap_servers": self.bootstrap, "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN", "sasl_plain_username": user,
                "sasl_plain_password": USERS[user]}

    def kafka_python_admin(self, user):
        return KafkaAdminClient(**self.kafka_python_config(user), request_timeout_ms=10000)

    def create_topics(self, *names):
        self.admin.create_topics([NewTopic(name, 1, 1) for name in names])

    def produce(self, user, topic, count=1, mechanism="PLAIN"):
        """confluent-kafka: the delivery errors (None for delivered)."""
        results = []
        producer = Producer({**self.librdkafka_config(user, mechanism),
                             "message.timeout.ms": 10000})
        for i in range(count):
            producer.produce(topic, value=b"m%d" % i,
                             on_delivery=lambda err, msg: results.append(err))
        producer.flush(20)
        return results

    # ---- ACL admin APIs ----

    def test_kafka_python_create_describe_delete(self):
        created = self.admin.create_acls([
            acl("User:alice", ACLOperation.WRITE, ResourceType.TOPIC, "orders"),
            acl("User:alice", ACLOperation.READ, ResourceType.TOPIC, "shared-",
                ACLResourcePatternType.PREFIXED),
            acl("User:*", ACLOperation.READ, ResourceType.GROUP, "*"),
        ])
        self.assertEqual(len(created["succeeded"]), 3, created)
        self.assertEqual(created["failed"], [])

        acls, error = self.admin.describe_acls(any_filter(principal="User:alice"))
        self.assertIs(error.errno, 0)
        self.assertEqual(
            sorted((a.resource_pattern.resource_name, a.resource_pattern.pattern_type,
                    a.operation) for a in acls),
            [("orders", ACLResourcePatternType.LITERAL, ACLOperation.WRITE),
             ("shared-", ACLResourcePatternType.PREFIXED, ACLOperation.READ)])
        # MATCH: what applies to topic shared-data (the prefixed ACL), and to group g (the
        # wildcard).
        acls, _ = self.admin.describe_acls(any_filter(
            resource_type=ResourceType.TOPIC, name="shared-data",
            pattern=ACLResourcePatternType.MATCH))
        self.assertEqual([a.resource_pattern.resource_name for a in acls], ["shared-"])
        acls, _ = self.admin.describe_acls(any_filter(
            resource_type=ResourceType.GROUP, name="g", pattern=ACLResourcePatternType.MATCH))
        self.assertEqual([(a.principal, a.resource_pattern.resource_name) for a in acls],
                         [("User:*", "*")])

        deleted = self.admin.delete_acls([any_filter(resource_type=ResourceType.TOPIC,
                                                     name="orders")])
        self.assertEqual(len(deleted), 1)
        _, matching, error = deleted[0]
        self.assertIs(error.errno, 0)
        self.assertEqual([(m.principal, m.resource_pattern.resource_name) for m, _ in matching]
                         if matching and isinstance(matching[0], tuple) else
                         [(m.principal, m.resource_pattern.resource_name) for m in matching],
                         [("User:alice", "orders")])
        acls, _ = self.admin.describe_acls(any_filter())
        self.assertEqual(len(acls), 2)

    def test_kafka_python_invalid_acl_is_refused(self):
        created = self.admin.create_acls([
            acl("User:alice", ACLOperation.ALTER, ResourceType.CLUSTER, "not-the-cluster")])
        self.assertEqual(created["succeeded"], [])
        self.assertEqual(len(created["failed"]), 1)

    def test_non_super_user_cannot_manage_acls(self):
        alice = self.kafka_python_admin("alice")
        try:
            created = alice.create_acls([acl("User:alice", ACLOperation.ALL, ResourceType.TOPIC,
                                             "*")])
            self.assertEqual(created["succeeded"], [])
            self.assertIn("ClusterAuthorizationFailed", repr(created["failed"]))
            with self.assertRaises(Exception) as raised:
                alice.describe_acls(any_filter())
            self.assertIn("ClusterAuthorizationFailed", repr(raised.exception))
        finally:
            alice.close()
        # With ALTER on the cluster, alice may.
        self.admin.create_acls([acl("User:alice", ACLOperation.ALTER, ResourceType.CLUSTER,
                                    "kafka-cluster")])
        alice = self.kafka_python_admin("alice")
        try:
            created = alice.create_acls([acl("User:bob", ACLOperation.READ, ResourceType.TOPIC,
                                             "x")])
            self.assertEqual(created["failed"], [])
        finally:
            alice.close()

    def test_librdkafka_acl_admin_api(self):
        result = subprocess.run(
            [os.environ["LIBRDKAFKA_ACLS_BIN"], self.bootstrap, "admin", USERS["admin"], "alice",
             USERS["alice"]], capture_output=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("ok: DeleteAcls", result.stdout.decode())
        _, _, metrics = self.server.request("GET", "/__mockforge/metrics")
        self.assertIn('kafka_request_errors_total{api="DescribeAcls",'
                      'error="CLUSTER_AUTHORIZATION_FAILED"}', metrics)

    def test_kafkajs_admin(self):
        result = subprocess.run(
            ["node", os.path.join(HERE, "kafkajs_acls_test.js"), self.bootstrap, "admin",
             USERS["admin"], "alice", USERS["alice"]],
            capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": os.path.join(CLIENTS_DIR, "node_modules")})
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertIn("kafkajs acls ok", result.stdout.decode())

    # ---- enforcement ----

    def test_produce_needs_write_and_deny_wins(self):
        self.create_topics("acl-orders")
        self.assertEqual(self.produce("admin", "acl-orders"), [None])  # super user
        self.admin.create_acls([
            acl("User:*", ACLOperation.WRITE, ResourceType.TOPIC, "acl-orders"),
            acl("User:bob", ACLOperation.WRITE, ResourceType.TOPIC, "acl-",
                ACLResourcePatternType.PREFIXED, ACLPermissionType.DENY),
        ])
        self.assertEqual(self.produce("alice", "acl-orders", mechanism="SCRAM-SHA-256"), [None])
        errors = self.produce("bob", "acl-orders")
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, errors[0])

    def test_produce_without_any_acl_is_refused(self):
        self.create_topics("acl-nobody")
        errors = self.produce("alice", "acl-nobody")
        self.assertEqual(errors[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, errors[0])
        # DESCRIBE alone (Metadata passes) still gets TOPIC_AUTHORIZATION_FAILED from Produce.
        self.admin.create_acls([acl("User:alice", ACLOperation.DESCRIBE, ResourceType.TOPIC,
                                    "acl-nobody")])
        errors = self.produce("alice", "acl-nobody")
        self.assertEqual(errors[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, errors[0])

    def test_kafka_python_producer_is_refused(self):
        self.create_topics("acl-kp")
        self.admin.create_acls([acl("User:bob", ACLOperation.DESCRIBE, ResourceType.TOPIC,
                                    "acl-kp")])
        producer = KafkaProducer(**self.kafka_python_config("bob"), retries=0)
        try:
            with self.assertRaises(TopicAuthorizationFailedError):
                producer.send("acl-kp", b"x").get(timeout=20)
        finally:
            producer.close()

    def test_metadata_lists_only_described_topics(self):
        self.create_topics("acl-visible", "acl-hidden")
        self.admin.create_acls([acl("User:alice", ACLOperation.READ, ResourceType.TOPIC,
                                    "acl-visible")])
        producer = Producer(self.librdkafka_config("alice"))
        topics = producer.list_topics(timeout=10).topics
        self.assertIn("acl-visible", topics)  # READ implies DESCRIBE
        self.assertNotIn("acl-hidden", topics)
        hidden = producer.list_topics("acl-hidden", timeout=10).topics["acl-hidden"]
        self.assertEqual(hidden.error.code(), KafkaError.TOPIC_AUTHORIZATION_FAILED)
        admin_topics = Producer(self.librdkafka_config("admin")).list_topics(timeout=10).topics
        self.assertIn("acl-hidden", admin_topics)

    def test_consumer_needs_read_on_topic_and_group(self):
        self.create_topics("shared-feed")
        self.assertEqual(self.produce("admin", "shared-feed", count=3), [None] * 3)
        self.admin.create_acls([
            acl("User:alice", ACLOperation.READ, ResourceType.TOPIC, "shared-",
                ACLResourcePatternType.PREFIXED),
            acl("User:alice", ACLOperation.READ, ResourceType.GROUP, "alice-",
                ACLResourcePatternType.PREFIXED),
        ])
        consumer = Consumer({**self.librdkafka_config("alice"), "group.id": "alice-readers",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["shared-feed"])
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 3 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                got.append(msg.value())
        consumer.commit(asynchronous=False)
        consumer.close()
        self.assertEqual(got, [b"m0", b"m1", b"m2"])

        # A group alice may not read: GROUP_AUTHORIZATION_FAILED.
        consumer = Consumer({**self.librdkafka_config("alice"), "group.id": "other-group",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["shared-feed"])
        error = None
        deadline = time.monotonic() + 30
        while error is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error():
                error = msg.error()
        consumer.close()
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), KafkaError.GROUP_AUTHORIZATION_FAILED, error)

    def test_kafka_python_consumer_fetch_is_refused(self):
        self.create_topics("acl-fetch")
        self.assertEqual(self.produce("admin", "acl-fetch"), [None])
        # DESCRIBE but not READ: Fetch answers TOPIC_AUTHORIZATION_FAILED.
        self.admin.create_acls([acl("User:bob", ACLOperation.DESCRIBE, ResourceType.TOPIC,
                                    "acl-fetch")])
        from kafka import TopicPartition
        consumer = KafkaConsumer(**self.kafka_python_config("bob"), group_id=None,
                                 auto_offset_reset="earliest", consumer_timeout_ms=5000)
        try:
            partition = TopicPartition("acl-fetch", 0)
            consumer.assign([partition])
            consumer.seek(partition, 0)
            with self.assertRaises(TopicAuthorizationFailedError):
                for _ in range(20):
                    consumer.poll(timeout_ms=500)
        finally:
            consumer.close()

    def test_create_and_delete_topics_need_their_operations(self):
        alice = self.kafka_python_admin("alice")
        try:
            result = alice.create_topics([NewTopic("acl-created", 1, 1)])
            errors = [error for _, error, *_ in result.topic_errors]
            self.assertEqual(errors, [TopicAuthorizationFailedError.errno])
        except TopicAuthorizationFailedError:
            pass
        finally:
            alice.close()
        self.admin.create_acls([
            acl("User:alice", ACLOperation.CREATE, ResourceType.TOPIC, "acl-created"),
        ])
        alice = self.kafka_python_admin("alice")
        try:
            alice.create_topics([NewTopic("acl-created", 1, 1)])
            try:
                result = alice.delete_topics(["acl-created"])
                errors = [error for _, error in result.topic_error_codes]
                self.assertEqual(errors, [TopicAuthorizationFailedError.errno])
            except TopicAuthorizationFailedError:
                pass
            self.admin.create_acls([acl("User:alice", ACLOperation.DELETE, ResourceType.TOPIC,
                                        "acl-created")])
            result = alice.delete_topics(["acl-created"])
            self.assertEqual([error for _, error in result.topic_error_codes], [0])
        finally:
            alice.close()

    def commit_as_admin(self, group, topic):
        """A standalone offset commit: the group exists (Empty) afterwards."""
        from confluent_kafka import TopicPartition
        consumer = Consumer({**self.librdkafka_config("admin"), "group.id": group})
        consumer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
        consumer.close()

    def test_group_admin_needs_describe_and_delete(self):
        self.create_topics("acl-groups")
        self.assertEqual(self.produce("admin", "acl-groups"), [None])
        self.commit_as_admin("alice-g", "acl-groups")
        self.commit_as_admin("secret-g", "acl-groups")
        self.admin.create_acls([acl("User:alice", ACLOperation.DESCRIBE, ResourceType.GROUP,
                                    "alice-", ACLResourcePatternType.PREFIXED)])
        alice = self.kafka_python_admin("alice")
        try:
            groups = [group for group, _ in alice.list_consumer_groups()]
            self.assertIn("alice-g", groups)
            self.assertNotIn("secret-g", groups)
            with self.assertRaises(GroupAuthorizationFailedError):
                alice.describe_consumer_groups(["secret-g"])
            self.assertEqual(alice.describe_consumer_groups(["alice-g"])[0].group, "alice-g")
            results = dict(alice.delete_consumer_groups(["alice-g"]))
            self.assertIs(results["alice-g"], GroupAuthorizationFailedError)
        finally:
            alice.close()
        admin_groups = [group for group, _ in self.admin.list_consumer_groups()]
        self.assertIn("secret-g", admin_groups)  # a super user lists every group

    def test_list_offsets_needs_describe(self):
        from confluent_kafka import KafkaException, TopicPartition
        self.create_topics("acl-offsets")
        consumer = Consumer({**self.librdkafka_config("bob"), "group.id": "bob-offsets"})
        try:
            # librdkafka stops at Metadata's TOPIC_AUTHORIZATION_FAILED (unknown partition);
            # AnonymousAclTest sends the ListOffsets request itself.
            with self.assertRaises(KafkaException):
                consumer.get_watermark_offsets(TopicPartition("acl-offsets", 0), timeout=10)
        finally:
            consumer.close()
        self.admin.create_acls([acl("User:bob", ACLOperation.DESCRIBE, ResourceType.TOPIC,
                                    "acl-offsets")])
        consumer = Consumer({**self.librdkafka_config("bob"), "group.id": "bob-offsets"})
        try:
            partition = TopicPartition("acl-offsets", 0)
            self.assertEqual(consumer.get_watermark_offsets(partition, timeout=10), (0, 0))
        finally:
            consumer.close()

    def test_reset_drops_acls(self):
        self.admin.create_acls([acl("User:alice", ACLOperation.READ, ResourceType.TOPIC, "r")])
        status, _, _ = self.server.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        admin = self.kafka_python_admin("admin")
        try:
            acls, _ = admin.describe_acls(any_filter())
            self.assertEqual(acls, [])
        finally:
            admin.close()


class AnonymousAclTest(unittest.TestCase):
    """Without SASL the principal is User:ANONYMOUS."""

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp", env={
            "MOCKFORGE_KAFKA_AUTHORIZER": "acl",
        })
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_anonymous_is_refused_until_allowed(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            created = admin.create_acls([acl("User:ANONYMOUS", ACLOperation.ALL,
                                             ResourceType.TOPIC, "*")])
            self.assertEqual(created["succeeded"], [])  # no ALTER on the cluster
        finally:
            admin.close()
        errors = []
        producer = Producer({"bootstrap.servers": self.bootstrap, "message.timeout.ms": 10000})
        producer.produce("anon-topic", value=b"x", on_delivery=lambda e, m: errors.append(e))
        producer.flush(20)
        self.assertEqual(errors[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, errors[0])


    def test_list_offsets_without_describe_is_refused(self):
        # ListOffsets v1 (key 2) for partition 0 of a topic, latest offset.
        topic = b"anon-offsets"
        body = (struct.pack(">hhih", 2, 1, 5, 3) + b"raw" + struct.pack(">ii", -1, 1) +
                struct.pack(">h", len(topic)) + topic + struct.pack(">iiq", 1, 0, -1))
        with socket.create_connection(("127.0.0.1", self.server.ports["kafka"]), timeout=10) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", s.recv(4))[0]
            payload = b""
            while len(payload) < size:
                payload += s.recv(size - len(payload))
        # correlation, topics[1], name, partitions[1], partition, error_code
        offset = 4 + 4 + 2 + len(topic) + 4 + 4
        self.assertEqual(struct.unpack(">h", payload[offset:offset + 2])[0], 29)


class AuthorizerOffTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp")
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_acl_apis_answer_security_disabled(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            with self.assertRaises(SecurityDisabledError):
                admin.describe_acls(any_filter())
            created = admin.create_acls([acl("User:a", ACLOperation.READ, ResourceType.TOPIC,
                                             "t")])
            self.assertEqual(created["succeeded"], [])
            self.assertIn("SecurityDisabled", repr(created["failed"]))
        finally:
            admin.close()
        # Everything stays allowed.
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce("free-" + uuid.uuid4().hex[:6], value=b"x")
        self.assertEqual(producer.flush(20), 0)


if __name__ == "__main__":
    unittest.main()
