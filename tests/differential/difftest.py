"""Randomized differential testing of mockforge against the real brokers.

Generates seeded client scenarios, runs each with a real client library against the
Debian peer (rabbitmq-server for AMQP with pika, mosquitto for MQTT with paho-mqtt) or
librdkafka's mock cluster (Kafka with confluent-kafka) and against `mockforge serve`, and compares what the client observed step by step. Differences
listed in known_differences.json are reported, not failed. A divergence is shrunk (delta
debugging over the steps), printed as a replayable JSON case, and with --save written to
corpus/.

    difftest.py --protocol amqp --seeds 20 [--start 0] [--length 40]
    difftest.py --corpus                      # replay every case in corpus/
    difftest.py --replay corpus/amqp-123.json # one case
"""

import argparse
import contextlib
import json
import os
import sys
import time
import traceback

import common
import peers
from mockforge_harness import Mockforge

PROTOCOLS = ("amqp", "mqtt", "kafka")


def _module(protocol):
    if protocol == "amqp":
        import amqp_scenario
        return amqp_scenario
    if protocol == "kafka":
        import kafka_scenario
        return kafka_scenario
    import mqtt_scenario
    return mqtt_scenario


@contextlib.contextmanager
def _peer(protocol):
    if protocol == "amqp":
        with peers.rabbitmq(timeout=180.0) as broker:
            yield broker
    elif protocol == "kafka":
        with peers.rdkafka_mock() as broker:
            yield broker
    else:
        with peers.mosquitto(extra_config=_module("mqtt").MOSQUITTO_CONFIG) as broker:
            yield broker


class Pair:
    """One protocol's peer and one mockforge, reused across scenarios."""

    def __init__(self, protocol, peer, mockforge):
        self.protocol = protocol
        self.peer = peer
        self.mockforge = mockforge
        self.scenario = _module(protocol)
        self.runs = 0

    def mockforge_port(self):
        return self.mockforge.ports[self.protocol]

    def run(self, steps):
        """Runs steps on both; returns (divergence, applied known ids, peer and mockforge
        transcripts)."""
        self.runs += 1
        scenario = self.scenario
        # Kafka: the rdkafka mock peer creates topics outside the protocol.
        peer_args = {"peer": self.peer} if self.protocol == "kafka" else {}
        peer_trace = scenario.execute(self.peer.host, self.peer.port, steps, hints=None,
                                      nonce=f"p{self.runs}", **peer_args)
        status, _, body = self.mockforge.request("POST", "/__mockforge/api/reset")
        if status != 200:
            raise RuntimeError(f"mockforge reset answered {status}: {body}")
        peer_trace = json.loads(json.dumps(peer_trace))  # tuples become lists, as in files
        known = common.load_known_differences(self.protocol)
        normalizers = getattr(scenario, "NORMALIZERS", {})
        expected = common.normalize(peer_trace, [], known, normalizers)[0]
        mockforge_trace = scenario.execute("127.0.0.1", self.mockforge_port(), steps,
                                           hints=scenario.hints_from(expected),
                                           nonce=f"m{self.runs}")
        mockforge_trace = json.loads(json.dumps(mockforge_trace))
        if self.mockforge.proc.poll() is not None:
            return ({"step": None, "crash": self.mockforge.output()[-4000:]}, {}, peer_trace,
                    mockforge_trace)
        divergence, applied = common.compare(steps, peer_trace, mockforge_trace, known,
                                             normalizers,
                                             getattr(scenario, "STEP_PREDICATES", {}))
        return divergence, applied, peer_trace, mockforge_trace


def _shrink(pair, steps, seconds):
    deadline = time.monotonic() + seconds
    first_div, _, _, _ = pair.run(steps)

    def same_failure(candidate):
        try:
            divergence, _, _, _ = pair.run(candidate)
        except Exception:  # noqa: BLE001 (a crash of the runner is not the same failure)
            return False
        return divergence is not None and _signature(divergence) == _signature(first_div)

    if first_div is None:
        return steps
    return common.ddmin(list(steps), same_failure, lambda: time.monotonic() < deadline)


def _signature(divergence):
    """What makes two divergences 'the same bug' while shrinking: the op and which fields
    differ."""
    op = divergence.get("op") or {}
    peer, mf = divergence.get("peer"), divergence.get("mockforge")
    if isinstance(peer, dict) and isinstance(mf, dict):
        keys = sorted(k for k in set(peer) | set(mf) if peer.get(k) != mf.get(k))
    else:
        keys = ["?"]
    return (op.get("op") if isinstance(op, dict) else None, tuple(keys),
            "crash" in divergence)


def _case(protocol, steps, note, seed=None):
    case = {"protocol": protocol, "note": note, "steps": steps}
    if seed is not None:
        case["seed"] = seed
    return case


def _print_divergence(divergence):
    print(json.dumps(divergence, indent=1, ensure_ascii=False, default=str)[:30000])


def _report_known(applied_total, protocol):
    if not applied_total:
        return
    entries = {e["id"]: e for e in common.load_known_differences(protocol)}
    print(f"known differences seen ({protocol}, listed in known_differences.json and "
          "docs/compatibility.md):")
    for ident, count in sorted(applied_total.items()):
        print(f"  {ident} x{count}: {entries[ident]['summary']}")


