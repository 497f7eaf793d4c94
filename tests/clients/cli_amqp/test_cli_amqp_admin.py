"""The AMQP admin listings (GET /__mockforge/api/amqp/queues and .../bindings) and
`mockforge amqp queue list` / `bindings list` on them, with the topology declared
through pika against `mockforge serve`."""

import http.server
import json
import os
import subprocess
import threading
import unittest

import pika

import mockforge_harness
import peers

BIN = os.environ.get("MOCKFORGE_BIN", "mockforge")
TIMEOUT = 30


def setUpModule():
    global SERVER, CONNECTION, CHANNEL, ADMIN
    SERVER = mockforge_harness.Mockforge()
    ADMIN = f"http://127.0.0.1:{SERVER.ports['admin']}"
    CONNECTION = pika.BlockingConnection(
        pika.ConnectionParameters("127.0.0.1", SERVER.ports["amqp"]))
    CHANNEL = CONNECTION.channel()
    ch = CHANNEL
    ch.exchange_declare("orders", "topic", durable=True)
    ch.exchange_declare("match", "headers")
    ch.queue_declare("orders.eu", durable=True,
                     arguments={"x-max-length": 10, "x-dead-letter-exchange": "dlx",
                                "x-message-ttl": 60000})
    ch.queue_declare("scratch", auto_delete=True)
    ch.queue_bind("orders.eu", "orders", routing_key="eu.*")
    ch.queue_bind("orders.eu", "orders", routing_key="eu.fr.#")
    ch.queue_bind("orders.eu", "match", routing_key="any",
                  arguments={"x-match": "all", "tenant": "acme"})
    for i in range(3):
        ch.basic_publish("orders", "eu.de", f"m{i}".encode())
    # One delivered and left unacknowledged while the connection stays open.
    method, _, _ = ch.basic_get("orders.eu", auto_ack=False)
    assert method is not None


def tearDownModule():
    CONNECTION.close()
    SERVER.close()


def get_json(path):
    status, content_type, body = SERVER.request("GET", path)
    return status, content_type, json.loads(body)


def cli(*args):
    return subprocess.run([BIN, "amqp", *args], capture_output=True, text=True, timeout=TIMEOUT)


def rows(text):
    lines = text.rstrip("\n").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


class AdminApi(unittest.TestCase):
    def test_queues(self):
        status, content_type, body = get_json("/__mockforge/api/amqp/queues")
        self.assertEqual(status, 200)
        self.assertEqual(content_type, "application/json")
        queues = {q["name"]: q for q in body["queues"]}
        self.assertEqual(queues["orders.eu"], {
            "vhost": "/", "name": "orders.eu", "durable": True, "exclusive": False,
            "auto_delete": False,
            "arguments": {"x-max-length": 10, "x-dead-letter-exchange": "dlx",
                          "x-message-ttl": 60000},
            "messages_ready": 2, "messages_unacked": 1, "consumers": 0})
        self.assertTrue(queues["scratch"]["auto_delete"])
        self.assertEqual(queues["scratch"]["arguments"], {})
        status, _, same = get_json("/__mockforge/api/amqp/queues?vhost=%2F")
        self.assertEqual((status, same), (200, body))

    def test_bindings_include_the_default_exchange(self):
        status, _, body = get_json("/__mockforge/api/amqp/bindings?queue=orders.eu")
        self.assertEqual(status, 200)
        seen = [(b["source"], b["routing_key"], b["arguments"]) for b in body["bindings"]]
        self.assertEqual(seen, [
            ("", "orders.eu", {}),
            ("match", "any", {"x-match": "all", "tenant": "acme"}),
            ("orders", "eu.*", {}),
            ("orders", "eu.fr.#", {}),
        ])
        for binding in body["bindings"]:
            self.assertEqual(binding["destination"], "orders.eu")
            self.assertEqual(binding["destination_type"], "queue")
            self.assertEqual(binding["vhost"], "/")

    def test_errors(self):
        # Without ?queue= every binding is listed (the control API, docs/admin-api.md).
        status, _, body = get_json("/__mockforge/api/amqp/bindings")
        self.assertEqual(status, 200)
        self.assertIn("orders.eu", [b["destination"] for b in body["bindings"]])
        status, _, body = get_json("/__mockforge/api/amqp/bindings?queue=nope")
        self.assertEqual(status, 404)
        self.assertIn("no queue 'nope'", body["error"]["message"])
        status, _, body = get_json("/__mockforge/api/amqp/queues?vhost=other")
        self.assertEqual(status, 404)
        self.assertIn("no vhost 'other'", body["error"]["message"])
        status, _, body = get_json("/__mockforge/api/amqp/bindings?queue=orders.eu&vhost=other")
        self.assertEqual(status, 404)


