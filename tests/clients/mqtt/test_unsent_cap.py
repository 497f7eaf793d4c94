"""mqtt.max_unsent_bytes: a subscriber that stops reading (mosquitto_sub, stopped
with SIGSTOP) gets no more QoS 1 messages once that many bytes wait unsent to it;
the rest wait in its queue and go out when it reads again. A paho subscriber
of the same topic gets every message meanwhile.

The proof is in the counts, not in timings: with the default cap (4 MiB) the
broker sends a stopped subscriber more than 4 MiB (in flight, unacknowledged)
before it holds messages back; with a 16 KiB cap some wait in its queue, and
what went out is at most the cap and what the kernel's socket buffers took (the
broker's send buffer grows to tcp_wmem's maximum, 4 MiB by default)."""

import os
import signal
import subprocess
import tempfile
import threading
import unittest

import paho.mqtt.client as mqtt

from mockforge_harness import Mockforge
from slow_reader import kernel_absorbs_for_a_stopped_reader
from mqtt_support import MqttTestCase

COUNT = 400
SIZE = 16 * 1024
DEFAULT_CAP = 4 * 1024 * 1024
CAP = 16 * 1024


class UnsentCap(unittest.TestCase):
    def run_flood(self, env, topic):
        """Floods `topic` with a stopped mosquitto_sub and a reading paho subscriber on it.
        Returns the stopped subscriber's (inflight, queued) once all COUNT reached it."""
        with Mockforge(env=env) as mf:
            case = MqttTestCase()  # its metric and wait helpers, on this broker
            case.mf = mf
            port = mf.ports["mqtt"]
            out = tempfile.NamedTemporaryFile(prefix="mqtt-slow-", delete=False)
            self.addCleanup(os.unlink, out.name)
            slow = subprocess.Popen(
                ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv311",
                 "-i", "slow-sub", "-q", "1", "-t", topic, "-C", str(COUNT), "-F", "%l"],
                stdout=out, stderr=subprocess.PIPE)
            self.addCleanup(lambda: slow.poll() is None and slow.kill())
            case.wait_subscriptions(1)
            slow.send_signal(signal.SIGSTOP)

            got = []
            all_in = threading.Event()

            def on_message(_c, _u, message):
                got.append(len(message.payload))
                if len(got) == COUNT:
                    all_in.set()

            fast = mqtt.Client(client_id="fast-sub", protocol=mqtt.MQTTv311)
            fast.on_message = on_message
            fast.connect("127.0.0.1", port)
            fast.loop_start()
            result, _ = fast.subscribe(topic, qos=1)
            self.assertEqual(result, 0)
            case.wait_subscriptions(2)

            publisher = mqtt.Client(client_id="publisher", protocol=mqtt.MQTTv311)
            publisher.connect("127.0.0.1", port)
            publisher.loop_start()
            payload = b"x" * SIZE
            for _ in range(COUNT):
                publisher.publish(topic, payload, qos=1).wait_for_publish(10)
            publisher.loop_stop()
            publisher.disconnect()

            # The reading subscriber is unaffected: every message, in full.
            self.assertTrue(all_in.wait(30), f"paho got {len(got)} of {COUNT}")
            self.assertEqual(got, [SIZE] * COUNT)
            fast.loop_stop()
            fast.disconnect()

            def slow_counts():
                status, clients = mf.api("GET", "/__mockforge/api/mqtt/clients")
                self.assertEqual(status, 200)
                entry = next(c for c in clients["clients"] if c["client_id"] == "slow-sub")
                return entry["inflight"], entry["queued"]

            case.wait_for(lambda: sum(slow_counts()) == COUNT, "every message sent or queued")
            counts = slow_counts()

            # Reading again, the stopped subscriber gets every message.
            slow.send_signal(signal.SIGCONT)
            _, err = slow.communicate(timeout=60)
            self.assertEqual(slow.returncode, 0, err)
            with open(out.name) as f:
                self.assertEqual(f.read().split(), [str(SIZE)] * COUNT)
            return counts

    def test_small_cap_holds_messages_back(self):
        inflight, queued = self.run_flood({"MOCKFORGE_MQTT_MAX_UNSENT_BYTES": f"{CAP // 1024}KiB"},
                                         "cap/small")
        # Held back: some wait in the broker, and what went out is at most the cap and what
        # the kernel's buffers took (the broker's send buffer grows up to tcp_wmem's maximum).
        self.assertGreater(queued, 0)
        self.assertLessEqual(inflight * SIZE, kernel_absorbs_for_a_stopped_reader() + CAP + SIZE)

    def test_default_cap_sends_more(self):
        inflight, _ = self.run_flood(None, "cap/default")
        self.assertGreater(inflight * SIZE, DEFAULT_CAP)


if __name__ == "__main__":
    unittest.main()
