"""Workers scaled 1 -> 4 -> 1 while an upload runs (what KEDA or `--scale uploader=N` does on deadline
day): every item ends accepted, rejected with a reason, or dead-lettered, and none is accepted twice."""

from __future__ import annotations

import signal

import pika
import pytest

from services.national_upload import topology
from services.national_upload.domain import FINAL_STATES, ItemState
from shared.crypto import FieldCipher
from tests.national.simulator import SimClient, SimProcess
from tests.national_upload.test_delivery import SCHOOL, _accepted_keys, _enqueue, _roster_items, _worker
from tests.support.system import wait_until

ITEMS = 40
ENDED = {s.value for s in FINAL_STATES} | {ItemState.DEAD.value}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = SimProcess(tmp_path_factory.mktemp("scaling-sim") / "data").start()
    yield SimClient(process)
    process.stop()


def _consumers(isolated) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(isolated.settings().amqp_uri))
    try:
        return connection.channel().queue_declare(topology.WORK_QUEUE, passive=True).method.consumer_count
    finally:
        connection.close()


def _ended(store, items) -> int:
    return sum(store.get_item(SCHOOL, i["_id"])["state"] in ENDED for i in items)


def test_scaling_workers_1_to_4_to_1_mid_upload_ends_every_item_once(isolated, upload_store, sim):
    upload_store.set_credentials(SCHOOL, FieldCipher(isolated.env["LICHENG_FIELD_KEY"]).encrypt(sim.token(SCHOOL)), "test")
    # two sends in flight per worker and a slow national side, so the upload outlasts the scaling
    sim.faults({"latency_ms": 400, "rules": [{"mode": "error", "rate": 0.1, "status": 503}]})  # some sends retried
    items = _roster_items(upload_store, ITEMS)
    _enqueue(isolated, items)
    workers = [_worker(isolated, sim, concurrency=2)]
    try:
        wait_until(lambda: _ended(upload_store, items) >= 4, 90, "the first worker under way")
        workers += [_worker(isolated, sim, concurrency=2) for _ in range(3)]  # scale out to 4
        wait_until(lambda: _consumers(isolated) == 4, 90, "four workers consuming")  # started, so SIGTERM is theirs to handle
        wait_until(lambda: _ended(upload_store, items) >= ITEMS // 2, 90, "half the items with 4 workers")
        for extra in workers[1:]:  # scale back in to 1 while items are in flight
            extra.send_signal(signal.SIGTERM)
        for extra in workers[1:]:
            assert extra.wait(timeout=30) == 0  # a graceful stop: the current item finished or redelivered
        wait_until(lambda: _ended(upload_store, items) == ITEMS, 120, "every item ended with one worker")
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        sim.faults({})
    final = [upload_store.get_item(SCHOOL, i["_id"]) for i in items]
    for item in final:
        assert item["state"] in ENDED, item
        if item["state"] == ItemState.REJECTED.value:
            assert item.get("reasons") or item.get("detail"), item
        if item["state"] == ItemState.DEAD.value:
            assert item.get("detail"), item
    accepted = _accepted_keys(sim)
    assert sorted(accepted) == sorted(i["idempotency_key"] for i in final if i["state"] == "accepted")  # none twice
    held = [r["idempotency_key"] for r in sim.state(SCHOOL)["rosters"]]
    assert len(held) == len(set(held)) == len(accepted)  # one roster accepted per key, never two
