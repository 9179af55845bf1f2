"""Items that stopped moving are published again, so no item of an upload waits forever.

An item's message can be lost while MongoDB still calls the item 排隊中, 傳送中 or 重試中: RabbitMQ
dead-letters a message whose delivery limit a passing fault used up, a node dies with a message it
alone held, a worker hangs on a send. Every few minutes the service looks at the uploads that are fully
published and not yet settled; an item of one that has not moved for `STALE` is published once more
and stamped, so it is published again only after another `STALE`. Publishing twice is harmless: the
item is claimed once and its idempotency key is one, so the national side keeps one copy.

Left alone: a paused school (its items wait on purpose), and rosters whose upload still has evidence
on its way (they wait for those files and come back by themselves). An upload whose items have all
ended is marked settled and not looked at again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.national_upload.domain import ItemState
from services.national_upload.publisher import Publisher
from services.national_upload.store import UploadStore

STALE = timedelta(minutes=10)
MOVING = (ItemState.QUEUED, ItemState.SENDING, ItemState.RETRYING)


def republish_stalled(store: UploadStore, publisher: Publisher, now: datetime) -> int:
    """Publish every stalled item of the unsettled uploads once; the number published."""
    published = 0
    for upload in store.unsettled_uploads():
        school, upload_id = upload["school_id"], upload["_id"]
        if store.is_paused(school) or (upload.get("published_at") or now) > now - STALE:
            continue
        unfinished = [i for state in MOVING for i in store.items_in_state(school, upload_id, state.value)]
        if not unfinished:
            store.update_upload(school, upload_id, {"settled": True, "settled_at": now})
            continue
        evidence_waiting = any(i.get("kind") == "evidence" for i in unfinished)
        for item in unfinished:
            if not _stalled(item, upload, now) or (item.get("after_evidence") and evidence_waiting):
                continue
            publisher.enqueue({**item, "school_id": school, "upload_id": upload_id})
            store.stamp_republished(school, item["_id"], now)
            published += 1
    return published


def _stalled(item: dict[str, Any], upload: dict[str, Any], now: datetime) -> bool:
    last = max(t for t in (item.get("updated_at"), item.get("republished_at"), upload.get("published_at")) if t is not None)
    return last <= now - STALE
