"""`mockforge mqtt publish|subscribe|stats` against Debian mosquitto, or against
`mockforge serve` when CLI_MQTT_PEER=mockforge."""

import json
import os
import subprocess
import time
import unittest

import peers

PEER = os.environ.get("CLI_MQTT_PEER", "mosquitto")

BIN = os.environ.get("MOCKFORGE_BIN", "mockforge")
TIMEOUT = 30


class _MockforgePeer:
    def __init__(self):
        import mockforge_harness
        self.server = mockforge_harness.Mockforge()
        self.host = "127.0.0.1"
        self.port = self.server.ports["mqtt"]
        self.workdir = self.server.tmp
        self.ws_port = self.server.ports["mqtt_ws"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.close()


def setUpModule():
    global BROKER, _stack
    if PEER == "mockforge":
        _stack = _MockforgePeer()
        BROKER = _stack.__enter__()
    else:
        ws_port = peers.free_port()
        _stack = peers.mosquitto(f"listener {ws_port} 127.0.0.1\nprotocol websockets")
        BROKER = _stack.__enter__()
        BROKER.ws_port = ws_port


def tearDownModule():
    _stack.__exit__(None, None, None)


def mqtt(*args, stdin=None):
    return subprocess.run([BIN, "mqtt", *args[:1], "--host", BROKER.host, "--port",
                           str(BROKER.port), *args[1:]], input=stdin, capture_output=True,
                          text=True, timeout=TIMEOUT)


class Subscriber:
    """A `mockforge mqtt subscribe` process, returned once its SUBACK arrived."""

    def __init__(self, *args, port=None):
        self.proc = subprocess.Popen([BIN, "mqtt", "subscribe", "--host", BROKER.host, "--port",
                                      str(port or BROKER.port), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "subscribed to" not in line:
            self.proc.kill()
            raise AssertionError(f"subscriber did not subscribe: {line}{self.proc.stderr.read()}")

    def finish(self):
        out, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, out, err


class PublishSubscribe(unittest.TestCase):
    def test_round_trip_every_qos_and_version(self):
        for version in ("3.1.1", "5"):
            for qos in (0, 1, 2):
                with self.subTest(version=version, qos=qos):
                    topic = f"rt/{version}/{qos}"
                    sub = Subscriber("--protocol", version, "--topic", topic, "--qos", str(qos),
                                     "--count", "3", "--timeout", "20", "--format", "json")
                    pub = mqtt("publish", "--protocol", version, "--topic", topic, "--qos",
                               str(qos), stdin="one\ntwo\nthree\n")
                    self.assertEqual(pub.returncode, 0, pub.stderr)
                    code, out, err = sub.finish()
                    self.assertEqual(code, 0, err)
                    messages = [json.loads(line) for line in out.splitlines()]
                    self.assertEqual([m["payload"] for m in messages], ["one", "two", "three"])
                    self.assertEqual({m["topic"] for m in messages}, {topic})
                    self.assertEqual({m["qos"] for m in messages}, {qos})

    def test_text_output_with_topic_and_multiple_filters(self):
        sub = Subscriber("--topic", "multi/a", "--topic", "multi/+/x", "-v", "--count", "2",
                         "--timeout", "20")
        self.assertEqual(mqtt("publish", "--topic", "multi/a", "--payload", "A").returncode, 0)
        self.assertEqual(mqtt("publish", "--topic", "multi/b/x", "--payload", "B c").returncode,
                         0)
        code, out, err = sub.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(out.splitlines(), ["multi/a A", "multi/b/x B c"])

    def test_retained_message_reaches_a_later_subscriber(self):
        for version in ("3.1.1", "5"):
            with self.subTest(version=version):
                topic = f"retained/{version}"
                pub = mqtt("publish", "--protocol", version, "--topic", topic, "--payload",
                           "kept", "--retain", "--qos", "1")
                self.assertEqual(pub.returncode, 0, pub.stderr)
                sub = mqtt("subscribe", "--protocol", version, "--topic", topic, "--count", "1",
                           "--timeout", "10", "--format", "json")
                self.assertEqual(sub.returncode, 0, sub.stderr)
                message = json.loads(sub.stdout)
                self.assertEqual(message["payload"], "kept")
                self.assertTrue(message["retain"])

    def test_user_properties_seen_by_mosquitto_sub_and_our_v5_subscriber(self):
        ours = Subscriber("--topic", "props", "--count", "1", "--timeout", "20", "--format",
                          "json")
        theirs = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", BROKER.host, "-p", str(BROKER.port),
                                   "-V", "mqttv5", "-t", "props", "-C", "1", "-W", "20", "-F",
                                   "%P|%p", "-d"], stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        line = ""
        while "SUBACK" not in line and time.monotonic() < deadline:
            line = theirs.stdout.readline()
        pub = mqtt("publish", "--topic", "props", "--payload", "p", "--qos", "1",
                   "--user-property", "color=blue", "--user-property", "size=7")
        self.assertEqual(pub.returncode, 0, pub.stderr)
        code, out, err = ours.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["properties"]["user_properties"],
                         [["color", "blue"], ["size", "7"]])
        rest, _ = theirs.communicate(timeout=TIMEOUT)
        printed = [l for l in rest.splitlines() if l.endswith("|p")]
        self.assertEqual(len(printed), 1, rest)
        self.assertIn("color:blue", printed[0])
        self.assertIn("size:7", printed[0])

    def test_interop_with_mosquitto_clients(self):
        theirs = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", BROKER.host, "-p", str(BROKER.port),
                                   "-t", "interop/in", "-C", "1", "-W", "20", "-q", "2", "-d"],
                                  stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        line = ""
        while "SUBACK" not in line and time.monotonic() < deadline:
            line = theirs.stdout.readline()
        self.assertEqual(mqtt("publish", "--protocol", "3.1.1", "--topic", "interop/in",
                              "--qos", "2", "--payload", "to mosquitto_sub").returncode, 0)
        out, _ = theirs.communicate(timeout=TIMEOUT)
        self.assertIn("to mosquitto_sub", out)

        sub = Subscriber("--topic", "interop/out", "--qos", "2", "--count", "1", "--timeout",
                         "20")
        subprocess.run(["mosquitto_pub", "-h", BROKER.host, "-p", str(BROKER.port), "-t",
                        "interop/out", "-q", "2", "-m", "from mosquitto_pub"], check=True,
                       timeout=TIMEOUT)
        code, out, err = sub.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "from mosquitto_pub\n")

    def test_file_payload_is_one_binary_message(self):
        path = os.path.join(BROKER.workdir, "payload.bin")
        data = bytes(range(256)) * 3
        with open(path, "wb") as f:
            f.write(data)
        sub = Subscriber("--topic", "file", "--count", "1", "--timeout", "20", "--format",
                         "json")
        pub = mqtt("publish", "--topic", "file", "--file", path, "--qos", "1")
        self.assertEqual(pub.returncode, 0, pub.stderr)
        code, out, err = sub.finish()
        self.assertEqual(code, 0, err)
        import base64
        self.assertEqual(base64.b64decode(json.loads(out)["payload_base64"]), data)


