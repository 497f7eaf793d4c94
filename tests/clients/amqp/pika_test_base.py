"""Shared setup for the pika suites: one mockforge serve per test class, and blocking
connections that are closed when the test ends."""

import unittest

import pika

from mockforge_harness import Mockforge


class PikaTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Mockforge()
        cls.port = cls.server.ports["amqp"]

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def connect(self, **kwargs):
        params = pika.ConnectionParameters(
            host="127.0.0.1", port=self.port, blocked_connection_timeout=10,
            socket_timeout=10, **kwargs)
        connection = pika.BlockingConnection(params)
        self.addCleanup(lambda: connection.is_open and connection.close())
        return connection
