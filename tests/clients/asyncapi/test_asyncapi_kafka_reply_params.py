"""A 3.0 request operation on a Kafka channel with a parameter
(prices.{region}.requests), answered by the real `mockforge serve` from a
fixture file's asyncapi: entry: confluent-kafka produces requests for two
regions and reads each reply on its own region's reply topic
(prices.{region}.replies, the region taken from the request's topic) with
its correlationId header, validated in reject mode; a topic the pattern does
not match (two words where the parameter stands) is not answered."""

import json
import os
import time
import unittest
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from mockforge_harness import Mockforge

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30


class KafkaReplyWithParameters(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge(
            "--asyncapi", "reject=" + os.path.join(HERE, "kafka-params", "contract.yaml"),
            "--fixtures", os.path.join(HERE, "kafka-params", "fixtures"),
            env={"MOCKFORGE_FIXTURES_FAIL_ON_ERROR": "true"})
        cls.bootstrap = f"127.0.0.1:{cls.mf.ports['kafka']}"
        topics = [f"prices.{region}.{kind}" for region in ("eu", "us-east", "a.b")
                  for kind in ("requests", "replies")]
        admin = AdminClient({"bootstrap.servers": cls.bootstrap})
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            future.result(TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def request(self, topic, sku):
        correlation = str(uuid.uuid4())
        producer = Producer({"bootstrap.servers": self.bootstrap})
        producer.produce(topic, json.dumps({"sku": sku}), headers=[("correlationId", correlation)])
        self.assertEqual(producer.flush(TIMEOUT), 0)
        return correlation

    def replies(self, topic, count, wait=TIMEOUT):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"g-{topic}"})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        out = []
        deadline = time.monotonic() + wait
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                out.append(msg)
        return out

    def test_each_region_is_answered_on_its_own_reply_topic(self):
        eu = self.request("prices.eu.requests", "A-1")
        us = self.request("prices.us-east.requests", "B-2")
        for topic, correlation in (("prices.eu.replies", eu), ("prices.us-east.replies", us)):
            got = self.replies(topic, 1)
            self.assertEqual(len(got), 1, f"no reply on {topic}")
            self.assertEqual(json.loads(got[0].value()), {"sku": "A-1", "price": 3.5})
            self.assertEqual(dict(got[0].headers())["correlationId"], correlation.encode())
        status, body = self.mf.api("GET", "/__mockforge/api/asyncapi/violations")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["violations"], [])

    def test_a_topic_outside_the_pattern_is_not_answered(self):
        self.request("prices.a.b.requests", "C-3")
        self.assertEqual(self.replies("prices.a.b.replies", 1, wait=3), [])

    def test_the_responder_is_listed_with_its_pattern(self):
        status, body = self.mf.api("GET", "/__mockforge/api/responders")
        self.assertEqual(status, 200, body)
        listed = {r["identifier"]: r for r in body["responders"]}
        self.assertIn("answerPrice.reply", listed, body)
        self.assertEqual(listed["answerPrice.reply"]["when"]["topic"], "prices.{region}.requests")


if __name__ == "__main__":
    unittest.main()
