"""confluent-kafka (Python, librdkafka) against mockforge: idempotent producer, group
consumer with commits, AdminClient topic management."""

import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource, NewPartitions,
                                  NewTopic)

from kafka_test_base import KafkaTestCase


class ConfluentTest(KafkaTestCase):
    def admin(self):
        # Kept on the test: a destroyed AdminClient fails its pending futures.
        self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def produce(self, topic, count, **extra):
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                             "linger.ms": 5, **extra})
        reports = []
        for i in range(count):
            producer.produce(topic, key=b"key-%d" % i, value=b"value-%d" % i,
                             headers=[("h", b"%d" % i)],
                             on_delivery=lambda err, msg: reports.append((err, msg)))
        self.assertEqual(producer.flush(30), 0)
        return reports

    def consume_all(self, consumer, expected, timeout=30):
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                self.fail(str(msg.error()))
            messages.append(msg)
        return messages

    def test_admin_create_describe_delete_topics(self):
        admin = self.admin()
        futures = admin.create_topics([NewTopic("cf-admin", num_partitions=3,
                                                replication_factor=1,
                                                config={"retention.ms": "60000"})])
        futures["cf-admin"].result(10)
        metadata = admin.list_topics(timeout=10)
        self.assertIn("cf-admin", metadata.topics)
        self.assertEqual(sorted(metadata.topics["cf-admin"].partitions), [0, 1, 2])
        # Creating it again is TOPIC_ALREADY_EXISTS.
        again = admin.create_topics([NewTopic("cf-admin", num_partitions=1)])
        with self.assertRaises(KafkaException) as raised:
            again["cf-admin"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.TOPIC_ALREADY_EXISTS)
        # Zero partitions is INVALID_PARTITIONS; validate_only creates nothing.
        bad = admin.create_topics([NewTopic("cf-bad", num_partitions=0)])
        with self.assertRaises(KafkaException) as raised:
            bad["cf-bad"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_PARTITIONS)
        admin.create_topics([NewTopic("cf-dry", num_partitions=2)],
                            validate_only=True)["cf-dry"].result(10)
        self.assertNotIn("cf-dry", admin.list_topics(timeout=10).topics)
        admin.delete_topics(["cf-admin"])["cf-admin"].result(10)
        self.assertNotIn("cf-admin", admin.list_topics(timeout=10).topics)
        with self.assertRaises(KafkaException) as raised:
            admin.delete_topics(["cf-admin"])["cf-admin"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)

    def test_idempotent_producer_offsets_are_consecutive(self):
        self.admin().create_topics([NewTopic("cf-idem", 1, 1)])["cf-idem"].result(10)
        reports = self.produce("cf-idem", 200)
        self.assertEqual([err for err, _ in reports if err], [])
        self.assertEqual(sorted(msg.offset() for _, msg in reports), list(range(200)))
        self.assertIn('kafka_messages_produced_total{topic="cf-idem"} 200', self.metrics())

    def test_group_consumer_commits_and_resumes(self):
        self.admin().create_topics([NewTopic("cf-group", 2, 1)])["cf-group"].result(10)
        self.produce("cf-group", 40)
        config = {"bootstrap.servers": self.bootstrap, "group.id": "cf-g",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False}
        consumer = Consumer(config)
        consumer.subscribe(["cf-group"])
        messages = self.consume_all(consumer, 40)
        self.assertEqual(sorted(m.value() for m in messages),
                         sorted(b"value-%d" % i for i in range(40)))
        for m in messages:
            self.assertEqual(m.headers(), [("h", m.value()[len(b"value-"):])])
            self.assertEqual(m.key(), b"key-" + m.value()[len(b"value-"):])
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition("cf-group", 0),
                                        TopicPartition("cf-group", 1)], timeout=10)
        self.assertEqual(sum(tp.offset for tp in committed), 40)
        consumer.close()

        self.produce("cf-group", 5)
        consumer = Consumer(config)
        consumer.subscribe(["cf-group"])
        again = self.consume_all(consumer, 5)
        self.assertEqual(len(again), 5)
        consumer.close()

    def test_admin_describe_and_alter_configs(self):
        admin = self.admin()
        admin.create_topics([NewTopic("cf-configs", 1, 1, config={
            "retention.ms": "60000", "cleanup.policy": "compact"})])["cf-configs"].result(10)
        topic = ConfigResource("topic", "cf-configs")
        configs = admin.describe_configs([topic])[topic].result(10)
        self.assertEqual(configs["retention.ms"].value, "60000")
        self.assertEqual(ConfigSource(configs["retention.ms"].source),
                         ConfigSource.DYNAMIC_TOPIC_CONFIG)
        self.assertEqual(configs["cleanup.policy"].value, "compact")
        self.assertEqual(configs["max.message.bytes"].value, "1048588")
        self.assertTrue(configs["max.message.bytes"].is_default)
        self.assertEqual(ConfigSource(configs["max.message.bytes"].source),
                         ConfigSource.DEFAULT_CONFIG)
        self.assertIn("message.max.bytes", configs["max.message.bytes"].synonyms)

        # AlterConfigs replaces the set: retention.ms and cleanup.policy return to defaults.
        altered = ConfigResource("topic", "cf-configs",
                                 set_config={"message.timestamp.type": "LogAppendTime"})
        admin.alter_configs([altered])[altered].result(10)
        configs = admin.describe_configs([topic])[topic].result(10)
        self.assertEqual(configs["message.timestamp.type"].value, "LogAppendTime")
        self.assertEqual(configs["cleanup.policy"].value, "delete")
        self.assertTrue(configs["retention.ms"].is_default)

        # validate_only changes nothing; bad values and unknown names are INVALID_CONFIG.
        dry = ConfigResource("topic", "cf-configs", set_config={"retention.bytes": "1000"})
        admin.alter_configs([dry], validate_only=True)[dry].result(10)
        configs = admin.describe_configs([topic])[topic].result(10)
        self.assertTrue(configs["retention.bytes"].is_default)
        for bad in ({"retention.ms": "tomorrow"}, {"segment.bytes": "13"},
                    {"no.such.config": "1"}):
            resource = ConfigResource("topic", "cf-configs", set_config=bad)
            with self.assertRaises(KafkaException) as raised:
                admin.alter_configs([resource])[resource].result(10)
            self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_CONFIG)

        # The broker's own configs are read-only.
        broker = ConfigResource("broker", "0")
        broker_configs = admin.describe_configs([broker])[broker].result(10)
        self.assertEqual(broker_configs["num.partitions"].value, "1")
        self.assertTrue(broker_configs["num.partitions"].is_read_only)

    def test_create_topics_refuses_unknown_config(self):
        futures = self.admin().create_topics([NewTopic("cf-badconf", 1, 1,
                                                        config={"no.such.config": "1"})])
        with self.assertRaises(KafkaException) as raised:
            futures["cf-badconf"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_CONFIG)

    def test_topics_take_every_kafka_topic_config(self):
        """What scripts set when they create topics (segments, compaction, compression,
        flushing, throttles) is taken and described as Kafka does, defaults included."""
        admin = self.admin()
        given = {"segment.bytes": "1048576", "segment.ms": "600000", "compression.type": "zstd",
                 "delete.retention.ms": "1000", "min.compaction.lag.ms": "0",
                 "min.cleanable.dirty.ratio": "0.01", "unclean.leader.election.enable": "false",
                 "preallocate": "FALSE", "leader.replication.throttled.replicas": "0:0",
                 "cleanup.policy": "compact,delete"}
        admin.create_topics([NewTopic("cf-allconf", 1, 1, config=given)])["cf-allconf"].result(10)
        topic = ConfigResource("topic", "cf-allconf")
        configs = admin.describe_configs([topic])[topic].result(10)
        for name, value in given.items():
            self.assertEqual(configs[name].value, value, name)
            self.assertFalse(configs[name].is_default, name)
        self.assertEqual(configs["segment.index.bytes"].value, "10485760")
        self.assertTrue(configs["segment.index.bytes"].is_default)
        self.assertIn("log.roll.ms", configs["segment.ms"].synonyms)
        for name, value, why in (
                ("segment.bytes", "13", "Value must be at least 14"),
                ("min.cleanable.dirty.ratio", "1.5", "Value must be no more than 1"),
                ("compression.type", "brotli", "String must be one of"),
                ("preallocate", "maybe", "Expected value to be either true or false"),
                ("remote.storage.enable", "true", "Tiered Storage functionality is disabled")):
            futures = admin.create_topics([NewTopic("cf-badconf2", 1, 1, config={name: value})])
            with self.assertRaises(KafkaException) as raised:
                futures["cf-badconf2"].result(10)
            self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_CONFIG, name)
            self.assertIn(why, raised.exception.args[0].str(), name)

    def test_topic_names_colliding_on_dot_and_underscore_are_refused(self):
        admin = self.admin()
        admin.create_topics([NewTopic("cf_collide", 1, 1)])["cf_collide"].result(10)
        with self.assertRaises(KafkaException) as raised:
            admin.create_topics([NewTopic("cf.collide", 1, 1)])["cf.collide"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.TOPIC_EXCEPTION)
        self.assertIn("collides with existing topic: cf_collide", raised.exception.args[0].str())
        admin.create_topics([NewTopic("cf.collide.not", 1, 1)])["cf.collide.not"].result(10)

    def test_timestamp_bounds_refuse_records_out_of_range(self):
        self.admin().create_topics([NewTopic("cf-bounded", 1, 1, config={
            "message.timestamp.before.max.ms": "60000",
            "message.timestamp.after.max.ms": "60000"})])["cf-bounded"].result(10)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0,
                             "message.send.max.retries": 0})
        reports = []
        now = int(time.time() * 1000)
        for body, stamp in ((b"now", now), (b"hour-ago", now - 3600_000),
                            (b"next-hour", now + 3600_000)):
            producer.produce("cf-bounded", body, timestamp=stamp,
                             on_delivery=lambda err, msg: reports.append((msg.value(), err)))
            producer.flush(10)
        self.assertEqual([(body, err and err.code()) for body, err in reports],
                         [(b"now", None), (b"hour-ago", KafkaError.INVALID_TIMESTAMP),
                          (b"next-hour", KafkaError.INVALID_TIMESTAMP)])

    def test_admin_create_partitions(self):
        admin = self.admin()
        admin.create_topics([NewTopic("cf-grow", 2, 1)])["cf-grow"].result(10)
        admin.create_partitions([NewPartitions("cf-grow", 5)])["cf-grow"].result(10)
        self.assertEqual(sorted(admin.list_topics("cf-grow", timeout=10)
                                .topics["cf-grow"].partitions), [0, 1, 2, 3, 4])
        with self.assertRaises(KafkaException) as raised:
            admin.create_partitions([NewPartitions("cf-grow", 3)])["cf-grow"].result(10)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_PARTITIONS)
        # The new partitions take messages.
        producer = Producer({"bootstrap.servers": self.bootstrap})
        reports = []
        producer.produce("cf-grow", b"v", partition=4,
                         on_delivery=lambda err, msg: reports.append((err, msg)))
        self.assertEqual(producer.flush(10), 0)
        self.assertIsNone(reports[0][0])
        self.assertEqual(reports[0][1].partition(), 4)

    def test_message_too_large_for_topic(self):
        self.admin().create_topics([NewTopic("cf-small", 1, 1, config={
            "max.message.bytes": "200"})])["cf-small"].result(10)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0,
                             "message.send.max.retries": 0})
        reports = []
        producer.produce("cf-small", b"x" * 1000,
                         on_delivery=lambda err, msg: reports.append(err))
        producer.flush(10)
        producer.produce("cf-small", b"small",
                         on_delivery=lambda err, msg: reports.append(err))
        producer.flush(10)
        self.assertEqual(len(reports), 2)
        self.assertIsNotNone(reports[0])
        self.assertEqual(reports[0].code(), KafkaError.MSG_SIZE_TOO_LARGE)
        self.assertIsNone(reports[1])

    def test_log_append_time_topic_stamps_batches(self):
        self.admin().create_topics([NewTopic(
            "cf-lat", 1, 1, config={"message.timestamp.type": "LogAppendTime"})])["cf-lat"].result(10)
        self.produce("cf-lat", 3, **{"enable.idempotence": False})
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "cf-lat-g",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["cf-lat"])
        messages = self.consume_all(consumer, 3)
        consumer.close()
        self.assertEqual(len(messages), 3)
        for m in messages:
            kind, stamp = m.timestamp()
            self.assertEqual(kind, 2)  # TIMESTAMP_LOG_APPEND_TIME
            self.assertGreater(stamp, 0)

    def test_metrics_and_reset_drop_group_offsets(self):
        self.produce("cf-reset", 4)
        config = {"bootstrap.servers": self.bootstrap, "group.id": "cf-reset-g",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False}
        consumer = Consumer(config)
        consumer.subscribe(["cf-reset"])
        self.assertEqual(len(self.consume_all(consumer, 4)), 4)
        consumer.commit(asynchronous=False)
        consumer.close()
        metrics = self.metrics()
        for needle in ['kafka_requests_total{api="Produce"}', 'kafka_requests_total{api="Fetch"}',
                       'kafka_messages_consumed_total{topic="cf-reset"}', "kafka_connections",
                       "kafka_topics", "kafka_groups", "kafka_bytes_produced_total",
                       'kafka_consumer_lag{group="cf-reset-g",topic="cf-reset",partition="0"} 0']:
            self.assertIn(needle, metrics)
        status, _, _ = self.server.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200)
        self.assertNotIn('group="cf-reset-g"', self.metrics())
        admin = self.admin()
        self.assertNotIn("cf-reset-g", [g.id for g in admin.list_groups(timeout=10)])

    def test_two_consumers_share_partitions(self):
        self.admin().create_topics([NewTopic("cf-share", 4, 1)])["cf-share"].result(10)
        config = {"bootstrap.servers": self.bootstrap, "group.id": "cf-share-g",
                  "auto.offset.reset": "earliest"}
        first, second = Consumer(config), Consumer(config)
        first.subscribe(["cf-share"])
        second.subscribe(["cf-share"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            first.poll(0.2)
            second.poll(0.2)
            a, b = first.assignment(), second.assignment()
            if len(a) + len(b) == 4 and a and b:
                break
        parts = sorted(tp.partition for tp in first.assignment() + second.assignment())
        self.assertEqual(parts, [0, 1, 2, 3])
        self.assertTrue(first.assignment() and second.assignment())
        # ListGroups + DescribeGroups.
        [described] = self.admin().list_groups("cf-share-g", timeout=10)
        self.assertEqual(described.state, "Stable")
        self.assertEqual(described.protocol_type, "consumer")
        self.assertEqual(len(described.members), 2)
        self.assertIn("cf-share-g", [g.id for g in self.admin().list_groups(timeout=10)])
        first.close()
        second.close()


if __name__ == "__main__":
    unittest.main()
