#!/usr/bin/python3
"""Records the bytes real AMQP 0-9-1 clients send, for the codec's golden tests.

Runs a throwaway listener on 127.0.0.1 that answers just enough of the
handshake and of each synchronous request for the client to carry on, and
writes every byte the client sent to frames/<name>.bin next to this script:

  rabbitmq_c_publish.bin        amqp-publish (rabbitmq-c, amqp-tools)
  rabbitmq_c_declare_queue.bin  amqp-declare-queue (rabbitmq-c, amqp-tools)
  pika_session.bin              pika: declares, binds, confirms, publishes
                                with every basic property, qos, consume, get

It also writes pika_encoded_methods.bin: every method pika knows, encoded
by pika as method frames on channel 1, as an encoder written by others.

Needs Debian's /usr/bin/python3 with python3-pika, and amqp-tools.
Usage: /usr/bin/python3 tests/golden/amqp/capture_clients.py
"""

import datetime
import decimal
import inspect
import os
import socket
import subprocess
import sys
import threading

import pika
import pika.frame
import pika.spec

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "frames")
# pika parameters defaulting to None that are integers on the wire.
INTEGER_PARAMETERS = {"class_id", "consumer_count", "delivery_tag", "message_count", "method_id",
                      "reply_code"}


def server_properties():
    return {
        "product": "mockforge capture",
        "version": "0.1.0",
        "capabilities": {
            "publisher_confirms": True,
            "exchange_exchange_bindings": True,
            "basic.nack": True,
            "consumer_cancel_notify": True,
            "connection.blocked": True,
            "authentication_failure_close": True,
            "per_consumer_qos": True,
        },
    }


class Responder:
    """Answers one client connection and records what it sends."""

    def __init__(self, connection):
        self.connection = connection
        self.received = bytearray()
        self.confirming = set()
        self.published = {}

    def send(self, channel, method):
        self.connection.sendall(pika.frame.Method(channel, method).marshal())

    def run(self):
        pending = b""
        while True:
            data = self.connection.recv(65536)
            if not data:
                return
            self.received += data
            pending += data
            while pending:
                consumed, frame = pika.frame.decode_frame(pending)
                if not consumed:
                    break
                pending = pending[consumed:]
                if self.handle(frame) == "closed":
                    return

    def handle(self, frame):
        spec = pika.spec
        if isinstance(frame, pika.frame.ProtocolHeader):
            self.send(0, spec.Connection.Start(server_properties=server_properties(),
                                               mechanisms=b"PLAIN AMQPLAIN",
                                               locales=b"en_US"))
            return None
        if not isinstance(frame, pika.frame.Method):
            return None
        channel, method = frame.channel_number, frame.method
        replies = {
            spec.Connection.StartOk: lambda: spec.Connection.Tune(2047, 131072, 60),
            spec.Connection.Open: lambda: spec.Connection.OpenOk(),
            spec.Channel.Open: lambda: spec.Channel.OpenOk(),
            spec.Exchange.Declare: lambda: spec.Exchange.DeclareOk(),
            spec.Exchange.Bind: lambda: spec.Exchange.BindOk(),
            spec.Queue.Declare: lambda: spec.Queue.DeclareOk(method.queue or "amq.gen-capture",
                                                             0, 0),
            spec.Queue.Bind: lambda: spec.Queue.BindOk(),
            spec.Queue.Purge: lambda: spec.Queue.PurgeOk(0),
            spec.Basic.Qos: lambda: spec.Basic.QosOk(),
            spec.Basic.Consume: lambda: spec.Basic.ConsumeOk(method.consumer_tag or "ctag-1"),
            spec.Basic.Cancel: lambda: spec.Basic.CancelOk(method.consumer_tag),
            spec.Basic.Get: lambda: spec.Basic.GetEmpty(),
            spec.Confirm.Select: lambda: spec.Confirm.SelectOk(),
            spec.Channel.Close: lambda: spec.Channel.CloseOk(),
            spec.Connection.Close: lambda: spec.Connection.CloseOk(),
        }
        if isinstance(method, spec.Confirm.Select):
            self.confirming.add(channel)
        if isinstance(method, spec.Basic.Publish) and channel in self.confirming:
            self.published[channel] = self.published.get(channel, 0) + 1
            self.send(channel, spec.Basic.Ack(delivery_tag=self.published[channel]))
        reply = replies.get(type(method))
        if reply is None or getattr(method, "nowait", False):
            return None
        self.send(channel, reply())
        if isinstance(method, spec.Connection.Close):
            return "closed"
        return None


def capture(name, run_client):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    result = {}

    def serve():
        connection, _ = listener.accept()
        connection.settimeout(10)
        responder = Responder(connection)
        try:
            responder.run()
        finally:
            result["bytes"] = bytes(responder.received)
            connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    run_client(port)
    thread.join(timeout=15)
    listener.close()
    path = os.path.join(OUT_DIR, name)
    with open(path, "wb") as handle:
        handle.write(result["bytes"])
    print(f"{name}: {len(result['bytes'])} bytes")


