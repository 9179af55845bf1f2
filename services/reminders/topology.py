"""The mail queue (shared/work_queue_topology.py), declared the same way by the service (publisher)
and the workers.

reminders.mail (direct) --send--> reminders.mail.send (quorum, delivery limit, DLX)
reminders.mail.retry.<N>s (quorum, TTL N s) --dead-letters back to--> reminders.mail.send
reminders.mail.dlx --dead--> reminders.mail.dead (quorum): poison messages, kept for a look
"""

from __future__ import annotations

from collections.abc import Sequence

from pika.adapters.blocking_connection import BlockingChannel

from shared.work_queue_topology import WorkQueueTopology

QUEUE = WorkQueueTopology(prefix="reminders.mail", work_queue="reminders.mail.send", work_key="send")
EXCHANGE = QUEUE.exchange
SEND_QUEUE = QUEUE.work_queue
SEND_KEY = QUEUE.work_key
retry_key = QUEUE.retry_key


def parse_delays(text: str) -> tuple[int, ...]:
    delays = tuple(int(x) for x in text.split(",") if x.strip())
    return delays or (60,)


def declare(channel: BlockingChannel, delays: Sequence[int]) -> None:
    QUEUE.declare(channel, delays)
