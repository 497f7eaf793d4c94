#!/usr/bin/env bash
# Scenario 1, the happy path: an order for an item in stock goes all the way
# through. The order service (services/order_service.py) is under test; the
# inventory, payment and notification services are responders
# (fixtures/kafka/services.yaml).
#
#   1. order created         -> Kafka orders.created
#   2. stock reserved        -> Kafka inventory.updated      (inventory-in-stock)
#   3. payment processed     -> Kafka payments.processed     (payment-charge)
#   4. confirmation email    -> AMQP notifications -> email.queue (notify-payment)
#   5. order confirmed       -> Kafka orders.status-updated  (the order service)
#   6. analytics             -> the analytics-service consumer group reads the order
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

place_order "${ORDER_SKU:-WIDGET-1}" 2

step "the flow, as the brokers saw it"
expect_settled "orders.created carries the order" \
  --protocol kafka --topic orders.created --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=pending' --json '$.items[0].quantity=2' --exactly 1
expect "the inventory service reserved stock" \
  --protocol kafka --topic inventory.updated --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=reserved' --header source_service=inventory-service
expect "the payment service charged the order" \
  --protocol kafka --topic payments.processed --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=captured' --json '$.payment_id~=^pay-'
expect "the notification service sent a confirmation email" \
  --protocol amqp --exchange notifications --routing-key 'notification.email.*' \
  --json "\$.order_id=$ORDER_ID" --json '$.type=order_confirmation' \
  --property "correlation_id=$ORDER_ID"
expect_settled "the order service confirmed the order" \
  --protocol kafka --topic orders.status-updated --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=confirmed' --json '$.payment_id~=^pay-' --exactly 1
expect_settled "nothing was refunded" \
  --protocol kafka --topic payments.refunded --json "\$.order_id=$ORDER_ID" --none

step "the email worker takes the confirmation from email.queue"
"$PYTHON" "$EXAMPLE_DIR/services/email_worker.py" --expect "order_id=$ORDER_ID" \
  --expect type=order_confirmation || fail "no confirmation for $ORDER_ID in email.queue"

step "analytics: the analytics-service consumer group reads the new order"
"$MOCKFORGE" kafka consume --bootstrap "$KAFKA_BOOTSTRAP" --topic orders.created \
  --group analytics-service --from-beginning --timeout-ms 2000 > "${TMPDIR:-/tmp}/analytics.$$" ||
  fail "the analytics consumer failed"
grep -q "\"$ORDER_ID\"" "${TMPDIR:-/tmp}/analytics.$$" ||
  { rm -f "${TMPDIR:-/tmp}/analytics.$$"; fail "the analytics consumer did not see $ORDER_ID"; }
rm -f "${TMPDIR:-/tmp}/analytics.$$"
"$MOCKFORGE" kafka consumer-groups describe --bootstrap "$KAFKA_BOOTSTRAP" --group analytics-service |
  awk -F'\t' '{ print } $1 == "orders.created" { lag += $5 } END { exit lag != 0 }' ||
  fail "analytics-service still has lag on orders.created"

echo
echo "happy path: OK ($ORDER_ID)"
