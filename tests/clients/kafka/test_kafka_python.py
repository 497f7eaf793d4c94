"""kafka-python 2.0.2 against mockforge: it must negotiate the v2 record format, then
produce and consume in a group with commits; KafkaAdminClient configs and partitions."""

import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

from kafka_test_base import KafkaTestCase


class KafkaPythonTest(KafkaTestCase):
    def test_produce_and_group_consume_with_v2_records(self):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, compression_type="gzip")
        # kafka-python guesses the broker version from ApiVersions; below (0, 11) it would
        # fall back to magic 0/1 message sets.
        self.assertGreaterEqual(producer.config["api_version"], (0, 11))
        futures = [producer.send("kp-topic", key=b"k%d" % i, value=b"v%d" % i,
                                 headers=[("n", b"%d" % i)]) for i in range(20)]
        producer.flush(30)
        offsets = [f.get(timeout=30).offset for f in futures]
        self.assertEqual(offsets, list(range(20)))
        producer.close()

        consumer = KafkaConsumer("kp-topic", bootstrap_servers=self.bootstrap, group_id="kp-g",
                                 auto_offset_reset="earliest", enable_auto_commit=False,
                                 consumer_timeout_ms=10000)
        got = []
        for message in consumer:
            got.append(message)
            if len(got) == 20:
                break
        self.assertEqual([m.value for m in got], [b"v%d" % i for i in range(20)])
        self.assertEqual(got[3].key, b"k3")
        self.assertEqual(got[3].headers, [("n", b"3")])
        consumer.commit()
        self.assertEqual(consumer.committed(TopicPartition("kp-topic", 0)), 20)
        consumer.close()

    def test_admin_configs_and_partitions(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            admin.create_topics([NewTopic("kp-admin", 1, 1,
                                          topic_configs={"retention.bytes": "4096"})])
            resource = ConfigResource(ConfigResourceType.TOPIC, "kp-admin")
            response = admin.describe_configs([resource])[0]
            error_code, _, _, name, entries = response.resources[0][:5]
            self.assertEqual((error_code, name), (0, "kp-admin"))
            values = {entry[0]: entry[1] for entry in entries}
            self.assertEqual(values["retention.bytes"], "4096")
            self.assertEqual(values["message.timestamp.type"], "CreateTime")

            altered = admin.alter_configs([ConfigResource(
                ConfigResourceType.TOPIC, "kp-admin",
                configs={"message.timestamp.type": "LogAppendTime"})])
            self.assertEqual(altered.resources[0][0], 0)
            entries = admin.describe_configs([resource])[0].resources[0][4]
            values = {entry[0]: entry[1] for entry in entries}
            self.assertEqual(values["message.timestamp.type"], "LogAppendTime")
            self.assertEqual(values["retention.bytes"], "-1")  # replaced: back to the default

            refused = admin.alter_configs([ConfigResource(
                ConfigResourceType.TOPIC, "kp-admin", configs={"retention.ms": "-7"})])
            self.assertEqual(refused.resources[0][0], 40)  # INVALID_CONFIG

            admin.create_partitions({"kp-admin": NewPartitions(total_count=4)})
            described = admin.describe_topics(["kp-admin"])
            self.assertEqual(len(described[0]["partitions"]), 4)
        finally:
            admin.close()


if __name__ == "__main__":
    unittest.main()
