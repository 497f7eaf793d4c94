#!/usr/bin/env python3
"""microservices-event-bus: the seed's three scenarios and walkthrough commands, end to end.

Starts `mockforge serve --config mockforge-config.yaml` on ephemeral ports,
runs scripts/test-*.sh against it (a reset before each), runs the
walkthrough's CLI commands and checks what they print, and shows that a
scenario script fails when a service in the flow stops answering.
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from mockforge_harness import BIN, Mockforge  # noqa: E402

TOPICS = ["inventory.updated", "orders.created", "orders.status-updated", "payments.processed",
          "payments.refunded"]


class MicroservicesEventBus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.chdir(HERE)
        cls.mf = Mockforge("--config", "mockforge-config.yaml", "--admin", "--metrics")
        ports = cls.mf.ports
        cls.admin = f"http://127.0.0.1:{ports['admin']}"
        cls.bootstrap = f"127.0.0.1:{ports['kafka']}"
        cls.amqp_url = f"amqp://guest:guest@127.0.0.1:{ports['amqp']}/"
        cls.env = {**os.environ, "MOCKFORGE": BIN, "MOCKFORGE_ADMIN_URL": cls.admin,
                   "KAFKA_BOOTSTRAP": cls.bootstrap, "MQTT_HOST": "127.0.0.1",
                   "MQTT_PORT": str(ports["mqtt"]), "AMQP_URL": cls.amqp_url}

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def setUp(self):
        status, _, body = self.mf.request("POST", "/__mockforge/api/reset")
        self.assertEqual(status, 200, body)

    def script(self, name, expect_rc=0, **env):
        result = subprocess.run(["bash", os.path.join("scripts", name)], capture_output=True,
                                text=True, timeout=180, env={**self.env, **env})
        self.assertEqual(result.returncode, expect_rc,
                         f"{name}:\n{result.stdout}\n{result.stderr}\n--- serve log ---\n"
                         f"{self.mf.output()[-4000:]}")
        return result.stdout + result.stderr

    def cli(self, *args, expect_rc=0):
        result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, expect_rc, f"{args}:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def group(self, name):
        rows = {}
        for line in self.cli("kafka", "consumer-groups", "describe", "--bootstrap", self.bootstrap,
                             "--group", name).splitlines()[2:]:
            topic, partition, current, end, lag = line.split("\t")
            rows[(topic, int(partition))] = (int(current), int(end), int(lag))
        return rows

    # -- the seed's walkthrough, step 3: fixtures load, again, at run time -------------------

    def test_1_fixtures_load_at_run_time_is_idempotent(self):
        for protocol in ("kafka", "mqtt", "amqp"):
            out = self.cli(protocol, "fixtures", "load", f"./fixtures/{protocol}/",
                           "--admin-url", self.admin)
            self.assertRegex(out, r": 0 new fixture\(s\), [1-9]\d* already loaded, .* 0 seed message", out)
        status, _, body = self.mf.request("GET", "/__mockforge/api/responders")
        self.assertEqual(status, 200, body)
        self.assertEqual(sorted(r["identifier"] for r in json.loads(body)["responders"]),
                         ["inventory-in-stock", "inventory-out-of-stock", "notify-alert",
                          "notify-payment", "notify-refund", "payment-charge", "payment-refund"])

    # -- the three scenarios -----------------------------------------------------------------

    def test_2_happy_path(self):
        out = self.script("test-happy-path.sh", ORDER_ID="ord-ci-1")
        self.assertIn("happy path: OK (ord-ci-1)", out)
        self.assertIn("email-worker: notification.email.order", out)
        # Analytics consumed everything, the three seeded orders and the new one.
        rows = {k: v for k, v in self.group("analytics-service").items() if k[0] == "orders.created"}
        self.assertEqual(sum(end for _, end, _ in rows.values()), 4, rows)
        self.assertEqual(sum(lag for _, _, lag in rows.values()), 0, rows)
        # The responders fired once each along the way.
        _, _, metrics = self.mf.request("GET", "/__mockforge/metrics")
        for responder in ("inventory-in-stock", "payment-charge", "notify-payment"):
            self.assertIn(f'mockforge_responder_firings_total{{responder="{responder}"}} 1', metrics)

    def test_3_out_of_stock(self):
        out = self.script("test-out-of-stock.sh", ORDER_ID="ord-ci-2")
        self.assertIn("out of stock: OK (ord-ci-2)", out)
        self.assertIn("email-worker: notification.sms.refund", out)

    def test_4_temperature_alert(self):
        out = self.script("test-temperature-alert.sh")
        self.assertIn("temperature alert: OK (zone-2 at 41.5 C)", out)
        # Another zone, another temperature: the script checks what it was given.
        out = self.script("test-temperature-alert.sh", SPIKE_ZONE="zone-3", SPIKE_TEMP="35")
        self.assertIn("temperature alert: OK (zone-3 at 35 C)", out)

    # -- the walkthrough's other commands ----------------------------------------------------

    def test_5_walkthrough_commands(self):
        listed = self.cli("kafka", "topics", "list", "--bootstrap", self.bootstrap).split()
        for topic in TOPICS:
            self.assertIn(topic, listed)
        # Use case 1: produce an order, consume inventory.updated as inventory-service.
        self.cli("kafka", "produce", "--bootstrap", self.bootstrap, "--topic", "orders.created",
                 "--key", "order-12345", "--value",
                 json.dumps({"order_id": "12345", "customer_id": "cust-789",
                             "items": [{"sku": "WIDGET-1", "quantity": 2}], "total": 99.99,
                             "status": "pending"}))
        consumed = self.cli("kafka", "consume", "--bootstrap", self.bootstrap, "--topic",
                            "inventory.updated", "--group", "inventory-service",
                            "--from-beginning", "--max-messages", "1", "--timeout-ms", "10000")
        self.assertEqual(json.loads(consumed)["status"], "reserved")
        rows = self.group("inventory-service")
        self.assertTrue(rows and all(k[0] == "inventory.updated" for k in rows), rows)
        self.assertEqual(sum(current for current, _, _ in rows.values()), 1, rows)
        # Use case 2: a reading published, seen by a wildcard subscriber with -v.
        subscriber = subprocess.Popen(
            [BIN, "mqtt", "subscribe", "--port", str(self.mf.ports["mqtt"]), "--topic",
             "warehouse/sensors/#", "-v", "--count", "20", "--timeout", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.cli("mqtt", "publish", "--port", str(self.mf.ports["mqtt"]), "--topic",
                 "warehouse/sensors/temperature/zone-1", "--payload",
                 '{"temp": 25.5, "unit": "celsius"}', "--qos", "1")
        out, err = subscriber.communicate(timeout=30)
        self.assertEqual(subscriber.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 20)
        self.assertTrue(all(line.startswith("warehouse/sensors/") for line in lines), lines)
        # Use case 3: declaring what the fixtures declared is a no-op; publish, then consume.
        amqp = ["--url", self.amqp_url]
        self.cli("amqp", "exchange", "declare", *amqp, "--name", "notifications", "--type", "topic")
        self.cli("amqp", "queue", "declare", *amqp, "--name", "email.queue")
        self.cli("amqp", "queue", "bind", *amqp, "--exchange", "notifications", "--queue",
                 "email.queue", "--routing-key", "notification.email.*")
        self.cli("amqp", "publish", *amqp, "--exchange", "notifications", "--routing-key",
                 "notification.email.order", "--body",
                 '{"type": "order_confirmation", "recipient": "customer@example.com", '
                 '"order_id": "12345"}')
        queues = {row.split("\t")[0]: row.split("\t") for row in
                  self.cli("amqp", "queue", "list", "--admin-url", self.admin).splitlines()[1:]}
        self.assertEqual(sorted(queues), ["email.queue", "push.queue", "sms.queue", "tasks.reports"])
        self.assertEqual(queues["tasks.reports"][1], "1")  # the seeded report task
        self.assertEqual(queues["email.queue"][1], "2")    # the responder's email and ours
        bindings = self.cli("amqp", "bindings", "list", "--queue", "email.queue", "--admin-url",
                            self.admin)
        self.assertIn("notifications\texchange\temail.queue\tqueue\tnotification.email.*", bindings)
        mails = self.cli("amqp", "consume", *amqp, "--queue", "email.queue", "--count", "2",
                         "--ack").splitlines()
        self.assertEqual(sorted(json.loads(m)["order_id"] for m in mails), ["12345", "12345"])
        # Monitoring: mqtt stats, from $SYS and from the admin API.
        stats = self.cli("mqtt", "stats", "--port", str(self.mf.ports["mqtt"]), "--timeout", "2")
        self.assertIn("Active connections:", stats)
        stats = self.cli("mqtt", "stats", "--admin-url", self.admin, "--timeout", "1")
        self.assertRegex(stats, r"Retained messages: 1\b")  # dashboard/updates, seeded

    # -- a scenario that cannot pass fails ---------------------------------------------------

    def test_6_a_silent_service_fails_the_scenario(self):
        self.cli("responders", "remove", "notify-payment", "--admin-url", self.admin)
        try:
            out = self.script("test-happy-path.sh", expect_rc=1, ORDER_ID="ord-ci-3",
                              EXPECT_TIMEOUT_MS="2000")
            self.assertIn("FAILED: the notification service sent a confirmation email", out)
            self.assertIn("not met: expected at least 1 message(s) amqp on notifications", out)
        finally:
            self.cli("responders", "add", "fixtures/kafka/services.yaml", "--admin-url", self.admin)
        self.setUp()
        self.assertIn("happy path: OK", self.script("test-happy-path.sh", ORDER_ID="ord-ci-4"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
