"""mosquitto_pub / mosquitto_sub (Debian mosquitto-clients) for MQTT 3.1.1 and 5."""

import subprocess
import unittest

from mqtt_support import MqttTestCase


class MosquittoClients(MqttTestCase):
    def sub(self, version, topics, count, qos=0, fmt="%t|%p|%q|%r", extra=()):
        args = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port), "-V", version,
                "-q", str(qos), "-C", str(count), "-W", "20", "-F", fmt, *extra]
        for topic in topics:
            args += ["-t", topic]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def pub(self, version, topic, message, qos=0, extra=()):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-V", version,
                "-q", str(qos), "-t", topic, *extra]
        args += ["-n"] if message is None else ["-m", message]
        done = subprocess.run(args, capture_output=True, text=True, timeout=20)
        self.assertEqual(done.returncode, 0, done.stderr)

    def finish(self, proc):
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        return out.splitlines()

    def settled_subscriptions(self):
        """The subscription count once every earlier (clean-session) subscriber has left and
        its session is gone, so a count still falling cannot hide a new subscription."""
        self.wait_idle()
        self.wait_for(lambda: self.metric("mqtt_sessions") == 0, "no sessions left")
        return self.metric("mqtt_subscriptions")

    def test_qos_0_1_2_both_versions(self):
        for version in ("mqttv311", "mqttv5"):
            with self.subTest(version=version):
                before = self.settled_subscriptions()
                sub = self.sub(version, [f"q/{version}"], 3, qos=2)
                self.wait_subscriptions(before + 1)
                for qos in (0, 1, 2):
                    self.pub(version, f"q/{version}", f"m{qos}", qos=qos)
                lines = self.finish(sub)
                self.assertEqual(lines, [f"q/{version}|m0|0|0", f"q/{version}|m1|1|0",
                                         f"q/{version}|m2|2|0"])

    def test_qos_downgraded_to_subscription(self):
        before = self.settled_subscriptions()
        sub = self.sub("mqttv311", ["down/1"], 1, qos=1)
        self.wait_subscriptions(before + 1)
        self.pub("mqttv311", "down/1", "x", qos=2)
        self.assertEqual(self.finish(sub), ["down/1|x|1|0"])

    def test_wildcards(self):
        before = self.settled_subscriptions()
        sub = self.sub("mqttv5", ["w/+/c", "w/#"], 3)
        self.wait_subscriptions(before + 2)
        self.pub("mqttv5", "w/b/c", "1")   # both filters: one message
        self.pub("mqttv5", "w", "2")       # w/# matches the parent
        self.pub("mqttv5", "w/b/d", "3")
        self.assertEqual(sorted(self.finish(sub)), ["w/b/c|1|0|0", "w/b/d|3|0|0", "w|2|0|0"])

    def test_retained_delivered_and_cleared(self):
        for version in ("mqttv311", "mqttv5"):
            with self.subTest(version=version):
                topic = f"ret/{version}"
                self.pub(version, topic, "kept", qos=1, extra=["-r"])
                sub = self.sub(version, [topic], 1, qos=1)
                self.assertEqual(self.finish(sub), [f"{topic}|kept|1|1"])
                retained = self.metric("mqtt_retained_messages")
                self.pub(version, topic, None, extra=["-r"])
                self.wait_for(lambda: self.metric("mqtt_retained_messages") == retained - 1,
                              "retained message cleared")

    def test_v5_properties_pass_through(self):
        before = self.settled_subscriptions()
        sub = self.sub("mqttv5", ["props"], 1, fmt="%p|%C|%R|%P|%F")
        self.wait_subscriptions(before + 1)
        self.pub("mqttv5", "props", "body", qos=1,
                 extra=["-D", "publish", "content-type", "text/plain",
                        "-D", "publish", "response-topic", "reply/here",
                        "-D", "publish", "user-property", "k", "v",
                        "-D", "publish", "payload-format-indicator", "1"])
        self.assertEqual(self.finish(sub), ["body|text/plain|reply/here|k:v|1"])

    def test_v5_subscription_identifier(self):
        before = self.settled_subscriptions()
        sub = self.sub("mqttv5", ["sid/#"], 1, fmt="%t|%S",
                       extra=["-D", "subscribe", "subscription-identifier", "42"])
        self.wait_subscriptions(before + 1)
        self.pub("mqttv5", "sid/x", "m")
        self.assertEqual(self.finish(sub), ["sid/x|42"])

    def test_published_metric_counts_by_topic_prefix(self):
        self.pub("mqttv311", "metric/a/b", "1")
        self.pub("mqttv311", "metric/c", "2")
        self.wait_for(lambda: self.metric("mqtt_messages_published_total", 'topic="metric"') >= 2,
                      "published counter")


if __name__ == "__main__":
    unittest.main()