class WebSocket(unittest.TestCase):
    def test_publish_and_subscribe_over_websocket(self):
        for version in ("3.1.1", "5"):
            with self.subTest(version=version):
                topic = f"ws/{version}"
                sub = Subscriber("--ws", "--protocol", version,
                                 "--topic", topic, "--qos", "2", "--count", "2", "--timeout",
                                 "20", "--format", "json", port=BROKER.ws_port)
                over_tcp = mqtt("publish", "--topic", topic, "--qos", "1", "--payload", "tcp")
                self.assertEqual(over_tcp.returncode, 0, over_tcp.stderr)
                over_ws = subprocess.run(
                    [BIN, "mqtt", "publish", "--ws", "--host", BROKER.host, "--port",
                     str(BROKER.ws_port), "--protocol", version, "--topic", topic, "--qos", "2",
                     "--file", "/dev/stdin"], input="w" * 70000, capture_output=True, text=True,
                    timeout=TIMEOUT)
                self.assertEqual(over_ws.returncode, 0, over_ws.stderr)
                code, out, err = sub.finish()
                self.assertEqual(code, 0, err)
                payloads = [json.loads(line)["payload"] for line in out.splitlines()]
                self.assertEqual(payloads, ["tcp", "w" * 70000])

    def test_plain_port_refuses_upgrade(self):
        result = mqtt("publish", "--ws", "--topic", "t", "--payload", "x")
        self.assertEqual(result.returncode, 1)
        self.assertIn("WebSocket", result.stderr)


