#!/usr/bin/python3
"""Records the raw MQTT packets real clients send, for the codec's golden tests.

Run with Debian's interpreter (it has paho-mqtt): /usr/bin/python3 capture.py
Each client run connects to a throwaway listener on 127.0.0.1 that answers
just enough (CONNACK, SUBACK, UNSUBACK, PUBACK/PUBREC/PUBREL/PUBCOMP,
PINGRESP, and one PUBLISH to subscribers) for the client to finish. Every
packet the client sends is written to <scenario>_<nn>_<type>.bin next to
this script. The files are the test inputs; this script only regenerates
them.
"""
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {1: "connect", 2: "connack", 3: "publish", 4: "puback", 5: "pubrec", 6: "pubrel",
         7: "pubcomp", 8: "subscribe", 9: "suback", 10: "unsubscribe", 11: "unsuback",
         12: "pingreq", 13: "pingresp", 14: "disconnect", 15: "auth"}


def read_exact(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_packet(conn):
    first = read_exact(conn, 1)
    length_bytes = b""
    length, multiplier = 0, 1
    while True:
        byte = read_exact(conn, 1)
        length_bytes += byte
        length += (byte[0] & 0x7F) * multiplier
        multiplier *= 128
        if byte[0] & 0x80 == 0:
            break
    return first + length_bytes + read_exact(conn, length)


def body_offset(packet):
    offset = 1
    while packet[offset] & 0x80:
        offset += 1
    return offset + 1


def serve_one(server, scenario, publish_to_subscriber_qos):
    conn, _ = server.accept()
    conn.settimeout(10)
    version = 4
    count = 0
    try:
        while True:
            packet = read_packet(conn)
            kind = packet[0] >> 4
            count += 1
            name = f"{scenario}_{count:02d}_{TYPES.get(kind, 'unknown')}.bin"
            with open(os.path.join(HERE, name), "wb") as out:
                out.write(packet)
            body = packet[body_offset(packet):]
            v5 = version == 5
            if kind == 1:
                name_length = int.from_bytes(body[0:2], "big")
                version = body[2 + name_length]
                conn.sendall(b"\x20\x03\x00\x00\x00" if version == 5 else b"\x20\x02\x00\x00")
            elif kind == 8:
                packet_id = body[0:2]
                rest = body[2:]
                if v5:
                    prop_len, used = 0, 0
                    multiplier = 1
                    while True:
                        b = rest[used]
                        prop_len += (b & 0x7F) * multiplier
                        multiplier *= 128
                        used += 1
                        if b & 0x80 == 0:
                            break
                    rest = rest[used + prop_len:]
                granted = []
                while rest:
                    topic_length = int.from_bytes(rest[0:2], "big")
                    granted.append(rest[2 + topic_length] & 0x03)
                    rest = rest[3 + topic_length:]
                suback = packet_id + (b"\x00" if v5 else b"") + bytes(granted)
                conn.sendall(bytes([0x90, len(suback)]) + suback)
                if publish_to_subscriber_qos is not None:
                    qos = publish_to_subscriber_qos
                    topic = b"x/y"
                    publish_body = len(topic).to_bytes(2, "big") + topic
                    if qos:
                        publish_body += b"\x00\x09"
                    if v5:
                        publish_body += b"\x00"
                    publish_body += b"hi"
                    conn.sendall(bytes([0x30 | (qos << 1), len(publish_body)]) + publish_body)
            elif kind == 10:
                packet_id = body[0:2]
                if v5:
                    count_filters = 0
                    rest = body[2:]
                    prop_len = rest[0]  # the clients used here send short property lists
                    rest = rest[1 + prop_len:]
                    while rest:
                        topic_length = int.from_bytes(rest[0:2], "big")
                        rest = rest[2 + topic_length:]
                        count_filters += 1
                    unsuback = packet_id + b"\x00" + b"\x00" * count_filters
                else:
                    unsuback = packet_id
                conn.sendall(bytes([0xB0, len(unsuback)]) + unsuback)
            elif kind == 3:
                qos = (packet[0] >> 1) & 0x03
                topic_length = int.from_bytes(body[0:2], "big")
                packet_id = body[2 + topic_length:4 + topic_length]
                if qos == 1:
                    conn.sendall(b"\x40\x02" + packet_id)
                elif qos == 2:
                    conn.sendall(b"\x50\x02" + packet_id)
            elif kind == 5:
                conn.sendall(b"\x62\x02" + body[0:2])
            elif kind == 6:
                conn.sendall(b"\x70\x02" + body[0:2])
            elif kind == 12:
                conn.sendall(b"\xd0\x00")
            elif kind == 14:
                break
    except (EOFError, socket.timeout, ConnectionResetError):
        pass
    finally:
        conn.close()


def run(server, port, scenario, action, publish_to_subscriber_qos=None):
    for old in os.listdir(HERE):
        if old.startswith(scenario + "_") and old.endswith(".bin"):
            os.remove(os.path.join(HERE, old))
    thread = threading.Thread(target=serve_one,
                              args=(server, scenario, publish_to_subscriber_qos))
    thread.start()
    action(port)
    thread.join(15)
    print("captured", scenario)


def command(*args):
    def action(port):
        subprocess.run([args[0], "-h", "127.0.0.1", "-p", str(port), *args[1:]], check=True,
                       timeout=20)
    return action


def paho_v31(port):
    import paho.mqtt.client as mqtt
    client = mqtt.Client(client_id="paho31", clean_session=True, protocol=mqtt.MQTTv31)
    client.username_pw_set("user", None)
    client.connect("127.0.0.1", port, keepalive=1)
    client.loop_start()
    time.sleep(0.3)
    client.subscribe([("s/1", 0), ("s/2", 2)])
    time.sleep(0.3)
    client.unsubscribe(["s/1", "s/2"])
    time.sleep(1.8)  # one PINGREQ at keep alive 1
    client.publish("p/31", b"\x00\x01binary", qos=1)
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


def paho_v5(port):
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.subscribeoptions import SubscribeOptions
    client = mqtt.Client(client_id="paho5", protocol=mqtt.MQTTv5)
    connect_properties = Properties(PacketTypes.CONNECT)
    connect_properties.SessionExpiryInterval = 120
    connect_properties.TopicAliasMaximum = 10
    connect_properties.RequestProblemInformation = 1
    connect_properties.MaximumPacketSize = 65536
    will_properties = Properties(PacketTypes.WILLMESSAGE)
    will_properties.WillDelayInterval = 10
    will_properties.UserProperty = ("w", "1")
    client.will_set("will/topic", b"gone", qos=2, retain=True, properties=will_properties)
    client.username_pw_set("alice", "secret")
    client.connect("127.0.0.1", port, keepalive=15, clean_start=False,
                   properties=connect_properties)
    client.loop_start()
    time.sleep(0.3)
    subscribe_properties = Properties(PacketTypes.SUBSCRIBE)
    subscribe_properties.SubscriptionIdentifier = 42
    subscribe_properties.UserProperty = ("s", "v")
    client.subscribe([
        ("a/+/c", SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True,
                                   retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)),
        ("$share/g/d/#", SubscribeOptions(qos=2, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)),
    ], properties=subscribe_properties)
    time.sleep(0.3)
    unsubscribe_properties = Properties(PacketTypes.UNSUBSCRIBE)
    unsubscribe_properties.UserProperty = ("u", "x")
    client.unsubscribe(["a/+/c", "$share/g/d/#"], properties=unsubscribe_properties)
    time.sleep(0.3)
    publish_properties = Properties(PacketTypes.PUBLISH)
    publish_properties.TopicAlias = 3
    publish_properties.UserProperty = [("k1", "v1"), ("k2", "v2"), ("k1", "v3")]
    client.publish("t/alias", b"payload", qos=1, properties=publish_properties)
    time.sleep(0.3)
    disconnect_properties = Properties(PacketTypes.DISCONNECT)
    disconnect_properties.SessionExpiryInterval = 0
    disconnect_properties.ReasonString = "bye"
    client.disconnect(reasoncode=mqtt.ReasonCodes(PacketTypes.DISCONNECT, "Disconnect with will message"),
                      properties=disconnect_properties)
    client.loop_stop()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(20)
    port = server.getsockname()[1]

    run(server, port, "mosquitto_pub_v311",
        command("mosquitto_pub", "-V", "mqttv311", "-i", "pub311", "-t", "a/b", "-m", "hello",
                "-q", "1", "-k", "30", "-u", "user", "-P", "pass", "--will-topic", "w/t",
                "--will-payload", "bye", "--will-qos", "1", "--will-retain"))
    run(server, port, "mosquitto_pub_v5",
        command("mosquitto_pub", "-V", "mqttv5", "-i", "pub5", "-t", "a/b", "-m", "hello v5",
                "-q", "2", "-r",
                "-D", "connect", "session-expiry-interval", "60",
                "-D", "connect", "receive-maximum", "20",
                "-D", "connect", "user-property", "ck", "cv",
                "-D", "publish", "user-property", "a", "b",
                "-D", "publish", "user-property", "a", "c",
                "-D", "publish", "content-type", "text/plain",
                "-D", "publish", "message-expiry-interval", "30",
                "-D", "publish", "response-topic", "r/t",
                "-D", "publish", "correlation-data", "xyz",
                "-D", "publish", "payload-format-indicator", "1",
                "-D", "will", "will-delay-interval", "5",
                "-D", "will", "content-type", "x",
                "--will-topic", "w/5", "--will-payload", "gone", "--will-qos", "2"))
    run(server, port, "mosquitto_sub_v311",
        command("mosquitto_sub", "-V", "mqttv311", "-i", "sub311", "-t", "x/+", "-t", "y/#",
                "-q", "1", "-C", "1"),
        publish_to_subscriber_qos=1)
    run(server, port, "mosquitto_sub_v5",
        command("mosquitto_sub", "-V", "mqttv5", "-i", "sub5", "-t", "x/+", "-q", "2", "-C", "1",
                "-D", "subscribe", "subscription-identifier", "7",
                "-D", "subscribe", "user-property", "s", "1",
                "-D", "disconnect", "reason-string", "done"),
        publish_to_subscriber_qos=2)
    run(server, port, "paho_v31", paho_v31)
    run(server, port, "paho_v5", paho_v5)
    server.close()


if __name__ == "__main__":
    sys.exit(main())
