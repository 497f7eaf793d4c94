"""Shared pieces of the differential runner: seeded helpers, comparison of two
observation transcripts with the known-differences list, and delta debugging."""

import copy
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN_DIFFERENCES_FILE = os.path.join(HERE, "known_differences.json")
CORPUS_DIR = os.path.join(HERE, "corpus")


def rng_for(protocol, seed):
    """The generator's random source: the same (protocol, seed) always gives the same steps."""
    return random.Random(f"{protocol}:{seed}")


def load_known_differences(protocol):
    with open(KNOWN_DIFFERENCES_FILE) as f:
        entries = json.load(f)
    return [e for e in entries if e["protocol"] == protocol]


def _matches(pattern, value):
    """True when `value` has every key of `pattern` with an equal (or matching) value."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(k in value and _matches(v, value[k]) for k, v in pattern.items())
    if isinstance(pattern, list) and pattern and pattern[0] == "$any":
        return value in pattern[1:]
    return pattern == value


def explain(peer_obs, mockforge_obs, known, step=None, predicates=None):
    """The known difference that accounts for this pair of step observations, or None.

    Each entry's `peer` and `mockforge` patterns must both match (a subset match), and
    `step_predicate` (when given) names a function of the scenario module that must hold
    for the step both ran."""
    for entry in known:
        if not (_matches(entry["peer"], peer_obs) and _matches(entry["mockforge"], mockforge_obs)):
            continue
        predicate = entry.get("step_predicate")
        if predicate and not (predicates or {})[predicate](step or {}):
            continue
        if isinstance(peer_obs, dict) and isinstance(mockforge_obs, dict):
            # Whatever the patterns do not name must still agree.
            named = set(entry["peer"]) | set(entry["mockforge"]) | set(entry.get("ignore", []))
            rest = [{k: v for k, v in obs.items() if k not in named}
                    for obs in (peer_obs, mockforge_obs)]
            if rest[0] != rest[1]:
                continue
        return entry
    return None


def normalize(peer_trace, mockforge_trace, known, normalizers):
    """Applies the known differences that are normalisers (entries with `normalizer`, a
    function of the scenario module) to both transcripts. Returns the two new transcripts
    and {id: number of steps changed}."""
    applied = {}
    for entry in known:
        name = entry.get("normalizer")
        if not name:
            continue
        function = normalizers[name]
        changed = 0
        out = []
        for trace in (peer_trace, mockforge_trace):
            new = [function(copy.deepcopy(obs)) for obs in trace]
            changed += sum(1 for a, b in zip(trace, new) if a != b)
            out.append(new)
        peer_trace, mockforge_trace = out
        if changed:
            applied[entry["id"]] = changed
    return peer_trace, mockforge_trace, applied


def compare(steps, peer_trace, mockforge_trace, known, normalizers=None, predicates=None):
    """Compares two transcripts step by step.

    Returns (divergence or None, {known id: count}). After a known difference on a step the
    rest of the transcript is still compared only when the entry says `"continues": true`;
    otherwise the two runs are no longer expected to agree and comparison stops there."""
    peer_trace, mockforge_trace, applied = normalize(peer_trace, mockforge_trace, known,
                                                     normalizers or {})
    known = [e for e in known if "peer" in e]
    for index, (a, b) in enumerate(zip(peer_trace, mockforge_trace)):
        if a == b:
            continue
        entry = explain(a, b, known, steps[index] if index < len(steps) else None, predicates)
        if entry is None:
            return ({"step": index, "op": steps[index] if index < len(steps) else None,
                     "peer": a, "mockforge": b}, applied)
        applied[entry["id"]] = applied.get(entry["id"], 0) + 1
        if not entry.get("continues", False):
            return None, applied
    if len(peer_trace) != len(mockforge_trace):
        return ({"step": min(len(peer_trace), len(mockforge_trace)), "op": None,
                 "peer": peer_trace[len(mockforge_trace):][:1],
                 "mockforge": mockforge_trace[len(peer_trace):][:1]}, applied)
    return None, applied


def ddmin(items, fails, budget):
    """Zeller's delta debugging: a 1-minimal sublist of `items` for which fails() holds.

    `budget` is a callable returning False once time is up; the smallest failing list found
    so far is returned then."""
    n = 2
    while len(items) >= 2 and budget():
        chunk = max(1, len(items) // n)
        subsets = [items[i:i + chunk] for i in range(0, len(items), chunk)]
        reduced = False
        for i, subset in enumerate(subsets):
            if not budget():
                return items
            complement = [x for j, s in enumerate(subsets) if j != i for x in s]
            if fails(subset):
                items, n, reduced = subset, 2, True
                break
            if len(subsets) > 2 and fails(complement):
                items, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


def corpus_files(protocol=None):
    if not os.path.isdir(CORPUS_DIR):
        return []
    out = []
    for name in sorted(os.listdir(CORPUS_DIR)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(CORPUS_DIR, name)
        with open(path) as f:
            case = json.load(f)
        if protocol is None or case["protocol"] == protocol:
            out.append((path, case))
    return out
