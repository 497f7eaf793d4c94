# Shared by the scenario scripts (sourced, not run). Everything can be
# pointed elsewhere through the environment; the defaults are the ports of
# `mockforge serve --config mockforge-config.yaml`.
set -euo pipefail

EXAMPLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOCKFORGE="${MOCKFORGE:-${MOCKFORGE_BIN:-mockforge}}"
PYTHON="${PYTHON:-/usr/bin/python3}"       # with confluent-kafka, paho-mqtt and pika
ADMIN_URL="${MOCKFORGE_ADMIN_URL:-http://localhost:9080}"
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-localhost:9092}"
export MQTT_HOST="${MQTT_HOST:-localhost}"
export MQTT_PORT="${MQTT_PORT:-1883}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@localhost:5672/}"
TIMEOUT_MS="${EXPECT_TIMEOUT_MS:-10000}"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# expect DESCRIPTION ARGS...: `mockforge expect ARGS`, failing the script when not met.
expect() {
  local what="$1"; shift
  if ! "$MOCKFORGE" expect --admin-url "$ADMIN_URL" --timeout-ms "$TIMEOUT_MS" "$@"; then
    fail "$what"
  fi
}

# expect_settled DESCRIPTION ARGS...: for `--exactly N` and `--none`, which are only
# met once their (short) timeout has passed without a message too many.
expect_settled() {
  local what="$1"; shift
  if ! "$MOCKFORGE" expect --admin-url "$ADMIN_URL" --timeout-ms "${SETTLE_MS:-1000}" "$@"; then
    fail "$what"
  fi
}

# The history's newest seq, so that a scenario's checks see only its own messages
# when it runs again against the same mockforge.
history_mark() {
  "$PYTHON" -c 'import json, sys, urllib.request
import os
request = urllib.request.Request(sys.argv[1] + "/__mockforge/api/history?limit=1")
if os.environ.get("MOCKFORGE_ADMIN_TOKEN"):
    request.add_header("Authorization", "Bearer " + os.environ["MOCKFORGE_ADMIN_TOKEN"])
with urllib.request.urlopen(request, timeout=10) as r:
    print(json.load(r)["last_seq"])' "$ADMIN_URL"
}

# place_order SKU QUANTITY: the order service places order $ORDER_ID (a new id unless
# set) and follows it to its final status.
place_order() {
  ORDER_ID="${ORDER_ID:-ord-$(date +%s)-$RANDOM}"
  step "order service places $ORDER_ID ($2 x $1) and follows it"
  "$PYTHON" "$EXAMPLE_DIR/services/order_service.py" --order-id "$ORDER_ID" --sku "$1" \
    --quantity "$2" --timeout "${ORDER_TIMEOUT:-30}" || fail "the order service did not finish $ORDER_ID"
}
