"""pika 1.2 against the real mockforge binary: RabbitMQ extensions
(dead-lettering, queue expiry, alternate exchanges, sender-selected distribution,
consumer priorities, single active consumer, direct reply-to)."""

import datetime
import socket
import time
import unittest

import pika
import pika.exceptions

from mockforge_harness import Mockforge
from pika_test_base import PikaTestCase


class PikaExtensionsTest(PikaTestCase):
    def get_within(self, ch, queue, seconds=5.0):
        """basic.get until a message arrives (dead-lettering by the broker's timer)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is not None:
                return method, props, body
            ch.connection.sleep(0.05)
        self.fail(f"nothing arrived in {queue} within {seconds} s")

    def assert_deleted_within(self, connection, queue, seconds=5.0):
        """Passive declares until the queue is gone (x-expires runs on a timer)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                connection.channel().queue_declare(queue, passive=True)
            except pika.exceptions.ChannelClosedByBroker as error:
                self.assertEqual(error.reply_code, 404)
                return
            connection.sleep(0.1)
        self.fail(f"{queue} still exists after {seconds} s")

    def metric_lines(self):
        status, _, body = self.server.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        return set(body.splitlines())

    # ------------------------------------------------------------ dead-lettering

    def declare_dlx(self, ch, prefix):
        ch.exchange_declare(f"{prefix}.dlx", "direct")
        dlq = ch.queue_declare(f"{prefix}.dlq").method.queue
        ch.queue_bind(dlq, f"{prefix}.dlx", routing_key="dead")
        return dlq

    def test_reject_and_nack_dead_letter_with_x_death(self):
        ch = self.connect().channel()
        dlq = self.declare_dlx(ch, "dl1")
        ch.exchange_declare("dl1.in", "topic")
        q = ch.queue_declare("dl1.q", arguments={
            "x-dead-letter-exchange": "dl1.dlx",
            "x-dead-letter-routing-key": "dead"}).method.queue
        ch.queue_bind(q, "dl1.in", "orders.#")
        before = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(seconds=1)
        ch.basic_publish("dl1.in", "orders.created", b"one", pika.BasicProperties(
            headers={"app": "x"}, message_id="m1"))
        ch.basic_publish("dl1.in", "orders.paid", b"two")
        m1 = ch.basic_get(q)[0]
        ch.basic_reject(m1.delivery_tag, requeue=False)
        m2 = ch.basic_get(q)[0]
        ch.basic_nack(m2.delivery_tag, requeue=False)

        method, props, body = ch.basic_get(dlq, auto_ack=True)
        self.assertEqual(body, b"one")
        self.assertEqual(method.exchange, "dl1.dlx")
        self.assertEqual(method.routing_key, "dead")
        self.assertEqual(props.message_id, "m1")
        headers = props.headers
        self.assertEqual(headers["app"], "x")
        self.assertEqual(headers["x-first-death-reason"], "rejected")
        self.assertEqual(headers["x-first-death-queue"], "dl1.q")
        self.assertEqual(headers["x-first-death-exchange"], "dl1.in")
        self.assertEqual(headers["x-last-death-reason"], "rejected")
        self.assertEqual(headers["x-last-death-queue"], "dl1.q")
        self.assertEqual(headers["x-last-death-exchange"], "dl1.in")
        self.assertEqual(len(headers["x-death"]), 1)
        death = headers["x-death"][0]
        self.assertEqual(list(death.keys()),
                         ["count", "reason", "queue", "time", "exchange", "routing-keys"])
        self.assertEqual(death["count"], 1)
        self.assertEqual(death["reason"], "rejected")
        self.assertEqual(death["queue"], "dl1.q")
        self.assertEqual(death["exchange"], "dl1.in")
        self.assertEqual(death["routing-keys"], ["orders.created"])
        self.assertIsInstance(death["time"], datetime.datetime)
        self.assertGreaterEqual(death["time"], before)

        method, props, body = ch.basic_get(dlq, auto_ack=True)
        self.assertEqual(body, b"two")
        self.assertEqual(props.headers["x-death"][0]["routing-keys"], ["orders.paid"])
        self.assertEqual(ch.basic_get(q), (None, None, None))

        lines = self.metric_lines()
        self.assertIn(
            'amqp_messages_dead_lettered_total{vhost="/",queue="dl1.q",reason="rejected"} 2', lines)

    def test_repeated_death_increments_count(self):
        # A queue dead-lettering to itself through the default exchange: a
        # cycle with rejections is allowed, and (queue, reason) is counted.
        ch = self.connect().channel()
        q = ch.queue_declare("dl2.q", arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "dl2.q"}).method.queue
        ch.basic_publish("", q, b"again")
        for expected in (1, 2, 3):
            method, props, _ = ch.basic_get(q)
            if expected > 1:
                self.assertEqual(props.headers["x-death"][0]["count"], expected - 1)
            ch.basic_reject(method.delivery_tag, requeue=False)
        method, props, _ = ch.basic_get(q, auto_ack=True)
        deaths = props.headers["x-death"]
        self.assertEqual(len(deaths), 1)
        self.assertEqual(deaths[0]["count"], 3)
        self.assertEqual(method.routing_key, "dl2.q")
        self.assertEqual(method.exchange, "")

    def test_queue_ttl_expiry_dead_letters_without_a_consumer(self):
        ch = self.connect().channel()
        dlq = self.declare_dlx(ch, "dl3")
        q = ch.queue_declare("dl3.q", arguments={
            "x-message-ttl": 200, "x-dead-letter-exchange": "dl3.dlx",
            "x-dead-letter-routing-key": "dead"}).method.queue
        ch.basic_publish("", q, b"late")
        # Nobody reads dl3.q: the broker's timer expires the message.
        method, props, body = self.get_within(ch, dlq)
        self.assertEqual(body, b"late")
        self.assertEqual(props.headers["x-first-death-reason"], "expired")
        death = props.headers["x-death"][0]
        self.assertEqual(death["reason"], "expired")
        self.assertEqual(death["queue"], "dl3.q")
        self.assertEqual(death["exchange"], "")
        self.assertEqual(death["routing-keys"], ["dl3.q"])
        self.assertNotIn("original-expiration", death)
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 0)

    def test_per_message_expiration_dead_letters_with_original_expiration(self):
        ch = self.connect().channel()
        dlq = self.declare_dlx(ch, "dl4")
        # No routing key: the message keeps its own (dl4.q), so bind that too.
        ch.queue_bind(dlq, "dl4.dlx", routing_key="dl4.q")
        q = ch.queue_declare("dl4.q", arguments={"x-dead-letter-exchange": "dl4.dlx"}).method.queue
        ch.basic_publish("", q, b"short", pika.BasicProperties(expiration="150"))
        method, props, body = self.get_within(ch, dlq)
        self.assertEqual(body, b"short")
        self.assertEqual(method.routing_key, "dl4.q")
        self.assertIsNone(props.expiration)
        death = props.headers["x-death"][0]
        self.assertEqual(death["reason"], "expired")
        self.assertEqual(death["original-expiration"], "150")

    def test_overflow_drop_head_dead_letters_maxlen(self):
        ch = self.connect().channel()
        dlq = self.declare_dlx(ch, "dl5")
        q = ch.queue_declare("dl5.q", arguments={
            "x-max-length": 2, "x-dead-letter-exchange": "dl5.dlx",
            "x-dead-letter-routing-key": "dead"}).method.queue
        for body in (b"1", b"2", b"3", b"4"):
            ch.basic_publish("", q, body)
        self.assertEqual(ch.basic_get(dlq, auto_ack=True)[2], b"1")
        method, props, body = ch.basic_get(dlq, auto_ack=True)
        self.assertEqual(body, b"2")
        self.assertEqual(props.headers["x-death"][0]["reason"], "maxlen")
        self.assertEqual(ch.basic_get(q, auto_ack=True)[2], b"3")
        lines = self.metric_lines()
        self.assertIn('amqp_messages_dead_lettered_total{vhost="/",queue="dl5.q",reason="maxlen"} 2', lines)

    def test_expiry_cycle_is_dropped(self):
        ch = self.connect().channel()
        q = ch.queue_declare("dl6.q", arguments={
            "x-message-ttl": 50, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "dl6.q"}).method.queue
        ch.basic_publish("", q, b"loop")
        ch.connection.sleep(0.5)
        # Dead-lettering back into dl6.q for expiry again is a cycle: dropped.
        self.assertEqual(ch.basic_get(q), (None, None, None))
        lines = self.metric_lines()
        self.assertIn('amqp_messages_dead_lettered_total{vhost="/",queue="dl6.q",reason="expired"} 1', lines)

    def test_invalid_dead_letter_arguments_are_406(self):
        conn = self.connect()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().queue_declare("dl7.q", arguments={"x-dead-letter-routing-key": "k"})
        self.assertEqual(ctx.exception.reply_code, 406)
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().queue_declare("dl7.q", arguments={"x-dead-letter-exchange": 5})
        self.assertEqual(ctx.exception.reply_code, 406)

    # ------------------------------------------------------------ x-expires

    def test_unused_queue_expires(self):
        ch = self.connect().channel()
        q = ch.queue_declare("ex1.q", arguments={"x-expires": 300}).method.queue
        ch.basic_publish("", q, b"kept until the queue goes")
        kept = ch.queue_declare("ex1.kept", arguments={"x-expires": 300}).method.queue
        tag = ch.basic_consume(kept, lambda *args: None)
        self.assert_deleted_within(ch.connection, q)
        # A queue with a consumer is in use and stays.
        self.assertEqual(ch.queue_declare(kept, passive=True).method.consumer_count, 1)
        # Once its consumer is cancelled, it expires too.
        ch.basic_cancel(tag)
        self.assert_deleted_within(ch.connection, kept)

    def test_invalid_x_expires_is_406(self):
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            self.connect().channel().queue_declare("ex2.q", arguments={"x-expires": 0})
        self.assertEqual(ctx.exception.reply_code, 406)

    # ------------------------------------------------------------ alternate exchange

    def test_alternate_exchange_takes_unroutable_messages(self):
        ch = self.connect().channel()
        ch.confirm_delivery()
        ch.exchange_declare("ae1.alt", "fanout")
        ch.exchange_declare("ae1.main", "direct", arguments={"alternate-exchange": "ae1.alt"})
        routed = ch.queue_declare("ae1.routed").method.queue
        unrouted = ch.queue_declare("ae1.unrouted").method.queue
        ch.queue_bind(routed, "ae1.main", "known")
        ch.queue_bind(unrouted, "ae1.alt")
        ch.basic_publish("ae1.main", "known", b"direct")
        # mandatory: routed through the alternate exchange, so not returned.
        ch.basic_publish("ae1.main", "unknown", b"alt", mandatory=True)
        self.assertEqual(ch.basic_get(routed, auto_ack=True)[2], b"direct")
        method, _, body = ch.basic_get(unrouted, auto_ack=True)
        self.assertEqual(body, b"alt")
        self.assertEqual(method.exchange, "ae1.main")
        self.assertEqual(method.routing_key, "unknown")
        self.assertEqual(ch.basic_get(unrouted), (None, None, None))

    def test_alternate_exchange_must_be_a_string(self):
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            self.connect().channel().exchange_declare(
                "ae2.main", "direct", arguments={"alternate-exchange": 1})
        self.assertEqual(ctx.exception.reply_code, 406)

    # ------------------------------------------------------------ sender-selected distribution

    def test_cc_and_bcc_headers_add_routing_keys(self):
        conn = self.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.exchange_declare("ss1.topic", "topic")
        for q, key in (("ss1.eu", "orders.eu"), ("ss1.us", "orders.us"),
                       ("ss1.audit", "audit.*"), ("ss1.all", "orders.#")):
            ch.queue_declare(q)
            ch.queue_bind(q, "ss1.topic", key)
        got = []
        ch.basic_consume("ss1.audit", lambda c, m, p, b: got.append((m, p, b)), auto_ack=True)
        headers = {"CC": ["orders.us", "audit.x"], "BCC": ["orders.eu", 42], "app": "kept"}
        ch.basic_publish("ss1.topic", "orders.eu", b"one", pika.BasicProperties(headers=headers))
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.05)
        self.assertEqual(len(got), 1)
        for q in ("ss1.eu", "ss1.us", "ss1.all"):
            method, props, body = ch.basic_get(q, auto_ack=True)
            self.assertEqual(body, b"one", q)
            self.assertEqual(method.message_count, 0, q)  # each queue once, whatever matched
            got.append((method, props, body))
        for method, props, _ in got:
            # Delivered with the publish's routing key; CC stays, BCC is removed.
            self.assertEqual(method.routing_key, "orders.eu")
            self.assertEqual(props.headers, {"CC": ["orders.us", "audit.x"], "app": "kept"})
        # The default exchange takes every key as a queue name; a mandatory publish that
        # a CC key routes is not returned, one that no key routes is.
        ch.basic_publish("", "ss1.none", b"two", pika.BasicProperties(headers={
            "CC": ["ss1.eu"], "BCC": ["ss1.us"]}), mandatory=True)
        self.assertEqual(ch.basic_get("ss1.eu", auto_ack=True)[2], b"two")
        _, props, _ = ch.basic_get("ss1.us", auto_ack=True)
        self.assertEqual(props.headers, {"CC": ["ss1.eu"]})
        with self.assertRaises(pika.exceptions.UnroutableError):
            ch.basic_publish("", "ss1.none", b"three", pika.BasicProperties(headers={
                "CC": ["ss1.nobody"]}), mandatory=True)

    def test_cc_or_bcc_header_that_is_not_an_array_is_406(self):
        conn = self.connect()
        for name, value, type_name in (("CC", "one.key", "longstr"), ("BCC", 5, "signedint")):
            ch = conn.channel()
            ch.queue_declare("ss2.q")
            with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
                ch.basic_publish("", "ss2.q", b"x", pika.BasicProperties(headers={name: value}))
                ch.queue_declare("ss2.q", passive=True)
            self.assertEqual(ctx.exception.reply_code, 406)
            self.assertEqual(ctx.exception.reply_text,
                             "PRECONDITION_FAILED - invalid message: "
                             f'{{unacceptable_type_in_header,"{name}",{type_name}}}')
        self.assertEqual(conn.channel().queue_declare("ss2.q", passive=True).method.message_count, 0)

    def test_dead_lettering_routes_by_cc_and_bcc_keys(self):
        ch = self.connect().channel()
        ch.exchange_declare("ss3.dlx", "direct")
        for q in ("ss3.by-cc", "ss3.by-bcc"):
            ch.queue_declare(q)
        ch.queue_bind("ss3.by-cc", "ss3.dlx", "cc-key")
        ch.queue_bind("ss3.by-bcc", "ss3.dlx", "bcc-key")
        ch.queue_declare("ss3.q", arguments={"x-dead-letter-exchange": "ss3.dlx"})
        ch.basic_publish("", "ss3.q", b"dead", pika.BasicProperties(headers={
            "CC": ["cc-key"], "BCC": ["bcc-key"]}))
        method, _, _ = ch.basic_get("ss3.q")
        ch.basic_reject(method.delivery_tag, requeue=False)
        for q in ("ss3.by-cc", "ss3.by-bcc"):
            method, props, body = self.get_within(ch, q)
            self.assertEqual(body, b"dead")
            self.assertEqual(method.routing_key, "ss3.q")
            self.assertNotIn("BCC", props.headers)
            # x-death records the routing key and the CC keys, never the BCC ones.
            self.assertEqual(props.headers["x-death"][0]["routing-keys"],
                             ["ss3.q", "cc-key"])

    # ------------------------------------------------------------ consumers

    def test_consumer_priorities(self):
        conn = self.connect()
        ch = conn.channel()
        ch.basic_qos(prefetch_count=2)
        q = ch.queue_declare("cp.q").method.queue
        got = {"low": [], "high": []}
        ch.basic_consume(q, lambda c, m, p, b: got["low"].append((m.delivery_tag, b)),
                         arguments={"x-priority": 1}, consumer_tag="a-low")
        ch.basic_consume(q, lambda c, m, p, b: got["high"].append((m.delivery_tag, b)),
                         arguments={"x-priority": 10}, consumer_tag="b-high")
        for i in range(3):
            ch.basic_publish("", q, str(i).encode())
        deadline = time.monotonic() + 5
        while len(got["low"]) + len(got["high"]) < 3 and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        # Tags are served in order on a channel, so "a-low" is asked first,
        # but the high-priority consumer takes messages while within its prefetch
        # of 2; only then does the low one get the third.
        self.assertEqual([b for _, b in got["high"]], [b"0", b"1"])
        self.assertEqual([b for _, b in got["low"]], [b"2"])
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().basic_consume(q, lambda *a: None, arguments={"x-priority": "high"})
        self.assertEqual(ctx.exception.reply_code, 406)

    def test_single_active_consumer(self):
        conn = self.connect()
        ch = conn.channel()
        q = ch.queue_declare("sac.q", arguments={"x-single-active-consumer": True}).method.queue
        got = {"first": [], "second": []}
        ch.basic_consume(q, lambda c, m, p, b: got["first"].append(b), auto_ack=True,
                         consumer_tag="first")
        ch2 = conn.channel()
        ch2.basic_consume(q, lambda c, m, p, b: got["second"].append(b), auto_ack=True,
                          consumer_tag="second")
        self.assertEqual(ch.queue_declare(q, passive=True).method.consumer_count, 2)
        for i in range(3):
            ch.basic_publish("", q, str(i).encode())
        deadline = time.monotonic() + 5
        while len(got["first"]) < 3 and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        self.assertEqual(got, {"first": [b"0", b"1", b"2"], "second": []})
        ch.basic_cancel("first")
        ch.basic_publish("", q, b"3")
        deadline = time.monotonic() + 5
        while not got["second"] and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        self.assertEqual(got["second"], [b"3"])
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().queue_declare("sac.bad", arguments={"x-single-active-consumer": 1})
        self.assertEqual(ctx.exception.reply_code, 406)

    # ------------------------------------------------------------ direct reply-to

    def test_direct_reply_to(self):
        server_conn = self.connect()
        server_ch = server_conn.channel()
        rpc = server_ch.queue_declare("rpc.q").method.queue
        client_conn = self.connect()
        client_ch = client_conn.channel()
        self.assertEqual(client_ch.queue_declare("amq.rabbitmq.reply-to", passive=True)
                         .method.message_count, 0)
        replies = []
        client_ch.basic_consume("amq.rabbitmq.reply-to",
                                lambda c, m, p, b: replies.append((m, p, b)), auto_ack=True)
        client_ch.basic_publish("", rpc, b"question", pika.BasicProperties(
            reply_to="amq.rabbitmq.reply-to", correlation_id="c1"))
        method, props, body = self.get_within(server_ch, rpc)
        self.assertEqual(body, b"question")
        self.assertTrue(props.reply_to.startswith("amq.rabbitmq.reply-to."))
        self.assertNotEqual(props.reply_to, "amq.rabbitmq.reply-to.")
        server_ch.confirm_delivery()
        server_ch.basic_publish("", props.reply_to, b"answer",
                                pika.BasicProperties(correlation_id=props.correlation_id),
                                mandatory=True)
        deadline = time.monotonic() + 5
        while not replies and time.monotonic() < deadline:
            client_conn.process_data_events(time_limit=0.1)
        self.assertEqual(len(replies), 1)
        reply_method, reply_props, reply_body = replies[0]
        self.assertEqual(reply_body, b"answer")
        self.assertEqual(reply_props.correlation_id, "c1")
        self.assertEqual(reply_method.exchange, "")
        self.assertEqual(reply_method.routing_key, props.reply_to)
        # Once the requester is gone, a mandatory reply is returned.
        client_conn.close()
        with self.assertRaises(pika.exceptions.UnroutableError):
            server_ch.basic_publish("", props.reply_to, b"late", mandatory=True)

    def test_direct_reply_to_needs_the_consumer(self):
        conn = self.connect()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch = conn.channel()
            ch.basic_publish("", "whatever", b"x",
                             pika.BasicProperties(reply_to="amq.rabbitmq.reply-to"))
            ch.queue_declare("rpc.sync")  # the channel error arrives before this reply
        self.assertEqual(ctx.exception.reply_code, 406)
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            conn.channel().basic_consume("amq.rabbitmq.reply-to", lambda *a: None)
        self.assertEqual(ctx.exception.reply_code, 406)


