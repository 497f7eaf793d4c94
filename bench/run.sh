#!/usr/bin/env bash
# Builds the release preset and runs every side-by-side benchmark, printing Markdown tables
# (with the machine's load) that docs/benchmarks.md records.
#
#   bench/run.sh [startup|kafka|mqtt|amqp|tls|scenario|asyncapi ...]     (no argument: all seven)
#
# Needs the Debian peers and client libraries: scripts/install-deps.sh build test peers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake --preset release >/dev/null
cmake --build build/release -j2 --target mockforge rdkafka_mock_cluster kafka_bench mqtt_bench amqp_bench

bin=build/release
py=/usr/bin/python3
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(startup kafka mqtt amqp tls scenario asyncapi)
for name in "${which[@]}"; do
  echo
  echo "# bench/$name ($(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg))"
  case "$name" in
    startup) $py bench/startup/run.py --mockforge $bin/cli/mockforge \
               --rdkafka-mock $bin/bench/peers/rdkafka_mock_cluster ;;
    kafka) $py bench/kafka/run.py --mockforge $bin/cli/mockforge \
             --rdkafka-mock $bin/bench/peers/rdkafka_mock_cluster --client $bin/bench/kafka/kafka_bench ;;
    mqtt) $py bench/mqtt/run.py --mockforge $bin/cli/mockforge --client $bin/bench/mqtt/mqtt_bench ;;
    amqp) $py bench/amqp/run.py --mockforge $bin/cli/mockforge --client $bin/bench/amqp/amqp_bench ;;
    tls) $py bench/tls/run.py --mockforge $bin/cli/mockforge --bench-dir $bin/bench ;;
    scenario) $py bench/scenario/run.py --mockforge $bin/cli/mockforge ;;
    asyncapi) $py bench/asyncapi/run.py --mockforge $bin/cli/mockforge ;;
    *) echo "bench/run.sh: unknown benchmark '$name' (startup, kafka, mqtt, amqp, tls, scenario, asyncapi)" >&2; exit 2 ;;
  esac
done
