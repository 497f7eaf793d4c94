"""kafka-python 2.0.2 against mockforge: it must negotiate the v2 record format, then
produce and consume in a group with commits."""

import unittest

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

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


if __name__ == "__main__":
    unittest.main()
