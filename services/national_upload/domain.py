"""Upload items: their states, the idempotency key, the retry policy. Plain rules, no I/O.

Why a pika work queue and not Nameko (docs/architecture.md §3): Nameko drops a message when a handler raises
and publishes without `mandatory`; here a lost item is a student's missing record, so every item is
a persistent message on a durable quorum queue, published with confirms and acknowledged only after
its result is recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ItemState(StrEnum):
    QUEUED = "queued"  # 排隊中
    SENDING = "sending"  # 傳送中
    ACCEPTED = "accepted"  # 國教署已收件
    REJECTED = "rejected"  # 國教署退件（附原因）
    RETRYING = "retrying"  # 稍後重試
    DEAD = "dead"  # 多次失敗，待註冊組處理


FINAL_STATES = frozenset({ItemState.ACCEPTED, ItemState.REJECTED})
# An upload's items in blocks of this many, in _id order (the order they are published in): a worker's
# batch of claims or results narrows its query to one block (services/national_upload/batching.py).
LANE_SIZE = 64
# What a message carries of an evidence item (publisher.message_body): enough to send it, so that a
# worker's claim is one write for its batch and no read. These fields never change once the item is built.
CARRIED = ("kind", "ref", "filename", "content_sha256", "idempotency_key", "year")
STATE_NAMES_ZH = {
    ItemState.QUEUED: "排隊中",
    ItemState.SENDING: "傳送中",
    ItemState.ACCEPTED: "已收件",
    ItemState.REJECTED: "退件",
    ItemState.RETRYING: "重試中",
    ItemState.DEAD: "無法送達",
}


def idempotency_key(school_id: str, year: int, term: int, roster: str, student_id: str, item_id: str, content_sha256: str) -> str:
    """The same item with the same content always gets the same key, whichever worker sends it, however often."""
    raw = "|".join([school_id, str(year), str(term), roster, student_id, item_id, content_sha256])
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[int, ...] = (5, 30, 120)  # seconds; one delay queue per tier (no head-of-line blocking)
    max_attempts: int = 5

    def delay_for(self, attempt: int, retry_after: float | None) -> int:
        """Exponential backoff by attempt, never sooner than the national side's Retry-After."""
        wanted = max(self.delays[0] * 2 ** max(attempt - 1, 0), retry_after or 0)
        return next((d for d in self.delays if d >= wanted), self.delays[-1])

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    @classmethod
    def from_settings(cls, delays: str, max_attempts: int) -> RetryPolicy:
        return cls(delays=tuple(sorted(int(d) for d in delays.split(",") if d.strip())), max_attempts=max_attempts)


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETRY = "retry"


@dataclass(frozen=True)
class SendResult:
    verdict: Verdict
    detail: str = ""
    reasons: tuple[dict, ...] = ()
    retry_after: float | None = None
    receipt_id: str | None = None


# A 409 the national side answers while the same key is still being processed elsewhere.
RETRIABLE_CONFLICTS = frozenset({"in_progress"})


def classify_http(status: int, problem_code: str | None = None) -> Verdict:
    """2xx accepted (a replay of an accepted key is still accepted); 408/429/5xx and 409 in_progress
    retried; any other 4xx (rule violations, a key reused for other content) rejected."""
    if 200 <= status < 300:
        return Verdict.ACCEPTED
    if status in (408, 429) or status >= 500 or (status == 409 and problem_code in RETRIABLE_CONFLICTS):
        return Verdict.RETRY
    return Verdict.REJECTED


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def assign_lanes(docs: list[dict]) -> None:
    """Gives each item without one its `lane`: its block of LANE_SIZE among its upload's items in _id order."""
    by_upload: dict[object, list[dict]] = {}
    for doc in docs:
        by_upload.setdefault(doc.get("upload_id"), []).append(doc)
    for items in by_upload.values():
        for n, doc in enumerate(sorted(items, key=lambda d: str(d["_id"]))):
            doc.setdefault("lane", n // LANE_SIZE)


def new_upload_id(year: int, term: int, now: datetime) -> str:
    """An upload's (or a roster check's draft's) id: its term and moment, readable in logs, and unique."""
    return f"{year}-{term}-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
