"""The mail queue, declared the same way by the service (publisher) and the workers.

reminders.mail (direct) --send--> reminders.mail.send (quorum, delivery limit, DLX)
reminders.mail.retry.<N>s (quorum, TTL N s) --dead-letters back to--> reminders.mail.send
reminders.mail.dlx --dead--> reminders.mail.dead (quorum): poison messages, kept for a look
"""

from __future__ import annotations

from collections.abc import Sequence

from pika.adapters.blocking_connection import BlockingChannel

EXCHANGE = "reminders.mail"
DEAD_EXCHANGE = "reminders.mail.dlx"
SEND_QUEUE = "reminders.mail.send"
DEAD_QUEUE = "reminders.mail.dead"
SEND_KEY = "send"
DEAD_KEY = "dead"
DELIVERY_LIMIT = 10


def retry_queue(delay: int) -> str:
    return f"reminders.mail.retry.{delay}s"


def retry_key(delay: int) -> str:
    return f"retry.{delay}s"


def parse_delays(text: str) -> tuple[int, ...]:
    delays = tuple(int(x) for x in text.split(",") if x.strip())
    return delays or (60,)


def declare(channel: BlockingChannel, delays: Sequence[int]) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
    channel.exchange_declare(DEAD_EXCHANGE, exchange_type="direct", durable=True)
    channel.queue_declare(
        SEND_QUEUE,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_EXCHANGE,
            "x-dead-letter-routing-key": DEAD_KEY,
        },
    )
    channel.queue_bind(SEND_QUEUE, EXCHANGE, routing_key=SEND_KEY)
    channel.queue_declare(DEAD_QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(DEAD_QUEUE, DEAD_EXCHANGE, routing_key=DEAD_KEY)
    for delay in delays:
        channel.queue_declare(
            retry_queue(delay),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": delay * 1000,
                "x-dead-letter-exchange": EXCHANGE,
                "x-dead-letter-routing-key": SEND_KEY,
            },
        )
        channel.queue_bind(retry_queue(delay), EXCHANGE, routing_key=retry_key(delay))
