"""`mockforge amqp` against Debian rabbitmq-server, started once for the module, or
against `mockforge serve` when CLI_AMQP_PEER=mockforge."""

import json
import os
import subprocess
import unittest

import peers

BIN = os.environ.get("MOCKFORGE_BIN", "mockforge")
TIMEOUT = 30


PEER = os.environ.get("CLI_AMQP_PEER", "rabbitmq")


class _MockforgePeer:
    def __init__(self):
        import mockforge_harness
        self.server = mockforge_harness.Mockforge()
        self.host = "127.0.0.1"
        self.port = self.server.ports["amqp"]
        self.url = f"amqp://guest:guest@{self.host}:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.close()


def setUpModule():
    global BROKER, _stack
    _stack = _MockforgePeer() if PEER == "mockforge" else peers.rabbitmq(timeout=120)
    BROKER = _stack.__enter__()


def tearDownModule():
    _stack.__exit__(None, None, None)


def amqp(*args, stdin=None):
    # The subcommand words come first, then --url.
    words = []
    rest = list(args)
    while rest and not rest[0].startswith("-"):
        words.append(rest.pop(0))
    return subprocess.run([BIN, "amqp", *words, "--url", BROKER.url + "/", *rest], input=stdin,
                          capture_output=True, text=True, timeout=TIMEOUT)


def ok(test, result):
    test.assertEqual(result.returncode, 0, result.stderr)
    return result


class Topology(unittest.TestCase):
    def test_declare_bind_publish_consume_with_headers_and_properties(self):
        ok(self, amqp("exchange", "declare", "--name", "orders", "--type", "topic", "--durable"))
        declared = ok(self, amqp("queue", "declare", "--name", "orders.eu", "--durable"))
        self.assertEqual(declared.stdout, "orders.eu 0 0\n")
        ok(self, amqp("queue", "bind", "--exchange", "orders", "--queue", "orders.eu",
                      "--routing-key", "eu.*"))
        ok(self, amqp("publish", "--exchange", "orders", "--routing-key", "eu.fr", "--body",
                      '{"id": 1}', "--header", "tenant=acme", "--header", "attempt=3",
                      "--property", "content_type=application/json", "--property",
                      "delivery_mode=2", "--property", "correlation-id=c-1", "--property",
                      "message_id=m-1", "--property", "priority=4", "--property",
                      "timestamp=1700000000"))
        ok(self, amqp("publish", "--exchange", "orders", "--routing-key", "us.ny", "--body",
                      "unrouted"))
        consumed = ok(self, amqp("consume", "--queue", "orders.eu", "--count", "1", "--ack",
                                 "--format", "json", "--wait", "10"))
        message = json.loads(consumed.stdout)
        self.assertEqual(message["body"], '{"id": 1}')
        self.assertEqual(message["exchange"], "orders")
        self.assertEqual(message["routing_key"], "eu.fr")
        self.assertFalse(message["redelivered"])
        props = message["properties"]
        self.assertEqual(props["headers"], {"tenant": "acme", "attempt": 3})
        self.assertEqual(props["content_type"], "application/json")
        self.assertEqual(props["delivery_mode"], 2)
        self.assertEqual(props["correlation_id"], "c-1")
        self.assertEqual(props["message_id"], "m-1")
        self.assertEqual(props["priority"], 4)
        self.assertEqual(props["timestamp"], 1700000000)
        # Acked: the queue is empty now.
        empty = amqp("get", "--queue", "orders.eu")
        self.assertEqual(empty.returncode, 1)
        self.assertIn("queue 'orders.eu' is empty", empty.stderr)
        ok(self, amqp("queue", "unbind", "--exchange", "orders", "--queue", "orders.eu",
                      "--routing-key", "eu.*"))
        ok(self, amqp("publish", "--exchange", "orders", "--routing-key", "eu.de", "--body",
                      "after unbind"))
        self.assertEqual(ok(self, amqp("queue", "delete", "--name", "orders.eu")).stdout, "0\n")
        ok(self, amqp("exchange", "delete", "--name", "orders"))
        gone = amqp("publish", "--exchange", "orders", "--routing-key", "x", "--body", "b")
        self.assertEqual(gone.returncode, 1)
        self.assertIn("404 NOT_FOUND", gone.stderr)
        self.assertIn("orders", gone.stderr)

    def test_typed_queue_arguments(self):
        # RabbitMQ refuses x-max-length unless it is an integer type.
        ok(self, amqp("queue", "declare", "--name", "capped", "--arg", "x-max-length=2",
                      "--arg", "x-overflow=drop-head"))
        ok(self, amqp("publish", "--routing-key", "capped", stdin="m1\nm2\nm3\n"))
        first = ok(self, amqp("get", "--queue", "capped", "--ack", "--format", "json"))
        got = json.loads(first.stdout)
        self.assertEqual(got["body"], "m2")
        self.assertEqual(got["message_count"], 1)
        self.assertEqual(ok(self, amqp("queue", "purge", "--name", "capped")).stdout, "1\n")
        # Redeclaring with other arguments is a channel error, reported by name.
        clash = amqp("queue", "declare", "--name", "capped", "--arg", "x-max-length=3")
        self.assertEqual(clash.returncode, 1)
        self.assertIn("406 PRECONDITION_FAILED", clash.stderr)
        self.assertIn("queue.declare", clash.stderr)

    def test_get_without_ack_leaves_the_message(self):
        ok(self, amqp("queue", "declare", "--name", "peek"))
        ok(self, amqp("publish", "--routing-key", "peek", "--body", "still here"))
        first = ok(self, amqp("get", "--queue", "peek", "--format", "json"))
        self.assertFalse(json.loads(first.stdout)["redelivered"])
        second = ok(self, amqp("get", "--queue", "peek", "--ack", "--format", "json"))
        self.assertEqual(json.loads(second.stdout)["body"], "still here")
        self.assertTrue(json.loads(second.stdout)["redelivered"])
        self.assertEqual(amqp("get", "--queue", "peek").returncode, 1)

    def test_consume_count_and_wait(self):
        ok(self, amqp("queue", "declare", "--name", "lines"))
        ok(self, amqp("publish", "--routing-key", "lines", stdin="a\nb\nc\n"))
        out = ok(self, amqp("consume", "--queue", "lines", "--count", "2", "--ack", "--wait",
                            "10"))
        self.assertEqual(out.stdout, "a\nb\n")
        rest = amqp("consume", "--queue", "lines", "--count", "2", "--ack", "--wait", "1")
        self.assertEqual(rest.returncode, 1)
        self.assertEqual(rest.stdout, "c\n")
        self.assertIn("received 1 of 2 messages", rest.stderr)


