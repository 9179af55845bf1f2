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
from services.national_upload.schemas import school_row as school_row  # the row shape is part of the contract
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
