"""Kafka transactions (KIP-98) with real clients: confluent-kafka's transactional producer,
read_committed and read_uncommitted consumers, a fenced zombie producer,
consume-transform-produce with send_offsets_to_transaction, transaction timeouts,
and kcat with isolation.level=read_committed."""

import json
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from kafka_test_base import KafkaTestCase
from mockforge_harness import Mockforge


class TransactionsTest(KafkaTestCase):
    def create_topic(self, name, partitions=1):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(name, num_partitions=partitions)])[name].result(10)

    def transactional(self, transactional_id, **extra):
        producer = Producer({"bootstrap.servers": self.bootstrap,
                             "transactional.id": transactional_id, "linger.ms": 5, **extra})
        producer.init_transactions(15)
        return producer

    def admin_get(self, path):
        status, _, body = self.server.request("GET", "/__mockforge/api/" + path)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def latest(self, topic, isolation):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "latest",
                             "isolation.level": isolation})
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, 0), 10)[1]
        finally:
            consumer.close()

    def values(self, topic, isolation, expected=None, partitions=1, timeout=10):
        """Every value a fresh consumer with `isolation` reads from the start, until
        end-of-partition on every partition (or `expected` values)."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "reader",
                             "enable.auto.commit": False, "isolation.level": isolation,
                             "enable.partition.eof": True})
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        values, eof = [], set()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if expected is not None and len(values) >= expected:
                    break
                if expected is None and len(eof) == partitions:
                    break
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        eof.add(msg.partition())
                        continue
                    self.fail(str(msg.error()))
                eof.discard(msg.partition())
                values.append(msg.value().decode())
        finally:
            consumer.close()
        return values

    def test_committed_data_is_visible_and_aborted_data_is_not(self):
        self.create_topic("tx-basic")
        producer = self.transactional("tx-basic-id")
        producer.begin_transaction()
        producer.produce("tx-basic", value=b"c1")
        producer.produce("tx-basic", value=b"c2")
        producer.commit_transaction(15)
        producer.begin_transaction()
        producer.produce("tx-basic", value=b"a1")
        producer.produce("tx-basic", value=b"a2")
        self.assertEqual(producer.flush(10), 0)  # abort_transaction drops unsent records
        producer.abort_transaction(15)
        producer.begin_transaction()
        producer.produce("tx-basic", value=b"c3")
        producer.commit_transaction(15)
        self.assertEqual(self.values("tx-basic", "read_committed"), ["c1", "c2", "c3"])
        self.assertEqual(self.values("tx-basic", "read_uncommitted"),
                         ["c1", "c2", "a1", "a2", "c3"])
        # The markers take offsets: 5 records and 3 markers.
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "wm"})
        self.assertEqual(consumer.get_watermark_offsets(TopicPartition("tx-basic", 0), 10),
                         (0, 8))
        consumer.close()
        # The admin API's peek shows the records (aborted ones too), not the markers.
        peeked = self.admin_get("kafka/topics/tx-basic/messages?partition=0")["messages"]
        self.assertEqual([m["value"]["data"] for m in peeked], ["c1", "c2", "a1", "a2", "c3"])
        self.assertEqual([m["offset"] for m in peeked], [0, 1, 3, 4, 6])

    def test_open_transaction_holds_back_read_committed_consumers(self):
        self.create_topic("tx-open", partitions=2)
        plain = Producer({"bootstrap.servers": self.bootstrap})
        plain.produce("tx-open", value=b"before", partition=0)
        plain.flush(10)
        producer = self.transactional("tx-open-id")
        producer.begin_transaction()
        producer.produce("tx-open", value=b"pending-0", partition=0)
        producer.produce("tx-open", value=b"pending-1", partition=1)
        self.assertEqual(producer.flush(10), 0)
        # Written after the transaction's first record: held back too, until it ends.
        plain.produce("tx-open", value=b"after", partition=0)
        plain.flush(10)
        self.assertEqual(self.values("tx-open", "read_committed", partitions=2, timeout=3),
                         ["before"])
        partition = self.admin_get("kafka/topics/tx-open")["partitions"][0]
        self.assertEqual((partition["last_stable_offset"], partition["high_watermark"]), (1, 3))
        self.assertIn("kafka_transactions_open 1", self.metrics())
        # ListOffsets latest: the last stable offset for read_committed.
        self.assertEqual(self.latest("tx-open", "read_committed"), 1)
        self.assertEqual(self.latest("tx-open", "read_uncommitted"), 3)
        self.assertEqual(sorted(self.values("tx-open", "read_uncommitted", partitions=2)),
                         ["after", "before", "pending-0", "pending-1"])
        # A consumer that waits sees the records once the commit lands.
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "waiter",
                             "isolation.level": "read_committed"})
        consumer.assign([TopicPartition("tx-open", p, 0) for p in range(2)])
        producer.commit_transaction(15)
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 4 and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                got.append(msg.value().decode())
        consumer.close()
        self.assertEqual(sorted(got), ["after", "before", "pending-0", "pending-1"])
        self.assertIn("kafka_transactions_open 0", self.metrics())
        self.assertEqual(self.latest("tx-open", "read_committed"), 4)  # 3 records and a marker

    def test_second_producer_with_the_same_id_fences_the_zombie(self):
        self.create_topic("tx-zombie")
        zombie = self.transactional("tx-zombie-id")
        zombie.begin_transaction()
        zombie.produce("tx-zombie", value=b"zombie")
        self.assertEqual(zombie.flush(10), 0)
        fresh = self.transactional("tx-zombie-id")  # aborts the zombie's transaction
        fresh.begin_transaction()
        fresh.produce("tx-zombie", value=b"fresh")
        fresh.commit_transaction(15)
        with self.assertRaises(KafkaException) as raised:
            zombie.commit_transaction(15)
        error = raised.exception.args[0]
        self.assertTrue(error.fatal() or error.code() in (KafkaError._FENCED,
                                                           KafkaError.PRODUCER_FENCED,
                                                           KafkaError.INVALID_PRODUCER_EPOCH),
                        str(error))
        self.assertEqual(self.values("tx-zombie", "read_committed"), ["fresh"])
        self.assertEqual(self.values("tx-zombie", "read_uncommitted"), ["zombie", "fresh"])

    def consume_transform_produce(self, group, commit):
        """Reads tx-in from the group's committed position, writes upper-cased values to tx-out
        and the consumed offsets in one transaction, committed or aborted."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             "isolation.level": "read_committed"})
        consumer.subscribe(["tx-in"])
        producer = self.transactional(f"{group}-tx")
        producer.begin_transaction()
        seen = []
        deadline = time.monotonic() + 20
        while len(seen) < 3 and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            seen.append(msg.value().decode())
            producer.produce("tx-out", value=msg.value().upper())
        self.assertEqual(seen, ["x", "y", "z"])
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                             consumer.consumer_group_metadata(), 15)
        if commit:
            producer.commit_transaction(15)
        else:
            self.assertEqual(producer.flush(10), 0)  # abort_transaction drops unsent records
            producer.abort_transaction(15)
        consumer.close()

    def committed(self, group):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        offsets = consumer.committed([TopicPartition("tx-in", 0)], 10)
        consumer.close()
        return offsets[0].offset

    def test_consume_transform_produce_commits_offsets_with_the_transaction(self):
        self.create_topic("tx-in")
        self.create_topic("tx-out")
        plain = Producer({"bootstrap.servers": self.bootstrap})
        for value in (b"x", b"y", b"z"):
            plain.produce("tx-in", value=value)
        plain.flush(10)
        # Aborted: no output visible, no offsets committed.
        self.consume_transform_produce("ctp", commit=False)
        self.assertLess(self.committed("ctp"), 0)
        self.assertEqual(self.values("tx-out", "read_committed"), [])
        # Committed: the group starts over (nothing was committed) and commits 3.
        self.consume_transform_produce("ctp", commit=True)
        self.assertEqual(self.committed("ctp"), 3)
        self.assertEqual(self.values("tx-out", "read_committed"), ["X", "Y", "Z"])
        self.assertEqual(self.values("tx-out", "read_uncommitted"), ["X", "Y", "Z"] * 2)

    def test_kcat_read_committed(self):
        self.create_topic("tx-kcat")
        producer = self.transactional("tx-kcat-id")
        producer.begin_transaction()
        producer.produce("tx-kcat", value=b"gone")
        self.assertEqual(producer.flush(10), 0)  # abort_transaction drops unsent records
        producer.abort_transaction(15)
        producer.begin_transaction()
        producer.produce("tx-kcat", value=b"kept")
        producer.commit_transaction(15)
        committed = self.kcat("-C", "-t", "tx-kcat", "-o", "beginning", "-e", "-f", "%s\n",
                              "-X", "isolation.level=read_committed")
        self.assertEqual(committed.split(), ["kept"])
        uncommitted = self.kcat("-C", "-t", "tx-kcat", "-o", "beginning", "-e", "-f", "%s\n",
                                "-X", "isolation.level=read_uncommitted")
        self.assertEqual(uncommitted.split(), ["gone", "kept"])

    def test_reset_aborts_open_transactions(self):
        self.create_topic("tx-reset")
        producer = self.transactional("tx-reset-id")
        producer.begin_transaction()
        producer.produce("tx-reset", value=b"lost")
        self.assertEqual(producer.flush(10), 0)
        status, _, body = self.server.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)
        with self.assertRaises(KafkaException):
            producer.commit_transaction(15)
        # A new producer with the same id starts cleanly.
        fresh = self.transactional("tx-reset-id")
        fresh.begin_transaction()
        fresh.produce("tx-reset", value=b"after-reset")
        fresh.commit_transaction(15)
        self.assertEqual(self.values("tx-reset", "read_committed"), ["after-reset"])