class Confirms(unittest.TestCase):
    def test_confirm_waits_for_acks(self):
        ok(self, amqp("queue", "declare", "--name", "confirmed"))
        result = ok(self, amqp("publish", "--routing-key", "confirmed", "--confirm",
                               stdin="".join(f"m{i}\n" for i in range(50))))
        self.assertIn("50 messages confirmed", result.stderr)
        self.assertEqual(ok(self, amqp("queue", "purge", "--name", "confirmed")).stdout, "50\n")

    def test_confirm_reports_nacks(self):
        ok(self, amqp("queue", "declare", "--name", "full", "--arg", "x-max-length=1", "--arg",
                      "x-overflow=reject-publish"))
        result = amqp("publish", "--routing-key", "full", "--confirm", stdin="kept\nrefused\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("message 2 nacked", result.stderr)
        self.assertNotIn("message 1 nacked", result.stderr)

    def test_mandatory_returns_unroutable(self):
        for extra in ([], ["--confirm"]):
            with self.subTest(extra=extra):
                result = amqp("publish", "--routing-key", "no-such-queue", "--body", "lost",
                              "--mandatory", *extra)
                self.assertEqual(result.returncode, 1)
                self.assertIn("returned: 312 NO_ROUTE", result.stderr)
                self.assertIn("routing key 'no-such-queue'", result.stderr)


class Interop(unittest.TestCase):
    def test_amqp_tools_publish_to_our_consume(self):
        ok(self, amqp("queue", "declare", "--name", "from-tools"))
        subprocess.run(["amqp-publish", "--url", BROKER.url, "-r", "from-tools", "-C",
                        "text/plain", "-H", "origin: amqp-tools", "-b", "hello from tools"],
                       check=True, timeout=TIMEOUT)
        out = ok(self, amqp("consume", "--queue", "from-tools", "--count", "1", "--ack",
                            "--format", "json", "--wait", "10"))
        message = json.loads(out.stdout)
        self.assertEqual(message["body"], "hello from tools")
        self.assertEqual(message["properties"]["content_type"], "text/plain")
        self.assertEqual(message["properties"]["headers"], {"origin": "amqp-tools"})

    def test_our_publish_to_amqp_consume(self):
        ok(self, amqp("queue", "declare", "--name", "to-tools"))
        ok(self, amqp("publish", "--routing-key", "to-tools", "--body", "hello tools",
                      "--property", "content_type=text/plain"))
        out = subprocess.run(["amqp-consume", "--url", BROKER.url, "-q", "to-tools", "-c", "1",
                              "cat"], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "hello tools")


class Errors(unittest.TestCase):
    def test_bad_credentials(self):
        url = f"amqp://guest:wrong@{BROKER.host}:{BROKER.port}/"
        result = subprocess.run([BIN, "amqp", "queue", "declare", "--url", url, "--name", "q"],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn("403 ACCESS_REFUSED", result.stderr)

    def test_connection_refused(self):
        port = peers.free_port()
        result = subprocess.run([BIN, "amqp", "get", "--url", f"amqp://127.0.0.1:{port}",
                                 "--queue", "q"], capture_output=True, text=True,
                                timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot connect to 127.0.0.1:{port}", result.stderr)

    def test_listing_needs_mockforge_admin_api(self):
        # The AMQP port is no HTTP admin API (RabbitMQ's would be its
        # management plugin, which Debian does not enable).
        admin = f"http://{BROKER.host}:{BROKER.port}"
        result = subprocess.run([BIN, "amqp", "queue", "list", "--admin", admin, "--timeout", "5"],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"no mockforge admin API at {admin}", result.stderr)
        self.assertIn("rabbitmqctl", result.stderr)

    def test_unknown_property(self):
        result = amqp("publish", "--routing-key", "x", "--body", "b", "--property", "colour=red")
        self.assertEqual(result.returncode, 1)
        self.assertIn("unknown --property 'colour'", result.stderr)


if __name__ == "__main__":
    unittest.main()
