"""The RabbitMQ topology of the upload work queue (shared/work_queue_topology.py), declared the same
way by publishers and workers.

national.upload (direct) --items--> national.upload.items (quorum, delivery limit, DLX)
national.upload.retry.<N>s (quorum, TTL N s) --dead-letters back to--> national.upload.items
national.upload.dlx --dead--> national.upload.dead (quorum): visible to the registrar, retriable
"""

from __future__ import annotations

from pika.adapters.blocking_connection import BlockingChannel

from services.national_upload.domain import RetryPolicy
from shared.work_queue_topology import WorkQueueTopology

QUEUE = WorkQueueTopology(prefix="national.upload", work_queue="national.upload.items", work_key="items")
EXCHANGE = QUEUE.exchange
DEAD_EXCHANGE = QUEUE.dead_exchange
WORK_QUEUE = QUEUE.work_queue
DEAD_QUEUE = QUEUE.dead_queue
ITEMS_KEY = QUEUE.work_key
DEAD_KEY = QUEUE.dead_key
DELIVERY_LIMIT = QUEUE.delivery_limit
retry_queue = QUEUE.retry_queue
retry_key = QUEUE.retry_key


def declare(channel: BlockingChannel, policy: RetryPolicy) -> None:
    QUEUE.declare(channel, policy.delays)
