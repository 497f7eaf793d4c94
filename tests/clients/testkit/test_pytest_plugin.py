"""The pytest plugin (testkit/python) as a user runs it: `mockforge_server` for
the session, `mockforge` reset before each test, expect() with real clients."""

import json

import paho.mqtt.client as mqtt
import pika
import pytest
from confluent_kafka import Producer

from pytest_mockforge import format_verdict


def publish_mqtt(server, topic, payload, qos=1):
    client = mqtt.Client(client_id="sensor-svc", protocol=mqtt.MQTTv311)
    client.connect(server.mqtt_host, server.mqtt_port)
    client.loop_start()
    client.publish(topic, payload, qos=qos).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def produce(server, topic, value, key=None):
    producer = Producer({"bootstrap.servers": server.kafka_bootstrap, "client.id": "order-svc"})
    producer.produce(topic, value=value, key=key)
    assert producer.flush(10) == 0


def publish_amqp(server, exchange, routing_key, body):
    connection = pika.BlockingConnection(pika.URLParameters(server.amqp_url))
    channel = connection.channel()
    channel.exchange_declare(exchange, "topic")
    channel.basic_publish(exchange, routing_key, body)
    connection.close()


def test_expect_is_met_by_a_real_publish(mockforge):
    publish_mqtt(mockforge, "alerts/critical", json.dumps({"celsius": 81}))
    verdict = mockforge.expect(protocol="mqtt", topic="alerts/#",
                               match={"json": [{"path": "$.celsius", "gt": 80}],
                                      "client_id": "sensor-svc"})
    assert verdict["met"] and verdict["matched"] == 1


def test_each_test_starts_from_a_reset(mockforge):
    # The previous test's alert is gone: the fixture reset the server.
    mockforge.expect(protocol="mqtt", topic="alerts/#", count={"none": True}, timeout_ms=0)
    assert mockforge.history(protocol="mqtt") == []


def test_a_failed_expectation_fails_the_test_with_the_closest_misses(mockforge):
    produce(mockforge, "orders.confirmed", json.dumps({"id": "o-1", "status": "pending"}), b"o-1")
    with pytest.raises(pytest.fail.Exception) as failure:
        mockforge.expect(protocol="kafka", topic="orders.confirmed",
                         match={"json": [{"path": "$.status", "equals": "confirmed"}]},
                         timeout_ms=200)
    text = str(failure.value)
    assert "not met" in text
    assert '$.status is "pending"' in text


def test_hostile_payloads_get_reasons_not_a_crash(mockforge):
    # Regexes ran on std::regex, which recursed once per character of the payload, and the
    # value at a JSON path was printed recursively: each of these ended the server.
    digits = "7" * 300_000
    produce(mockforge, "hostile", digits.encode())
    depth = 200_000
    produce(mockforge, "hostile", ('{"a": ' + "[" * depth + "]" * depth + "}").encode())
    verdict = mockforge.expect(protocol="kafka", topic="hostile", match={"regex": "^7+$"})
    assert verdict["met"] and verdict["matched"] == 1
    with pytest.raises(pytest.fail.Exception) as failure:
        mockforge.expect(protocol="kafka", topic="hostile",
                         match={"json": [{"path": "$.a", "equals": 1}]}, timeout_ms=0)
    assert "deeper than 512 levels" in str(failure.value)
    with pytest.raises(pytest.fail.Exception) as failure:
        mockforge.expect(protocol="kafka", topic="hostile", match={"regex": "7.*x"},
                         timeout_ms=0)
    assert "too complex" in str(failure.value) or "does not match" in str(failure.value)
    # The server is still there for the next message.
    publish_mqtt(mockforge, "alerts/after", b"ok")
    assert mockforge.expect(protocol="mqtt", topic="alerts/after")["met"]


def test_in_order_across_protocols(mockforge):
    produce(mockforge, "orders.created", b'{"id": "o-2"}')
    publish_amqp(mockforge, "notifications", "email.order", b"order o-2 received")
    publish_mqtt(mockforge, "dashboard/updates", b"o-2")
    verdict = mockforge.expect(in_order=[
        {"protocol": "kafka", "topic": "orders.created"},
        {"protocol": "amqp", "exchange": "notifications", "routing_key": "email.*"},
        {"protocol": "mqtt", "topic": "dashboard/#"}])
    assert [step["completed_at_seq"] is not None for step in verdict["steps"]] == [True] * 3
    with pytest.raises(pytest.fail.Exception) as failure:
        mockforge.expect(in_order=[{"protocol": "mqtt", "topic": "dashboard/#"},
                                   {"protocol": "kafka", "topic": "orders.created"}],
                         timeout_ms=0)
    assert "step 2 of 2" in str(failure.value)
    assert "out of order" in str(failure.value)


def test_a_malformed_expectation_is_an_error_naming_the_field(mockforge):
    from pytest_mockforge import MockforgeError
    with pytest.raises(MockforgeError, match="count.most"):
        mockforge.expect(protocol="kafka", count={"most": 1})


def test_format_verdict_lists_steps_and_misses():
    text = format_verdict({"message": "not met", "steps": [{"expect": "x", "completed_at_seq": None}],
                           "closest_misses": [{"seq": 3, "destination": "t", "reasons": ["r"]}]})
    assert text.splitlines() == ["not met", "  step 1: x (not reached)", "  #3 on t:", "    - r"]
