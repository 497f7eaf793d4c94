"""Consumer arguments and single active consumer with priorities, through pika."""

import time
import unittest

import pika.exceptions

from pika_test_base import PikaTestCase

SAC = {"x-single-active-consumer": True}


class Collector:
    def __init__(self, channel, queue, priority=None):
        self.channel = channel
        self.bodies = []
        self.methods = []
        arguments = {} if priority is None else {"x-priority": priority}
        self.tag = channel.basic_consume(queue, self.on_message, arguments=arguments)

    def on_message(self, channel, method, properties, body):
        self.bodies.append(body)
        self.methods.append(method)


class PikaConsumerTest(PikaTestCase):
    def wait_for(self, connection, condition, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            connection.process_data_events(time_limit=0.05)
        self.assertTrue(condition())

    def settle(self, connection):
        """Lets anything the broker was going to send arrive."""
        connection.process_data_events(time_limit=0.2)

    # --- basic.consume arguments ---

    def test_unknown_consumer_arguments_are_ignored(self):
        connection = self.connect()
        ch = connection.channel()
        ch.queue_declare("cons.args.q", auto_delete=True)
        received = []
        ch.basic_consume("cons.args.q", lambda c, m, p, b: received.append(b), auto_ack=True,
                         arguments={"x-made-up": "value", "x-credit": {"credit": 5},
                                    "x-cancel-on-ha-failover": True})
        ch.basic_publish("", "cons.args.q", b"hello")
        self.wait_for(connection, lambda: received == [b"hello"])

    def test_known_consumer_arguments_are_checked(self):
        ch = self.connect().channel()
        ch.queue_declare("cons.badprio.q")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            ch.basic_consume("cons.badprio.q", lambda *a: None, arguments={"x-priority": "high"})
        self.assertEqual(caught.exception.reply_code, 406)
        self.assertEqual(caught.exception.reply_text,
                         "PRECONDITION_FAILED - invalid arg 'x-priority' for queue "
                         "'cons.badprio.q' in vhost '/': \"expected integer, got longstr\"")
        ch = self.connect().channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            ch.basic_consume("cons.badprio.q", lambda *a: None,
                             arguments={"x-cancel-on-ha-failover": "yes"})
        self.assertEqual(caught.exception.reply_code, 406)
        self.assertIn("invalid arg 'x-cancel-on-ha-failover'", caught.exception.reply_text)

    # --- single active consumer ---

    def test_single_active_consumer_is_the_highest_priority(self):
        connection = self.connect()
        ch = connection.channel()
        ch.queue_declare("sac.prio.q", arguments=SAC, auto_delete=True)
        low = Collector(connection.channel(), "sac.prio.q", priority=1)
        first_high = Collector(connection.channel(), "sac.prio.q", priority=5)
        second_high = Collector(connection.channel(), "sac.prio.q", priority=5)
        for i in range(3):
            ch.basic_publish("", "sac.prio.q", b"m%d" % i)
        self.wait_for(connection, lambda: len(first_high.bodies) == 3)
        self.settle(connection)
        self.assertEqual(low.bodies, [])
        self.assertEqual(second_high.bodies, [])
        for method in first_high.methods:
            first_high.channel.basic_ack(method.delivery_tag)
        # The active one leaves: the next of highest priority takes over.
        first_high.channel.basic_cancel(first_high.tag)
        ch.basic_publish("", "sac.prio.q", b"after")
        self.wait_for(connection, lambda: second_high.bodies == [b"after"])
        self.assertEqual(low.bodies, [])

    def test_higher_priority_consumer_takes_over_once_unacked_are_settled(self):
        connection = self.connect()
        ch = connection.channel()
        ch.queue_declare("sac.switch.q", arguments=SAC, auto_delete=True)
        current = Collector(connection.channel(), "sac.switch.q")
        ch.basic_publish("", "sac.switch.q", b"one")
        self.wait_for(connection, lambda: current.bodies == [b"one"])

        # A consumer of higher priority arrives while "one" is unacked: the
        # active consumer gets nothing more, the new one nothing yet.
        higher = Collector(connection.channel(), "sac.switch.q", priority=10)
        ch.basic_publish("", "sac.switch.q", b"two")
        ch.basic_publish("", "sac.switch.q", b"three")
        self.settle(connection)
        self.assertEqual(current.bodies, [b"one"])
        self.assertEqual(higher.bodies, [])
        self.assertEqual(ch.queue_declare("sac.switch.q", passive=True).method.message_count, 2)

        # Settling the last unacked delivery hands over, in order.
        current.channel.basic_ack(current.methods[0].delivery_tag)
        self.wait_for(connection, lambda: higher.bodies == [b"two", b"three"])
        self.assertEqual(current.bodies, [b"one"])

    def test_higher_priority_consumer_takes_over_an_idle_active_consumer_at_once(self):
        connection = self.connect()
        ch = connection.channel()
        ch.queue_declare("sac.idle.q", arguments=SAC, auto_delete=True)
        current = Collector(connection.channel(), "sac.idle.q")
        higher = Collector(connection.channel(), "sac.idle.q", priority=3)
        ch.basic_publish("", "sac.idle.q", b"x")
        self.wait_for(connection, lambda: higher.bodies == [b"x"])
        self.assertEqual(current.bodies, [])


if __name__ == "__main__":
    unittest.main()