class TransactionTimeoutTest(unittest.TestCase):
    """kafka.transaction_max_timeout caps transaction.timeout.ms; open transactions past
    their timeout are aborted by the broker."""

    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge("--no-mqtt", "--no-amqp",
                               env={"MOCKFORGE_KAFKA_TRANSACTION_MAX_TIMEOUT": "5s"})
        cls.bootstrap = f"127.0.0.1:{cls.server.ports['kafka']}"

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_maximum_is_described_as_a_broker_config(self):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        resource = ConfigResource(ConfigResource.Type.BROKER, "0")
        configs = admin.describe_configs([resource])[resource].result(10)
        self.assertEqual(configs["transaction.max.timeout.ms"].value, "5000")

    def test_timeout_above_the_maximum_is_refused(self):
        producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "too-long",
                             "transaction.timeout.ms": 60000})
        with self.assertRaises(KafkaException) as raised:
            producer.init_transactions(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_TRANSACTION_TIMEOUT)

    def test_expired_transaction_is_aborted(self):
        producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "slow",
                             "transaction.timeout.ms": 1000, "linger.ms": 5})
        producer.init_transactions(10)
        producer.begin_transaction()
        producer.produce("tx-slow", value=b"expired")
        self.assertEqual(producer.flush(10), 0)
        time.sleep(2)
        with self.assertRaises(KafkaException):
            producer.commit_transaction(10)
        plain = Producer({"bootstrap.servers": self.bootstrap})
        plain.produce("tx-slow", value=b"later")
        plain.flush(10)
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "slow-reader",
                             "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
        consumer.assign([TopicPartition("tx-slow", 0, 0)])
        got = []
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                got.append(msg.value().decode())
        consumer.close()
        self.assertEqual(got, ["later"])


if __name__ == "__main__":
    unittest.main()
