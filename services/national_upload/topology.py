"""The RabbitMQ topology of the upload work queue, declared the same way by publishers and workers.

national.upload (direct) --items--> national.upload.items (quorum, delivery limit, DLX)
national.upload.retry.<N>s (quorum, TTL N s) --dead-letters back to--> national.upload.items
national.upload.dlx --dead--> national.upload.dead (quorum): visible to the registrar, retriable
"""

from __future__ import annotations

from pika.adapters.blocking_connection import BlockingChannel

from services.national_upload.domain import RetryPolicy

EXCHANGE = "national.upload"
DEAD_EXCHANGE = "national.upload.dlx"
WORK_QUEUE = "national.upload.items"
DEAD_QUEUE = "national.upload.dead"
ITEMS_KEY = "items"
DEAD_KEY = "dead"
DELIVERY_LIMIT = 10  # redeliveries after crashes before RabbitMQ itself dead-letters a poison message


def retry_queue(delay: int) -> str:
    return f"national.upload.retry.{delay}s"


def retry_key(delay: int) -> str:
    return f"retry.{delay}s"


def declare(channel: BlockingChannel, policy: RetryPolicy) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
    channel.exchange_declare(DEAD_EXCHANGE, exchange_type="direct", durable=True)
    channel.queue_declare(
        WORK_QUEUE,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_EXCHANGE,
            "x-dead-letter-routing-key": DEAD_KEY,
        },
    )
    channel.queue_bind(WORK_QUEUE, EXCHANGE, routing_key=ITEMS_KEY)
    channel.queue_declare(DEAD_QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(DEAD_QUEUE, DEAD_EXCHANGE, routing_key=DEAD_KEY)
    for delay in policy.delays:
        channel.queue_declare(
            retry_queue(delay),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": delay * 1000,
                "x-dead-letter-exchange": EXCHANGE,
                "x-dead-letter-routing-key": ITEMS_KEY,
            },
        )
        channel.queue_bind(retry_queue(delay), EXCHANGE, routing_key=retry_key(delay))
