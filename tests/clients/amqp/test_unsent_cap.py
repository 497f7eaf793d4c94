"""amqp.max_unsent_bytes: a consumer that stops reading (amqp-consume, stopped
with SIGSTOP, no prefetch limit) gets no more deliveries once that many bytes
wait unsent to its connection; the rest wait ready in its queue and go out when
it reads again. A pika consumer on another queue of the same fanout exchange
gets every message meanwhile.

The proof is in the counts, not in timings: with the default cap (4 MiB) the
broker sends a stopped consumer more than 4 MiB (unacked) before it holds
deliveries back; with a 16 KiB cap some wait in the queue, and what went out is at
most the cap and what the kernel's socket buffers took (the broker's send buffer
grows to tcp_wmem's maximum, 4 MiB by default, so that bound is not below 4 MiB)."""

import signal
import subprocess
import unittest

import pika

from mockforge_harness import Mockforge
from slow_reader import kernel_absorbs_for_a_stopped_reader

COUNT = 400
SIZE = 16 * 1024
DEFAULT_CAP = 4 * 1024 * 1024
CAP = 16 * 1024


class UnsentCap(unittest.TestCase):
    def queue(self, mf, name):
        status, queues = mf.api("GET", "/__mockforge/api/amqp/queues")
        self.assertEqual(status, 200)
        return next(q for q in queues["queues"] if q["name"] == name)

    def run_flood(self, env):
        """Returns the stopped consumer's queue (messages_unacked, messages_ready) once every
        message reached it."""
        with Mockforge(env=env) as mf:
            port = mf.ports["amqp"]
            params = pika.ConnectionParameters("127.0.0.1", port)
            setup = pika.BlockingConnection(params)
            channel = setup.channel()
            channel.exchange_declare("flood", "fanout")
            for name in ("slow.q", "fast.q"):
                channel.queue_declare(name)
                channel.queue_bind(name, "flood")

            slow = subprocess.Popen(
                ["amqp-consume", "--url", f"amqp://guest:guest@127.0.0.1:{port}", "-q", "slow.q",
                 "-c", str(COUNT), "--", "wc", "-c"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.addCleanup(lambda: slow.poll() is None and slow.kill())
            mf.wait_until(lambda: self.queue(mf, "slow.q")["consumers"] == 1,
                          "amqp-consume consuming")
            slow.send_signal(signal.SIGSTOP)

            channel.confirm_delivery()
            body = b"x" * SIZE
            for _ in range(COUNT):
                channel.basic_publish("flood", "", body)

            # The other consumer is unaffected: every message, in full.
            consumer = pika.BlockingConnection(params)
            got = []
            for _method, _props, received in consumer.channel().consume(
                    "fast.q", inactivity_timeout=30):
                self.assertIsNotNone(received, f"pika got {len(got)} of {COUNT}")
                got.append(len(received))
                if len(got) == COUNT:
                    break
            self.assertEqual(got, [SIZE] * COUNT)
            consumer.close()

            def counts():
                queue = self.queue(mf, "slow.q")
                return queue["messages_unacked"], queue["messages_ready"]

            # Deliveries stop once output is congested; what is unacked then stays.
            mf.wait_until(lambda: sum(counts()) == COUNT, "every message in slow.q")
            before = counts()
            setup.close()

            # Reading again, the stopped consumer gets every message.
            slow.send_signal(signal.SIGCONT)
            out, err = slow.communicate(timeout=120)
            self.assertEqual(slow.returncode, 0, err)
            self.assertEqual(out.split(), [str(SIZE)] * COUNT)
            return before

    def test_small_cap_holds_deliveries_back(self):
        unacked, ready = self.run_flood({"MOCKFORGE_AMQP_MAX_UNSENT_BYTES": f"{CAP // 1024}KiB"})
        # Held back: some wait in the broker, and what went out is at most the cap and what
        # the kernel's buffers took (the broker's send buffer grows up to tcp_wmem's maximum).
        self.assertGreater(ready, 0)
        self.assertLessEqual(unacked * SIZE, kernel_absorbs_for_a_stopped_reader() + CAP + SIZE)

    def test_default_cap_sends_more(self):
        unacked, _ = self.run_flood(None)
        self.assertGreater(unacked * SIZE, DEFAULT_CAP)


if __name__ == "__main__":
    unittest.main()
