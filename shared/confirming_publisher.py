"""A pika publisher for work that must not be lost: publisher confirms, `mandatory`, persistent messages.

A publisher may sit idle for minutes. A BlockingConnection answers heartbeats only while it is used,
so the broker closes an idle one; a publish that finds its connection gone opens a new one and
publishes once more. That may put a message on the queue twice (the first may have arrived before the
connection broke), so every consumer of such a queue keeps an idempotency key per message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPConnectionError, ChannelClosed, ChannelWrongStateError

from shared.amqp import pika_parameters


class ConfirmingPublisher:
    """`with ConfirmingPublisher(uri, declare) as p: p.publish(...)`; a publish returns once the broker confirmed it.

    `declare` declares the topology the messages go to, on every (re)connection.
    """

    def __init__(self, amqp_uri: str, declare: Callable[[BlockingChannel], None], name: str) -> None:
        self.parameters = pika_parameters(amqp_uri, heartbeat=30)
        for one in self.parameters:  # how the broker's management lists it (and a test finds it)
            one.client_properties = {"connection_name": name}
        self._declare = declare
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def __enter__(self) -> ConfirmingPublisher:
        self._connect()
        return self

    def _connect(self) -> None:
        self.connection = pika.BlockingConnection(self.parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self._declare(self.channel)

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.connection is not None and self.connection.is_open:
            self.connection.close()

    def publish(self, exchange: str, routing_key: str, body: dict, *, message_id: str) -> None:
        """Raises pika's UnroutableError (no queue took it) or NackError (the broker refused it), and
        the connection's error if a fresh connection fails too."""
        try:
            self._publish_once(exchange, routing_key, body, message_id)
        except (AMQPConnectionError, ChannelClosed, ChannelWrongStateError):  # closed while idle, or the node went away
            self._close_quietly()
            self._connect()
            self._publish_once(exchange, routing_key, body, message_id)

    def _close_quietly(self) -> None:
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except Exception:  # already broken: nothing to close cleanly
            pass

    def _publish_once(self, exchange: str, routing_key: str, body: dict, message_id: str) -> None:
        assert self.channel is not None
        self.channel.basic_publish(
            exchange=exchange,
            routing_key=routing_key,
            body=json.dumps(body).encode(),
            properties=pika.BasicProperties(
                delivery_mode=pika.DeliveryMode.Persistent, content_type="application/json", message_id=message_id
            ),
            mandatory=True,
        )
