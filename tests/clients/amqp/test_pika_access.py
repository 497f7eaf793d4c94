"""Users, virtual hosts and permissions from config (amqp.users, amqp.vhosts,
amqp.permissions), through pika against the real binary: logins, vhost access,
isolation between vhosts, and each permission kind refused and allowed with
RabbitMQ's reply codes and texts."""

import json
import os
import tempfile
import unittest

import pika
import pika.exceptions

from mockforge_harness import Mockforge

CONFIG = r"""
amqp:
  users: ["guest:guest", "admin:s3cret", "limited:pw", "other:pw"]
  vhosts: ["/", "v2"]
  permissions:
    - "guest /"
    - "admin /"
    - "admin v2"
    - 'limited v2 ^cfg\. ^wr\. ^rd\.'
    - "other /"
"""


class PikaAccessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config_dir = tempfile.TemporaryDirectory()
        path = os.path.join(cls.config_dir.name, "mockforge.yaml")
        with open(path, "w") as f:
            f.write(CONFIG)
        cls.server = Mockforge("--config", path)
        cls.port = cls.server.ports["amqp"]
        # The admin user prepares v2: exchanges and queues named for what
        # the limited user may do with them.
        admin = cls.open("admin", "s3cret", "v2")
        ch = admin.channel()
        for name in ("wr.x", "rd.x"):
            ch.exchange_declare(name, "fanout")
        for name in ("rd.q", "wr.q", "other.q"):
            ch.queue_declare(name)
        ch.queue_bind("rd.q", "wr.x")
        admin.close()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.config_dir.cleanup()

    @classmethod
    def open(cls, user, password, vhost="/"):
        params = pika.ConnectionParameters(
            host="127.0.0.1", port=cls.port, virtual_host=vhost,
            credentials=pika.PlainCredentials(user, password), socket_timeout=10,
            connection_attempts=1)
        return pika.BlockingConnection(params)

    def connect(self, user, password, vhost="/"):
        connection = self.open(user, password, vhost)
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection

    def refused(self, action):
        """Runs `action` on a fresh channel of the limited user; returns the channel close."""
        channel = self.connect("limited", "pw", "v2").channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            action(channel)
        self.assertEqual(caught.exception.reply_code, 403)
        return caught.exception.reply_text

    # --- logins and vhosts ---

    def test_configured_user_logs_in_to_its_vhost(self):
        connection = self.connect("admin", "s3cret", "v2")
        self.assertTrue(connection.channel().is_open)

    def test_wrong_password_is_connection_close_403(self):
        # pika announces authentication_failure_close, so RabbitMQ (and
        # mockforge) send connection.close 403 instead of dropping the socket.
        with self.assertRaises(pika.exceptions.ProbableAuthenticationError) as caught:
            self.open("admin", "wrong")
        self.assertIn("403", str(caught.exception))
        self.assertIn("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN",
                      str(caught.exception))
        with self.assertRaises(pika.exceptions.ProbableAuthenticationError):
            self.open("nobody", "guest")

    def test_unknown_vhost_is_530(self):
        # pika reports a close during connection.open as ProbableAccessDeniedError.
        with self.assertRaises(pika.exceptions.ProbableAccessDeniedError) as caught:
            self.open("admin", "s3cret", "nope")
        self.assertEqual(str(caught.exception),
                         "ConnectionClosedByBroker: (530) 'NOT_ALLOWED - vhost nope not found'")

    def test_vhost_without_permissions_is_530(self):
        with self.assertRaises(pika.exceptions.ProbableAccessDeniedError) as caught:
            self.open("limited", "pw", "/")
        self.assertEqual(
            str(caught.exception),
            "ConnectionClosedByBroker: (530) "
            "\"NOT_ALLOWED - access to vhost '/' refused for user 'limited'\"")
        with self.assertRaises(pika.exceptions.ProbableAccessDeniedError):
            self.open("other", "pw", "v2")

    def test_vhosts_are_isolated(self):
        root = self.connect("admin", "s3cret", "/").channel()
        v2 = self.connect("admin", "s3cret", "v2").channel()
        for ch in (root, v2):
            ch.queue_declare("iso.q")
            ch.exchange_declare("amq.topic", "topic", passive=True)  # predeclared in each
        root.exchange_declare("iso.root.x", "fanout")
        root.queue_bind("iso.q", "iso.root.x")
        root.basic_publish("iso.root.x", "", b"in root")
        root.basic_publish("", "iso.q", b"in root again")
        self.assertEqual(root.queue_declare("iso.q", passive=True).method.message_count, 2)
        self.assertEqual(v2.queue_declare("iso.q", passive=True).method.message_count, 0)
        method, _, _ = v2.basic_get("iso.q", auto_ack=True)
        self.assertIsNone(method)
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as caught:
            v2.exchange_declare("iso.root.x", passive=True)
        self.assertEqual(caught.exception.reply_code, 404)
        self.assertEqual(caught.exception.reply_text,
                         "NOT_FOUND - no exchange 'iso.root.x' in vhost 'v2'")

    def test_admin_api_lists_queues_of_every_vhost_with_their_vhost(self):
        v2 = self.connect("admin", "s3cret", "v2").channel()
        v2.queue_declare("api.v2.q")
        root = self.connect("admin", "s3cret", "/").channel()
        root.queue_declare("api.root.q")
        status, _, body = self.server.request("GET", "/__mockforge/api/amqp/queues")
        self.assertEqual(status, 200)
        listed = {(q["vhost"], q["name"]) for q in json.loads(body)["queues"]}
        self.assertIn(("v2", "api.v2.q"), listed)
        self.assertIn(("/", "api.root.q"), listed)
        self.assertNotIn(("/", "api.v2.q"), listed)
        status, _, body = self.server.request("GET", "/__mockforge/api/amqp/queues?vhost=v2")
        self.assertEqual(status, 200)
        self.assertEqual({q["vhost"] for q in json.loads(body)["queues"]}, {"v2"})
        status, _, _ = self.server.request("GET", "/__mockforge/api/amqp/queues?vhost=nope")
        self.assertEqual(status, 404)

    def test_metrics_cover_every_vhost_with_a_vhost_label(self):
        # The same queue and exchange names in two vhosts are separate series.
        for vhost, count in (("/", 1), ("v2", 2)):
            ch = self.connect("admin", "s3cret", vhost).channel()
            ch.exchange_declare("met.x", "fanout")
            ch.queue_declare("met.q")
            ch.queue_bind("met.q", "met.x")
            for i in range(count + 1):
                ch.basic_publish("met.x", "", str(i).encode())
            method, _, _ = ch.basic_get("met.q")
            self.assertIsNotNone(method)
            # Left unacked; queue.declare behind the get proves it was handled.
            self.assertEqual(ch.queue_declare("met.q", passive=True).method.message_count, count)
            ch.queue_declare("met.dlq")
            ch.queue_declare("met.dl", arguments={"x-dead-letter-exchange": "",
                                                  "x-dead-letter-routing-key": "met.dlq"})
            ch.basic_publish("", "met.dl", b"x")
            method, _, _ = ch.basic_get("met.dl")
            ch.basic_reject(method.delivery_tag, requeue=False)
            self.assertEqual(ch.queue_declare("met.dl", passive=True).method.message_count, 0)
        status, _, body = self.server.request("GET", "/__mockforge/metrics")
        self.assertEqual(status, 200)
        lines = set(body.splitlines())
        for vhost, count in (("/", 1), ("v2", 2)):
            self.assertIn(
                f'amqp_messages_published_total{{vhost="{vhost}",exchange="met.x"}} {count + 1}',
                lines)
            self.assertIn(f'amqp_messages_delivered_total{{vhost="{vhost}",queue="met.q"}} 1',
                          lines)
            self.assertIn(
                f'amqp_queue_messages{{vhost="{vhost}",queue="met.q",state="ready"}} {count}',
                lines)
            self.assertIn(
                f'amqp_queue_messages{{vhost="{vhost}",queue="met.q",state="unacked"}} 1', lines)
            self.assertIn(f'amqp_messages_dead_lettered_total{{vhost="{vhost}",queue="met.dl",'
                          f'reason="rejected"}} 1', lines)

    # --- configure ---

    def test_configure_refused(self):
        text = self.refused(lambda ch: ch.queue_declare("other.new"))
        self.assertEqual(
            text, "ACCESS_REFUSED - access to queue 'other.new' in vhost 'v2' refused for user "
                  "'limited'")
        text = self.refused(lambda ch: ch.exchange_declare("wr.new", "direct"))
        self.assertIn("access to exchange 'wr.new' in vhost 'v2' refused", text)
        text = self.refused(lambda ch: ch.queue_delete("rd.q"))
        self.assertIn("access to queue 'rd.q' in vhost 'v2' refused", text)
        # Server-named queues are checked under their generated name.
        self.refused(lambda ch: ch.queue_declare("", exclusive=True))

    def test_configure_allowed(self):
        ch = self.connect("limited", "pw", "v2").channel()
        ch.queue_declare("cfg.q1")
        ch.exchange_declare("cfg.x1", "direct")
        ch.queue_declare("rd.q", passive=True)  # passive declares need no permission
        ch.exchange_delete("cfg.x1")
        ch.queue_delete("cfg.q1")

    # --- write ---

    def test_write_refused(self):
        # The default exchange is checked as amq.default.
        text = self.refused(lambda ch: (ch.basic_publish("", "rd.q", b"x"), ch.queue_declare(
            "rd.q", passive=True)))
        self.assertEqual(
            text, "ACCESS_REFUSED - access to exchange 'amq.default' in vhost 'v2' refused for "
                  "user 'limited'")
        text = self.refused(lambda ch: ch.queue_bind("rd.q", "rd.x"))
        self.assertIn("access to queue 'rd.q' in vhost 'v2' refused", text)
        text = self.refused(lambda ch: ch.exchange_bind("rd.x", "wr.x"))
        self.assertIn("access to exchange 'rd.x' in vhost 'v2' refused", text)

    def test_write_allowed(self):
        ch = self.connect("limited", "pw", "v2").channel()
        ch.confirm_delivery()
        ch.basic_publish("wr.x", "", b"hello")  # fanout to rd.q
        method, _, body = ch.basic_get("rd.q", auto_ack=True)
        self.assertEqual(body, b"hello")
        ch.queue_bind("wr.q", "rd.x")  # write on the queue, read on the exchange
        ch.exchange_bind("wr.x", "rd.x")  # write on the destination, read on the source
        ch.exchange_unbind("wr.x", "rd.x")
        ch.queue_unbind("wr.q", "rd.x")

    # --- read ---

    def test_read_refused(self):
        text = self.refused(lambda ch: ch.basic_get("wr.q"))
        self.assertEqual(
            text, "ACCESS_REFUSED - access to queue 'wr.q' in vhost 'v2' refused for user "
                  "'limited'")
        self.refused(lambda ch: ch.basic_consume("wr.q", lambda *a: None))
        self.refused(lambda ch: ch.queue_purge("wr.q"))
        # queue.bind needs read on the source exchange.
        text = self.refused(lambda ch: ch.queue_bind("wr.q", "wr.x"))
        self.assertIn("access to exchange 'wr.x' in vhost 'v2' refused", text)

    def test_read_allowed(self):
        ch = self.connect("limited", "pw", "v2").channel()
        ch.basic_consume("rd.q", lambda *a: None, auto_ack=True)
        ch.queue_purge("rd.q")


if __name__ == "__main__":
    unittest.main()