class Stats(unittest.TestCase):
    def test_stats_shows_sys_topics(self):
        # Both brokers publish $SYS/broker/... retained, so they come at once.
        result = mqtt("stats", "--timeout", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines()
                     if line.startswith("$SYS/") and
                     not line.startswith("$SYS/broker/retained messages"))
        # The summary after the topics (load averages: Mosquitto's and mockforge's $SYS).
        self.assertRegex(result.stdout, r"\nActive connections: \d+\nSubscriptions: \d+\n")
        self.assertIn("Messages received per minute (1 min average): ", result.stdout)
        self.assertEqual(lines["$SYS/broker/version"].split(" version ")[0], PEER)
        self.assertRegex(lines["$SYS/broker/uptime"], r"^\d+ seconds$")
        for topic in ("clients/connected", "messages/received", "messages/sent", "bytes/received", "bytes/sent",
                      "subscriptions/count", "publish/messages/received"):
            self.assertRegex(lines["$SYS/broker/" + topic], r"^\d+$")
        if PEER == "mockforge":  # mosquitto sends it only when it changes
            self.assertRegex(result.stdout, r"\$SYS/broker/retained messages/count \d+\n")

    @unittest.skipUnless(PEER == "mockforge", "needs a mockforge with $SYS disabled")
    def test_stats_fails_clearly_without_sys_topics(self):
        import mockforge_harness
        with mockforge_harness.Mockforge(env={"MOCKFORGE_MQTT_SYS_INTERVAL": "0"}) as quiet:
            result = subprocess.run(
                [BIN, "mqtt", "stats", "--host", "127.0.0.1", "--port", str(quiet.ports["mqtt"]),
                 "--timeout", "1"], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn("published nothing under $SYS/# within 1 s", result.stderr)


class Errors(unittest.TestCase):
    def test_connection_refused_names_host_and_port(self):
        port = peers.free_port()
        result = subprocess.run([BIN, "mqtt", "publish", "--host", "127.0.0.1", "--port",
                                 str(port), "--topic", "t", "--payload", "x"],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot connect to 127.0.0.1:{port}", result.stderr)
        self.assertIn("refused", result.stderr)

    def test_user_property_needs_v5(self):
        result = mqtt("publish", "--protocol", "3.1.1", "--topic", "t", "--payload", "x",
                      "--user-property", "a=b")
        self.assertEqual(result.returncode, 1)
        self.assertIn("--user-property needs --protocol 5", result.stderr)

    def test_count_not_reached_fails(self):
        result = mqtt("subscribe", "--topic", "nobody/publishes", "--count", "1", "--timeout",
                      "0.5")
        self.assertEqual(result.returncode, 1)
        self.assertIn("received 0 of 1 messages", result.stderr)

    def test_invalid_filter_is_reported(self):
        # mosquitto disconnects with Malformed Packet; a broker may instead refuse
        # the filter in its SUBACK. Either way the reason code is named.
        result = mqtt("subscribe", "--topic", "a/#/b", "--timeout", "1")
        self.assertEqual(result.returncode, 1)
        if PEER == "mosquitto":
            self.assertIn(f"disconnected by 127.0.0.1:{BROKER.port}: Malformed Packet (0x81)",
                          result.stderr)
        else:
            self.assertRegex(result.stderr, r"(refused|disconnected).*\(0x[0-9A-F]{2}\)")

if __name__ == "__main__":
    unittest.main()