class PikaMemoryAlarmTest(unittest.TestCase):
    """storage.memory_cap 1 MiB: connection.blocked at the high watermark, and
    confirm nacks when the cap refuses a message."""

    def start(self, percent):
        server = Mockforge(env={"MOCKFORGE_STORAGE_MEMORY_CAP": "1MiB",
                                "MOCKFORGE_AMQP_MEMORY_HIGH_WATERMARK_PERCENT": str(percent)})
        self.addCleanup(server.close)
        return server

    def connect(self, server):
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", server.ports["amqp"], socket_timeout=10,
            blocked_connection_timeout=30))
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection

    def test_blocked_and_unblocked_with_held_publishes(self):
        server = self.start(50)
        publisher = self.connect(server)
        events = []
        publisher.add_on_connection_blocked_callback(
            lambda conn, frame: events.append(("blocked", frame.method.reason)))
        publisher.add_on_connection_unblocked_callback(
            lambda conn, frame: events.append(("unblocked", None)))
        pub_ch = publisher.channel()
        q = pub_ch.queue_declare("mem.q").method.queue
        chunk = b"x" * (300 * 1024)
        pub_ch.basic_publish("", q, chunk)
        pub_ch.basic_publish("", q, chunk)  # 600 KiB stored: above 50% of 1 MiB
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            publisher.process_data_events(time_limit=0.1)
        self.assertEqual(events, [("blocked", "low on memory")])
        pub_ch.basic_publish("", q, b"held")  # held by the broker while blocked

        reader = self.connect(server)
        reader_events = []
        reader.add_on_connection_blocked_callback(
            lambda conn, frame: reader_events.append("blocked"))
        read_ch = reader.channel()
        reader.sleep(0.3)
        self.assertEqual(read_ch.queue_declare(q, passive=True).method.message_count, 2)
        self.assertEqual(read_ch.basic_get(q, auto_ack=True)[2], chunk)
        self.assertEqual(read_ch.basic_get(q, auto_ack=True)[2], chunk)
        deadline = time.monotonic() + 5
        while len(events) < 2 and time.monotonic() < deadline:
            publisher.process_data_events(time_limit=0.1)
        self.assertEqual(events[1], ("unblocked", None))
        method, _, body = None, None, None
        deadline = time.monotonic() + 5
        while method is None and time.monotonic() < deadline:
            method, _, body = read_ch.basic_get(q, auto_ack=True)
            reader.sleep(0.05)
        self.assertEqual(body, b"held")
        # Only publishing connections are told (RabbitMQ): the reader was not.
        self.assertEqual(reader_events, [])

    def test_blocked_connection_stops_reading_its_socket(self):
        """As RabbitMQ: once a publish is held, the broker reads nothing more from that
        socket, so further commands back up in the client's TCP buffers instead of the
        broker's memory; reading resumes when the alarm clears."""
        import struct
        from test_bad_input import RawClient, frame, method, shortstr
        server = self.start(50)
        filler = self.connect(server)
        fill_ch = filler.channel()
        q = fill_ch.queue_declare("mem.raw").method.queue
        chunk = b"x" * (300 * 1024)
        blocked = []
        filler.add_on_connection_blocked_callback(lambda conn, frame: blocked.append(True))
        fill_ch.basic_publish("", q, chunk)
        fill_ch.basic_publish("", q, chunk)  # above 50% of 1 MiB: alarm on
        deadline = time.monotonic() + 5
        while not blocked and time.monotonic() < deadline:  # the broker has stored both
            filler.process_data_events(time_limit=0.1)
        self.assertEqual(blocked, [True])

        raw = RawClient(server.ports["amqp"])
        self.addCleanup(raw.close)
        raw.handshake()
        raw.sock.sendall(frame(1, 1, method(20, 10, shortstr(b""))))  # channel.open
        self.assertEqual(raw.read_frame()[2][:4], struct.pack(">HH", 20, 11))

        def publish(body):
            args = struct.pack(">H", 0) + shortstr(b"") + shortstr(q.encode()) + b"\0"
            header = struct.pack(">HHQH", 60, 0, len(body), 0)
            return (frame(1, 1, method(60, 40, args)) + frame(2, 1, header)
                    + frame(3, 1, body))

        raw.sock.sendall(publish(b"held"))  # held: the broker stops reading here
        raw.sock.settimeout(3)
        body = b"y" * 100_000
        sent = 0
        with self.assertRaises(socket.timeout):
            while sent < 256 * 1024 * 1024:  # far more than any socket buffers hold
                raw.sock.sendall(publish(body))
                sent += len(body)
        self.assertLess(sent, 64 * 1024 * 1024)
        # The filler published, so it is blocked too (pika then holds its commands): a
        # connection that never publishes reads the queue.
        reader = self.connect(server)
        read_ch = reader.channel()
        self.assertEqual(read_ch.queue_declare(q, passive=True).method.message_count, 2)

        # Free the memory: the held publish goes through and reading resumes.
        self.assertEqual(read_ch.basic_get(q, auto_ack=True)[2], chunk)
        self.assertEqual(read_ch.basic_get(q, auto_ack=True)[2], chunk)
        deadline = time.monotonic() + 5
        body_seen = None
        while body_seen is None and time.monotonic() < deadline:
            _, _, body_seen = read_ch.basic_get(q, auto_ack=True)
            reader.sleep(0.05)
        self.assertEqual(body_seen, b"held")

    def test_confirm_nack_when_storage_cap_refuses(self):
        server = self.start(100)
        ch = self.connect(server).channel()
        ch.confirm_delivery()
        q = ch.queue_declare("cap.q").method.queue
        ch.basic_publish("", q, b"y" * (600 * 1024))
        with self.assertRaises(pika.exceptions.NackError):
            ch.basic_publish("", q, b"z" * (600 * 1024))
        self.assertEqual(ch.queue_declare(q, passive=True).method.message_count, 1)


