"""Publishing upload jobs: publisher confirms, `mandatory`, persistent messages; failures raise.

A publisher may sit idle for minutes (a worker's publisher only speaks when an item is retried or
waits for its evidence). A BlockingConnection answers heartbeats only while it is used, so the broker
closes an idle one; a publish that finds its connection gone opens a new one and publishes once more.
That may put a message on the queue twice (the first may have arrived before the connection broke),
which is harmless: an item is claimed once and its idempotency key is one.
"""

from __future__ import annotations

import json
from types import TracebackType

import pika
from pika.exceptions import AMQPConnectionError, ChannelClosed, ChannelWrongStateError

from services.national_upload import topology
from services.national_upload.domain import RetryPolicy
from shared.amqp import pika_parameters


def message_body(item: dict) -> dict:
    """What a job message carries: the item's address, and whether it waits for its upload's evidence."""
    body = {"item_id": item["_id"], "school_id": item["school_id"]}
    if item.get("after_evidence"):
        body |= {"after_evidence": True, "upload_id": item["upload_id"]}
    return body


class Publisher:
    """`with Publisher(uri, policy) as p: p.publish(...)`; every publish returns only once the broker confirmed it."""

    def __init__(self, amqp_uri: str, policy: RetryPolicy, name: str = "national-upload-publisher") -> None:
        self.parameters = pika_parameters(amqp_uri, heartbeat=30)
        for one in self.parameters:  # how the broker's management lists it (and a test finds it)
            one.client_properties = {"connection_name": name}
        self.policy = policy
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def __enter__(self) -> Publisher:
        self._connect()
        return self

    def _connect(self) -> None:
        self.connection = pika.BlockingConnection(self.parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        topology.declare(self.channel, self.policy)

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.connection is not None and self.connection.is_open:
            self.connection.close()

    def publish(self, routing_key: str, body: dict, *, message_id: str, exchange: str = topology.EXCHANGE) -> None:
        """Raises pika's UnroutableError (no queue took it) or NackError (the broker refused it), and
        the connection's error if a fresh connection fails too."""
        try:
            self._publish_once(routing_key, body, message_id, exchange)
        except (AMQPConnectionError, ChannelClosed, ChannelWrongStateError):  # closed while idle, or the node went away
            self._close_quietly()
            self._connect()
            self._publish_once(routing_key, body, message_id, exchange)

    def _close_quietly(self) -> None:
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except Exception:  # already broken: nothing to close cleanly
            pass

    def _publish_once(self, routing_key: str, body: dict, message_id: str, exchange: str) -> None:
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

    def enqueue(self, item: dict) -> None:
        self.publish(topology.ITEMS_KEY, message_body(item), message_id=item["idempotency_key"])

    def retry_later(self, item: dict, delay: int) -> None:
        self.publish(topology.retry_key(delay), message_body(item), message_id=item["idempotency_key"])

    def dead_letter(self, item: dict, reason: str) -> None:
        self.publish(
            topology.DEAD_KEY,
            {"item_id": item["_id"], "school_id": item["school_id"], "reason": reason},
            message_id=item["idempotency_key"],
            exchange=topology.DEAD_EXCHANGE,
        )
