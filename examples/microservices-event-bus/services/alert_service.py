#!/usr/bin/python3
"""The alert service, the service under test of the monitoring flow (paho-mqtt).

It watches `warehouse/sensors/#`. A temperature reading above --threshold
raises a critical alert on `alerts/critical` (QoS 1) and a status change on
`dashboard/updates` (retained, so a dashboard that connects later sees it).
Other readings are ignored. It exits 0 after --max-alerts alerts, 1 when
--timeout seconds pass first.
"""

import argparse
import json
import os
import queue
import sys
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("MQTT_HOST", "localhost"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("MQTT_PORT", "1883")))
    parser.add_argument("--threshold", type=float, default=30.0)
    parser.add_argument("--max-alerts", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--ready-file", help="written once the subscription is in place")
    args = parser.parse_args()

    client = mqtt.Client(client_id="alert-service")
    events = queue.Queue()
    client.on_subscribe = lambda *a: events.put(("subscribed", None))
    client.on_message = lambda c, u, msg: events.put(("message", msg))
    client.on_connect = lambda c, u, flags, rc: c.subscribe("warehouse/sensors/#", qos=1)
    client.connect(args.host, args.port, keepalive=30)
    client.loop_start()

    alerts = 0
    seen = 0
    deadline = time.monotonic() + args.timeout
    try:
        while alerts < args.max_alerts and time.monotonic() < deadline:
            try:
                kind, msg = events.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "subscribed":
                print("alert-service: watching warehouse/sensors/#", flush=True)
                if args.ready_file:
                    with open(args.ready_file, "w") as out:
                        out.write("ready\n")
                continue
            seen += 1
            levels = msg.topic.split("/")
            if len(levels) < 4 or levels[2] != "temperature":
                continue
            try:
                temp = float(json.loads(msg.payload)["temp"])
            except (ValueError, KeyError, TypeError):
                print(f"alert-service: unreadable reading on {msg.topic}", file=sys.stderr)
                continue
            if temp <= args.threshold:
                continue
            zone = levels[3]
            alert = {"severity": "critical", "sensor": msg.topic, "zone": zone, "temp": temp,
                     "threshold": args.threshold}
            client.publish("alerts/critical", json.dumps(alert), qos=1).wait_for_publish(10)
            client.publish("dashboard/updates",
                           json.dumps({"source": "warehouse", "status": "alert", "zone": zone,
                                       "temp": temp}),
                           qos=1, retain=True).wait_for_publish(10)
            alerts += 1
            print(f"alert-service: {zone} at {temp} C (threshold {args.threshold})", flush=True)
        if alerts < args.max_alerts:
            print(f"alert-service: {alerts} alerts in {args.timeout}s ({seen} readings)",
                  file=sys.stderr)
            return 1
        return 0
    finally:
        client.loop_stop()
        client.disconnect()


if __name__ == "__main__":
    sys.exit(main())
