#!/usr/bin/env bash
# Scenario 3, a critical temperature: mockforge streams normal readings on
# warehouse/sensors/# (fixtures/mqtt/sensors.yaml); the alert service
# (services/alert_service.py) is under test; the notification service is a
# responder (fixtures/mqtt/alerts.yaml).
#
#   1. a sensor reports 41.5 C  -> MQTT warehouse/sensors/temperature/zone-2
#   2. alert raised             -> MQTT alerts/critical          (the alert service)
#   3. dashboard updated        -> MQTT dashboard/updates, retained (the alert service)
#   4. on-call paged            -> AMQP notifications -> email.queue and sms.queue (notify-alert)
#   and the normal readings raise no alert.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMP="${SPIKE_TEMP:-41.5}"
ZONE="${SPIKE_ZONE:-zone-2}"
SINCE="$(history_mark)"
WORK="$(mktemp -d)"
ALERT_PID=""
cleanup() {
  [ -n "$ALERT_PID" ] && kill "$ALERT_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step "alert service starts watching warehouse/sensors/#"
"$PYTHON" "$EXAMPLE_DIR/services/alert_service.py" --threshold 30 --max-alerts 1 \
  --timeout "${ALERT_TIMEOUT:-30}" --ready-file "$WORK/ready" &
ALERT_PID=$!
for _ in $(seq 100); do [ -f "$WORK/ready" ] && break; sleep 0.1; done
[ -f "$WORK/ready" ] || fail "the alert service did not subscribe"

step "normal telemetry is flowing (auto-produced by mockforge)"
expect "temperature readings arrive" \
  --protocol mqtt --topic 'warehouse/sensors/temperature/+' --json '$.temp<=26' --count 5 --since "$SINCE"
expect "humidity readings arrive" \
  --protocol mqtt --topic 'warehouse/sensors/humidity/+' --json '$.unit=percent' --since "$SINCE"

step "sensor in $ZONE reports $TEMP C"
"$MOCKFORGE" mqtt publish --host "$MQTT_HOST" --port "$MQTT_PORT" --client-id "sensor-$ZONE" \
  --topic "warehouse/sensors/temperature/$ZONE" --payload "{\"temp\": $TEMP, \"unit\": \"celsius\"}" \
  --qos 1 || fail "could not publish the reading"
wait "$ALERT_PID" || { ALERT_PID=""; fail "the alert service raised no alert"; }
ALERT_PID=""

step "the flow, as the brokers saw it"
expect_settled "the alert service raised a critical alert" \
  --protocol mqtt --topic alerts/critical --client-id alert-service \
  --json '$.severity=critical' --json "\$.zone=$ZONE" --json "\$.temp=$TEMP" --exactly 1 --since "$SINCE"
expect "the dashboard was updated" \
  --protocol mqtt --topic dashboard/updates --json '$.status=alert' --json "\$.zone=$ZONE" --since "$SINCE"
expect "the on-call engineer was emailed" \
  --protocol amqp --exchange notifications --routing-key notification.email.alert \
  --json '$.type=critical_alert' --json "\$.sensor=warehouse/sensors/temperature/$ZONE" \
  --json "\$.temp=$TEMP" --since "$SINCE"
expect "the on-call engineer got an SMS" \
  --protocol amqp --exchange notifications --routing-key notification.sms.alert \
  --json "\$.sensor=warehouse/sensors/temperature/$ZONE" --since "$SINCE"
expect_settled "normal readings raised no alert" \
  --protocol mqtt --topic alerts/critical --json '$.temp<=30' --since "$SINCE" --none

step "a dashboard connecting now sees the alert (retained)"
"$MOCKFORGE" mqtt subscribe --host "$MQTT_HOST" --port "$MQTT_PORT" --topic dashboard/updates \
  --count 1 --timeout 5 > "$WORK/dashboard" || fail "no retained dashboard state"
grep -q "\"zone\": \"$ZONE\"" "$WORK/dashboard" || fail "the retained dashboard state is $(cat "$WORK/dashboard")"

step "the email worker takes the alert from email.queue"
"$PYTHON" "$EXAMPLE_DIR/services/email_worker.py" --expect type=critical_alert \
  --expect "sensor=warehouse/sensors/temperature/$ZONE" || fail "no alert email in email.queue"

echo
echo "temperature alert: OK ($ZONE at $TEMP C)"