def run_seeds(pair, args, failures, applied_total):
    scenario = pair.scenario
    for seed in range(args.start, args.start + args.seeds):
        steps = scenario.generate(common.rng_for(pair.protocol, seed), args.length)
        began = time.monotonic()
        divergence, applied, _, _ = pair.run(steps)
        for k, v in applied.items():
            applied_total[k] = applied_total.get(k, 0) + v
        took = time.monotonic() - began
        if divergence is None:
            print(f"{pair.protocol} seed {seed}: same ({len(steps)} steps, {took:.1f}s)"
                  + (f", known: {sorted(applied)}" if applied else ""), flush=True)
            continue
        print(f"{pair.protocol} seed {seed}: DIVERGES at step {divergence['step']}",
              flush=True)
        _print_divergence(divergence)
        if args.shrink_seconds > 0:
            minimal = _shrink(pair, steps, args.shrink_seconds)
            divergence, _, _, _ = pair.run(minimal)
            print(f"shrunk to {len(minimal)} steps:")
            if divergence is not None:
                _print_divergence(divergence)
        else:
            minimal = steps
        case = _case(pair.protocol, minimal, "found by seed", seed)
        print("replay case:")
        print(json.dumps(case, ensure_ascii=False))
        if args.save:
            path = os.path.join(common.CORPUS_DIR, f"{pair.protocol}-seed{seed}.json")
            with open(path, "w") as f:
                json.dump(case, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print(f"saved {path}; replay: scripts/difftest.sh --replay {path}")
        failures.append((pair.protocol, seed))


def _print_traces(steps, peer_trace, mockforge_trace):
    for index, step in enumerate(steps):
        a = peer_trace[index] if index < len(peer_trace) else None
        b = mockforge_trace[index] if index < len(mockforge_trace) else None
        print(f"[{index}] {json.dumps(step, ensure_ascii=False)}")
        print(f"   peer:      {json.dumps(a, ensure_ascii=False)}")
        if a != b:
            print(f"   mockforge: {json.dumps(b, ensure_ascii=False)}")


def run_cases(pair, cases, failures, applied_total, show=False):
    for path, case in cases:
        divergence, applied, peer_trace, mockforge_trace = pair.run(case["steps"])
        if show:
            _print_traces(case["steps"], peer_trace, mockforge_trace)
        for k, v in applied.items():
            applied_total[k] = applied_total.get(k, 0) + v
        name = os.path.basename(path)
        if divergence is None:
            print(f"{name}: same ({len(case['steps'])} steps)", flush=True)
        else:
            print(f"{name}: DIVERGES at step {divergence['step']}", flush=True)
            _print_divergence(divergence)
            failures.append((pair.protocol, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", choices=PROTOCOLS + ("all",), default="all")
    parser.add_argument("--seeds", type=int, default=0, help="random seeds per protocol")
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--length", type=int, default=40, help="steps per scenario")
    parser.add_argument("--corpus", action="store_true", help="replay corpus/")
    parser.add_argument("--replay", action="append", default=[], help="replay a case file")
    parser.add_argument("--shrink-seconds", type=float, default=0,
                        help="time to spend shrinking each divergence (0: no shrinking)")
    parser.add_argument("--show", action="store_true",
                        help="print both transcripts of replayed cases")
    parser.add_argument("--seed-case", action="append", type=int, default=[],
                        help="replay the scenario of this seed (with --protocol)")
    parser.add_argument("--save", action="store_true",
                        help="write each (shrunk) divergence to corpus/")
    args = parser.parse_args()

    protocols = PROTOCOLS if args.protocol == "all" else (args.protocol,)
    replays = []
    for path in args.replay:
        with open(path) as f:
            replays.append((path, json.load(f)))
    failures = []
    for protocol in protocols:
        cases = [c for c in replays if c[1]["protocol"] == protocol]
        for seed in args.seed_case:
            steps = _module(protocol).generate(common.rng_for(protocol, seed), args.length)
            cases.append((f"{protocol}-seed{seed}", _case(protocol, steps, "seed", seed)))
        if args.corpus:
            cases += common.corpus_files(protocol)
        if not cases and args.seeds <= 0:
            continue
        applied_total = {}
        with _peer(protocol) as peer, Mockforge() as mockforge:
            pair = Pair(protocol, peer, mockforge)
            try:
                run_cases(pair, cases, failures, applied_total, args.show)
                if args.seeds > 0:
                    run_seeds(pair, args, failures, applied_total)
            except Exception:
                traceback.print_exc()
                print("mockforge log tail:\n" + mockforge.output()[-3000:])
                failures.append((protocol, "runner error"))
        _report_known(applied_total, protocol)
    if failures:
        print(f"{len(failures)} divergence(s): {failures}")
        return 1
    print("no unexplained divergence")
    return 0


if __name__ == "__main__":
    rc = main()
    # confluent-kafka 1.7.0 drops a reference to None too many (its C extension): after a
    # long Kafka run, None's count reaches zero as the interpreter finalizes and Python
    # aborts ("none_dealloc") once every result is out. Skip finalization.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
