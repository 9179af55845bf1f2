"""A worker's claims and results written a batch at a time, not an item at a time.

Each write of an item is a filtered query first (FerretDB 1.24 has no update by key), and before
PostgreSQL kept an index FerretDB's equalities can use (deploy/native/ferretdb-equality-indexes.sql)
claiming one item of a 26,000-item upload by its _id cost about 13 ms; every send made two such
writes (claim, result), and a round trip each is still most of a claim's cost.
So the threads of one worker process hand their claims and results to a group commit: whatever
arrives while one batch is written goes together in the next, one scan for the lot. An item's
`lane` (its block of the upload, domain.LANE_SIZE items in _id order, carried by its message) is a
top-level equality that FerretDB hands to PostgreSQL, so a batch decodes one block, not the upload.

An evidence item's message carries what its send needs (domain.CARRIED), so its claim is one
write for the batch and no read; only when fewer items matched than were asked (one had its final
result already: a redelivery) are they read back to see which.

Nothing about exactly-once changes: an item is claimed (傳送中, one attempt more) before it is sent,
its result is written before its message is acknowledged, and its idempotency key keeps a second
send of the same item one acceptance on the national side.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.national_upload.domain import FINAL_STATES, ItemState
from services.national_upload.store import UploadStore
from shared.clock import utcnow

R = TypeVar("R")
T = TypeVar("T")

MAX_BATCH = 128
_FINAL = {s.value for s in FINAL_STATES}


class _Slot(Generic[R, T]):
    __slots__ = ("request", "done", "value", "error")

    def __init__(self, request: R) -> None:
        self.request = request
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[R, T]):
    """`commit(request)` returns the request's own answer from `write(batch)`. One batch is written at a
    time; requests that arrive meanwhile wait and go together in the next, written by the first of them.
    A failed write raises in every caller of its batch (each hands its message back, as one failure did)."""

    def __init__(
        self, write: Callable[[list[R]], list[T]], max_batch: int = MAX_BATCH, observe: Callable[[int], None] | None = None
    ) -> None:
        self._write = write
        self._max = max_batch
        self._observe = observe or (lambda size: None)  # each batch's size (the worker's Prometheus histogram)
        self._cond = threading.Condition()
        self._pending: list[_Slot[R, T]] = []
        self._writing = False
        self.batches = 0  # for the tests and the logs: how well requests were grouped
        self.requests = 0

    def __call__(self, request: R) -> T:
        slot: _Slot[R, T] = _Slot(request)
        with self._cond:
            self._pending.append(slot)
            while not slot.done:
                if self._writing:
                    self._cond.wait()
                    continue
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                self._writing = True
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._writing = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.value  # type: ignore[return-value]

    def _run(self, batch: list[_Slot[R, T]]) -> None:
        try:
            answers = self._write([s.request for s in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} was answered {len(answers)} times")
        except Exception as exc:
            for s in batch:
                s.error, s.done = exc, True
        else:
            for s, answer in zip(batch, answers, strict=True):
                s.value, s.done = answer, True
        self.batches += 1
        self.requests += len(batch)
        self._observe(len(batch))


@dataclass(frozen=True)
class Claim:
    school_id: str
    upload_id: str
    lane: int
    item_id: str
    carried: dict[str, Any] | None = None  # the CARRIED fields from the message, when it had them


@dataclass(frozen=True)
class Accepted:
    """An accepted item with no result of its own to keep (an evidence file: the national side's receipt
    is the SHA-256 we sent), so that many share one update."""

    school_id: str
    upload_id: str
    lane: int
    item_id: str
    detail: str


class BatchedItems:
    """The worker's two writes per item, each a group commit over the process's threads."""

    def __init__(self, store: UploadStore, max_batch: int = MAX_BATCH, observe: Callable[[str, int], None] | None = None) -> None:
        self.store = store
        seen = observe or (lambda kind, size: None)
        self.claim: GroupCommit[Claim, dict[str, Any] | None] = GroupCommit(self._claim_batch, max_batch, lambda n: seen("claim", n))
        self.accept: GroupCommit[Accepted, None] = GroupCommit(self._accept_batch, max_batch, lambda n: seen("accept", n))

    def _claim_batch(self, claims: list[Claim]) -> list[dict[str, Any] | None]:
        """Each claim's item as claimed (sending, one attempt more), or None when it has its final result."""
        groups: dict[tuple[str, str, int], list[str]] = defaultdict(list)
        for c in claims:
            groups[(c.school_id, c.upload_id, c.lane)].append(c.item_id)
        carried = {(c.school_id, c.item_id): c.carried for c in claims}
        claimed: dict[tuple[str, str], dict[str, Any]] = {}
        for (school, upload, lane), ids in groups.items():
            known = all(carried[(school, i)] for i in ids)
            if known and self._claim_known(school, upload, lane, ids) == len(ids):
                for item_id in ids:  # every one claimed: the messages said all a send needs
                    address = {"_id": item_id, "school_id": school, "upload_id": upload, "lane": lane}
                    claimed[(school, item_id)] = {**(carried[(school, item_id)] or {}), **address, "state": ItemState.SENDING.value}
                continue
            # some already final (a redelivery) or the messages did not say enough: read what the claim left
            docs = self.store.items_in_lane(school, upload, lane, ids)
            if known:  # claimed above: ours read sending, the final ones are left out
                open_ = [d for d in docs if d.get("state") == ItemState.SENDING.value]
            else:
                open_ = [d for d in docs if d.get("state") not in _FINAL]
                if open_:
                    self.store.start_sending_many(school, upload, lane, [d["_id"] for d in open_], utcnow())
                    open_ = [{**d, "state": ItemState.SENDING.value, "attempts": d.get("attempts", 0) + 1} for d in open_]
            for doc in open_:
                claimed[(school, doc["_id"])] = doc
        return [claimed.get((c.school_id, c.item_id)) for c in claims]

    def _claim_known(self, school: str, upload: str, lane: int, ids: list[str]) -> int:
        return self.store.start_sending_many(school, upload, lane, ids, utcnow())

    def _accept_batch(self, accepted: list[Accepted]) -> list[None]:
        groups: dict[tuple[str, str, int, str], list[str]] = defaultdict(list)
        for a in accepted:
            groups[(a.school_id, a.upload_id, a.lane, a.detail)].append(a.item_id)
        for (school, upload, lane, detail), ids in groups.items():
            self.store.record_many(school, upload, lane, ids, ItemState.ACCEPTED, detail)
        return [None] * len(accepted)
