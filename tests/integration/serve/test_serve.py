"""`mockforge serve` as a process: readiness, admin HTTP, metrics, signals, failures."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from mockforge_harness import BIN, Mockforge, occupied_port


class ServeLifecycle(unittest.TestCase):
    def test_ready_file_lists_bound_ports_and_admin_answers_on_both_loopbacks(self):
        with Mockforge() as mf:
            self.assertIn("admin", mf.ports)
            self.assertNotEqual(mf.ports["admin"], 0)
            self.assertEqual(mf.info["pid"], mf.proc.pid)
            for host in ("127.0.0.1", "::1"):
                status, ctype, body = mf.request("GET", "/__mockforge/health", host=host)
                self.assertEqual(status, 200, host)
                self.assertEqual(json.loads(body), {"status": "ok"})
                self.assertEqual(ctype, "application/json")

    def test_ready_and_info_endpoints(self):
        with Mockforge() as mf:
            status, _, body = mf.request("GET", "/__mockforge/ready")
            self.assertEqual((status, json.loads(body)), (200, {"ready": True}))
            status, _, body = mf.request("GET", "/__mockforge/api/info")
            self.assertEqual(status, 200)
            info = json.loads(body)
            self.assertEqual(info["ports"], mf.ports)
            self.assertEqual(info["version"], mf.info["version"])
            self.assertEqual(sorted(info["protocols"]), ["amqp", "kafka", "mqtt"])

    def test_disabled_protocols_are_not_listed(self):
        with Mockforge("--no-kafka", "--no-amqp") as mf:
            _, _, body = mf.request("GET", "/__mockforge/api/info")
            self.assertEqual(json.loads(body)["protocols"], ["mqtt"])

    def test_metrics_pass_promtool_and_include_process_metrics(self):
        with Mockforge() as mf:
            status, ctype, body = mf.request("GET", "/__mockforge/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
            for family in ("process_resident_memory_bytes", "process_open_fds",
                           "process_start_time_seconds", "process_cpu_seconds_total",
                           "mockforge_uptime_seconds", "mockforge_build_info",
                           "mockforge_storage_bytes"):
                self.assertIn(f"# TYPE {family} ", body)
            rss = [line for line in body.splitlines()
                   if line.startswith("process_resident_memory_bytes ")]
            self.assertGreater(float(rss[0].split()[1]), 1e6)
            promtool = shutil.which("promtool")
            if promtool is None:
                self.fail("promtool (Debian package prometheus) is required for this test")
            check = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                                   capture_output=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_sigterm_and_sigint_stop_cleanly_and_quickly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with Mockforge() as mf:
                begin = time.monotonic()
                mf.signal(sig)
                self.assertEqual(mf.wait(timeout=10), 0, mf.output())
                self.assertLess(time.monotonic() - begin, 6.0)
                self.assertIn("stopped", mf.output())

    def test_reset_endpoint_drops_produced_data_and_reports_elapsed_time(self):
        from confluent_kafka import Consumer, Producer, TopicPartition

        with Mockforge() as mf:
            bootstrap = f"127.0.0.1:{mf.ports['kafka']}"
            producer = Producer({"bootstrap.servers": bootstrap})
            producer.produce("reset.check", b"before reset")
            self.assertEqual(producer.flush(10), 0)

            def topics_and_high_watermark():
                consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reset-check"})
                try:
                    topics = set(consumer.list_topics(timeout=10).topics)
                    if "reset.check" not in topics:
                        return topics, None
                    _, high = consumer.get_watermark_offsets(
                        TopicPartition("reset.check", 0), timeout=10)
                    return topics, high
                finally:
                    consumer.close()

            self.assertEqual(topics_and_high_watermark()[1], 1)
            status, _, body = mf.request("POST", "/__mockforge/api/reset")
            self.assertEqual(status, 200)
            reply = json.loads(body)
            self.assertTrue(reply["reset"])
            self.assertIsInstance(reply["elapsed_ms"], float)
            self.assertGreaterEqual(reply["elapsed_ms"], 0.0)
            # The topic was auto-created after start-up: a reset removes it.
            topics, high = topics_and_high_watermark()
            self.assertNotIn("reset.check", topics)
            self.assertIsNone(high)


class SeedFlags(unittest.TestCase):
    def test_admin_and_metrics_flags_override_a_config_that_turned_them_off(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "mockforge.yaml")
            with open(config, "w") as f:
                f.write("admin:\n  enabled: false\nmetrics:\n  enabled: false\n")
            with Mockforge("--config", config, "--admin", "--metrics") as mf:
                status, _, body = mf.request("GET", "/__mockforge/metrics")
                self.assertEqual(status, 200)
                self.assertIn("mockforge_build_info", body)


class AdminErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mf = Mockforge()

    @classmethod
    def tearDownClass(cls):
        cls.mf.close()

    def test_unknown_path_is_404_json(self):
        status, ctype, body = self.mf.request("GET", "/nope")
        self.assertEqual(status, 404)
        self.assertEqual(ctype, "application/json")
        self.assertEqual(json.loads(body)["error"]["status"], 404)

    def test_errors_quoting_bytes_that_are_not_utf8_are_json(self):
        # The error quotes the request; a byte that is not UTF-8 made the
        # JSON body throw: a 500, or (404, 405) no answer at all.
        with socket.create_connection(("127.0.0.1", self.mf.ports["admin"]), timeout=5) as s:
            s.sendall(b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 404"), answer)
        self.assertIn("caf\ufffd", json.loads(body)["error"]["message"])
        for method, path in (("DELETE", "/__mockforge/api/faults/caf%E9"),
                             ("DELETE", "/__mockforge/api/bridges?name=caf%E9"),
                             ("POST", "/__mockforge/api/fixtures/start?id=caf%E9")):
            status, _, body = self.mf.request(method, path)
            self.assertIn(status, (400, 404), (path, body))
            self.assertIn("caf\ufffd", json.loads(body)["error"]["message"], path)
        status, _, body = self.mf.request("POST", "/__mockforge/api/asyncapi",
                                          body=json.dumps({"document": "asyncapi: 2.6.0",
                                                           "name": 5}))
        self.assertEqual(status, 400, body)
        self.assertIn("name:", json.loads(body)["error"]["message"])

    def test_bodies_nested_too_deep_are_400(self):
        # 400,000 brackets in a 1 MiB body: the expectation copied its
        # operand recursively and the stack overflowed, ending serve.
        deep = "[" * 400000 + "]" * 400000
        bodies = {
            "/__mockforge/api/expect": '{"protocol":"kafka","topic":"t","timeout_ms":100,'
                                       '"match":{"json":[{"path":"$.a","equals":' + deep + '}]}}',
            "/__mockforge/api/faults": '{"protocol":"kafka","action":' + deep + '}',
            "/__mockforge/api/bridges": '{"name":' + deep + '}',
            "/__mockforge/api/asyncapi": '{"document":' + deep + '}',
        }
        for path, body in bodies.items():
            status, _, answer = self.mf.request("POST", path, body=body)
            self.assertEqual(status, 400, (path, answer[:200]))
            self.assertIn("deeper than 512 levels", json.loads(answer)["error"]["message"])
        status, _, _ = self.mf.request("GET", "/__mockforge/health")
        self.assertEqual(status, 200)

    def test_wrong_method_is_405(self):
        status, _, body = self.mf.request("DELETE", "/__mockforge/health")
        self.assertEqual(status, 405)
        self.assertIn("GET", json.loads(body)["error"]["message"])

    def test_oversize_body_is_413(self):
        # Refused from the Content-Length alone, before any of the body is read.
        with socket.create_connection(("127.0.0.1", self.mf.ports["admin"]), timeout=5) as s:
            s.sendall(b"POST /__mockforge/api/reset HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 2097152\r\n\r\n")
            reply = s.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)

    def test_garbage_request_is_400_and_server_stays_up(self):
        with socket.create_connection(("127.0.0.1", self.mf.ports["admin"]), timeout=5) as s:
            s.sendall(b"\x00\x01garbage that is not http\r\n\r\n")
            reply = s.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply)
        status, _, _ = self.mf.request("GET", "/__mockforge/health")
        self.assertEqual(status, 200)

    def test_snapshot_without_path_is_400(self):
        status, _, _ = self.mf.request("POST", "/__mockforge/api/snapshot")
        self.assertEqual(status, 400)

    def test_snapshot_without_snapshot_dir_is_refused(self):
        path = os.path.join(self.mf.tmp, "x.snap")
        status, _, body = self.mf.request("POST", f"/__mockforge/api/snapshot?path={path}")
        self.assertEqual(status, 403, body)
        self.assertIn("storage.snapshot_dir", json.loads(body)["error"]["message"])
        self.assertFalse(os.path.exists(path))


class AdminSecurity(unittest.TestCase):
    """admin.bind, the bearer token and snapshot paths confined to storage.snapshot_dir."""

    def test_token_is_required_except_for_health_and_ready(self):
        with tempfile.TemporaryDirectory() as tmp:
            token_file = os.path.join(tmp, "token")
            with open(token_file, "w") as f:
                f.write("t0ken-abc\n")
            with Mockforge("--admin-token-file", token_file) as mf:
                for path in ("/__mockforge/api/info", "/__mockforge/metrics"):
                    conn = http.client.HTTPConnection("127.0.0.1", mf.ports["admin"], timeout=10)
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read()
                    self.assertEqual(resp.status, 401, path)
                    self.assertEqual(resp.getheader("WWW-Authenticate"), 'Bearer realm="mockforge"')
                    self.assertEqual(json.loads(body)["error"]["status"], 401)
                    conn.close()
                status, _, _ = mf.request("POST", "/__mockforge/api/reset",
                                          headers={"Authorization": "Bearer wrong"})
                self.assertEqual(status, 401)
                status, _, body = mf.request("GET", "/__mockforge/api/info",
                                             headers={"Authorization": "Bearer t0ken-abc"})
                self.assertEqual(status, 200, body)
                for path in ("/__mockforge/health", "/__mockforge/ready"):
                    status, _, _ = mf.request("GET", path)
                    self.assertEqual(status, 200, path)

    def test_exposed_admin_port_without_token_refuses_to_start(self):
        result = subprocess.run([BIN, "serve", "--admin-bind", "0.0.0.0", "--admin-port", "0",
                                 "--kafka-port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0",
                                 "--amqp-port", "0"], capture_output=True, timeout=10)
        self.assertNotEqual(result.returncode, 0)
        err = result.stderr.decode()
        self.assertIn("0.0.0.0", err)
        self.assertIn("admin.token", err)

    def test_admin_bind_is_separate_from_server_bind(self):
        # Brokers exposed, admin on loopback (the default): no token needed.
        with Mockforge("--bind", "0.0.0.0") as mf:
            self.assertEqual(mf.info["admin_bind"], ["127.0.0.1", "::1"])
            status, _, _ = mf.request("GET", "/__mockforge/api/info", host="::1")
            self.assertEqual(status, 200)
        # Admin exposed with a token from the environment.
        with Mockforge("--admin-bind", "0.0.0.0", env={"MOCKFORGE_ADMIN_TOKEN": "tok"}) as mf:
            self.assertEqual(mf.info["admin_bind"], ["0.0.0.0"])
            status, _, _ = mf.request("GET", "/__mockforge/api/info")
            self.assertEqual(status, 401)
            status, _, _ = mf.request("GET", "/__mockforge/api/info",
                                      headers={"Authorization": "Bearer tok"})
            self.assertEqual(status, 200)

    def test_snapshot_and_restore_stay_inside_snapshot_dir(self):
        with tempfile.TemporaryDirectory() as tmp:
            snaps = os.path.join(tmp, "snaps")
            outside = os.path.join(tmp, "outside")
            os.makedirs(snaps)
            os.makedirs(outside)
            os.symlink(outside, os.path.join(snaps, "link"))
            with Mockforge("--snapshot-dir", snaps) as mf:
                status, _, body = mf.request("POST", "/__mockforge/api/snapshot?path=a.snap")
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["snapshot"], os.path.join(snaps, "a.snap"))
                self.assertTrue(os.path.exists(os.path.join(snaps, "a.snap")))
                status, _, body = mf.request("POST", "/__mockforge/api/restore?path=a.snap")
                self.assertEqual(status, 200, body)
                absolute = os.path.join(snaps, "b.snap")
                status, _, _ = mf.request("POST", f"/__mockforge/api/snapshot?path={absolute}")
                self.assertEqual(status, 200)
                for bad in ("../outside/x.snap", os.path.join(outside, "x.snap"), "link/x.snap",
                            "/etc/passwd"):
                    for op in ("snapshot", "restore"):
                        status, _, body = mf.request(
                            "POST", f"/__mockforge/api/{op}?path={urllib.parse.quote(bad)}")
                        self.assertEqual(status, 403, (op, bad, body))
                self.assertEqual(os.listdir(outside), [])


class StartupFailures(unittest.TestCase):
    def run_serve(self, *args, timeout=10):
        return subprocess.run([BIN, "serve", *args], capture_output=True, timeout=timeout)

    def test_port_in_use_fails_at_once_naming_the_port(self):
        with occupied_port() as port:
            begin = time.monotonic()
            result = self.run_serve("--admin-port", str(port), "--kafka-port", "0",
                                    "--mqtt-port", "0", "--mqtt-ws-port", "0", "--amqp-port", "0")
            self.assertEqual(result.returncode, 1)
            self.assertLess(time.monotonic() - begin, 5)
            self.assertIn(str(port).encode(), result.stderr)

    def test_bad_bind_address_fails_naming_it(self):
        result = self.run_serve("--bind", "not-an-address", "--admin-port", "0")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"not-an-address", result.stderr)

    def test_bad_config_file_names_file_line_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("kafka:\n  port: 9092\n  prot: 1\nadmin:\n  port: lots\n")
            path = f.name
        try:
            result = self.run_serve("--config", path)
            self.assertEqual(result.returncode, 2)
            err = result.stderr.decode()
            self.assertIn(f"{path}:3:3: kafka.prot", err)
            self.assertIn(f"{path}:5:3: admin.port: expected a port number", err)
            validate = subprocess.run([BIN, "config", "validate", path], capture_output=True)
            self.assertEqual(validate.returncode, 1)
            self.assertIn(f"{path}:3:3: kafka.prot", validate.stderr.decode())
        finally:
            os.unlink(path)

    def test_config_print_shows_flag_and_environment_precedence(self):
        result = subprocess.run([BIN, "config", "print", "--kafka-port", "1234"], capture_output=True,
                                env={**os.environ, "MOCKFORGE_KAFKA_PORT": "999",
                                     "MOCKFORGE_MQTT_PORT": "1999"})
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout.decode()
        self.assertIn("port: 1234", out)
        self.assertIn("port: 1999", out)

    def test_config_print_hides_secrets_unless_asked(self):
        env = {**os.environ, "MOCKFORGE_ADMIN_TOKEN": "s3cret-token",
               "MOCKFORGE_AMQP_USERS": "guest:guest,svc:pa:ss",
               "MOCKFORGE_KAFKA_SASL_MECHANISMS": "PLAIN",
               "MOCKFORGE_KAFKA_SASL_USERS": "kuser:k-pass"}
        result = subprocess.run([BIN, "config", "print"], capture_output=True, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout.decode()
        self.assertNotIn("s3cret-token", out)
        self.assertNotIn("pa:ss", out)
        self.assertIn("svc:***", out)
        self.assertNotIn("k-pass", out)
        self.assertIn("kuser:***", out)
        self.assertRegex(out, r"\n  token: ['\"]?\*\*\*")
        shown = subprocess.run([BIN, "config", "print", "--show-secrets"], capture_output=True,
                               env=env)
        self.assertIn("s3cret-token", shown.stdout.decode())
        self.assertIn("svc:pa:ss", shown.stdout.decode())
        self.assertIn("kuser:k-pass", shown.stdout.decode())


if __name__ == "__main__":
    unittest.main()
