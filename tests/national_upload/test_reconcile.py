"""Stalled items are published again (services/national_upload/reconcile.py), on a real RabbitMQ and
FerretDB: an item whose message was lost is on the work queue again after ten minutes without moving,
once per ten minutes; a paused school's items, rosters waiting for their evidence and items that moved
lately are left alone; an upload whose items all ended is settled."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pika

from services.national_upload import topology
from services.national_upload.domain import RetryPolicy, idempotency_key
from services.national_upload.publisher import Publisher
from services.national_upload.reconcile import STALE, republish_stalled
from shared.clock import utcnow

POLICY = RetryPolicy(delays=(1, 2), max_attempts=3)


def _later() -> datetime:
    """ "Now" for the reconcile: everything published before this call is stale then. (Taken when a test
    runs, not when the module is collected: the whole suite collects long before it gets here.)"""
    return utcnow() + STALE + timedelta(minutes=1)


def _upload(store, school: str, states: list[tuple[str, str]], after_evidence: bool = False) -> tuple[str, list[str]]:
    upload_id = uuid.uuid4().hex
    store.insert_upload(
        school, {"_id": upload_id, "year": 114, "term": 1, "created_at": utcnow(), "state": "sending", "published_at": utcnow()}
    )
    ids, docs = [], []
    for n, (kind, state) in enumerate(states):
        item_id = f"{kind[0]}{n:03d}-{uuid.uuid4().hex[:8]}"
        key = idempotency_key(school, 114, 1, "26", f"s{n}", item_id, "00" * 32)
        doc = {"_id": item_id, "upload_id": upload_id, "roster": "26", "kind": kind, "state": state, "idempotency_key": key}
        if kind == "roster" and after_evidence:
            doc["after_evidence"] = True
        docs.append(doc)
        ids.append(item_id)
    store.insert_items(school, docs)
    return upload_id, ids


def _drain(channel) -> list[dict]:
    messages = []
    while True:
        method, _, body = channel.basic_get(topology.WORK_QUEUE, auto_ack=True)
        if method is None:
            return messages
        messages.append(json.loads(body))


def test_lost_items_are_published_again_once_per_interval_and_others_left_alone(isolated, upload_store):
    settings = isolated.settings()
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = connection.channel()
    topology.declare(channel, POLICY)
    _drain(channel)
    lost, lost_ids = _upload(upload_store, "R00001", [("roster", "queued"), ("roster", "sending"), ("roster", "accepted")])
    waiting, _ = _upload(upload_store, "R00002", [("evidence", "queued"), ("roster", "queued")], after_evidence=True)
    paused, _ = _upload(upload_store, "R00003", [("roster", "queued")])
    upload_store.set_paused("R00003", True, "registrar")
    done, _ = _upload(upload_store, "R00004", [("roster", "accepted"), ("roster", "rejected")])
    later = _later()
    try:
        with Publisher(settings.amqp_uri, POLICY) as publisher:
            count = republish_stalled(upload_store, publisher, later)
            again = {(m["school_id"], m["item_id"]) for m in _drain(channel)}
            assert ("R00001", lost_ids[0]) in again and ("R00001", lost_ids[1]) in again  # 排隊中 and 傳送中 that stopped
            assert ("R00001", lost_ids[2]) not in again  # accepted: nothing to do
            assert {s for s, _ in again} & {"R00003", "R00004"} == set()  # paused on purpose; all ended
            r2 = [i for s, i in again if s == "R00002"]
            assert len(r2) == 1 and r2[0].startswith("e")  # the evidence goes again; its roster waits for it
            assert count == len([m for m in again if m[0] in ("R00001", "R00002")])
            assert republish_stalled(upload_store, publisher, later) == 0  # stamped: not again within the interval
            assert not [m for m in _drain(channel) if m["school_id"] in ("R00001", "R00002")]
            later_still = later + STALE + timedelta(minutes=1)
            assert republish_stalled(upload_store, publisher, later_still) >= 2  # still stalled ten minutes on: once more
    finally:
        upload_store.set_paused("R00003", False, "registrar")
        connection.close()
    assert upload_store.get_upload("R00004", done).get("settled") is True
    assert not upload_store.get_upload("R00001", lost).get("settled")


def test_an_item_that_moved_lately_is_not_published_again(isolated, upload_store):
    settings = isolated.settings()
    upload_id, ids = _upload(upload_store, "R00005", [("roster", "retrying")])
    later = _later()
    upload_store.items.update_one("R00005", {"_id": ids[0]}, {"$set": {"updated_at": later - timedelta(minutes=1)}})
    with Publisher(settings.amqp_uri, POLICY) as publisher:
        republish_stalled(upload_store, publisher, later)  # (the first test's school, unpaused since, may go)
    assert upload_store.get_item("R00005", ids[0]).get("republished_at") is None
