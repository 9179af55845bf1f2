"""Fair shares of the work queue (services/national_upload/pacing.py) on a real RabbitMQ and FerretDB:
an upload keeps at most its window of unfinished items on the queue, so a small school that starts
after a large one is served after one window of the large one's items, not after all of them."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pika

from services.national_upload import topology
from services.national_upload.domain import RetryPolicy, idempotency_key
from services.national_upload.pacing import publish_upload
from services.national_upload.publisher import Publisher
from shared.clock import utcnow
from tests.support.system import wait_until

POLICY = RetryPolicy(delays=(1, 2), max_attempts=3)
WINDOW = 10


def _upload(store, school: str, items: int) -> str:
    upload_id = uuid.uuid4().hex
    store.insert_upload(school, {"_id": upload_id, "year": 114, "term": 1, "created_at": utcnow(), "state": "publishing", "cursor": ""})
    docs = []
    for n in range(items):
        item_id = f"{n:05d}-{uuid.uuid4().hex}"  # _id order is publishing order
        key = idempotency_key(school, 114, 1, "26", f"s{n}", item_id, "00" * 32)
        docs.append({"_id": item_id, "upload_id": upload_id, "roster": "26", "kind": "roster", "state": "queued", "idempotency_key": key})
    store.insert_items(school, docs)
    return upload_id


def _publisher_thread(settings, store, school: str, upload_id: str, results: dict) -> threading.Thread:
    def run() -> None:
        with Publisher(settings.amqp_uri, POLICY) as publisher:
            results[school] = publish_upload(store, publisher, school, upload_id, WINDOW, sleep=lambda s: time.sleep(0.05))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _depth(channel) -> int:
    return channel.queue_declare(topology.WORK_QUEUE, passive=True).method.message_count


def test_a_small_school_after_a_large_one_waits_one_window_not_the_whole_upload(isolated, upload_store):
    settings = isolated.settings()
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = connection.channel()
    topology.declare(channel, POLICY)
    results: dict[str, bool] = {}
    large = _upload(upload_store, "A00001", 80)
    first = _publisher_thread(settings, upload_store, "A00001", large, results)
    wait_until(lambda: _depth(channel) == WINDOW, 30, "the large school's first window")
    time.sleep(0.5)
    assert _depth(channel) == WINDOW and "A00001" not in results  # it waits for items to finish
    small = _upload(upload_store, "B00002", 5)
    second = _publisher_thread(settings, upload_store, "B00002", small, results)
    second.join(timeout=30)
    assert results.get("B00002") is True and _depth(channel) == WINDOW + 5

    # a worker that accepts whatever comes first, as the real one does (first in, first out)
    finished: list[str] = []
    while len(finished) < 85:
        method, _, body = channel.basic_get(topology.WORK_QUEUE)
        if method is None:
            time.sleep(0.05)
            continue
        job = json.loads(body)
        upload_store.items.update_one(job["school_id"], {"_id": job["item_id"]}, {"$set": {"state": "accepted"}})
        channel.basic_ack(method.delivery_tag)
        finished.append(job["school_id"])
    first.join(timeout=30)
    connection.close()
    assert results.get("A00001") is True
    last_small = max(i for i, school in enumerate(finished) if school == "B00002")
    assert last_small < WINDOW + 5, finished  # all at once, it would have come after the large school's 80
    assert finished.count("A00001") == 80 and finished.count("B00002") == 5  # every item once


def test_publishing_reads_lane_by_lane_across_their_ends_and_items_without_lanes_the_whole_way(isolated, upload_store):
    """130 items are lanes 0, 1 and 2 (64 each): batches that end on a lane's last item go on with the
    next lane; an upload written before lanes (no `lane` field) is still published whole, once each."""
    settings = isolated.settings()
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = connection.channel()
    topology.declare(channel, POLICY)
    channel.queue_purge(topology.WORK_QUEUE)
    laned = _upload(upload_store, "C00003", 130)
    legacy = uuid.uuid4().hex
    upload_store.insert_upload(
        "D00004", {"_id": legacy, "year": 114, "term": 1, "created_at": utcnow(), "state": "publishing", "cursor": ""}
    )
    upload_store.items.raw.insert_many(
        [
            {
                "_id": f"{n:05d}-old",
                "school_id": "D00004",
                "upload_id": legacy,
                "roster": "26",
                "kind": "roster",
                "state": "queued",
                "idempotency_key": f"old-{n}",
            }
            for n in range(70)
        ]
    )
    seen: dict[str, list[str]] = {"C00003": [], "D00004": []}

    def drain() -> None:
        while True:
            method, _, body = channel.basic_get(topology.WORK_QUEUE)
            if method is None:
                return
            job = json.loads(body)
            upload_store.items.update_one(job["school_id"], {"_id": job["item_id"]}, {"$set": {"state": "accepted"}})
            channel.basic_ack(method.delivery_tag)
            seen[job["school_id"]].append(job["item_id"])

    with Publisher(settings.amqp_uri, POLICY) as publisher:
        for school, upload_id in (("C00003", laned), ("D00004", legacy)):

            def finish_between_polls(_: float) -> None:
                drain()

            # a window of 64 makes each batch end on a lane's last item
            assert publish_upload(upload_store, publisher, school, upload_id, 64, sleep=finish_between_polls) is True
            drain()
    connection.close()
    assert len(seen["C00003"]) == 130 and len(set(seen["C00003"])) == 130
    assert seen["C00003"] == sorted(seen["C00003"])  # _id order
    assert len(seen["D00004"]) == 70 and len(set(seen["D00004"])) == 70
