"""Publishing an upload's items at the pace they are sent, so schools share the work queue fairly.

The work queue is first in, first out. Published all at once, a 2,000-student school's 26,000 items
would stand before a small school's 200 started a minute later, which would wait for all of them. So
an upload keeps at most `window` items on the queue that are not finished yet, and tops up as they
finish: with thirty schools uploading, the queue holds a window of each, and every school gets an
equal share of the workers whatever its size.

The unfinished items are counted lane by lane (an upload's blocks in _id order, the publishing
order), only the lanes up to the cursor's that still have some: FerretDB decodes one block per count,
where one count over the upload decoded every item of it, once a second.

Publishing twice is harmless (an item is claimed once and its idempotency key is one), so a publisher
that dies is resumed from its cursor by the service's timer, without any bookkeeping beyond that.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.national_upload.domain import ItemState
from services.national_upload.publisher import Publisher
from services.national_upload.store import UploadStore
from shared.clock import utcnow

PUBLISH_BATCH = 500
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0  # well inside the two minutes after which a silent publisher is resumed


def publish_upload(
    store: UploadStore,
    publisher: Publisher,
    school: str,
    upload_id: str,
    window: int,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Publish the upload's items in _id order, never more than `window` unfinished ones on the queue,
    keeping a cursor and a heartbeat; True once every item is published."""
    upload = store.get_upload(school, upload_id)
    if upload is None:
        return False
    cursor, published = upload.get("cursor", ""), upload.get("published", 0)
    cursor_lane = store.lane_of(school, cursor) if cursor else None
    # lanes below the cursor's whose published items have all ended are not counted again (a lane
    # reopens only for a dead item the registrar retries, which the service publishes itself)
    done: set[int] = set()
    beat = time.monotonic()
    while True:
        if not cursor:
            room = window
        elif cursor_lane is None:  # items from before lanes: the count over the whole upload
            room = window - store.unfinished_through(school, upload_id, cursor)
        else:
            lanes = [lane for lane in range(cursor_lane + 1) if lane not in done]
            counts = store.unfinished_by_lane(school, upload_id, lanes, cursor)
            done |= {lane for lane, n in counts.items() if n == 0 and lane < cursor_lane}
            room = window - sum(counts.values())
        if room <= 0:
            if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                store.update_upload(school, upload_id, {"heartbeat": utcnow()})
                beat = time.monotonic()
            sleep(POLL_SECONDS)
            continue
        from_lane = cursor_lane if cursor else 0  # None: the cursor's item has no lane (from before lanes)
        batch = store.items_after(school, upload_id, cursor, min(PUBLISH_BATCH, room), from_lane)
        if not batch:
            return True
        for item in batch:
            if item["state"] == ItemState.QUEUED.value:
                publisher.enqueue({**item, "school_id": school, "upload_id": upload_id})
        cursor, cursor_lane, published = batch[-1]["_id"], batch[-1].get("lane"), published + len(batch)
        store.update_upload(school, upload_id, {"cursor": cursor, "published": published, "heartbeat": utcnow()})
        beat = time.monotonic()
