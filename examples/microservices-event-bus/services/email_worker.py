#!/usr/bin/python3
"""The email worker (pika): takes notifications from `email.queue` and "sends" them.

It acknowledges every message it reads and exits 0 once it has sent one
matching --expect KEY=VALUE (a field of the JSON body), 1 after --timeout
seconds without one. It prints each email it sends.
"""

import argparse
import json
import os
import sys
import time

import pika


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/"))
    parser.add_argument("--queue", default="email.queue")
    parser.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    wanted = dict(item.split("=", 1) for item in args.expect)

    params = pika.URLParameters(args.url)
    params.client_properties = {"connection_name": "email-worker"}
    params.socket_timeout = 10
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    deadline = time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline:
            method, properties, body = channel.basic_get(args.queue, auto_ack=False)
            if method is None:
                connection.sleep(0.05)
                continue
            channel.basic_ack(method.delivery_tag)
            try:
                message = json.loads(body)
            except ValueError:
                message = {}
            print(f"email-worker: {method.routing_key}: to {message.get('recipient', '?')}: "
                  f"{json.dumps(message, sort_keys=True)}", flush=True)
            if all(str(message.get(k)) == v for k, v in wanted.items()):
                return 0
        print(f"email-worker: no email matching {wanted} on {args.queue} in {args.timeout}s",
              file=sys.stderr)
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
