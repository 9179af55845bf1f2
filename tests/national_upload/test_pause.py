"""Pausing one school's uploads (deadline console): its items wait in the delay queue, nothing is sent
and no attempt is spent; other schools go on; once resumed the items are sent."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from services.national_upload import topology
from services.national_upload.domain import ItemState, RetryPolicy, SendResult, Verdict
from services.national_upload.publisher import Publisher
from services.national_upload.worker import ItemHandler
from tests.national_upload.test_worker import SCHOOL, _item, _queue_depth

POLICY = RetryPolicy(delays=(1, 2), max_attempts=3)
OTHER = "A00002"


def test_a_paused_school_holds_its_items_and_others_go_on(isolated, upload_store):
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    held = _item(upload_store, upload, 1)
    sent: list[str] = []

    def sender(item: dict) -> SendResult:
        sent.append(item["_id"])
        return SendResult(Verdict.ACCEPTED, receipt_id="r")

    upload_store.set_paused(SCHOOL, True, "registrar")
    upload_store.set_paused(OTHER, False, "registrar")
    counted = {r: _jobs(r) for r in ("paused", "accepted")}
    with Publisher(settings.amqp_uri, POLICY) as publisher:
        before = _queue_depth(settings.amqp_uri, topology.retry_queue(POLICY.delays[-1]))
        assert ItemHandler(upload_store, sender, publisher, POLICY).handle(SCHOOL, held["_id"]) is ItemState.QUEUED
        assert sent == []  # nothing sent while paused
        assert _queue_depth(settings.amqp_uri, topology.retry_queue(POLICY.delays[-1])) == before + 1  # waiting, not lost
        item = upload_store.get_item(SCHOOL, held["_id"])
        assert item["state"] == "queued" and item["attempts"] == 0
        assert not upload_store.is_paused(OTHER)

        upload_store.set_paused(SCHOOL, False, "registrar")
        assert ItemHandler(upload_store, sender, publisher, POLICY).handle(SCHOOL, held["_id"]) is ItemState.ACCEPTED
    assert sent == [held["_id"]]
    assert {r: _jobs(r) - n for r, n in counted.items()} == {"paused": 1, "accepted": 1}  # the workers' Prometheus counters
    assert REGISTRY.get_sample_value("licheng_upload_national_seconds_count") >= 1


def _jobs(result: str) -> float:
    return REGISTRY.get_sample_value("licheng_upload_items_total", {"result": result}) or 0.0
