#!/usr/bin/python3
"""The order service, the service under test of the Kafka flow (confluent-kafka).

It places one order on `orders.created` and follows it: a payment on
`payments.processed` confirms it, an `out_of_stock` answer on
`inventory.updated` cancels it. Either way it publishes the new status on
`orders.status-updated` and exits 0; it exits 1 when the order reaches no
final status within --timeout seconds.
"""

import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092"))
    parser.add_argument("--order-id", required=True)
    parser.add_argument("--customer-id", default="cust-789")
    parser.add_argument("--sku", default="WIDGET-1")
    parser.add_argument("--quantity", type=int, default=2)
    parser.add_argument("--total", type=float, default=99.99)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    producer = Producer({"bootstrap.servers": args.bootstrap, "client.id": "order-service"})
    # Events of every order go by; this service acts on those of its own order.
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "order-service",
                         "client.id": "order-service", "auto.offset.reset": "earliest"})
    consumer.subscribe(["inventory.updated", "payments.processed"])

    def publish(topic, value):
        producer.produce(topic, key=args.order_id, value=json.dumps(value),
                         headers=[("source_service", b"order-service")])
        if producer.flush(10) != 0:
            sys.exit(f"order-service: could not deliver to {topic}")

    publish("orders.created", {
        "order_id": args.order_id, "customer_id": args.customer_id,
        "items": [{"sku": args.sku, "quantity": args.quantity}],
        "total": args.total, "status": "pending"})
    print(f"order-service: placed {args.order_id} ({args.quantity} x {args.sku})", flush=True)

    final = None
    deadline = time.monotonic() + args.timeout
    try:
        while final is None and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            try:
                event = json.loads(msg.value())
            except ValueError:
                continue
            if event.get("order_id") != args.order_id:
                continue
            if msg.topic() == "inventory.updated" and event.get("status") == "out_of_stock":
                final = {"status": "cancelled", "reason": "out_of_stock"}
            elif msg.topic() == "payments.processed":
                final = {"status": "confirmed", "payment_id": event.get("payment_id")}
            else:
                print(f"order-service: {args.order_id}: {msg.topic()} {event.get('status')}",
                      flush=True)
        if final is None:
            print(f"order-service: {args.order_id} reached no final status in {args.timeout}s",
                  file=sys.stderr)
            return 1
        publish("orders.status-updated", {"order_id": args.order_id, **final})
        print(f"order-service: {args.order_id} {final['status']}", flush=True)
        return 0
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
