"""paho-mqtt v5 clients for tests: subscribe, publish, and take what arrives."""

import queue

import paho.mqtt.client as mqtt

TIMEOUT = 15


class MqttQueue:
    """A paho-mqtt v5 client subscribed to `topics` at QoS 1, messages queued."""

    def __init__(self, port, client_id, *topics):
        self.messages = queue.Queue()
        subscribed = queue.Queue()
        self.client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        self.client.on_subscribe = lambda *args: subscribed.put(True)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        for topic in topics:
            self.client.subscribe(topic, qos=1)
            subscribed.get(timeout=TIMEOUT)

    def publish(self, topic, payload, properties=None):
        self.client.publish(topic, payload, qos=1, properties=properties).wait_for_publish(TIMEOUT)

    def take(self, count=None):
        """One message, or a list of `count`."""
        if count is None:
            return self.messages.get(timeout=TIMEOUT)
        return [self.messages.get(timeout=TIMEOUT) for _ in range(count)]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
