#!/usr/bin/env bash
# Scenario 2, out of stock: the inventory service has none of GADGET-9.
#
#   1. order created         -> Kafka orders.created
#   2. stock check fails     -> Kafka inventory.updated (out_of_stock)  (inventory-out-of-stock)
#   3. order cancelled       -> Kafka orders.status-updated            (the order service)
#   4. refund processed      -> Kafka payments.refunded                (payment-refund)
#   5. customer notified     -> AMQP notifications -> email.queue and sms.queue (notify-refund)
#   and no payment is taken.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

place_order "${ORDER_SKU:-GADGET-9}" 1

step "the flow, as the brokers saw it"
expect_settled "orders.created carries the order" \
  --protocol kafka --topic orders.created --key "$ORDER_ID" --json "\$.order_id=$ORDER_ID" --exactly 1
expect "the inventory service reported the item out of stock" \
  --protocol kafka --topic inventory.updated --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=out_of_stock' --json '$.quantity=0'
expect_settled "the order service cancelled the order" \
  --protocol kafka --topic orders.status-updated --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=cancelled' --json '$.reason=out_of_stock' --exactly 1
expect "the payment service refunded the order" \
  --protocol kafka --topic payments.refunded --key "$ORDER_ID" \
  --json "\$.order_id=$ORDER_ID" --json '$.status=refunded' --json '$.reason=out_of_stock'
expect "the notification service sent a refund email" \
  --protocol amqp --exchange notifications --routing-key notification.email.refund \
  --json "\$.order_id=$ORDER_ID" --json '$.type=refund_confirmation'
expect "the notification service sent a refund SMS" \
  --protocol amqp --exchange notifications --routing-key notification.sms.refund \
  --json "\$.order_id=$ORDER_ID"
expect_settled "no stock was reserved" \
  --protocol kafka --topic inventory.updated --json "\$.order_id=$ORDER_ID" --json '$.status=reserved' --none
expect_settled "no payment was taken" \
  --protocol kafka --topic payments.processed --json "\$.order_id=$ORDER_ID" --none

step "the email and SMS workers take the notifications from their queues"
"$PYTHON" "$EXAMPLE_DIR/services/email_worker.py" --expect "order_id=$ORDER_ID" \
  --expect type=refund_confirmation || fail "no refund email for $ORDER_ID in email.queue"
"$PYTHON" "$EXAMPLE_DIR/services/email_worker.py" --queue sms.queue --expect "order_id=$ORDER_ID" ||
  fail "no refund SMS for $ORDER_ID in sms.queue"

echo
echo "out of stock: OK ($ORDER_ID)"
