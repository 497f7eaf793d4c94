"""pika 1.2 (BlockingConnection) against the real mockforge binary."""

import signal
import unittest

import pika
import pika.exceptions

from mockforge_harness import Mockforge
from pika_test_base import PikaTestCase


class PikaTest(PikaTestCase):
    def test_declare_bind_publish_get_ack(self):
        ch = self.connect().channel()
        ch.exchange_declare("pk.direct", "direct")
        q = ch.queue_declare("pk.q1").method.queue
        ch.queue_bind(q, "pk.direct", routing_key="k1")
        props = pika.BasicProperties(content_type="text/plain", headers={"a": 1, "b": "x"},
                                     message_id="m1", delivery_mode=2, priority=3)
        ch.basic_publish("pk.direct", "k1", b"hello", props)
        ch.basic_publish("pk.direct", "other", b"dropped")
        method, got_props, body = ch.basic_get(q)
        self.assertEqual(body, b"hello")
        self.assertFalse(method.redelivered)
        self.assertEqual(method.exchange, "pk.direct")
        self.assertEqual(method.routing_key, "k1")
        self.assertEqual(method.message_count, 0)
        self.assertEqual(got_props.headers, {"a": 1, "b": "x"})
        self.assertEqual(got_props.content_type, "text/plain")
        self.assertEqual(got_props.message_id, "m1")
        self.assertEqual(got_props.priority, 3)
        ch.basic_ack(method.delivery_tag)
        self.assertEqual(ch.basic_get(q), (None, None, None))

    def test_server_named_queue_and_zero_length_and_large_body(self):
        ch = self.connect().channel()
        q = ch.queue_declare("", exclusive=True).method.queue
        self.assertTrue(q.startswith("amq.gen-"))
        big = bytes(range(256)) * 2000  # 512000 bytes: split over frame_max
        ch.basic_publish("", q, b"")
        ch.basic_publish("", q, big)
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], big)

    def test_consume_fanout_and_topic(self):
        ch = self.connect().channel()
        ch.exchange_declare("pk.topic", "topic")
        ch.exchange_declare("pk.fan", "fanout")
        q = ch.queue_declare("pk.topicq").method.queue
        ch.queue_bind(q, "pk.topic", "a.*.c")
        ch.queue_bind(q, "pk.topic", "x.#")
        ch.queue_bind(q, "pk.fan")
        for key in ["a.b.c", "a.b", "x", "x.y.z", "a.b.c.d"]:
            ch.basic_publish("pk.topic", key, key.encode())
        ch.basic_publish("pk.fan", "anything", b"fan")
        received = []
        for method, _, body in ch.consume(q, inactivity_timeout=2):
            if method is None:
                break
            received.append(body)
            ch.basic_ack(method.delivery_tag)
            if len(received) == 4:
                break
        ch.cancel()
        self.assertEqual(received, [b"a.b.c", b"x", b"x.y.z", b"fan"])

    def test_headers_exchange(self):
        ch = self.connect().channel()
        q_all = ch.queue_declare("pk.h.all").method.queue
        q_any = ch.queue_declare("pk.h.any").method.queue
        ch.queue_bind(q_all, "amq.headers", arguments={"x-match": "all", "k": "v", "n": 1})
        ch.queue_bind(q_any, "amq.headers", arguments={"x-match": "any", "k": "v", "n": 1})
        ch.basic_publish("amq.headers", "", b"both",
                         pika.BasicProperties(headers={"k": "v", "n": 1}))
        ch.basic_publish("amq.headers", "", b"one", pika.BasicProperties(headers={"k": "v"}))
        self.assertEqual(ch.basic_get(q_all, auto_ack=True)[2], b"both")
        self.assertEqual(ch.basic_get(q_all, auto_ack=True)[2], None)
        self.assertEqual(ch.basic_get(q_any, auto_ack=True)[2], b"both")
        self.assertEqual(ch.basic_get(q_any, auto_ack=True)[2], b"one")

    def test_exchange_to_exchange_binding(self):
        ch = self.connect().channel()
        ch.exchange_declare("pk.src", "direct")
        ch.exchange_declare("pk.dst", "fanout")
        ch.exchange_bind(destination="pk.dst", source="pk.src", routing_key="r")
        q = ch.queue_declare("pk.e2e").method.queue
        ch.queue_bind(q, "pk.dst")
        ch.basic_publish("pk.src", "r", b"via e2e")
        ch.basic_publish("pk.src", "not-r", b"no")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"via e2e")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], None)
        ch.exchange_unbind(destination="pk.dst", source="pk.src", routing_key="r")
        ch.basic_publish("pk.src", "r", b"after unbind")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], None)

    def test_nack_and_reject_requeue(self):
        ch = self.connect().channel()
        q = ch.queue_declare("pk.nack").method.queue
        ch.basic_publish("", q, b"one")
        ch.basic_publish("", q, b"two")
        m1, _, b1 = ch.basic_get(q)
        self.assertEqual(b1, b"one")
        ch.basic_nack(m1.delivery_tag, requeue=True)
        m1b, _, b1b = ch.basic_get(q)
        self.assertEqual(b1b, b"one")
        self.assertTrue(m1b.redelivered)
        ch.basic_reject(m1b.delivery_tag, requeue=False)
        m2, _, b2 = ch.basic_get(q)
        self.assertEqual(b2, b"two")
        ch.basic_reject(m2.delivery_tag, requeue=True)
        m2b, _, _ = ch.basic_get(q)
        self.assertTrue(m2b.redelivered)
        ch.basic_ack(m2b.delivery_tag)
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 0)

    def test_requeue_on_channel_close_with_redelivered(self):
        conn = self.connect()
        ch = conn.channel()
        q = ch.queue_declare("pk.requeue").method.queue
        ch.basic_qos(prefetch_count=1)
        for i in range(3):
            ch.basic_publish("", q, f"m{i}".encode())
        got = []
        ch.basic_consume(q, lambda c, m, p, b: got.append((m, b)))
        conn.process_data_events(time_limit=0.5)
        while not got:
            conn.process_data_events(time_limit=0.5)
        self.assertEqual(len(got), 1)  # prefetch 1: one unacked delivery at a time
        self.assertEqual(got[0][1], b"m0")
        ch.close()
        ch2 = conn.channel()
        method, _, body = ch2.basic_get(q, auto_ack=True)
        self.assertEqual(body, b"m0")
        self.assertTrue(method.redelivered)
        self.assertEqual(ch2.basic_get(q, auto_ack=True)[2], b"m1")

    def test_requeue_on_connection_close(self):
        conn = self.connect()
        ch = conn.channel()
        q = ch.queue_declare("pk.requeue.conn").method.queue
        ch.basic_publish("", q, b"x")
        method, _, _ = ch.basic_get(q)
        self.assertFalse(method.redelivered)
        conn.close()
        ch2 = self.connect().channel()
        method, _, body = ch2.basic_get(q, auto_ack=True)
        self.assertEqual(body, b"x")
        self.assertTrue(method.redelivered)

    def test_publisher_confirms_and_mandatory_return(self):
        ch = self.connect().channel()
        ch.confirm_delivery()
        q = ch.queue_declare("pk.confirm").method.queue
        ch.basic_publish("", q, b"confirmed")  # raises if nacked
        with self.assertRaises(pika.exceptions.UnroutableError):
            ch.basic_publish("", "no-such-queue", b"lost", mandatory=True)
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"confirmed")

    def test_reject_publish_overflow_nacks(self):
        ch = self.connect().channel()
        ch.confirm_delivery()
        q = ch.queue_declare("pk.overflow", arguments={"x-max-length": 1,
                                                       "x-overflow": "reject-publish"}).method.queue
        ch.basic_publish("", q, b"fits")
        with self.assertRaises(pika.exceptions.NackError):
            ch.basic_publish("", q, b"refused")

    def test_max_length_drop_head(self):
        ch = self.connect().channel()
        q = ch.queue_declare("pk.drophead", arguments={"x-max-length": 2}).method.queue
        for body in [b"1", b"2", b"3"]:
            ch.basic_publish("", q, body)
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"2")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"3")

    def test_transactions(self):
        ch = self.connect().channel()
        q = ch.queue_declare("pk.tx").method.queue
        ch.tx_select()
        ch.basic_publish("", q, b"rolled back")
        ch.tx_rollback()
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 0)
        ch.basic_publish("", q, b"committed")
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 0)
        ch.tx_commit()
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"committed")

    def test_transaction_publish_is_checked_when_it_arrives(self):
        # As in RabbitMQ: an invalid expiration closes the channel at the publish, not
        # at tx.commit, and the transaction's earlier publishes are never stored.
        conn = self.connect()
        ch = conn.channel()
        q = ch.queue_declare("pk.txcheck").method.queue
        ch.tx_select()
        ch.basic_publish("", q, b"held")
        ch.basic_publish("", q, b"bad", pika.BasicProperties(expiration="soon"))
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare(q, passive=True)  # a round trip; no tx.commit is sent
        self.assertEqual(ctx.exception.reply_code, 406)
        self.assertEqual(ctx.exception.reply_text,
                         "PRECONDITION_FAILED - invalid expiration 'soon': no_integer")
        self.assertEqual(conn.channel().queue_declare(q, passive=True).method.message_count, 0)

    def test_transaction_routes_when_the_publish_arrives(self):
        # RabbitMQ routes a transactional publish when it arrives and stores it at commit:
        # a binding made in between does not get it.
        ch = self.connect().channel()
        ch.exchange_declare("pk.txroute", "direct")
        q = ch.queue_declare("pk.txroute.q").method.queue
        ch.tx_select()
        ch.basic_publish("pk.txroute", "k", b"before-bind")
        ch.queue_bind(q, "pk.txroute", "k")
        ch.basic_publish("pk.txroute", "k", b"after-bind")
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 0)
        ch.tx_commit()
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"after-bind")
        self.assertEqual(ch.basic_get(q, auto_ack=True), (None, None, None))

    def test_consumer_cancel_notification_on_queue_delete(self):
        conn = self.connect()
        ch = conn.channel()
        q = ch.queue_declare("pk.cancelme").method.queue
        cancelled = []
        ch.add_on_cancel_callback(lambda method: cancelled.append(method.method.consumer_tag))
        tag = ch.basic_consume(q, lambda *a: None)
        other = self.connect().channel()
        other.queue_delete(q)
        while not cancelled:
            conn.process_data_events(time_limit=0.5)
        self.assertEqual(cancelled, [tag])

    def test_channel_errors(self):
        conn = self.connect()
        ch = conn.channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare("pk.missing", passive=True)
        self.assertEqual(ctx.exception.reply_code, 404)
        ch = conn.channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.exchange_declare("amq.mine", "direct")
        self.assertEqual(ctx.exception.reply_code, 403)
        ch = conn.channel()
        ch.queue_declare("pk.redeclare", durable=False)
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare("pk.redeclare", durable=True)
        self.assertEqual(ctx.exception.reply_code, 406)
        ch = conn.channel()
        ch.basic_publish("pk.no-exchange", "k", b"x")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare("", exclusive=True)  # the 404 arrives first
        self.assertEqual(ctx.exception.reply_code, 404)
        ch = conn.channel()
        ch.queue_delete("pk.del")
        q = ch.queue_declare("pk.del").method.queue
        ch.basic_publish("", q, b"x")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_delete(q, if_empty=True)
        self.assertEqual(ctx.exception.reply_code, 406)
        self.assertTrue(conn.is_open)  # channel errors leave the connection open

    def test_exclusive_queue_locked_for_other_connections(self):
        ch = self.connect().channel()
        ch.queue_declare("pk.exclusive", exclusive=True)
        other = self.connect().channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            other.queue_declare("pk.exclusive")
        self.assertEqual(ctx.exception.reply_code, 405)

    def test_exclusive_queue_deleted_with_its_connection(self):
        conn = self.connect()
        conn.channel().queue_declare("pk.exclusive.gone", exclusive=True)
        conn.close()
        ch = self.connect().channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare("pk.exclusive.gone", passive=True)
        self.assertEqual(ctx.exception.reply_code, 404)

    def test_server_properties_identify_as_rabbitmq_with_mockforge_information(self):
        connection = self.connect()
        properties = connection._impl.server_properties
        self.assertEqual(properties["product"], "RabbitMQ")
        self.assertEqual(properties["version"], "3.10.8")
        self.assertIn("mockforge", properties["information"])
        self.assertIn("mockforge", properties["platform"])
        self.assertTrue(properties["capabilities"]["publisher_confirms"])

    def test_any_exchange_name_is_accepted_and_a_missing_one_is_404(self):
        ch = self.connect().channel()
        for name in ("orders/created", "a=b", "spaces are fine", "ünïcödé"):
            ch.exchange_declare(name, "fanout")
            ch.exchange_declare(name, passive=True)
            ch.exchange_delete(name)
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            ch.exchange_declare("missing/with=odd chars", passive=True)
        self.assertEqual(caught.exception.reply_code, 404)

    def test_bad_credentials_refused(self):
        with self.assertRaises(pika.exceptions.ProbableAuthenticationError):
            self.connect(credentials=pika.PlainCredentials("guest", "wrong"))

    def test_metrics(self):
        ch = self.connect().channel()
        ch.exchange_declare("pk.metrics", "fanout")
        q = ch.queue_declare("pk.metrics.q").method.queue
        ch.queue_bind(q, "pk.metrics")
        ch.basic_publish("pk.metrics", "", b"1")
        ch.basic_publish("pk.metrics", "", b"2")
        method, _, _ = ch.basic_get(q)
        ch.basic_ack(method.delivery_tag)
        # basic.ack has no reply: a synchronous method behind it on the same
        # channel proves the broker processed it.
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 1)
        status, _, body = self.server.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        lines = set(body.splitlines())
        self.assertIn('amqp_messages_published_total{vhost="/",exchange="pk.metrics"} 2', lines)
        self.assertIn('amqp_messages_delivered_total{vhost="/",queue="pk.metrics.q"} 1', lines)
        self.assertIn('amqp_queue_messages{vhost="/",queue="pk.metrics.q",state="ready"} 1',
                      lines)
        self.assertIn('amqp_queue_messages{vhost="/",queue="pk.metrics.q",state="unacked"} 0',
                      lines)

    def test_per_message_and_queue_ttl(self):
        ch = self.connect().channel()
        q = ch.queue_declare("pk.ttl").method.queue
        ch.basic_publish("", q, b"expired", pika.BasicProperties(expiration="0"))
        ch.basic_publish("", q, b"kept", pika.BasicProperties(expiration="60000"))
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"kept")
        q2 = ch.queue_declare("pk.ttl.queue", arguments={"x-message-ttl": 0}).method.queue
        ch.basic_publish("", q2, b"gone")
        self.assertEqual(ch.basic_get(q2, auto_ack=True), (None, None, None))

    def test_max_priority(self):
        ch = self.connect().channel()
        q = ch.queue_declare("pk.prio", arguments={"x-max-priority": 10}).method.queue
        ch.basic_publish("", q, b"low", pika.BasicProperties(priority=1))
        ch.basic_publish("", q, b"high", pika.BasicProperties(priority=9))
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"high")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"low")

    def test_stream_queues_are_540_and_quorum_arguments_406_on_classic(self):
        conn = self.connect()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().queue_declare("pk.dlx", arguments={"x-delivery-limit": 3})
        self.assertEqual(ctx.exception.reply_code, 406)
        self.assertIn("of queue type rabbit_classic_queue", ctx.exception.reply_text)
        with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as ctx:
            conn.channel().queue_declare("pk.stream", durable=True,
                                         arguments={"x-queue-type": "stream"})
        self.assertEqual(ctx.exception.reply_code, 540)

    def test_heartbeat_negotiated(self):
        conn = self.connect(heartbeat=20)
        self.assertEqual(conn._impl.params.heartbeat, 20)
        conn.process_data_events(time_limit=0.1)
        self.assertTrue(conn.is_open)


class PikaShutdownTest(unittest.TestCase):
    def test_server_shutdown_sends_connection_forced(self):
        server = Mockforge()
        try:
            conn = pika.BlockingConnection(
                pika.ConnectionParameters("127.0.0.1", server.ports["amqp"]))
            conn.channel()
            server.signal(signal.SIGTERM)
            with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as ctx:
                for _ in range(100):
                    conn.process_data_events(time_limit=0.2)
            self.assertEqual(ctx.exception.reply_code, 320)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
