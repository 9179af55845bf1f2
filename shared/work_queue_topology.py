"""The RabbitMQ shape of a work queue that must not lose a message, declared alike by publishers and workers.

<exchange> (direct) --work key--> <work queue> (quorum, delivery limit, DLX)
<prefix>.retry.<N>s (quorum, TTL N s) --dead-letters back to--> <work queue>
<dead exchange> --dead key--> <dead queue> (quorum): poison messages, kept for a look
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pika.adapters.blocking_connection import BlockingChannel


@dataclass(frozen=True)
class WorkQueueTopology:
    prefix: str  # "national.upload": its exchange, and the stem of its retry and dead names
    work_queue: str
    work_key: str
    delivery_limit: int = 10  # redeliveries after crashes before RabbitMQ itself dead-letters a message
    dead_key: str = "dead"

    @property
    def exchange(self) -> str:
        return self.prefix

    @property
    def dead_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def dead_queue(self) -> str:
        return f"{self.prefix}.dead"

    def retry_queue(self, delay: int) -> str:
        return f"{self.prefix}.retry.{delay}s"

    @staticmethod
    def retry_key(delay: int) -> str:
        return f"retry.{delay}s"

    def declare(self, channel: BlockingChannel, delays: Iterable[int]) -> None:
        channel.exchange_declare(self.exchange, exchange_type="direct", durable=True)
        channel.exchange_declare(self.dead_exchange, exchange_type="direct", durable=True)
        channel.queue_declare(
            self.work_queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_exchange,
                "x-dead-letter-routing-key": self.dead_key,
            },
        )
        channel.queue_bind(self.work_queue, self.exchange, routing_key=self.work_key)
        channel.queue_declare(self.dead_queue, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(self.dead_queue, self.dead_exchange, routing_key=self.dead_key)
        for delay in delays:
            channel.queue_declare(
                self.retry_queue(delay),
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-message-ttl": delay * 1000,
                    "x-dead-letter-exchange": self.exchange,
                    "x-dead-letter-routing-key": self.work_key,
                },
            )
            channel.queue_bind(self.retry_queue(delay), self.exchange, routing_key=self.retry_key(delay))
