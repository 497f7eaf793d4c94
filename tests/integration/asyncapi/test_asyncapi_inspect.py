"""`mockforge asyncapi inspect FILE`: what a document would create, or its errors."""

import os
import subprocess
import unittest

BIN = os.environ["MOCKFORGE_BIN"]
ROOT = os.environ["MOCKFORGE_SOURCE_ROOT"]
IOT = os.path.join(ROOT, "examples/iot-device-manager/asyncapi.yaml")
DOCS = os.path.join(ROOT, "tests/unit/asyncapi/documents")


def inspect(*args):
    return subprocess.run([BIN, "asyncapi", "inspect", *args], capture_output=True, text=True,
                          timeout=60)


class Inspect(unittest.TestCase):
    def test_the_iot_example_lists_channels_patterns_and_examples(self):
        result = inspect(IOT)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertIn("AsyncAPI 3.0.0: IoT Device Manager 1.0.0 (2 file(s))", out)
        self.assertIn("broker: mqtt5 localhost:1883 -> the mqtt broker", out)
        self.assertIn("telemetry: 'devices/{deviceId}/telemetry' (servers broker)", out)
        self.assertIn("mqtt: topic filter 'devices/+/telemetry', qos 1, topics matching "
                      "'devices/[^/]+/telemetry'", out)
        self.assertIn("mqtt: topic filter 'devices/+/status', qos 1, retain true", out)
        self.assertIn("mqtt: topic filter 'alerts/critical', qos 2", out)
        self.assertIn("example ('warm-sensor' from the document)", out)
        self.assertEqual(out.count("example (synthesised, seed 1)"), 4)
        self.assertEqual(out.count("payload conforms to the schema"), 5)
        self.assertNotIn("does not conform", out)
        self.assertIn("sendCommand: send on commands [command]", out)
        self.assertIn("nothing (MQTT topics need no declaration)", out)

    def test_a_2x_document_says_it_has_no_request_reply(self):
        result = inspect(os.path.join(DOCS, "v26_brokers.yaml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("  request/reply: AsyncAPI 2.x documents describe none, so no operation "
                      "is answered by itself; a responder needs an explicit rule", result.stdout)
        # 3.0 has reply: nothing is said of it.
        self.assertNotIn("request/reply:", inspect(IOT).stdout)

    def test_the_seed_changes_synthesised_examples_and_only_them(self):
        first = inspect(IOT, "--seed", "1").stdout
        again = inspect(IOT, "--seed", "1").stdout
        other = inspect(IOT, "--seed", "2").stdout
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)

    def test_errors_name_file_line_and_pointer_and_exit_1(self):
        result = inspect(os.path.join(DOCS, "errors.yaml"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        lines = result.stderr.splitlines()
        self.assertEqual(lines[-1], "5 error(s)")
        self.assertIn("#/channels/dangling/publish/message/$ref: $ref "
                      "'#/components/messages/Missing' does not resolve", result.stderr)
        self.assertIn("#/channels/avro/publish/message/schemaFormat: schemaFormat "
                      "'application/vnd.apache.avro;version=1.9.0': Avro schemas are not "
                      "supported", result.stderr)
        for line in lines[:-1]:
            self.assertRegex(line, r"errors\.yaml:\d+: #/channels/")

    def test_a_missing_file_exits_2(self):
        result = inspect(os.path.join(DOCS, "no-such.yaml"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("no such file", result.stderr)


if __name__ == "__main__":
    unittest.main()