class Cli(unittest.TestCase):
    def test_queue_list_text(self):
        result = cli("queue", "list", "--admin", ADMIN)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith(
            "name\tmessages_ready\tmessages_unacked\tconsumers\tdurable\tauto_delete\t"
            "exclusive\targuments\n"), result.stdout)
        queues = {r["name"]: r for r in rows(result.stdout)}
        eu = queues["orders.eu"]
        self.assertEqual((eu["messages_ready"], eu["messages_unacked"], eu["consumers"]),
                         ("2", "1", "0"))
        self.assertEqual((eu["durable"], eu["auto_delete"], eu["exclusive"]),
                         ("true", "false", "false"))
        self.assertEqual(json.loads(eu["arguments"])["x-max-length"], 10)

    def test_queue_list_json(self):
        result = cli("queue", "list", "--admin", ADMIN + "/", "--format", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, _, body = get_json("/__mockforge/api/amqp/queues")
        self.assertEqual(json.loads(result.stdout), body["queues"])

    def test_bindings_list(self):
        result = cli("bindings", "list", "--queue", "orders.eu", "--admin", ADMIN)
        self.assertEqual(result.returncode, 0, result.stderr)
        listed = rows(result.stdout)
        self.assertEqual(list(listed[0]), ["source_name", "source_kind", "destination_name",
                                           "destination_kind", "routing_key", "arguments"])
        self.assertEqual([(r["source_name"], r["routing_key"]) for r in listed],
                         [("", "orders.eu"), ("match", "any"), ("orders", "eu.*"),
                          ("orders", "eu.fr.#")])
        self.assertEqual({r["destination_name"] for r in listed}, {"orders.eu"})
        as_json = cli("bindings", "list", "--queue", "orders.eu", "--admin", ADMIN,
                      "--format", "json")
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        self.assertEqual(json.loads(as_json.stdout)[1]["arguments"],
                         {"x-match": "all", "tenant": "acme"})

    def test_bindings_list_unknown_queue(self):
        result = cli("bindings", "list", "--queue", "nope", "--admin", ADMIN)
        self.assertEqual(result.returncode, 1)
        self.assertIn("404", result.stderr)
        self.assertIn("no queue 'nope'", result.stderr)

    def test_bindings_list_needs_queue(self):
        result = cli("bindings", "list", "--admin", ADMIN)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--queue", result.stderr)

    def test_admin_not_answering(self):
        admin = f"http://127.0.0.1:{peers.free_port()}"
        result = cli("queue", "list", "--admin", admin)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"no mockforge admin API at {admin}", result.stderr)
        self.assertIn("Connection refused", result.stderr)

    def test_admin_not_mockforge(self):
        class NotFound(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"<html>Not Found</html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            admin = f"http://127.0.0.1:{server.server_address[1]}"
            result = cli("bindings", "list", "--queue", "q", "--admin", admin)
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{admin} is not mockforge's admin API", result.stderr)
        self.assertIn("HTTP 404", result.stderr)


if __name__ == "__main__":
    unittest.main()