def run_amqp_publish(port):
    subprocess.run(["amqp-publish", "--url", f"amqp://guest:guest@127.0.0.1:{port}/",
                    "--exchange", "amq.topic", "--routing-key", "orders.created",
                    "--persistent", "--content-type", "application/json",
                    "--content-encoding", "utf-8", "--reply-to", "replies",
                    "--header", "x-tenant: acme", "--body", '{"id": 42}'],
                   check=True, timeout=15)


def run_amqp_declare_queue(port):
    subprocess.run(["amqp-declare-queue", "--url", f"amqp://guest:guest@127.0.0.1:{port}/",
                    "--queue", "telemetry", "--durable"],
                   check=True, timeout=15, stdout=subprocess.DEVNULL)


def run_pika(port):
    parameters = pika.ConnectionParameters(host="127.0.0.1", port=port, heartbeat=20,
                                           client_properties={"connection_name": "capture"})
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    channel.exchange_declare("orders", exchange_type="topic", durable=True,
                             arguments={"alternate-exchange": "unrouted"})
    channel.exchange_bind("orders-audit", "orders", routing_key="#")
    channel.queue_declare("payments", durable=True, arguments={
        "x-max-length": 1000,
        "x-message-ttl": 60000,
        "x-dead-letter-exchange": "dlx",
        "x-overflow": "reject-publish",
        "x-max-priority": 9,
    })
    channel.queue_bind("payments", "orders", routing_key="orders.paid")
    channel.confirm_delivery()
    properties = pika.BasicProperties(
        content_type="application/json",
        content_encoding="gzip",
        headers={
            "string": "text",
            "bytes": b"\x00\x01binary",
            "int": 7,
            "negative": -123456789012,
            "bool": True,
            "none": None,
            "decimal": decimal.Decimal("12.34"),
            "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
            "list": [1, "two", [3]],
            "nested": {"inner": {"deeper": 1}},
        },
        delivery_mode=2,
        priority=5,
        correlation_id="corr-1",
        reply_to="amq.rabbitmq.reply-to",
        expiration="60000",
        message_id="msg-1",
        timestamp=1700000000,
        type="order.paid",
        user_id="guest",
        app_id="capture",
        cluster_id="cluster-a",
    )
    channel.basic_publish("orders", "orders.paid", b"x" * 300, properties=properties,
                          mandatory=True)
    channel.basic_publish("orders", "orders.empty", b"", mandatory=False)
    channel.basic_qos(prefetch_count=10)
    tag = channel.basic_consume("payments", lambda *args: None, auto_ack=False,
                                exclusive=True, arguments={"x-priority": 3})
    channel.basic_cancel(tag)
    channel.basic_get("payments", auto_ack=True)
    channel.queue_purge("payments")
    channel.close()
    connection.close()


def encode_all_pika_methods():
    """Every method class in pika.spec with alternating true/false bits."""
    out = bytearray()
    for class_name in ("Connection", "Channel", "Access", "Exchange", "Queue", "Basic", "Tx",
                       "Confirm"):
        amqp_class = getattr(pika.spec, class_name)
        methods = [m for m in vars(amqp_class).values()
                   if inspect.isclass(m) and issubclass(m, pika.amqp_object.Method)]
        for method_class in sorted(methods, key=lambda m: m.INDEX):
            if class_name == "Access":
                continue  # access.request is not part of 0-9-1
            signature = inspect.signature(method_class.__init__)
            arguments = {}
            flip = True
            for position, parameter in enumerate(list(signature.parameters.values())[1:]):
                name, default = parameter.name, parameter.default
                if isinstance(default, bool) or name == "active":
                    arguments[name] = flip
                    flip = not flip
                elif name in ("server_properties", "client_properties", "arguments"):
                    arguments[name] = {"k": "v"}
                elif name in INTEGER_PARAMETERS or (isinstance(default, int) and name != "ticket"
                                                    and not name.startswith("version_")):
                    arguments[name] = 300 + position
                elif isinstance(getattr(default, "value", None), str):
                    arguments[name] = default.value  # an enum such as ExchangeType
                elif default is None:
                    arguments[name] = "value"
            method = method_class(**arguments)
            out += pika.frame.Method(1, method).marshal()
    return bytes(out)


def main():
    capture("rabbitmq_c_publish.bin", run_amqp_publish)
    capture("rabbitmq_c_declare_queue.bin", run_amqp_declare_queue)
    capture("pika_session.bin", run_pika)
    encoded = encode_all_pika_methods()
    with open(os.path.join(OUT_DIR, "pika_encoded_methods.bin"), "wb") as handle:
        handle.write(encoded)
    print(f"pika_encoded_methods.bin: {len(encoded)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
