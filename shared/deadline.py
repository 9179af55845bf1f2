"""A request's deadline, carried from the gateway to every service it reaches.

The gateway gives each HTTP request a time budget. Every RPC made for it carries the absolute
deadline (wall-clock epoch seconds) in Nameko's context data, and a message expiration equal to
what is left, so RabbitMQ drops a request nobody waits for any more; a service that still picks
one up after its deadline refuses it before running any code (`shared.service_base.DeadlineGuard`).
Nested calls between services inherit the context data, hence the same deadline.
"""

from __future__ import annotations

import time

from shared.errors import ServiceUnavailable

DEADLINE_KEY = "deadline"


def deadline_after(seconds: float) -> float:
    return time.time() + seconds


def remaining(deadline: float) -> float:
    return deadline - time.time()


def context_deadline(data: dict) -> float | None:
    """The deadline in a worker's context data, or None when the caller set none (internal callers)."""
    raw = data.get(DEADLINE_KEY)
    if not raw:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def has_passed(data: dict) -> bool:
    deadline = context_deadline(data)
    return deadline is not None and remaining(deadline) <= 0


class DeadlineExceeded(ServiceUnavailable):
    """The caller stopped waiting before the work began; nothing was done."""

    code = "deadline_exceeded"


def out_of_time() -> DeadlineExceeded:
    return DeadlineExceeded("服務回應逾時，請稍後再試", "the request ran out of time before a service took it; nothing was done")
