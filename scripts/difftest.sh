#!/usr/bin/env bash
# Randomized differential testing (tests/differential/): real clients against mockforge
# and against Debian's rabbitmq-server and mosquitto and librdkafka's mock cluster, compared
# step by step.
#
#   scripts/difftest.sh --seeds N [--protocol amqp|mqtt|kafka|all] [--start S] [--length L]
#                       [--shrink-seconds T] [--save]
#   scripts/difftest.sh --corpus                 replay tests/differential/corpus/
#   scripts/difftest.sh --replay FILE.json       replay one case
#
# Uses $MOCKFORGE_BIN, else the asan build's binary (built here if missing). A divergence
# is printed with a replayable JSON case; --shrink-seconds shrinks it first and --save adds
# it to the corpus. Exits 1 when any divergence is not in known_differences.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${MOCKFORGE_BIN:-}" ]]; then
  MOCKFORGE_BIN="$root/build/asan/cli/mockforge"
  if [[ ! -x "$MOCKFORGE_BIN" || ! -x "$root/build/asan/bench/peers/rdkafka_mock_cluster" ]]; then
    (cd "$root" && cmake --preset asan >/dev/null &&
      cmake --build --preset asan --target mockforge rdkafka_mock_cluster)
  fi
fi
export MOCKFORGE_BIN
# Kafka's peer: the rdkafka_mock_cluster of MOCKFORGE_BIN's build tree unless told otherwise.
if [[ -z "${MOCKFORGE_BINARY_DIR:-}${MOCKFORGE_RDKAFKA_MOCK:-}" ]]; then
  export MOCKFORGE_BINARY_DIR="$(cd "$(dirname "$MOCKFORGE_BIN")/.." && pwd)"
fi
export PYTHONPATH="$root/tests/support${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$root/tests/differential/difftest.py" "$@"
