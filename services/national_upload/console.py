"""The deadline console's figures: each school's latest upload and the work queue as RabbitMQ sees it.

The queue is read with passive declares (ready messages and consumers = active workers); messages
being sent right now are the items in state `sending`. Figures are cached a few seconds so any
number of open consoles cost RabbitMQ one connection per interval.
"""

from __future__ import annotations

import threading
import time

import pika

from services.national_upload import topology
from shared.amqp import pika_parameters

CACHE_SECONDS = 3.0
_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def queue_figures(amqp_uri: str) -> dict:
    """{"ready", "workers", "dead_letters"} of the work and dead-letter queues; None values when unreachable."""
    with _lock:
        cached = _cache.get(amqp_uri)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
    try:
        connection = pika.BlockingConnection(pika_parameters(amqp_uri))
        try:
            channel = connection.channel()
            work = channel.queue_declare(topology.WORK_QUEUE, passive=True).method
            dead = channel.queue_declare(topology.DEAD_QUEUE, passive=True).method
            figures = {"ready": work.message_count, "workers": work.consumer_count, "dead_letters": dead.message_count}
        finally:
            if connection.is_open:
                connection.close()
    except pika.exceptions.AMQPError:  # not declared yet (no upload ever) or the broker is away
        figures = {"ready": None, "workers": None, "dead_letters": None}
    with _lock:
        _cache[amqp_uri] = (time.monotonic(), figures)
    return figures


def school_row(school_id: str, progress: dict | None, retries: int, paused: bool = False) -> dict:
    """One console row: the latest upload's counts, its share finished, retries and dead letters."""
    if progress is None:
        return {"school_id": school_id, "upload_id": None, "state": "not_started", "state_zh": "尚未上傳", "percent": 0, "paused": paused}
    counts, total = progress["counts"], progress["total"]
    ended = counts.get("accepted", 0) + counts.get("rejected", 0) + counts.get("dead", 0)
    state = "done" if progress["done"] else ("paused" if paused else "running")
    return {
        "school_id": school_id,
        "upload_id": progress["upload_id"],
        "year": progress["year"],
        "term": progress["term"],
        "total": total,
        "accepted": counts.get("accepted", 0),
        "rejected": counts.get("rejected", 0),
        "dead": counts.get("dead", 0),
        "waiting": counts.get("queued", 0) + counts.get("retrying", 0),
        "sending": counts.get("sending", 0),
        "retries": retries,
        "percent": round(100 * ended / total, 1) if total else 100.0,
        "state": state,
        "state_zh": {"done": "已完成", "paused": "已暫停", "running": "上傳中"}[state],
        "paused": paused,
    }