if __name__ == "__main__":
    unittest.main()


class PikaMaxMessageSizeTest(unittest.TestCase):
    """amqp.max_message_size, as RabbitMQ's max_message_size: a larger publish
    closes the channel with 406 and is not stored; the connection goes on."""

    def test_oversize_publish_closes_the_channel_only(self):
        server = Mockforge(env={"MOCKFORGE_AMQP_MAX_MESSAGE_SIZE": "1KiB"})
        self.addCleanup(server.close)
        connection = pika.BlockingConnection(
            pika.ConnectionParameters("127.0.0.1", server.ports["amqp"], socket_timeout=10))
        self.addCleanup(lambda: connection.is_open and connection.close())
        ch = connection.channel()
        q = ch.queue_declare("size.q").method.queue
        ch.basic_publish("", q, b"x" * 1024)  # at the limit: stored
        ch.basic_publish("", q, b"y" * 5000)  # over it, in several body frames
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as ctx:
            ch.queue_declare(q, passive=True)
        self.assertEqual(ctx.exception.reply_code, 406)
        self.assertEqual(ctx.exception.reply_text,
                         "PRECONDITION_FAILED - message size 5000 is larger than configured "
                         "max size 1024")
        ch2 = connection.channel()
        self.assertEqual(ch2.queue_declare(q, passive=True).method.message_count, 1)
        self.assertEqual(ch2.basic_get(q, auto_ack=True)[2], b"x" * 1024)
